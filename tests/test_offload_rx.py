"""Receive buffers: mergeable buffers sized by the EWMA, num_buffers, big page chains."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vtrace.rxbuffers import (
    GOOD_PACKET_LEN,
    BufferError,
    Ewma,
    PageFrag,
    RxBuffer,
    add_recvbuf_big,
    add_recvbuf_mergeable,
    big_packets_num_skbfrags,
    get_mergeable_buf_len,
    mergeable_min_buf_len,
    padded_vnet_hdr,
)
from vtrace.rxreceive import place_packet, receive_big, receive_mergeable, spread

HDR = 12
TSO_FRAME = 14 + 20 + 32 + 65000  # one GRO'd TCP frame the host hands the tap


def post(count: int, length: int) -> list[RxBuffer]:
    frag, buffers = PageFrag(), []
    for _ in range(count):
        buffer, frag = add_recvbuf_mergeable(frag, length)
        buffers.append(buffer)
    return buffers


def test_the_minimum_buffer_is_a_good_packet_even_with_guest_gso() -> None:
    # 12 + 14 + 4 + 65535 over a 256-entry ring is 257 bytes, below 1518.
    assert mergeable_min_buf_len(HDR, 256, big_packets=True) == GOOD_PACKET_LEN
    assert mergeable_min_buf_len(HDR, 16, big_packets=True) == 4098 - HDR


def test_a_fresh_queue_posts_1536_byte_buffers() -> None:
    assert get_mergeable_buf_len(Ewma(), GOOD_PACKET_LEN, HDR) == 1536
    assert get_mergeable_buf_len(Ewma(), GOOD_PACKET_LEN, 20) == 1600


def test_the_ewma_follows_include_linux_average_h() -> None:
    average = Ewma().add(1000)
    assert average.read() == 1000  # the first sample is taken whole
    assert average.add(1064).read() == (1000 * 63 + 1064) // 64
    big = Ewma().add(TSO_FRAME)
    assert get_mergeable_buf_len(big, GOOD_PACKET_LEN, HDR) == 4096  # clamped to a page


def test_the_last_buffer_of_a_page_takes_the_hole() -> None:
    buffers = post(22, 1536)
    assert [b.len for b in buffers[:21]] == [1536] * 20 + [1536 + 512]
    assert buffers[21] == RxBuffer(page=1, offset=0, len=1536)
    assert buffers[20].offset + buffers[20].len == 32768


def test_a_64k_frame_takes_many_mergeable_buffers_and_says_how_many() -> None:
    buffers = post(64, 1536)
    placement = place_packet(TSO_FRAME, HDR, [b.len for b in buffers], mergeable=True)
    # 65,078 bytes with the header: 21 buffers fill the first 32 KiB page, 21 more the next.
    assert placement.num_buffers == len(placement.written) == 42
    assert sum(placement.written) == TSO_FRAME + HDR
    assert all(w == b.len for w, b in zip(placement.written[:-1], buffers, strict=False))
    skb = receive_mergeable(buffers, placement, HDR)
    assert skb.length == TSO_FRAME and skb.linear == 14
    # Buffers that continue each other in one 32 KiB page coalesce into one fragment.
    assert [page for page, _, _ in skb.frags] == [0, 1]
    assert sum(length for _, _, length in skb.frags) + skb.linear == TSO_FRAME


def test_a_small_frame_is_copied_whole_into_one_buffer() -> None:
    buffers = post(4, 1536)
    placement = place_packet(60, HDR, [b.len for b in buffers], mergeable=True)
    assert placement.written == (72,) and placement.num_buffers == 1
    skb = receive_mergeable(buffers, placement, HDR)
    assert (skb.linear, skb.frags) == (60, ())


def test_a_medium_frame_becomes_the_skb_without_a_copy() -> None:
    buffers = post(1, 4096)
    placement = place_packet(1000, HDR, [4096], mergeable=True)
    assert receive_mergeable(buffers, placement, HDR).frags == ()


def test_more_than_max_skb_frags_buffers_spill_into_a_frag_list() -> None:
    # Buffers from different pages never coalesce: one page each.
    buffers = [RxBuffer(page, 0, 1536) for page in range(50)]
    placement = place_packet(TSO_FRAME, HDR, [b.len for b in buffers], mergeable=True)
    skb = receive_mergeable(buffers, placement, HDR)
    assert len(skb.frags) == 17 and skb.frag_list and len(skb.frag_list[0]) <= 17


def test_without_enough_buffers_the_frame_waits_or_is_dropped() -> None:
    with pytest.raises(BufferError, match="waits in QEMU's queue"):
        place_packet(TSO_FRAME, HDR, [1536] * 4, mergeable=True)
    with pytest.raises(BufferError, match="does not fit one buffer"):
        place_packet(2000, HDR, [1536], mergeable=False)


def test_a_big_buffer_is_a_chain_of_pages() -> None:
    assert padded_vnet_hdr("6.1") == 32 and padded_vnet_hdr("4.19") == 16
    chain = add_recvbuf_big(HDR, big_packets_num_skbfrags(guest_gso=True), padded_vnet_hdr("6.1"))
    assert chain == [12, 4064] + [4096] * 17
    assert big_packets_num_skbfrags(guest_gso=False, mtu=9000) == 3
    placement = place_packet(TSO_FRAME, HDR, [sum(chain)], mergeable=False)
    assert placement.num_buffers is None and placement.written == (TSO_FRAME + HDR,)
    filled = spread(TSO_FRAME + HDR, chain)
    assert filled[:3] == [12, 4064, 4096] and sum(filled) == TSO_FRAME + HDR
    skb = receive_big(TSO_FRAME, 32)
    assert skb.linear == 14 and skb.frags[0] == (0, 46, 4096 - 46)
    assert sum(length for _, _, length in skb.frags) == TSO_FRAME - 14


@given(frame=st.integers(60, 65535 + 14), size=st.sampled_from([1536, 2048, 4096]))
def test_placement_accounts_for_every_byte(frame: int, size: int) -> None:
    placement = place_packet(frame, HDR, [size] * 64, mergeable=True)
    assert sum(placement.written) == frame + HDR
    assert placement.num_buffers == -(-(frame + HDR) // size)
