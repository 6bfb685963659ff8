"""The split virtqueue: bytes at the spec's offsets, need_event, and both sides' rules."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vtrace.ring import (
    LEGACY_ALIGN,
    MODERN_ALIGN,
    VRING_AVAIL_F_NO_INTERRUPT,
    VRING_DESC_F_NEXT,
    VRING_USED_F_NO_NOTIFY,
    Buffer,
    Device,
    Driver,
    GuestMemory,
    RingError,
    RingLayout,
    vring_need_event,
)

u16 = st.integers(0, 0xFFFF)


def test_layout_of_a_256_entry_ring_matches_the_spec_by_hand() -> None:
    layout = RingLayout(256, MODERN_ALIGN)
    # 256 descriptors of 16 bytes, then avail: flags, idx, ring[256], used_event.
    assert layout.avail == 4096
    assert layout.avail_idx == 4098
    assert layout.avail_ring(255) == 4100 + 510
    assert layout.used_event == 4100 + 512
    # The used ring starts on the next 64-byte boundary after used_event (4614 -> 4672).
    assert layout.used == 4672
    assert layout.used_idx == 4674
    assert layout.used_ring(1) == 4676 + 8
    assert layout.avail_event == 4676 + 256 * 8
    assert layout.total == layout.avail_event + 2


def test_legacy_alignment_puts_the_used_ring_on_a_page() -> None:
    layout = RingLayout(256, LEGACY_ALIGN)
    assert layout.used == 8192
    assert RingLayout(1024, LEGACY_ALIGN).used == 16384 + 4096


@pytest.mark.parametrize("size", [0, 3, 100, 65536])
def test_queue_size_must_be_a_power_of_two_within_the_spec(size: int) -> None:
    with pytest.raises(RingError):
        RingLayout(size)


def ring(size: int = 8, event_idx: bool = True) -> tuple[GuestMemory, Driver, Device]:
    memory = GuestMemory(RingLayout(size), slot_size=64)
    return memory, Driver(memory, event_idx=event_idx), Device(memory, event_idx=event_idx)


def test_adding_a_buffer_writes_descriptor_avail_entry_and_idx_little_endian() -> None:
    memory, driver, _ = ring()
    layout = memory.layout
    address = memory.slot_address(0)
    head = driver.add([Buffer(address, 140)], token=7)
    assert head == 0
    # Linux 6.1's virtqueue_add_desc_split: next = the free-list successor, even when last.
    assert memory.bytes[0:16] == struct.pack("<QIHH", address, 140, 0, 1)
    assert memory.bytes[layout.avail_ring(0) : layout.avail_ring(0) + 2] == b"\x00\x00"
    assert memory.bytes[layout.avail_idx : layout.avail_idx + 2] == b"\x01\x00"
    assert driver.num_free == 7


def test_a_chain_links_descriptors_with_next_and_the_device_walks_it() -> None:
    memory, driver, device = ring()
    buffers = [Buffer(memory.slot_address(0), 12), Buffer(memory.slot_address(1), 100)]
    head = driver.add(buffers, token=1)
    addr, length, flags, following = struct.unpack_from("<QIHH", memory.bytes, 0)
    assert flags == VRING_DESC_F_NEXT and following == 1 and length == 12
    element = device.pop()
    assert element is not None and element.head == head
    assert [b.length for b in element.buffers] == [12, 100]
    device.fill(element, 0, 0)
    device.flush(1)
    assert driver.get_buf() == (1, head, 0)
    assert driver.num_free == 8


def test_the_device_sees_only_what_the_driver_published() -> None:
    _, driver, device = ring()
    assert device.pop() is None
    driver.add([Buffer(4096, 10)], token=0)
    assert device.avail_idx() == 1
    assert device.pop() is not None and device.pop() is None


def test_used_entries_come_back_in_order_and_free_the_descriptors() -> None:
    memory, driver, device = ring(size=4)
    for token in range(4):
        driver.add([Buffer(memory.slot_address(token), 10)], token)
    with pytest.raises(RingError):
        driver.add([Buffer(memory.slot_address(0), 10)], 9)
    for _ in range(4):
        element = device.pop()
        assert element is not None
        device.fill(element, 0, 0)
        device.flush(1)
    tokens = [driver.get_buf() for _ in range(4)]
    assert [t[0] for t in tokens if t] == [0, 1, 2, 3]
    assert driver.get_buf() is None and driver.num_free == 4


@given(event=u16, new=u16, old=u16)
def test_need_event_matches_a_brute_force_walk_of_the_window(event: int, new: int,
                                                             old: int) -> None:
    published = (new - old) & 0xFFFF
    window = {(old + step) & 0xFFFF for step in range(published)}
    assert vring_need_event(event, new, old) == (event in window)


def test_kick_decision_with_event_idx_reads_avail_event() -> None:
    memory, driver, device = ring()
    driver.add([Buffer(4096, 10)], 0)
    assert driver.kick_prepare().kick  # avail_event starts at 0, inside [0, 1)
    device.set_notification(False)  # notifications off: avail_event is left alone
    driver.add([Buffer(4096, 10)], 1)
    decision = driver.kick_prepare()
    assert not decision.kick and decision.avail_event == 0
    assert (decision.old, decision.new) == (1, 2)
    device.set_notification(True)  # back on: avail_event = avail idx = 2
    assert memory.u16(memory.layout.avail_event) == 2
    driver.add([Buffer(4096, 10)], 2)
    assert driver.kick_prepare().kick


def test_pop_moves_avail_event_only_while_notifications_are_on() -> None:
    memory, driver, device = ring()
    for token in range(3):
        driver.add([Buffer(4096, 10)], token)
    device.pop()
    assert memory.u16(memory.layout.avail_event) == 1
    device.set_notification(False)
    device.pop()
    assert memory.u16(memory.layout.avail_event) == 1


def test_without_event_idx_the_flags_carry_both_suppressions() -> None:
    memory, driver, device = ring(event_idx=False)
    device.set_notification(False)
    assert memory.u16(memory.layout.used_flags) & VRING_USED_F_NO_NOTIFY
    driver.add([Buffer(4096, 10)], 0)
    assert not driver.kick_prepare().kick
    device.set_notification(True)
    driver.add([Buffer(4096, 10)], 1)
    assert driver.kick_prepare().kick
    driver.disable_cb()
    assert memory.u16(memory.layout.avail_flags) & VRING_AVAIL_F_NO_INTERRUPT
    element = device.pop()
    assert element is not None
    device.fill(element, 0, 0)
    device.flush(1)
    assert not device.should_notify().interrupt
    driver.enable_cb_prepare()
    assert device.should_notify().interrupt


def test_interrupt_decision_with_event_idx_reads_used_event() -> None:
    memory, driver, device = ring()
    for token in range(4):
        driver.add([Buffer(4096, 10)], token)
    assert driver.enable_cb_delayed()  # 4 in flight: interrupt after 3 used (used_event = 3)
    assert memory.u16(memory.layout.used_event) == 3
    decisions = []
    for _ in range(4):
        element = device.pop()
        assert element is not None
        device.fill(element, 0, 0)
        device.flush(1)
        decisions.append(device.should_notify().interrupt)
    # The first notify always fires (nothing signalled yet); then only the entry at index 3.
    assert decisions == [True, False, False, True]


def test_enable_cb_delayed_reports_work_already_done() -> None:
    _, driver, device = ring()
    for token in range(4):
        driver.add([Buffer(4096, 10)], token)
    for _ in range(4):
        element = device.pop()
        assert element is not None
        device.fill(element, 0, 0)
        device.flush(1)
    assert not driver.enable_cb_delayed()


@pytest.mark.parametrize("head", [5, 99])  # not in use; past the end of the table
def test_a_corrupt_used_entry_is_refused(head: int) -> None:
    memory, driver, _ = ring(size=8)
    struct.pack_into("<II", memory.bytes, memory.layout.used_ring(0), head, 0)
    memory.put_u16(memory.layout.used_idx, 1)
    with pytest.raises(RingError, match=f"head {head}"):
        driver.get_buf()


@given(rounds=st.lists(st.tuples(st.integers(1, 8), st.integers(0, 8)), max_size=40))
def test_indices_wrap_and_descriptors_never_leak(rounds: list[tuple[int, int]]) -> None:
    memory, driver, device = ring(size=8)
    driver.avail_idx_shadow = device.last_avail_idx = 0xFFF0  # start just below the wrap
    driver.last_used_idx = device.used_idx = 0xFFF0
    memory.put_u16(memory.layout.avail_idx, 0xFFF0)
    memory.put_u16(memory.layout.used_idx, 0xFFF0)
    outstanding: list[int] = []
    token = 0
    for adds, completes in rounds:
        for _ in range(min(adds, driver.num_free)):
            driver.add([Buffer(memory.slot_address(0), 10)], token)
            outstanding.append(token)
            token += 1
        for _ in range(completes):
            element = device.pop()
            if element is None:
                break
            device.fill(element, 0, 0)
            device.flush(1)
        while (got := driver.get_buf()) is not None:
            assert got[0] == outstanding.pop(0)
        assert driver.num_free + len(outstanding) == 8


def test_linux_4_19_disables_interrupts_without_touching_used_event() -> None:
    memory = GuestMemory(RingLayout(8), slot_size=64)
    driver = Driver(memory, event_idx=True, disable_writes_used_event=False)
    driver.enable_cb_prepare()
    memory.put_u16(memory.layout.used_event, 5)
    driver.disable_cb()
    assert memory.u16(memory.layout.used_event) == 5


def _next_fields(memory: GuestMemory) -> list[int]:
    return [memory.u16(memory.layout.descriptor(index) + 14) for index in range(memory.layout.size)]


def test_linux_6_1_writes_the_free_list_successor_into_next_and_nothing_on_detach() -> None:
    memory, driver, device = ring(size=4)
    assert _next_fields(memory) == [0, 0, 0, 0]  # the free list lives in desc_extra
    driver.add([Buffer(4096, 10), Buffer(8192, 20)], token=1)
    assert _next_fields(memory) == [1, 2, 0, 0]  # desc[1] (last, flags 0) still reads 2
    element = device.pop()
    assert element is not None
    device.fill(element, 0, 0)
    device.flush(1)
    driver.get_buf()
    assert _next_fields(memory) == [1, 2, 0, 0]  # detach_buf_split writes desc_extra only
    assert driver.next_free[1] == 2 and driver.free_head == 0


def test_linux_4_19_keeps_its_free_list_in_the_ring() -> None:
    memory = GuestMemory(RingLayout(4), slot_size=64)
    driver = Driver(memory, event_idx=True, free_list_in_ring=True)
    device = Device(memory, event_idx=True)
    # __vring_new_virtqueue: desc[i].next = i + 1, the last one left 0.
    assert _next_fields(memory) == [1, 2, 3, 0]
    driver.add([Buffer(4096, 10)], token=1)
    driver.add([Buffer(8192, 10)], token=2)
    for _ in range(2):
        element = device.pop()
        assert element is not None
        device.fill(element, 0, 0)
        device.flush(1)
    driver.get_buf()
    driver.get_buf()
    # detach_buf: desc[tail].next = free_head; 0 freed first (-> 2), then 1 (-> 0).
    assert _next_fields(memory) == [2, 0, 3, 0]
    assert driver.free_head == 1
