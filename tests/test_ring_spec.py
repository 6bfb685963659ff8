"""The virtio spec's MUST statements for the split ring, checked after every random operation.

Quoted from the virtio 1.2 spec, "Split Virtqueues", the driver and device requirements
of its sections; each check names the statement it holds vtrace's Driver or Device to.
"""

from __future__ import annotations

import struct

from hypothesis import given, settings
from hypothesis import strategies as st
from linux_ring.split import KINDS, SplitModel

from vtrace.ring import VRING_DESC_F_NEXT, VRING_DESC_F_WRITE, vring_need_event

ops_strategy = st.lists(st.tuples(st.sampled_from(KINDS), st.integers(0, 2**24 - 1)),
                        min_size=1, max_size=150)


def available_chains(model: SplitModel) -> list[list[tuple[int, int]]]:
    """Each chain the driver has made available and the device not yet taken, as
    (flags, next) per descriptor."""
    memory, layout = model.memory, model.memory.layout
    chains = []
    avail_idx = memory.u16(layout.avail_idx)
    for offset in range((avail_idx - model.device.last_avail_idx) & 0xFFFF):
        slot = (model.device.last_avail_idx + offset) & (layout.size - 1)
        index, chain = memory.u16(layout.avail_ring(slot)), []
        while len(chain) <= layout.size:
            _, _, flags, following = struct.unpack_from("<QIHH", memory.bytes,
                                                         layout.descriptor(index))
            chain.append((flags, following))
            if not flags & VRING_DESC_F_NEXT:
                break
            index = following
        chains.append(chain)
    return chains


@settings(max_examples=150, deadline=None)
@given(size=st.sampled_from([2, 4, 8, 16, 256]), event_idx=st.booleans(),
       start=st.sampled_from([0, 0x10000 - 20]), ops=ops_strategy)
def test_split_ring_keeps_the_specs_musts(size: int, event_idx: bool, start: int,
                                         ops: list[tuple[str, int]]) -> None:
    model = SplitModel(size, event_idx, start)
    memory, layout, driver, device = model.memory, model.memory.layout, model.driver, model.device
    avail_idx, used_idx = memory.u16(layout.avail_idx), memory.u16(layout.used_idx)
    for kind, seed in ops:
        free, in_flight = driver.num_free, list(model.in_flight)
        avail_event = memory.u16(layout.avail_event)
        if kind == "kick":
            decision = driver.kick_prepare()
            # Available Buffer Notification Suppression, driver: "If the idx field in the available
            # ring (which determined where that descriptor index was placed) was equal to
            # avail_event, the driver MUST send a notification."
            if event_idx:
                assert decision.kick >= vring_need_event(avail_event, decision.new, decision.old)
            continue
        model.step(kind, seed)
        added = 1 if driver.num_free < free else 0
        new_avail, new_used = memory.u16(layout.avail_idx), memory.u16(layout.used_idx)
        # The Virtqueue Available Ring, driver: "A driver MUST NOT decrement the available idx on a
        # virtqueue (ie. there is no way to 'unexpose' buffers)." It moves by exactly the chains
        # added.
        assert (new_avail - avail_idx) & 0xFFFF == added
        # The Virtqueue Used Ring: the device's used idx only grows, by the chains it returned.
        pushed = len(in_flight) - len(model.in_flight) if kind == "push" else 0
        assert (new_used - used_idx) & 0xFFFF == pushed
        if pushed:
            slot = (new_used - 1) & (layout.size - 1)
            head = struct.unpack_from("<I", memory.bytes, layout.used_ring(slot))[0]
            # The Virtqueue Used Ring: the used id is "the head entry of the used descriptor chain".
            assert head in {element.head for element in in_flight}
            notify = device.should_notify()
            # Used Buffer Notification Suppression, device: "If the idx field in the used ring ...
            # was equal to used_event, the device MUST send a notification."
            if event_idx and notify.used_event is not None:
                assert notify.interrupt >= vring_need_event(notify.used_event, notify.new,
                                                            notify.old)
        avail_idx, used_idx = new_avail, new_used
        avail_flags, used_flags = memory.u16(layout.avail_flags), memory.u16(layout.used_flags)
        # Both Notification Suppression sections: "If the VIRTIO_F_EVENT_IDX feature bit is not
        # negotiated: The driver MUST set flags to 0 or 1." "If ... negotiated: The driver MUST set
        # flags to 0." The same for the device's used ring flags.
        assert avail_flags in ((0,) if event_idx else (0, 1))
        assert used_flags in ((0,) if event_idx else (0, 1))
        for chain in available_chains(model):
            # The Virtqueue Descriptor Table, driver: "Drivers MUST NOT add a descriptor chain
            # longer than the queue size."
            assert len(chain) <= layout.size
            # The Virtqueue Descriptor Table, driver: "A driver MUST place any device-writable
            # descriptor elements after any device-readable descriptor elements."
            writable = [bool(flags & VRING_DESC_F_WRITE) for flags, _ in chain]
            assert writable == sorted(writable)
        # The driver never hands out more descriptors than the ring has.
        assert 0 <= driver.num_free <= layout.size
