"""Big receive buffers go into the ring as Linux posts them: one indirect descriptor each.

Without MRG_RXBUF ``virtnet_find_vqs`` gives the receive queues no ``ctx`` when the
driver expects big packets, so ``vring_create_virtqueue`` leaves ``vq->indirect`` on
when INDIRECT_DESC is negotiated, and ``add_recvbuf_big``'s 19 scatter-gather entries
go through ``alloc_indirect_split``: one ring descriptor (INDIRECT, 19 x 16 bytes) and a
table of 19 device-writable entries linked i -> i + 1. A Debian 6.1 guest under QEMU 7.2
shows avail.idx 256, len 304 and flags 4. Without INDIRECT_DESC the chain stays direct.
"""

from __future__ import annotations

import struct
from dataclasses import replace
from typing import Any

import pytest
from cli_run import run

from vtrace.catalog import ERAS
from vtrace.renderers.html_numbers import slotted, split
from vtrace.ring import (
    DESC_SIZE,
    VRING_DESC_F_INDIRECT,
    VRING_DESC_F_NEXT,
    VRING_DESC_F_WRITE,
    Device,
    Driver,
    RingLayout,
)
from vtrace.ring_packed import VRING_PACKED_DESC_F_AVAIL, PackedMemory
from vtrace.scenarios.recv.guest import run_world
from vtrace.scenarios.recv.world import BIG_CHAIN, PAGE, RecvParams, RecvWorld
from vtrace.scenarios.send.tso import HEADERS

HDR = 12  # vi->hdr_len with MRG_RXBUF off but VERSION_1
PADDED = 32  # sizeof(struct padded_vnet_hdr) in 6.1
DESC = struct.Struct("<QIHH")  # addr, len, flags, next


def _world(until: str | None = None, **params: Any) -> RecvWorld:
    """The world after the replay, or as it is when step ``until`` first runs."""
    world, run_ = run_world(replace(RecvParams(mergeable=False), **params), ERAS["modern"], 1)
    for event in run_:
        if event.step == until:
            break
    return world


def _expected_table(first: int) -> list[tuple[int, int, int, int]]:
    """add_recvbuf_big's entries as alloc_indirect_split writes them: header, the rest of
    the first page after the padded header, 17 whole pages; WRITE and NEXT but the last,
    ``next`` i + 1 throughout."""
    entries = [(first, HDR), (first + PADDED, PAGE - PADDED),
               *((first + PAGE * page, PAGE) for page in range(1, 18))]
    return [(addr, length,
             VRING_DESC_F_WRITE | (VRING_DESC_F_NEXT if index < BIG_CHAIN - 1 else 0),
             index + 1) for index, (addr, length) in enumerate(entries)]


def test_a_big_buffer_is_one_indirect_descriptor_at_the_spec_offsets() -> None:
    world = _world("vring_interrupt", frames=1, rx_buffers=1)  # used, not yet refilled
    memory, layout = world.memory, world.memory.layout
    assert isinstance(layout, RingLayout) and world.indirect
    head = memory.u16(layout.avail_ring(0))
    table, length, flags, following = DESC.unpack_from(memory.bytes, layout.descriptor(head))
    # The ring descriptor: the table's address, 19 x 16 bytes, INDIRECT only; its next is
    # the free list's successor, as virtqueue_add_desc_split copies extra[head].next.
    assert (length, flags, following) == (BIG_CHAIN * DESC_SIZE, VRING_DESC_F_INDIRECT,
                                          head + 1)
    first = memory.slot_address(head)
    entries = [DESC.unpack_from(memory.bytes, table + DESC_SIZE * index)
               for index in range(BIG_CHAIN)]
    assert entries == _expected_table(first)
    # The table lies behind the buffer's 18 pages, clear of them and of the next slot.
    assert first + 18 * PAGE <= table and table + length <= memory.slot_address(head + 1)
    # Only one descriptor left the free list.
    assert isinstance(world.driver, Driver) and world.driver.num_free == 256 - 1


