"""vtrace: trace and visualise the virtio-net packet path of a QEMU/KVM guest."""

from vtrace.model import Event, Header

__version__ = "0.1.0"

__all__ = ["Event", "Header", "__version__"]
