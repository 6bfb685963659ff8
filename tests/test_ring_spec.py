"""The virtio spec's MUST statements for both rings, checked after every random operation.

From the virtio 1.2 spec, "Split Virtqueues" and "Packed Virtqueues", the driver and
device requirements of their sections; each check names the statement it holds vtrace's
drivers or devices to.
"""

from __future__ import annotations

import struct

from hypothesis import given, settings
from hypothesis import strategies as st
from linux_ring.packed import PackedModel
from linux_ring.split import KINDS, SplitModel

from vtrace.ring import VRING_DESC_F_NEXT, VRING_DESC_F_WRITE, vring_need_event
from vtrace.ring_packed import (
    VRING_DESC_F_INDIRECT,
    VRING_PACKED_EVENT_FLAG_DESC,
    VRING_PACKED_EVENT_FLAG_DISABLE,
    VRING_PACKED_EVENT_FLAG_ENABLE,
    is_desc_avail,
    is_desc_used,
)

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
        index = memory.u16(layout.avail_ring(slot))
        chain: list[tuple[int, int]] = []
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


@settings(max_examples=150, deadline=None)
@given(size=st.integers(1, 20) | st.sampled_from([64, 256]), event_idx=st.booleans(),
       indirect=st.booleans(), ops=ops_strategy)
def test_packed_ring_keeps_the_specs_musts(size: int, event_idx: bool, indirect: bool,
                                          ops: list[tuple[str, int]]) -> None:
    model = PackedModel(size, event_idx, indirect)
    memory, layout, driver, device = model.memory, model.memory.layout, model.driver, model.device
    allowed_events = {VRING_PACKED_EVENT_FLAG_ENABLE, VRING_PACKED_EVENT_FLAG_DISABLE}
    if event_idx:
        allowed_events.add(VRING_PACKED_EVENT_FLAG_DESC)
    pending = 0  # descriptors made available and not yet taken by the device
    for kind, seed in ops:
        in_flight = {element.head for element in model.in_flight}
        free = driver.num_free
        used_slot, used_wrap = device.used_idx, device.used_wrap_counter
        if kind == "kick":
            decision = driver.kick_prepare()
            flags = memory.u16(layout.device_event + 2)
            # Event suppression: DISABLE means no notification, ENABLE means one.
            if flags != VRING_PACKED_EVENT_FLAG_DESC:
                assert decision.kick == (flags == VRING_PACKED_EVENT_FLAG_ENABLE)
            continue
        model.step(kind, seed)
        if kind == "push" and (device.used_idx, device.used_wrap_counter) != (used_slot,
                                                                              used_wrap):
            flags, buffer_id = (memory.u16(layout.descriptor(used_slot) + 14),
                                memory.u16(layout.descriptor(used_slot) + 12))
            # Marking a descriptor used: the device sets AVAIL and USED both to its Used
            # Ring Wrap Counter, and writes the id of a buffer the driver made available.
            assert is_desc_used(flags, used_wrap)
            assert buffer_id in in_flight
            notify = device.should_notify()
            if notify.used_event is None:
                driver_flags = memory.u16(layout.driver_event + 2)
                assert notify.interrupt == (driver_flags == VRING_PACKED_EVENT_FLAG_ENABLE)
        # RING_EVENT_FLAGS_DESC only when VIRTIO_F_EVENT_IDX was negotiated, on both sides.
        assert memory.u16(layout.driver_event + 2) in allowed_events
        assert memory.u16(layout.device_event + 2) in allowed_events
        # Every slot from the device's next one to the driver's is available, AVAIL equal
        # to the wrap counter of its lap and USED its inverse; a chain's descriptors
        # carry its id; INDIRECT never comes with NEXT, nor inside a table.
        slot, wrap = device.last_avail_idx, device.last_avail_wrap_counter
        if kind == "add":
            pending += free - driver.num_free
        elif kind == "pop" and len(model.in_flight) > len(in_flight):
            pending -= model.in_flight[-1].ndescs
        for _ in range(pending):
            _, length, _, flags = struct.unpack_from("<QIHH", memory.bytes,
                                                     layout.descriptor(slot))
            assert is_desc_avail(flags, wrap)
            assert not (flags & VRING_DESC_F_INDIRECT and flags & VRING_DESC_F_NEXT)
            if flags & VRING_DESC_F_INDIRECT:
                table = struct.unpack_from("<Q", memory.bytes, layout.descriptor(slot))[0]
                for entry in range(length // 16):
                    assert not memory.u16(table + 16 * entry + 14) & VRING_DESC_F_INDIRECT
            slot += 1
            if slot == size:
                slot, wrap = 0, not wrap