def test_a_ring_of_256_holds_256_big_buffers() -> None:
    world = _world(frames=0)
    memory, layout = world.memory, world.memory.layout
    assert isinstance(layout, RingLayout)
    assert memory.u16(layout.avail_idx) == 256 and world.driver.num_free == 0
    heads = sorted(memory.u16(layout.avail_ring(slot)) for slot in range(256))
    assert heads == list(range(256))
    for head in heads:
        _, length, flags, _ = DESC.unpack_from(memory.bytes, layout.descriptor(head))
        assert (length, flags) == (304, VRING_DESC_F_INDIRECT)
    # No two buffers share a page.
    pages = [addr for head in heads for addr, _ in world.chain(head)[1:]]
    assert len({addr // PAGE for addr in pages}) == len(pages)


def test_without_indirect_desc_the_chain_stays_direct() -> None:
    world = _world(frames=1, features="-mrg_rxbuf,-indirect_desc")
    memory, layout = world.memory, world.memory.layout
    assert isinstance(layout, RingLayout) and not world.indirect
    assert memory.u16(layout.avail_ring(0)) == 0
    addr, length, flags, following = DESC.unpack_from(memory.bytes, layout.descriptor(0))
    assert (addr, length, flags) == (memory.slot_address(0), HDR,
                                     VRING_DESC_F_WRITE | VRING_DESC_F_NEXT)
    assert len(world.chain(0)) == BIG_CHAIN
    # 13 chains of 19 fill 247 of 256 descriptors; after one frame, one more chain is free.
    assert memory.u16(layout.avail_idx) == 13


@pytest.mark.parametrize(("proto", "size", "backend"), [
    ("tcp", 65000, "qemu"), ("udp", 1514, "qemu"), ("udp", 1514, "vhost-net")])
def test_the_device_takes_the_whole_frame_through_the_table(proto: str, size: int,
                                                            backend: str) -> None:
    frames = 3
    world = _world(frames=frames, proto=proto, size=size, backend=backend)
    assert world.delivered == list(range(frames)) and not world.dropped
    layout = world.memory.layout
    assert isinstance(layout, RingLayout)
    wire = size + (HEADERS if proto == "tcp" else 0)  # TCP: the payload and its headers
    for slot in range(frames):
        _, written = struct.unpack_from("<II", world.memory.bytes, layout.used_ring(slot))
        assert written == HDR + wire


def test_the_events_show_the_indirect_table() -> None:
    """A refill's ring write names the table and its entries, as the send side's does."""
    world, run_ = run_world(RecvParams(frames=40, batch=40, queue_size=32, mergeable=False),
                            ERAS["modern"], 1)
    adds = [event for event in run_ if event.step == "virtqueue_add_split"
            and "head" in event.detail]
    assert adds
    for event in adds:
        detail = event.detail
        assert (detail["len"], detail["flags"]) == (304, VRING_DESC_F_INDIRECT)
        first = world.memory.slot_address(detail["head"])
        assert detail["indirect"] == [[addr, length] for addr, length, _, _
                                      in _expected_table(first)]
        assert detail["addr"] == first + 18 * PAGE


def test_the_packed_ring_puts_a_big_buffer_in_one_slot() -> None:
    world = _world("virtqueue_packed_pop", frames=1, rx_buffers=1, ring="packed")
    memory = world.memory
    assert isinstance(memory, PackedMemory)
    table, length, buffer_id, flags = struct.unpack_from("<QIHH", memory.bytes, 0)
    assert (buffer_id, length) == (0, 304) and table == memory.indirect_table(0)
    # As the device reads it: INDIRECT, available in the first lap (AVAIL set, USED not).
    assert flags == VRING_DESC_F_INDIRECT | VRING_PACKED_DESC_F_AVAIL
    entries = [struct.unpack_from("<QIHH", memory.bytes, table + DESC_SIZE * index)
               for index in range(BIG_CHAIN)]
    # virtqueue_add_indirect_packed: addr, len and WRITE; no NEXT, the table's length ends it.
    assert [(addr, size, flag) for addr, size, _, flag in entries] == [
        (addr, size, VRING_DESC_F_WRITE) for addr, size, _, _ in
        _expected_table(memory.slot_address(0))]


def test_a_ring_larger_than_qemu_allows_is_refused_for_big_buffers() -> None:
    code, _, err = run("recv", "--no-mergeable", "--queue-size", "2048")
    assert code == 2 and "1024" in err and len(err.strip().splitlines()) == 1
    code, _, _ = run("recv", "--queue-size", "2048", "--frames", "1", "--view", "quiet")
    assert code == 0


def test_qemu_counts_the_bytes_behind_an_indirect_table() -> None:
    """virtqueue_get_avail_bytes follows VRING_DESC_F_INDIRECT into the table."""
    world = _world("vring_interrupt", frames=1, rx_buffers=2)  # one used, one still posted
    device = world.device
    assert isinstance(device, Device)
    assert device.avail_bytes() == HDR + (PAGE - PADDED) + 17 * PAGE


def test_the_player_shares_one_set_of_words_for_every_table() -> None:
    """The HTML player takes an indirect table's entries as numbers, so refills of
    different heads share their words and only their numbers differ."""
    first, second = ({"head": head, "len": 304, "flags": 4,
                      "indirect": [[addr, 12], [addr + 32, 4064]]}
                     for head, addr in ((1, 4096), (2, 8192)))
    (structure, numbers), (other, _) = split(first), split(second)
    assert structure == other and numbers == (1, 304, 4, 4096, 12, 4128, 4064)
    assert slotted(structure)["indirect"] == [["⟦3⟧", "⟦4⟧"], ["⟦5⟧", "⟦6⟧"]]
