"""A received packet over the posted buffers: how QEMU spreads it, how the guest gathers it.

``virtio_net_receive_rcu`` (hw/net/virtio-net.c) pops one element, writes the
virtio_net_hdr at its start and the frame after it, and with MRG_RXBUF pops
further elements until the frame is in, then writes their count into
``num_buffers`` of the first. Without MRG_RXBUF the frame must fit the one
element (a big buffer's 19 entries, through its indirect table when INDIRECT_DESC
is negotiated) or it is dropped.

The guest's ``receive_mergeable`` (drivers/net/virtio_net.c) builds the head
skb with ``page_to_skb`` and adds every further buffer as a page fragment,
coalescing it with the previous one when it continues it in the same page, and
starting a ``frag_list`` skb after MAX_SKB_FRAGS fragments; ``receive_big``
walks the page chain. Lines per version: ``vtrace.offload_sites``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from vtrace.rxbuffers import MAX_SKB_FRAGS, PAGE_SIZE, BufferError, RxBuffer

__all__ = [
    "GOOD_COPY_LEN",
    "GatheredSkb",
    "Placement",
    "place_packet",
    "receive_big",
    "receive_mergeable",
    "spread",
]

GOOD_COPY_LEN = 128
ETH_HLEN = 14
SHINFO_SIZE = 320  # SKB_DATA_ALIGN(sizeof(struct skb_shared_info)) on x86-64


@dataclass(frozen=True, slots=True)
class Placement:
    """What QEMU wrote: bytes per used element (header included in the first)."""

    written: tuple[int, ...]
    num_buffers: int | None  # written into the header only with MRG_RXBUF


def place_packet(frame_len: int, hdr_len: int, element_sizes: Sequence[int],
                 mergeable: bool) -> Placement:
    """Spread a ``frame_len``-byte frame over the available elements, in order."""
    if not element_sizes:
        raise BufferError("no receive buffer is posted")
    if element_sizes[0] < hdr_len:
        raise BufferError(f"the first buffer is shorter than the {hdr_len}-byte header")
    written = []
    left = frame_len
    for index, size in enumerate(element_sizes):
        room = size - (hdr_len if index == 0 else 0)
        taken = min(room, left)
        written.append(taken + (hdr_len if index == 0 else 0))
        left -= taken
        if not left or not mergeable:
            break
    if left and mergeable:
        raise BufferError(f"a {frame_len}-byte frame waits in QEMU's queue: the posted buffers "
                          "hold too little (virtio_net_has_buffers)")
    if left:
        raise BufferError(f"a {frame_len}-byte frame is dropped: it does not fit one buffer")
    return Placement(tuple(written), len(written) if mergeable else None)


def spread(total: int, lengths: Sequence[int]) -> list[int]:
    """How ``iov_from_buf`` fills a chain's descriptors with ``total`` bytes, in order."""
    filled = []
    for length in lengths:
        filled.append(min(length, total))
        total -= filled[-1]
    if total:
        raise BufferError(f"{total} bytes do not fit the chain")
    return filled


@dataclass(frozen=True, slots=True)
class GatheredSkb:
    """The skb the guest builds: bytes in its linear area, its fragments, its frag_list skbs."""

    length: int
    linear: int
    frags: tuple[tuple[int, int, int], ...]  # (page, offset, length) in the head skb
    frag_list: tuple[tuple[tuple[int, int, int], ...], ...]  # fragments of each chained skb


def _head_copy(length: int, tailroom: int) -> tuple[int, bool]:
    """``page_to_skb``: (bytes copied to the linear area, whether the buffer became the skb)."""
    if length > GOOD_COPY_LEN and tailroom >= SHINFO_SIZE:
        return length, True  # build_skb around the buffer itself
    return (length if length <= GOOD_COPY_LEN else ETH_HLEN), False


def receive_mergeable(buffers: Sequence[RxBuffer], placement: Placement,
                      hdr_len: int) -> GatheredSkb:
    """Gather the used buffers of one packet as ``receive_mergeable`` does."""
    first = buffers[0]
    data = placement.written[0] - hdr_len
    copied, built = _head_copy(data, first.len - hdr_len - data)
    skbs: list[list[tuple[int, int, int]]] = [[]]
    if not built and data > copied:
        skbs[0].append((first.page, first.offset + hdr_len + copied, data - copied))
    for buffer, used in zip(buffers[1:], placement.written[1:], strict=False):
        frags = skbs[-1]
        if len(frags) == MAX_SKB_FRAGS:
            frags = []
            skbs.append(frags)
        if frags and frags[-1][0] == buffer.page and sum(frags[-1][1:]) == buffer.offset:
            page, offset, length = frags[-1]
            frags[-1] = (page, offset, length + used)  # skb_coalesce_rx_frag
        else:
            frags.append((buffer.page, buffer.offset, used))
    length = sum(placement.written) - hdr_len
    return GatheredSkb(length, copied, tuple(skbs[0]), tuple(tuple(s) for s in skbs[1:]))


def receive_big(frame_len: int, padded: int) -> GatheredSkb:
    """Gather a frame from a big buffer's pages as ``receive_big`` → ``page_to_skb`` do.

    Page numbers count the chain: page 0 holds the header and the frame's start.
    """
    copied, built = _head_copy(frame_len, PAGE_SIZE - padded - frame_len)
    frags = []
    left, offset, page = frame_len - copied, padded + copied, 0
    while left and not built:
        piece = min(PAGE_SIZE - offset, left)
        frags.append((page, offset, piece))
        left, offset, page = left - piece, 0, page + 1
    return GatheredSkb(frame_len, copied, tuple(frags), ())
