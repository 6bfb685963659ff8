"""The descriptors a TX skb becomes: the shape ``xmit_skb`` and ``virtqueue_add_split`` give it.

``xmit_skb`` (drivers/net/virtio_net.c) writes the virtio_net_hdr either into
the headroom just in front of the frame (``can_push``: one scatter-gather entry
covers header and linear data) or into the skb's control block (a separate
entry). ``skb_to_sgvec`` (net/core/skbuff.c) adds one entry for the linear part
and one per page fragment. The ring then takes them as a chain of descriptors,
or as one descriptor pointing to an indirect table when INDIRECT_DESC is
negotiated, there is more than one entry and a free slot
(``virtqueue_use_indirect``, drivers/virtio/virtio_ring.c; inline in
``virtqueue_add`` in Linux 4.19). Lines per version: ``vtrace.offload_sites``.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "SKB_FRAG_PAGE",
    "VRING_DESC_F_INDIRECT",
    "VRING_DESC_F_NEXT",
    "VRING_DESC_F_WRITE",
    "ChainError",
    "Descriptor",
    "TxChain",
    "TxSkb",
    "can_push",
    "flush_tx_iov",
    "page_frags",
    "scatter_list",
    "xmit_chain",
]

SKB_FRAG_PAGE = 32768  # sk_page_frag's compound page: SKB_FRAG_PAGE_ORDER
VRING_DESC_F_NEXT = 1
VRING_DESC_F_WRITE = 2
VRING_DESC_F_INDIRECT = 4
DESC_SIZE = 16  # struct vring_desc
HDR_ALIGN = 2  # __alignof__(struct virtio_net_hdr_mrg_rxbuf)


class ChainError(ValueError):
    """The ring has no room for the chain (``virtqueue_add_split`` returns -ENOSPC)."""


@dataclass(frozen=True, slots=True)
class Descriptor:
    """One ``struct vring_desc``: guest-physical address, length, flags, next slot."""

    addr: int
    len: int
    flags: int
    next: int = 0


@dataclass(frozen=True, slots=True)
class TxSkb:
    """Where an outgoing skb's bytes are: ``skb->data`` onward, then its page fragments."""

    data: int  # address of skb->data: the Ethernet header
    headlen: int  # skb_headlen
    frags: tuple[tuple[int, int], ...] = ()  # (address, length) of each skb_frag_t
    headroom: int = 64  # skb_headroom; the stack reserves LL_RESERVED_SPACE and more
    header_cloned: bool = False  # skb_header_cloned
    control_block: int = 0  # address of skb->cb, where skb_vnet_hdr puts the header


@dataclass(frozen=True, slots=True)
class TxChain:
    """The ring descriptors ``virtqueue_add_split`` writes, and the indirect table if used."""

    can_push: bool
    ring: tuple[Descriptor, ...]
    table: tuple[Descriptor, ...]  # empty unless one ring descriptor points to it


def page_frags(addr: int, length: int, *, offset: int = 0,
               page: int = SKB_FRAG_PAGE) -> tuple[tuple[int, int], ...]:
    """The fragments ``tcp_sendmsg_locked`` fills copying ``length`` bytes, the first landing
    `offset` bytes into its page fragment, the bytes at ``addr`` on.

    Consecutive bytes of one page coalesce into one fragment; a full page is left and the
    next starts at offset 0 (``skb_page_frag_refill``). Real pages are not contiguous: here
    they are, to keep addresses simple.
    """
    frags = []
    while length:
        piece = min(length, page - offset)
        frags.append((addr, piece))
        addr, length, offset = addr + piece, length - piece, 0
    return tuple(frags)


def can_push(skb: TxSkb, hdr_len: int, any_header_sg: bool) -> bool:
    """``xmit_skb``'s test: may the header go in the headroom right before the frame?"""
    return (any_header_sg and skb.data % HDR_ALIGN == 0 and not skb.header_cloned
            and skb.headroom >= hdr_len)


def scatter_list(skb: TxSkb, hdr_len: int, any_header_sg: bool) -> list[tuple[int, int]]:
    """(address, length) entries ``xmit_skb`` hands to ``virtqueue_add_outbuf``."""
    if can_push(skb, hdr_len, any_header_sg):
        entries = [(skb.data - hdr_len, hdr_len + skb.headlen)]
    else:
        entries = [(skb.control_block, hdr_len)]
        if skb.headlen:
            entries.append((skb.data, skb.headlen))
    return entries + [frag for frag in skb.frags if frag[1]]


def _chained(entries: list[tuple[int, int]], first: int, size: int) -> tuple[Descriptor, ...]:
    """Descriptors ``first`` on, each ``next`` holding what Linux 6.1 leaves there: the free
    list's successor, the last of the chain's included (``virtqueue_add_desc_split`` copies
    ``desc_extra[i].next``; an indirect table is linked ``i + 1`` throughout by
    ``alloc_indirect_split``). A fresh free list links each slot to the one after it."""
    last = len(entries) - 1
    return tuple(Descriptor(addr, length, 0 if i == last else VRING_DESC_F_NEXT,
                            (first + i + 1) % size)
                 for i, (addr, length) in enumerate(entries))


def xmit_chain(skb: TxSkb, hdr_len: int, *, any_header_sg: bool, indirect: bool,
               num_free: int, free_head: int = 0, table_addr: int = 0,
               queue_size: int = 256) -> TxChain:
    """The chain for ``skb``; ring slots are taken from ``free_head`` on, in order, in a
    queue of ``queue_size`` descriptors.

    A ring whose free list is no longer in slot order would link other slots;
    the addresses, lengths and flags are the same.
    """
    entries = scatter_list(skb, hdr_len, any_header_sg)
    pushed = can_push(skb, hdr_len, any_header_sg)
    if indirect and len(entries) > 1 and num_free:
        table = _chained(entries, 0, len(entries) + 1)
        ring = (Descriptor(table_addr, DESC_SIZE * len(table), VRING_DESC_F_INDIRECT,
                           (free_head + 1) % queue_size),)
        return TxChain(pushed, ring, table)
    if num_free < len(entries):
        raise ChainError(f"{len(entries)} descriptors needed, {num_free} free")
    return TxChain(pushed, _chained(entries, free_head, queue_size), ())


def flush_tx_iov(lengths: list[int], guest_hdr_len: int,
                 host_hdr_len: int) -> list[tuple[int, int, int]]:
    """(descriptor, offset, length) pieces ``virtio_net_flush_tx`` hands the backend.

    With equal header lengths (a tap that took the guest's size) the element
    goes as it is; otherwise QEMU keeps the first ``host_hdr_len`` bytes of the
    header and skips the rest of it (0 for a backend without a vnet header).
    """
    if host_hdr_len > guest_hdr_len or sum(lengths) < guest_hdr_len:
        raise ChainError(f"a {guest_hdr_len}-byte guest header cannot become "
                         f"{host_hdr_len} bytes over {sum(lengths)}")
    keep = [(0, host_hdr_len), (guest_hdr_len, sum(lengths))]
    if host_hdr_len == guest_hdr_len:
        keep = [(0, sum(lengths))]
    pieces, start = [], 0
    for index, length in enumerate(lengths):
        for low, high in keep:
            lo, hi = max(low, start), min(high, start + length)
            if lo < hi:
                pieces.append((index, lo - start, hi - lo))
        start += length
    return pieces
