"""The descriptor chain of a TX skb: pushed header, separate header, indirect table."""

from __future__ import annotations

import pytest

from vtrace.txchain import (
    VRING_DESC_F_INDIRECT,
    VRING_DESC_F_NEXT,
    ChainError,
    Descriptor,
    TxSkb,
    can_push,
    flush_tx_iov,
    page_frags,
    xmit_chain,
)

DATA = 0x1_0000_0040
CB = 0x2_0000_0000
TABLE = 0x3_0000_0000
TCP_HEADERS = 66
GSO_SEND = TxSkb(data=DATA, headlen=TCP_HEADERS, frags=page_frags(0x4_0000_0000, 65000),
                 control_block=CB)


def test_a_64k_send_fills_two_socket_pages() -> None:
    assert page_frags(0x4_0000_0000, 65000) == ((0x4_0000_0000, 32768),
                                                (0x4_0000_8000, 32232))
    assert page_frags(0x7000, 10000, page=4096) == ((0x7000, 4096), (0x8000, 4096),
                                                   (0x9000, 1808))
    # Bytes landing 32000 into a page: 768 fill it, the next page starts at offset 0.
    assert page_frags(0x7000, 10000, offset=32000) == ((0x7000, 768), (0x7300, 9232))


def test_a_linear_frame_with_headroom_is_one_descriptor_header_included() -> None:
    skb = TxSkb(data=DATA, headlen=128)
    chain = xmit_chain(skb, 12, any_header_sg=True, indirect=True, num_free=256)
    assert chain.can_push and not chain.table
    assert chain.ring == (Descriptor(DATA - 12, 12 + 128, 0, 1),)  # next: the free successor


def test_a_pushed_gso_send_is_one_indirect_descriptor_over_three_entries() -> None:
    chain = xmit_chain(GSO_SEND, 12, any_header_sg=True, indirect=True, num_free=256,
                       table_addr=TABLE)
    assert chain.ring == (Descriptor(TABLE, 3 * 16, VRING_DESC_F_INDIRECT, 1),)
    assert [(d.addr, d.len, d.flags, d.next) for d in chain.table] == [
        (DATA - 12, 12 + TCP_HEADERS, VRING_DESC_F_NEXT, 1),
        (0x4_0000_0000, 32768, VRING_DESC_F_NEXT, 2),
        (0x4_0000_8000, 32232, 0, 3),  # alloc_indirect_split links i + 1 throughout
    ]


def test_without_indirect_the_entries_chain_in_the_ring() -> None:
    chain = xmit_chain(GSO_SEND, 12, any_header_sg=True, indirect=False, num_free=256,
                       free_head=10)
    assert [(d.flags, d.next) for d in chain.ring] == [(VRING_DESC_F_NEXT, 11),
                                                       (VRING_DESC_F_NEXT, 12), (0, 13)]
    wraps = xmit_chain(GSO_SEND, 12, any_header_sg=True, indirect=False, num_free=3,
                       free_head=253)
    assert [d.next for d in wraps.ring] == [254, 255, 0]
    with pytest.raises(ChainError):
        xmit_chain(GSO_SEND, 12, any_header_sg=True, indirect=False, num_free=2)


@pytest.mark.parametrize("skb", [
    TxSkb(data=DATA, headlen=128, control_block=CB, header_cloned=True),
    TxSkb(data=DATA + 1, headlen=128, control_block=CB),
    TxSkb(data=DATA, headlen=128, control_block=CB, headroom=8),
], ids=["cloned", "unaligned", "no-headroom"])
def test_when_it_cannot_push_the_header_is_its_own_entry(skb: TxSkb) -> None:
    assert not can_push(skb, 12, any_header_sg=True)
    chain = xmit_chain(skb, 12, any_header_sg=True, indirect=True, num_free=1, table_addr=TABLE)
    assert [(d.addr, d.len) for d in chain.table] == [(CB, 12), (skb.data, 128)]


def test_a_legacy_device_without_any_layout_never_pushes() -> None:
    skb = TxSkb(data=DATA, headlen=128, control_block=CB)
    chain = xmit_chain(skb, 10, any_header_sg=False, indirect=False, num_free=4)
    assert [(d.addr, d.len) for d in chain.ring] == [(CB, 10), (DATA, 128)]


def test_a_full_ring_still_goes_indirect_with_one_free_slot_but_not_with_none() -> None:
    assert xmit_chain(GSO_SEND, 12, any_header_sg=True, indirect=True, num_free=1).table
    with pytest.raises(ChainError):
        xmit_chain(GSO_SEND, 12, any_header_sg=True, indirect=True, num_free=0)


def test_qemu_passes_the_element_on_when_header_lengths_agree() -> None:
    assert flush_tx_iov([12 + 66, 32768, 32232], 12, 12) == [(0, 0, 78), (1, 0, 32768),
                                                              (2, 0, 32232)]


def test_qemu_trims_a_longer_guest_header_to_the_backends() -> None:
    # A 20-byte header (hash report) to a backend that takes 12, then one that takes none.
    assert flush_tx_iov([20, 1514], 20, 12) == [(0, 0, 12), (1, 0, 1514)]
    assert flush_tx_iov([20 + 54, 1460], 20, 0) == [(0, 20, 54), (1, 0, 1460)]
    with pytest.raises(ChainError):
        flush_tx_iov([8], 12, 12)
