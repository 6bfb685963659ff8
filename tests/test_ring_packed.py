"""The packed virtqueue: descriptors, wrap counters and event areas at the spec's offsets."""

from __future__ import annotations

import struct

import pytest

from vtrace.ring import Buffer, RingError
from vtrace.ring_packed import (
    VRING_DESC_F_INDIRECT,
    VRING_PACKED_DESC_F_AVAIL,
    VRING_PACKED_DESC_F_USED,
    VRING_PACKED_EVENT_FLAG_DESC,
    VRING_PACKED_EVENT_FLAG_DISABLE,
    PackedDevice,
    PackedDriver,
    PackedLayout,
    PackedMemory,
)

AVAIL, USED = VRING_PACKED_DESC_F_AVAIL, VRING_PACKED_DESC_F_USED


def ring(size: int = 4, event_idx: bool = True,
         indirect: bool = False) -> tuple[PackedMemory, PackedDriver, PackedDevice]:
    memory = PackedMemory(PackedLayout(size), slot_size=64)
    return (memory, PackedDriver(memory, event_idx=event_idx, indirect=indirect),
            PackedDevice(memory, event_idx=event_idx))


def desc(memory: PackedMemory, index: int) -> tuple[int, int, int, int]:
    addr, length, buffer_id, flags = struct.unpack_from("<QIHH", memory.bytes, 16 * index)
    return addr, length, buffer_id, flags


def test_layout_puts_both_event_areas_after_the_descriptors() -> None:
    layout = PackedLayout(256)
    assert (layout.driver_event, layout.device_event, layout.total) == (4096, 4100, 4104)
    assert PackedLayout(3).total == 56  # a packed queue need not be a power of two
    with pytest.raises(RingError):
        PackedLayout(32769)


def test_a_chain_is_made_available_with_avail_set_and_used_clear() -> None:
    memory, driver, _ = ring()
    buffer_id = driver.add([Buffer(0x1000, 14), Buffer(0x2000, 100, writable=True)], token=7)
    assert buffer_id == 0
    # Both descriptors carry the id; the head has NEXT, the last WRITE.
    assert desc(memory, 0) == (0x1000, 14, 0, AVAIL | 1)
    assert desc(memory, 1) == (0x2000, 100, 0, AVAIL | 2)
    assert driver.next_avail_idx == 2 and driver.num_free == 2


def test_the_flags_invert_when_the_ring_wraps() -> None:
    memory, driver, device = ring(size=2)
    for lap in range(2):
        for token in range(2):
            driver.add([Buffer(0x1000, 10)], token)
        for _ in range(2):
            element = device.pop()
            assert element is not None
            device.fill(element, 0, 0)
            device.flush(1)
        assert driver.get_buf() is not None and driver.get_buf() is not None
        # Lap 0 used AVAIL=USED=1; the device's counter flipped, so lap 1 writes 0.
        expected = AVAIL | USED if lap == 0 else 0
        assert [desc(memory, index)[3] for index in range(2)] == [expected, expected]
    assert driver.avail_wrap_counter == 1 and driver.used_wrap_counter == 1


def test_the_used_id_can_differ_from_the_slot_it_lands_in() -> None:
    memory, driver, device = ring()
    driver.add([Buffer(0x1000, 10)], token=1)  # id 0 in slot 0
    driver.add([Buffer(0x2000, 10)], token=2)  # id 1 in slot 1
    first, second = device.pop(), device.pop()
    assert first is not None and second is not None
    device.fill(second, 60, 0)  # the second buffer finishes first
    device.flush(1)
    assert desc(memory, 0)[1:] == (60, 1, AVAIL | USED)  # slot 0 now says id 1
    assert driver.get_buf() == (2, 1, 60)


def test_indirect_chains_take_one_slot_and_a_table() -> None:
    memory, driver, device = ring(indirect=True)
    buffers = [Buffer(0x1000, 14), Buffer(0x2000, 100, writable=True)]
    buffer_id = driver.add(buffers, token=3)
    table = memory.indirect_table(buffer_id)
    assert desc(memory, 0) == (table, 32, 0, AVAIL | VRING_DESC_F_INDIRECT)
    assert struct.unpack_from("<QIHH", memory.bytes, table + 16) == (0x2000, 100, 0, 2)
    element = device.pop()
    assert element is not None and element.ndescs == 1 and element.buffers == tuple(buffers)
    assert driver.num_free == 3


def test_kick_and_interrupt_follow_the_event_areas() -> None:
    memory, driver, device = ring()
    device.set_notification(False)
    driver.add([Buffer(0x1000, 10)], token=1)
    assert not driver.kick_prepare().kick  # the device's area says DISABLE
    device.pop()
    device.set_notification(True)  # off_wrap = 1 | wrap 1, flags = DESC
    assert struct.unpack_from("<HH", memory.bytes, memory.layout.device_event) == (
        1 | 1 << 15, VRING_PACKED_EVENT_FLAG_DESC)
    driver.add([Buffer(0x2000, 10)], token=2)
    assert driver.kick_prepare().kick
    driver.disable_cb()
    assert memory.u16(memory.layout.driver_event + 2) == VRING_PACKED_EVENT_FLAG_DISABLE
    assert driver.enable_cb_prepare() == 1 << 15  # slot 0 of the first lap


def test_avail_bytes_counts_every_writable_buffer_not_yet_taken_across_the_wrap() -> None:
    memory, driver, device = ring(size=3, indirect=True)
    driver.add([Buffer(0x1000, 100, writable=True)], token=1)
    element = device.pop()
    assert element is not None
    device.fill(element, 0, 0)
    device.flush(1)
    driver.get_buf()
    driver.add([Buffer(0x2000, 200, writable=True)], token=2)  # slot 1
    driver.add([Buffer(0x3000, 14), Buffer(0x4000, 300, writable=True)], token=3)  # slot 2
    driver.add([Buffer(0x5000, 400, writable=True)], token=4)  # slot 0, the next lap
    assert device.avail_bytes() == 900
    device.pop()
    assert device.avail_bytes() == 700


def test_a_flush_puts_each_element_past_the_descriptors_of_those_before_it() -> None:
    memory, driver, device = ring(size=4)
    driver.add([Buffer(0x1000, 10), Buffer(0x2000, 10)], token=1)  # id 0: slots 0 and 1
    driver.add([Buffer(0x3000, 10)], token=2)  # id 2 (the chain took ids 0, 1): slot 2
    first, second = device.pop(), device.pop()
    assert first is not None and second is not None
    device.fill(first, 5, 0)
    device.fill(second, 6, 1)
    device.flush(2)
    # Element 1 lands at used_idx + 2 (element 0 took two descriptors), not + 1.
    assert desc(memory, 2)[1:] == (6, 2, AVAIL | USED)
    assert desc(memory, 1)[3] == AVAIL  # slot 1 still holds the chain's last descriptor
    assert [driver.get_buf(), driver.get_buf()] == [(1, 0, 5), (2, 2, 6)]
