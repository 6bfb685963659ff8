"""Linux 7.2's mergeable buffers from the receive queue's page pool of 4 KiB pages.

The table is read off ``page_pool_alloc_netmem`` (include/net/page_pool/helpers.h) and
``page_pool_alloc_frag_netmem`` (net/core/page_pool.c) with ``pp_params.order = 0``
(``virtnet_create_page_pools``): a request over half the page takes a page; otherwise
a fragment, from a new page when it does not fit, and the rest of the page when the
next request of the same size would not.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vtrace.catalog import era
from vtrace.rxbuffers import (
    PAGE_SIZE,
    BufferError,
    PagePool,
    PoolPages,
    RxBuffer,
    page_pool_alloc,
)
from vtrace.rxreceive import place_packet, receive_mergeable
from vtrace.scenarios.recv.guest import run_world
from vtrace.scenarios.recv.world import RecvParams

FRESH = 7  # the page the pool would hand out next
TCP_FRAME = 14 + 20 + 32 + 65000  # Ethernet, IPv4, TCP with timestamps, payload


@pytest.mark.parametrize(("length", "frag_offset", "posted", "offset", "next_offset"), [
    (1536, None, 1536, 0, 1536),      # the first fragment of a new page
    (1536, 1536, 2560, 1536, 4096),   # 3072 + 1536 > 4096: this one takes the rest
    (1536, 4096, 1536, 0, 1536),      # the page is spent: a new one
    (1600, 0, 1600, 0, 1600),         # 24-byte header + 1518, to 64
    (1600, 1600, 2496, 1600, 4096),
    (1600, 2496, 1600, 2496, 4096),   # it fits exactly, and nothing is left after it
    (1600, 3000, 1600, 0, 1600),      # 3000 + 1600 > 4096: a new page
    (2048, 0, 2048, 0, 2048),         # exactly half a page is still a fragment
    (2048, 2048, 2048, 2048, 4096),
    (1344, 1344, 1344, 1344, 2688),   # 2688 + 1344 = 4032 still fits a third
    (1344, 2688, 1408, 2688, 4096),
])
def test_a_fragment_takes_what_the_page_cannot_give_the_next_one(
        length: int, frag_offset: int | None, posted: int, offset: int,
        next_offset: int) -> None:
    pool = PagePool() if frag_offset is None else PagePool(3, frag_offset)
    buffer, after = page_pool_alloc(pool, length, FRESH)
    assert (buffer.len, buffer.offset, after.frag_offset) == (posted, offset, next_offset)
    assert buffer.page == (FRESH if offset == 0 and frag_offset != 0 else 3)
    assert after.frag_page == buffer.page


@pytest.mark.parametrize("length", [2112, 4096])
def test_more_than_half_a_page_takes_a_page_and_leaves_the_fragment_alone(length: int) -> None:
    pool = PagePool(3, 1536)
    buffer, after = page_pool_alloc(pool, length, FRESH)
    assert (buffer.page, buffer.offset, buffer.len) == (FRESH, 0, PAGE_SIZE)
    assert after == pool


def test_no_buffer_is_longer_than_a_page() -> None:
    with pytest.raises(BufferError):
        page_pool_alloc(PagePool(), PAGE_SIZE + 64, FRESH)


def test_a_drained_fragment_page_with_nothing_posted_comes_back_at_once() -> None:
    pages = PoolPages(4)
    first, second = pages.take(1536), pages.take(1536)
    assert (first.page, second.page, second.len) == (0, 0, 2560)
    pages.release(first)
    pages.release(second)
    assert pages.take(1536).page == 0  # page_pool_drain_frag: all its users are gone
    whole = pages.take(4096)
    assert whole.page == 1
    pages.release(whole)
    assert pages.take(4096).page == 1  # the page freed last


def _udp(ring: str) -> RecvParams:
    return RecvParams(frames=3, size=1514, ring=ring, queue_size=256)


@pytest.mark.parametrize("ring", ["split", "packed"])
def test_the_newest_udp_receive_posts_1600_and_2496_from_4k_pages(ring: str) -> None:
    # vi->hdr_len is 24 under Linux 7.2 and QEMU 10.2: get_mergeable_buf_len asks
    # ALIGN(24 + 1518, 64) = 1600, and each page gives 1600 then the remaining 2496.
    world, stream = run_world(_udp(ring), era("newest"), 1)
    list(stream)
    assert world.hdr_len == 24 and world.mergeable_buf == 1600
    sizing = world.sizing
    assert sizing is not None
    chains = [world.chain(head)[0] for head in range(3, 256)]  # heads the frames left alone
    assert {length for _, length in chains[1::2]} | {length for _, length in chains[::2]} \
        == {1600, 2496}
    assert all(a[1] != b[1] for a, b in zip(chains, chains[1:], strict=False))
    for addr, length in chains:  # each buffer in one 4 KiB page of the pool
        offset = (addr - sizing.base) % PAGE_SIZE
        assert offset + length <= PAGE_SIZE and offset in (0, 1600)
    assert len({addr // PAGE_SIZE for addr, _ in chains}) == len(chains) // 2 + 1


def test_the_older_eras_keep_their_32k_fragments() -> None:
    world, stream = run_world(_udp("split"), era("modern"), 1)
    list(stream)
    assert world.sizing is None and world.mergeable_buf == 1536
    assert {world.chain(head)[0][1] for head in range(256)} == {1536}


@pytest.mark.parametrize(("warm", "buffers"), [(False, 32), (True, 16)])
def test_a_64k_tcp_receive_in_the_newest_era_takes_buffers_from_pool_pages(
        warm: bool, buffers: int) -> None:
    # 24 + 65066 = 65090 bytes. Cold, the buffers alternate 1600 and 2496, 4096 a pair:
    # 15 pairs hold 61440, a 1600 and a 2496 the rest, 32 buffers over 16 pages. Warm, the
    # EWMA asks a page less the header, to 64: 4096, a page each, ceil(65090 / 4096) = 16.
    params = RecvParams(frames=3, size=65000, proto="tcp", warm=warm)
    world, stream = run_world(params, era("newest"), 1)
    events = list(stream)
    count = [e.detail["num_buffers"] for e in events
             if e.step == "receive_mergeable" and "num_buffers" in e.detail]
    assert count[0] == buffers
    gathered = next(e.detail for e in events if e.step == "receive_mergeable"
                    and e.detail.get("fact") == "gathered")
    # page_to_skb copies the Ethernet header (1600 bytes leave no room for the
    # skb_shared_info); the rest of each page is one fragment: the two buffers of a
    # page coalesce, and never across pages.
    assert gathered["len"] == TCP_FRAME and gathered["frags"] == 16
    refills = [e.detail["len"] for e in events if e.step == "add_recvbuf_mergeable"]
    assert refills and set(refills) == {PAGE_SIZE}  # the EWMA now asks a page


lengths = st.integers(24, 64).map(lambda n: n * 64)  # get_mergeable_buf_len: 1536 to 4096
frames = st.integers(60, TCP_FRAME)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(frames, st.lists(lengths, min_size=1, max_size=4)),
                min_size=1, max_size=6))
def test_every_byte_of_every_frame_is_delivered_once(
        packets: list[tuple[int, list[int]]]) -> None:
    """Buffers of any requested sizes from the pool: QEMU writes each frame over them,
    receive_mergeable gathers it, and the bytes come out once, in order."""
    hdr_len, ring = 24, 64
    pages = PoolPages(ring + 2)
    memory = bytearray(pages.count * PAGE_SIZE)
    posted: list[RxBuffer] = []
    asked = 0
    for index, (frame_len, sizes) in enumerate(packets):
        while len(posted) < ring:
            posted.append(pages.take(sizes[asked % len(sizes)]))
            asked += 1
        live = sorted((b.page * PAGE_SIZE + b.offset, b.len) for b in posted)
        assert all(a + n <= b for (a, n), (b, _) in zip(live, live[1:], strict=False))
        frame = bytes((index * 7 + i) % 251 for i in range(frame_len))
        placement = place_packet(frame_len, hdr_len, [b.len for b in posted], mergeable=True)
        data = bytes(hdr_len) + frame
        for buffer, written in zip(posted, placement.written, strict=False):
            start = buffer.page * PAGE_SIZE + buffer.offset
            memory[start:start + written], data = data[:written], data[written:]
        used = posted[:len(placement.written)]
        skb = receive_mergeable(used, placement, hdr_len)
        head = used[0].page * PAGE_SIZE + used[0].offset + hdr_len
        out = bytes(memory[head:head + skb.linear])
        for page, offset, length in skb.frags + tuple(f for s in skb.frag_list for f in s):
            out += bytes(memory[page * PAGE_SIZE + offset:page * PAGE_SIZE + offset + length])
        assert skb.length == frame_len and out == frame
        for buffer in used:
            pages.release(buffer)
        posted = posted[len(used):]


def test_the_refills_say_what_was_asked_and_what_the_pool_gave() -> None:
    params = RecvParams(frames=64, size=1514, batch=64, queue_size=256)
    world, stream = run_world(params, era("newest"), 1)
    events = list(stream)
    asked = [e.detail for e in events if e.step == "page_pool_alloc_va"]
    posted = [e.detail["len"] for e in events if e.step == "add_recvbuf_mergeable"]
    ring = [e.detail["len"] for e in events
            if e.step == "virtqueue_add_split" and "len" in e.detail]
    assert asked and {detail["size"] for detail in asked} == {1600}
    assert [detail["alloc_len"] for detail in asked] == posted == ring
    assert {(d["offset"], d["alloc_len"]) for d in asked} == {(0, 1600), (1600, 2496)}
    # The older eras post what get_mergeable_buf_len asks and name no page pool.
    world, stream = run_world(params, era("modern"), 1)
    events = list(stream)
    assert not [e for e in events if e.step == "page_pool_alloc_va"]
    assert {e.detail["len"] for e in events if e.step == "add_recvbuf_mergeable"} == {1536}
