"""Catalog data: the packed virtqueue's bodies of the ring functions (virtio 1.1).

A replay with ``--ring packed`` shows these where a split-ring replay shows
``virtqueue_add_split``, ``virtqueue_split_pop``, ``virtqueue_split_fill`` and
``virtqueue_split_flush``. Linux 4.19 and QEMU 3.1 have no packed ring, so
their versions are absent here. Each step's version notes compare it with the
split ring. Line numbers are definition lines in the trees of ``docs/sources.md``.
"""

from __future__ import annotations

from vtrace.catalog.base import Step, at, step
from vtrace.catalog.send_steps import QV, VR
from vtrace.model import Phase

__all__ = ["STEPS"]

STEPS: tuple[Step, ...] = (
    step("virtqueue_add_packed", "linux", VR, at(v6_1=1352, v7_2=1658), "virtio_net",
         Phase.XMIT, 90,
         "The packed-ring body of virtqueue_add: write the buffer's address, length and id "
         "into the descriptor slot at next_avail_idx, AVAIL set to avail_wrap_counter and "
         "USED to its opposite; the head's flags are written last, after a write barrier, "
         "so the device sees the whole chain at once. Past the ring's end the index goes "
         "back to 0 and avail_wrap_counter flips.",
         notes={"6.1": "Compared with the split ring: no avail ring and no avail->idx; the "
                       "descriptor's flags make it available, and the id travels in the "
                       "descriptor itself. Chains of several buffers go through "
                       "virtqueue_add_indirect_packed when indirect descriptors are "
                       "negotiated.",
                "7.2": "Compared with the split ring: the flags of the slot make it "
                       "available, not avail->idx. Linux 7.2 reaches it through "
                       "VIRTQUEUE_CALL's operation table; an in-order variant "
                       "(virtqueue_add_packed_in_order) serves VIRTIO_F_IN_ORDER."}),
    step("virtqueue_packed_pop", "qemu", QV, at(v7_2=2095, v10_2=1857), "virtio-net",
         Phase.DEVICE, 60,
         "The packed-ring body of virtqueue_pop: the slot at last_avail_idx is available when "
         "its AVAIL bit differs from USED and equals last_avail_wrap_counter (is_desc_avail); "
         "read the descriptor after a read barrier, map the buffers, advance last_avail_idx "
         "by the descriptors used, flipping the wrap counter past the ring's end.",
         notes={"7.2": "Compared with the split ring: QEMU reads no avail->idx and writes no "
                       "avail_event here; it reads the descriptor slot itself, and the "
                       "buffer's id comes from the descriptor.",
                "10.2": "Compared with the split ring: the slot's flags, not avail->idx, say "
                        "what is available; QEMU 10.2 reads them as 7.2 does."}),
    step("virtqueue_packed_fill", "qemu", QV, at(v7_2=1330, v10_2=947), "virtio-net",
         Phase.COMPLETE, 20,
         "The packed-ring body of virtqueue_fill: remember the used element's id, length and "
         "descriptor count in used_elems; nothing is written to the ring yet.",
         notes={"7.2": "Compared with the split ring: virtqueue_split_fill writes the used "
                       "ring's entry at once; the packed one waits for the flush.",
                "10.2": "Compared with the split ring: the packed fill only records the "
                        "element; QEMU 10.2 adds virtqueue_ordered_fill for "
                        "VIRTIO_F_IN_ORDER."}),
    step("virtqueue_packed_flush", "qemu", QV, at(v7_2=1415, v10_2=1084), "virtio-net",
         Phase.COMPLETE, 40,
         "The packed-ring body of virtqueue_flush: write each used element's id and length "
         "into a descriptor slot from used_idx on, with AVAIL and USED both set to "
         "used_wrap_counter, the first element's slot last after a write barrier; advance "
         "used_idx, flipping used_wrap_counter past the ring's end.",
         notes={"7.2": "Compared with the split ring: the used element overwrites a descriptor "
                       "slot of the same ring, and no used->idx is published; the flags tell "
                       "the driver. (Debian's 7.2 carries the stable fix that places each "
                       "element past the descriptors of those before it.)",
                "10.2": "Compared with the split ring: used elements go back into the "
                        "descriptor ring and the flags publish them; there is no used->idx."}),
)
