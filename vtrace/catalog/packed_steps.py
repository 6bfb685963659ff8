"""Catalog data: the packed virtqueue's bodies of the ring functions (virtio 1.1).

A replay with ``--ring packed`` shows these where a split-ring replay shows
``virtqueue_add_split``, ``virtqueue_split_pop``, ``virtqueue_split_fill`` and
``virtqueue_split_flush``, and under the ring functions whose split bodies it
does not show (``virtqueue_kick_prepare``, ``virtqueue_get_buf_ctx``,
``virtio_notify``, …). Linux 4.19 and QEMU 3.1 have no packed ring, so
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
         "The packed-ring body of virtqueue_add: write address, length and id into the slot "
         "at next_avail_idx, AVAIL = avail_wrap_counter, USED its opposite; the head's flags "
         "go last, after a write barrier. Past the ring's end avail_wrap_counter flips.",
         notes={"6.1": "Compared with the split ring: no avail ring and no avail->idx; the "
                       "descriptor's flags make it available, and the id travels in the "
                       "descriptor itself. Chains of several buffers go through "
                       "virtqueue_add_indirect_packed when indirect descriptors are "
                       "negotiated.",
                "7.2": "Compared with the split ring: the flags of the slot make it "
                       "available, not avail->idx. Linux 7.2 reaches it through "
                       "VIRTQUEUE_CALL's operation table; an in-order variant "
                       "(virtqueue_add_packed_in_order) serves VIRTIO_F_IN_ORDER."}),
    step("virtqueue_add_indirect_packed", "linux", VR, at(v6_1=1238, v7_2=1529), "virtio_net",
         Phase.XMIT, 90,
         "With indirect descriptors a chain goes into a table, one entry per buffer; the "
         "slot at next_avail_idx gets the table's address, 16 bytes per entry as len, the "
         "id, and INDIRECT with AVAIL and USED, its flags last.",
         notes={"6.1": "Compared with the split ring: the split table is linked by next "
                       "fields; the packed table is read in order, its ids unused. Linux "
                       "kmallocs it; vtrace keeps one per id after the buffers.",
                "7.2": "Compared with the split ring: one slot and one id for the whole "
                       "chain, as there. Linux 7.2's caller passes the id in, so the "
                       "in-order variant can use its own."}),
    step("virtqueue_packed_pop", "qemu", QV, at(v7_2=2095, v10_2=1857), "virtio-net",
         Phase.DEVICE, 60,
         "The packed-ring body of virtqueue_pop: the slot at last_avail_idx is available when "
         "its AVAIL bit differs from USED and equals last_avail_wrap_counter (is_desc_avail); "
         "read the descriptor after a read barrier, map the buffers, advance last_avail_idx "
         "by the descriptors used, flipping the wrap counter past the ring's end.",
         notes={"7.2": "Compared with the split ring: QEMU reads no avail->idx and writes no "
                       "avail_event here; it reads the descriptor slot itself "
                       "(vring_packed_desc_read: the flags, a read barrier, then the rest), "
                       "and the buffer's id comes from the descriptor.",
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
                       "slot of the same ring (virtqueue_packed_fill_desc), and no used->idx is "
                       "published; the flags tell the driver. (Debian's 7.2 carries the "
                       "stable fix that places each element past the descriptors of those "
                       "before it.)",
                "10.2": "Compared with the split ring: used elements go back into the "
                        "descriptor ring and the flags publish them; there is no used->idx."}),
    step("virtqueue_kick_prepare_packed", "linux", VR, at(v6_1=1503, v7_2=2002), "virtio_net",
         Phase.KICK, 30,
         "The packed-ring body of virtqueue_kick_prepare: read the device's event area in "
         "one 32-bit load. DISABLE: no kick; ENABLE: kick; DESC (EVENT_IDX): kick if "
         "off_wrap (a lap back if its wrap bit is not avail_wrap_counter) is among the "
         "descriptors just added.",
         notes={"6.1": "Compared with the split ring: no avail_event in the used ring and no "
                       "VRING_USED_F_NO_NOTIFY; the device's own 4-byte area says it, and the "
                       "index carries a wrap bit. virtqueue_kick_prepare picks this body when "
                       "vq->packed_ring is set.",
                "7.2": "Compared with the split ring: the device's event area, not the used "
                       "ring, holds off_wrap and flags. Linux 7.2 reaches it through "
                       "VIRTQUEUE_CALL; the in-order table uses this same body."}),
    step("virtqueue_get_buf_ctx_packed", "linux", VR, at(v6_1=1623, v7_2=2234), "virtio_net",
         Phase.COMPLETE, 60,
         "The packed-ring body of virtqueue_get_buf_ctx: if the slot at last_used_idx is "
         "used (AVAIL = USED = the used wrap counter), read its id and length, detach the "
         "buffer, move last_used_idx past it (bit 15 flips at the ring's end).",
         notes={"6.1": "Compared with the split ring: no used->idx to compare with and no "
                       "used ring entry; the descriptor slot itself carries the id and length "
                       "the device wrote, and its flags say it is used (more_used_packed asks "
                       "is_used_desc_packed). With DESC set, the new "
                       "last_used_idx goes to the driver's off_wrap, where the split ring "
                       "writes used_event.",
                "7.2": "Compared with the split ring: the slot's flags say it is used. Linux "
                       "7.2 reaches it through VIRTQUEUE_CALL; with VIRTIO_F_IN_ORDER "
                       "virtqueue_get_buf_ctx_packed_in_order takes its place."}),
    step("detach_buf_packed", "linux", VR, at(v6_1=1552, v7_2=2098), "virtio_net",
         Phase.COMPLETE, 20,
         "Return a used buffer's id to the free list: desc_state[id].last's next becomes the "
         "old free_head, free_head becomes the id, num_free grows by the buffer's "
         "descriptors; its token (the skb or the page) goes back to the caller.",
         notes={"6.1": "Compared with the split ring: the ids form the free list in "
                       "desc_extra, apart from the ring, because the device overwrites the "
                       "ring's slots with used elements.",
                "7.2": "Compared with the split ring: the free list lives in desc_extra. "
                       "Linux 7.2 splits out detach_buf_packed_in_order, which this calls "
                       "after relinking the free list."}),
    step("virtqueue_disable_cb_packed", "linux", VR, at(v6_1=1692, v7_2=2286), "virtio_net",
         Phase.COMPLETE, 30,
         "The packed-ring body of virtqueue_disable_cb: set event_flags_shadow to DISABLE "
         "and write it to the driver's event area, unless an interrupt has fired since "
         "interrupts were enabled (the device will not send another anyway).",
         notes={"6.1": "Compared with the split ring: DISABLE in the driver's own area "
                       "replaces VRING_AVAIL_F_NO_INTERRUPT in the avail ring.",
                "7.2": "Compared with the split ring: the driver's area holds the flag, not "
                       "the avail ring. Linux 7.2 reaches it through VOID_VIRTQUEUE_CALL."}),
    step("virtqueue_enable_cb_prepare_packed", "linux", VR, at(v6_1=1711, v7_2=2303),
         "virtio_net", Phase.COMPLETE, 30,
         "The packed-ring body of virtqueue_enable_cb_prepare: with EVENT_IDX write "
         "last_used_idx (with its wrap bit) to the driver's off_wrap, then the flags (DESC, "
         "or ENABLE); return last_used_idx for virtqueue_poll.",
         notes={"6.1": "Compared with the split ring: off_wrap in the driver's area replaces "
                       "used_event at the avail ring's end, and it must be written before the "
                       "flags that make the device read it.",
                "7.2": "Compared with the split ring: the driver's area, not the avail ring. "
                       "Linux 7.2's wrapper clears event_triggered before VIRTQUEUE_CALL."}),
    step("virtqueue_poll_packed", "linux", VR, at(v6_1=1744, v7_2=2122), "virtio_net",
         Phase.COMPLETE, 20,
         "The packed-ring body of virtqueue_poll: is the slot named by the value "
         "enable_cb_prepare returned (index and wrap bit) used by now (is_used_desc_packed)?",
         notes={"6.1": "Compared with the split ring: it reads the slot's flags, not "
                       "used->idx.",
                "7.2": "Compared with the split ring: the slot's flags, not used->idx. In "
                       "Linux 7.2 more_used_packed calls this same function."}),
    step("virtqueue_enable_cb_delayed_packed", "linux", VR, at(v6_1=1756, v7_2=2334),
         "virtio_net", Phase.XMIT, 40,
         "The packed-ring body of virtqueue_enable_cb_delayed: with EVENT_IDX, write to the "
         "driver's off_wrap the slot 3/4 of the buffers in flight past last_used_idx (with "
         "its wrap bit), then the flags; false if the next slot is already used.",
         notes={"6.1": "Compared with the split ring: the same 3/4 threshold, written to the "
                       "driver's area with a wrap bit instead of to used_event.",
                "7.2": "Compared with the split ring: off_wrap in the driver's area. Linux "
                       "7.2 reaches it through VIRTQUEUE_CALL."}),
    step("virtio_packed_should_notify", "qemu", QV, at(v7_2=3053, v10_2=2626), "virtio-net",
         Phase.COMPLETE, 30,
         "The packed-ring body of virtio_should_notify: read the driver's event area; "
         "DISABLE: no interrupt; ENABLE: one; DESC: vring_packed_need_event on off_wrap (a "
         "lap back if its wrap bit is not used_wrap_counter).",
         notes={"7.2": "Compared with the split ring: no used_event at the avail ring's end "
                       "and no VRING_AVAIL_F_NO_INTERRUPT; the driver's own area says it "
                       "(vring_packed_event_read). used_idx goes to signalled_used as there.",
                "10.2": "Compared with the split ring: the driver's event area decides; QEMU "
                        "10.2 reads it as 7.2 does."}),
    step("virtio_queue_packed_set_notification", "qemu", QV, at(v7_2=935, v10_2=552),
         "virtio-net", Phase.DEVICE, 30,
         "The packed-ring body of virtio_queue_set_notification: in the device's event area "
         "write DISABLE, or with EVENT_IDX first off_wrap (shadow_avail_idx and its wrap "
         "counter) and after a write barrier DESC, or ENABLE.",
         notes={"7.2": "Compared with the split ring: the device's own area replaces "
                       "avail_event at the used ring's end and VRING_USED_F_NO_NOTIFY.",
                "10.2": "Compared with the split ring: the device's event area, written as "
                        "in 7.2."}),
    step("vring_create_virtqueue_packed", "linux", VR, at(v6_1=1996, v7_2=2650), "virtio_net",
         Phase.SETUP, 600,
         "Allocate the packed ring in guest memory (vring_alloc_queue_packed): a zeroed "
         "table of 16-byte descriptors and two 4-byte event areas, the driver's and the "
         "device's; then the ids' free list; both wrap counters start at 1.",
         notes={"6.1": "Compared with the split ring: three separate allocations, none of "
                       "them an avail or used ring; vring_create_virtqueue picks this when "
                       "VIRTIO_F_RING_PACKED was negotiated.",
                "7.2": "Compared with the split ring: a descriptor ring and two event areas. "
                       "Linux 7.2 builds the queue in __vring_new_virtqueue_packed, which "
                       "chooses the in-order table when VIRTIO_F_IN_ORDER was negotiated."}),
)
