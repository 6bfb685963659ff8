"""Linux's own virtio_ring.c as the test oracle of vtrace's rings (see oracle.py)."""
