"""The receive buffers the guest posts: mergeable buffers sized by an EWMA, or big page chains.

With MRG_RXBUF, ``add_recvbuf_mergeable`` (drivers/net/virtio_net.c) posts one
descriptor per buffer, carved from a 32 KiB page fragment;
``get_mergeable_buf_len`` sizes it from the average packet length that
``receive_mergeable`` feeds the EWMA, never below ``rq->min_buf_len``, which
``virtnet_find_vqs`` sets once per queue from ``mergeable_min_buf_len``.
Without it and with guest GSO, ``add_recvbuf_big`` posts a chain: the header,
the rest of the first page, then whole pages. Here there is no XDP, so no
headroom. Linux 7.2 takes mergeable buffers from the queue's page pool
instead (``page_pool_alloc_va``, include/net/page_pool/helpers.h), whose pages
``virtnet_create_page_pools`` makes order 0, 4 KiB: page_pool_alloc below.
Lines per version: ``vtrace.offload_sites``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from vtrace.netfeatures import Feature, hdr_len

__all__ = [
    "GOOD_PACKET_LEN",
    "PAGE_SIZE",
    "SKB_FRAG_PAGE",
    "BufferError",
    "Ewma",
    "PageFrag",
    "PagePool",
    "PoolPages",
    "RxBuffer",
    "add_recvbuf_big",
    "add_recvbuf_mergeable",
    "big_packets",
    "big_packets_num_skbfrags",
    "get_mergeable_buf_len",
    "mergeable_min_buf_len",
    "page_pool_alloc",
    "padded_vnet_hdr",
    "rq_min_buf_len",
]

PAGE_SIZE = 4096
L1_CACHE_BYTES = 64
ETH_HLEN = 14
VLAN_HLEN = 4
ETH_DATA_LEN = 1500
IP_MAX_MTU = 0xFFFF
ETH_MAX_MTU = 0xFFFF  # virtnet_probe's MAX_MTU: dev->max_mtu unless VIRTIO_NET_F_MTU
GOOD_PACKET_LEN = ETH_HLEN + VLAN_HLEN + ETH_DATA_LEN
MAX_SKB_FRAGS = 65536 // PAGE_SIZE + 1  # 17; 7.2 makes it CONFIG_MAX_SKB_FRAGS, 17 by default
SKB_FRAG_PAGE = 32768  # skb_page_frag_refill tries an order-3 page first
EWMA_WEIGHT_SHIFT = 6  # DECLARE_EWMA(pkt_len, 0, 64): precision 0, weight 1/64


class BufferError(ValueError):
    """A receive buffer cannot be laid out as asked."""


@dataclass(frozen=True, slots=True)
class Ewma:
    """``struct ewma_pkt_len`` (include/linux/average.h): zero until the first sample."""

    internal: int = 0

    def add(self, value: int) -> Ewma:
        if not self.internal:
            return Ewma(value)
        return Ewma(((self.internal << EWMA_WEIGHT_SHIFT) - self.internal + value)
                    >> EWMA_WEIGHT_SHIFT)

    def read(self) -> int:
        return self.internal


def big_packets(features: Iterable[Feature], linux: str, mtu: int = 0) -> bool:
    """``vi->big_packets``: the driver expects packets longer than one 1500-byte MTU.

    Any guest GSO bit sets it (``virtnet_check_guest_gso``, which 7.2 extends to
    GUEST_USO4 with GUEST_USO6; 4.19 tests the same four bits in ``virtnet_probe``), as
    does a device MTU above 1500: ``mtu``, read only with VIRTIO_NET_F_MTU (0 without).
    """
    present = frozenset(features)
    guest_gso = bool(present & {Feature.GUEST_TSO4, Feature.GUEST_TSO6, Feature.GUEST_ECN,
                                Feature.GUEST_UFO})
    if linux not in ("4.19", "6.1"):
        guest_gso |= {Feature.GUEST_USO4, Feature.GUEST_USO6} <= present
    return guest_gso or mtu > ETH_DATA_LEN


def mergeable_min_buf_len(hdr_len: int, rq_size: int, big_packets: bool,
                          max_mtu: int = ETH_MAX_MTU) -> int:
    """The smallest buffer so that ``rq_size`` of them hold the largest packet expected:
    IP_MAX_MTU with big_packets, else ``dev->max_mtu``; never below GOOD_PACKET_LEN."""
    packet_len = IP_MAX_MTU if big_packets else max_mtu
    min_buf_len = math.ceil((hdr_len + ETH_HLEN + VLAN_HLEN + packet_len) / rq_size)
    return max(max(min_buf_len, hdr_len) - hdr_len, GOOD_PACKET_LEN)


def rq_min_buf_len(features: Iterable[Feature], linux: str, rq_size: int) -> int:
    """``rq->min_buf_len`` of a ``rq_size``-entry queue, as ``virtnet_find_vqs`` sets it.

    QEMU offers VIRTIO_NET_F_MTU only with ``host_mtu=``, which vtrace never sets, so
    ``dev->max_mtu`` keeps virtnet_probe's MAX_MTU (65,535), as long as IP_MAX_MTU: with
    or without big_packets, a 32-entry ring needs about 2,049 bytes a buffer with the
    header, a ring of 64 or more a GOOD_PACKET_LEN.
    """
    present = frozenset(features)
    return mergeable_min_buf_len(hdr_len(present), rq_size, big_packets(present, linux))


def get_mergeable_buf_len(average: Ewma, min_buf_len: int, hdr_len: int) -> int:
    """Header plus the average packet, clamped to [min_buf_len, page], cache-line aligned.

    4.19 counts the header as sizeof(struct virtio_net_hdr_mrg_rxbuf), 6.1 and 7.2 as
    vi->hdr_len: both are 12 bytes whenever 4.19 merges buffers. On queues of 32 and more
    min_buf_len stays below a page, so the clamp's bounds never cross.
    """
    length = hdr_len + min(max(average.read(), min_buf_len), PAGE_SIZE - hdr_len)
    return -(-length // L1_CACHE_BYTES) * L1_CACHE_BYTES


@dataclass(frozen=True, slots=True)
class PageFrag:
    """``rq->alloc_frag``: which page the next buffer comes from, and where in it."""

    page: int = 0
    offset: int = 0
    size: int = SKB_FRAG_PAGE


@dataclass(frozen=True, slots=True)
class RxBuffer:
    """One posted receive buffer: a page, an offset in it, and its length."""

    page: int
    offset: int
    len: int


def add_recvbuf_mergeable(frag: PageFrag, length: int) -> tuple[RxBuffer, PageFrag]:
    """Carve a buffer of ``length`` from ``frag``; a too-small remainder joins it.

    ``skb_page_frag_refill`` starts a new page when the current one has no room.
    """
    if length > frag.size:
        raise BufferError(f"a buffer of {length} bytes does not fit a {frag.size}-byte page")
    if frag.offset + length > frag.size:
        frag = replace(frag, page=frag.page + 1, offset=0)
    offset = frag.offset + length
    hole = frag.size - offset
    if hole < length:
        length += hole
        offset += hole
    return RxBuffer(frag.page, frag.offset, length), replace(frag, offset=offset)


@dataclass(frozen=True, slots=True)
class PagePool:
    """``pool->frag_page`` and ``pool->frag_offset``: the 4 KiB page the next fragment
    comes from and where in it; no page before the first fragment."""

    frag_page: int | None = None
    frag_offset: int = 0


def page_pool_alloc(pool: PagePool, length: int, fresh: int) -> tuple[RxBuffer, PagePool]:
    """``page_pool_alloc_netmem`` of ``length`` bytes: the buffer, its true length, and the
    pool after it; fresh is the page the pool hands out when it needs one.

    More than half a page takes a whole page and leaves the fragment page alone. Less is
    a fragment (page_pool_alloc_frag_netmem, net/core/page_pool.c), from a new page
    when the current one has no room; when the rest of the page could not hold another
    ``length``, this buffer takes the rest, so truesize counts it.
    """
    if length > PAGE_SIZE:
        raise BufferError(f"a buffer of {length} bytes does not fit a {PAGE_SIZE}-byte page")
    if length << 1 > PAGE_SIZE:
        return RxBuffer(fresh, 0, PAGE_SIZE), pool
    page, offset = pool.frag_page, pool.frag_offset
    if page is None or offset + length > PAGE_SIZE:
        page, offset = fresh, 0
    frag_offset = offset + length
    if frag_offset + length > PAGE_SIZE:
        length, frag_offset = PAGE_SIZE - offset, PAGE_SIZE
    return RxBuffer(page, offset, length), PagePool(page, frag_offset)


@dataclass(slots=True)
class PoolPages:
    """A receive queue's page pool and which of its pages are free.

    A page is free when no posted buffer lies in it and it is not the fragment page; the
    pool hands out the page freed last (its alloc cache is a stack). A fragment page whose
    buffers are all gone comes back at once when it is drained (page_pool_drain_frag).
    Here a page is freed when its buffers' packets are gathered; the kernel frees it when
    the skb is, after the application's copy.
    """

    count: int
    pool: PagePool = PagePool()
    free: list[int] = field(default_factory=list)
    users: dict[int, int] = field(default_factory=dict)  # page -> buffers posted in it

    def __post_init__(self) -> None:
        self.free = list(range(self.count - 1, -1, -1))

    def _fresh(self, length: int) -> int:
        page = self.pool.frag_page
        drained = (page is not None and length << 1 <= PAGE_SIZE
                   and self.pool.frag_offset + length > PAGE_SIZE)
        if drained and page is not None and not self.users.get(page):
            return page
        if not self.free:
            raise BufferError(f"all {self.count} pages of the pool hold posted buffers")
        return self.free[-1]

    def peek(self, length: int) -> RxBuffer:
        """The next buffer of ``length`` bytes asked; nothing is taken yet."""
        return page_pool_alloc(self.pool, length, self._fresh(length))[0]

    def take(self, length: int) -> RxBuffer:
        """Allocate the next buffer: ``page_pool_alloc_va``."""
        fresh = self._fresh(length)
        buffer, self.pool = page_pool_alloc(self.pool, length, fresh)
        if buffer.page == fresh and self.free and self.free[-1] == fresh:
            self.free.pop()
        self.users[buffer.page] = self.users.get(buffer.page, 0) + 1
        return buffer

    def release(self, buffer: RxBuffer) -> None:
        """The buffer's packet is gathered: its page is free once nothing else is in it."""
        left = self.users.pop(buffer.page) - 1
        if left:
            self.users[buffer.page] = left
        elif buffer.page != self.pool.frag_page:
            self.free.append(buffer.page)


def big_packets_num_skbfrags(guest_gso: bool, mtu: int = ETH_DATA_LEN) -> int:
    """Pages after the first in a big buffer: all MAX_SKB_FRAGS with guest GSO.

    Linux 4.19 always uses MAX_SKB_FRAGS.
    """
    return MAX_SKB_FRAGS if guest_gso else math.ceil(mtu / PAGE_SIZE)


def padded_vnet_hdr(linux: str) -> int:
    """``sizeof(struct padded_vnet_hdr)``: 12 + 4 in Linux 4.19, 20 + 12 in 6.1 and 7.2."""
    return 16 if linux == "4.19" else 32


def add_recvbuf_big(hdr_len: int, num_skbfrags: int, padded: int) -> list[int]:
    """Lengths of the chain: header, the first page after the padded header, whole pages."""
    if hdr_len > padded:
        raise BufferError(f"a {hdr_len}-byte header does not fit {padded} padded bytes")
    return [hdr_len, PAGE_SIZE - padded] + [PAGE_SIZE] * num_skbfrags
