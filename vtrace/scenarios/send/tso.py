"""A TCP send: the guest's GSO skb, the packets that cross the ring, the host's segments.

With ``--proto tcp`` each frame the guest sends is one GSO skb carrying
``size`` bytes of TCP payload; the flow uses Linux's default timestamps (12
option bytes), so a 1500-byte MTU gives an MSS of 1448 over IPv4 and 1428
over IPv6. What crosses the ring follows the negotiated features
(``TcpPath``): with TSO the skb goes whole, its header filled by
``virtio_net_hdr_from_skb``, and the host segments it; without TSO (or for a
CWR skb without HOST_ECN) ``validate_xmit_skb`` segments it in the guest
(``skb_gso_segment`` → ``tcp_gso_segment``) and each MSS-sized segment is its
own packet on the ring; without checksum offload (and so without SG) those
segments are linear and carry complete checksums. The header is ``hdr_len``
bytes; ``xmit_skb`` pushes it in front of the frame (``can_push``). The
payload sits in 32 KiB page fragments, the first from offset 0:
``skb_page_frag_refill`` reuses a page no skb holds any more, as once the
previous block is ACKed (a block sent before that would go on in the last
one's page; the replay does not model those ACKs). With
INDIRECT_DESC a packet of several entries takes one ring descriptor and an
indirect table; Linux allocates that table with kmalloc, here it sits in the
packet's buffer slot, after the frame. Everything here is a pure function of
the frame's index, size and path, so the pcap writer rebuilds the same bytes.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from vtrace.catalog import ERAS, Era
from vtrace.frames import VNET_HDR_SIZE, VnetHeader
from vtrace.netfeatures import TxOffload, negotiated, tx_offload
from vtrace.offload import (
    TCP_CSUM_OFFSET,
    GsoSkb,
    complete_checksum,
    gso_superframe,
    tcp_gso_segment,
    virtio_net_hdr_from_skb,
)
from vtrace.ring import DESC_SIZE
from vtrace.tcpframes import ACK, CWR, PSH, TCP_HEADER, TcpFlow, timestamp_option
from vtrace.txchain import SKB_FRAG_PAGE, TxSkb, page_frags, scatter_list

__all__ = ["MAX_TCP_PAYLOAD", "MSS", "TcpPath", "TcpSend", "path_of", "ring_sends",
           "shown_path", "slot_bytes", "tcp_path", "tcp_send", "wire_frames"]

MTU = 1500
OPTIONS = 12  # NOP, NOP, timestamps
# The superframe is one IPv4 packet: its 16-bit total length holds IP and TCP headers too.
MAX_TCP_PAYLOAD = 0xFFFF - 20 - 20 - OPTIONS
FLOW = TcpFlow()
FLOW6 = TcpFlow(src_ip=bytes.fromhex("fd000000000000000000000000000015"),
                dst_ip=bytes.fromhex("fd000000000000000000000000000002"))
MSS = MTU - 20 - 20 - OPTIONS  # IPv4 and TCP headers, timestamps
HEADERS = 14 + 20 + 20 + OPTIONS  # the skb's linear area (IPv6's 20 more fit the slack)
TABLE_ENTRIES = 2 + 17  # header and linear part, then up to MAX_SKB_FRAGS fragments
_PATTERN = bytes(range(256)) * (0x10000 // 256 + 1)  # every payload is a slice of it
_MODERN = tx_offload(negotiated(ERAS["modern"].qemu, ERAS["modern"].linux))


@dataclass(frozen=True, slots=True)
class TcpPath:
    """How a TCP send leaves the guest: its IP version, CWR, and what the device takes over."""

    offload: TxOffload = _MODERN
    ipv6: bool = False
    ecn: bool = False

    @property
    def flow(self) -> TcpFlow:
        return FLOW6 if self.ipv6 else FLOW

    @property
    def mss(self) -> int:
        return MTU - self.flow.ip_header - TCP_HEADER - OPTIONS

    @property
    def tso(self) -> bool:
        """Does the skb cross the ring whole (``netif_needs_gso`` false)?"""
        return self.offload.tso(self.ipv6, self.ecn)


def tcp_path(era: Era, features: str = "", *, offload: bool = True, ip: str = "4",
             ecn: bool = False) -> TcpPath:
    """The path of a send in ``era`` after ``--features``, ``--no-offload``, ``--ip``, ``--ecn``;
    FeatureError when the feature list is wrong.

    The header is as long as the era's negotiated features make it: 24 bytes in the newest
    era, whose QEMU 10.2 offers UDP tunnel GSO behind a Linux 7.2 tap, 12 in the others.
    """
    agreed = negotiated(era.qemu, era.linux, features, no_offload=not offload)
    return TcpPath(tx_offload(agreed), ipv6=ip == "6", ecn=ecn)


def path_of(params: Mapping[str, Any]) -> TcpPath:
    """The path a stream header's parameters name (a default is left out of a header)."""
    return tcp_path(ERAS[str(params.get("era", "modern"))], str(params.get("features", "")),
                    offload=bool(params.get("offload", True)), ip=str(params.get("ip", "4")),
                    ecn=bool(params.get("ecn", False)))


def shown_path(params: Mapping[str, Any]) -> TcpPath:
    """``path_of`` for a view: the modern era's path when a file from elsewhere names an
    era or a feature this version does not know."""
    try:
        return path_of(params)
    except (KeyError, ValueError):
        return TcpPath()


@dataclass(frozen=True, slots=True)
class TcpSend:
    """One packet as the driver sees it: the skb, its header and its bytes."""

    skb: GsoSkb
    header: VnetHeader
    hdr_len: int = VNET_HDR_SIZE
    header_bytes: bytes = b""  # header.pack(hdr_len), packed once by _sent
    page_offset: int = 0  # where the payload's first byte sits in its page fragment

    @property
    def buffer(self) -> bytes:
        """The header then the frame, as they sit in guest memory."""
        return self.header_bytes + self.skb.frame

    def scatter(self, address: int, any_header_sg: bool = True) -> list[tuple[int, int]]:
        """The (address, length) entries ``xmit_skb`` hands the ring for a buffer at
        ``address``: header and linear part in one (``can_push``), then page fragments."""
        return list(_scatter(address + self.hdr_len, self.skb.headlen, len(self.skb.frame),
                             self.page_offset, self.hdr_len, any_header_sg))

    def table(self, address: int) -> int:
        """Where the indirect table of a buffer at ``address`` goes: after it, 16-aligned."""
        return _aligned(address + self.hdr_len + len(self.skb.frame))


def _sent(skb: GsoSkb, header: VnetHeader, hdr_len: int, page_offset: int = 0) -> TcpSend:
    return TcpSend(skb, header, hdr_len, header.pack(hdr_len), page_offset)


@functools.lru_cache(maxsize=1024)
def _scatter(data: int, headlen: int, length: int, page_offset: int, hdr_len: int,
             any_header_sg: bool) -> tuple[tuple[int, int], ...]:
    """``TcpSend.scatter`` for an skb whose data starts at ``data``: the same for every
    packet of a send that lands in the same buffer slot, so each slot's is worked out once."""
    skb = TxSkb(data=data, headlen=headlen,
                frags=page_frags(data + headlen, length - headlen, offset=page_offset))
    return tuple(scatter_list(skb, hdr_len, any_header_sg=any_header_sg))


def slot_bytes(size: int, hdr_len: int) -> int:
    """Guest memory one superframe of ``size`` payload bytes needs, its ``hdr_len``-byte
    header and indirect table included."""
    return _aligned(hdr_len + HEADERS + size) + DESC_SIZE * TABLE_ENTRIES


def _aligned(address: int) -> int:
    return (address + DESC_SIZE - 1) & ~(DESC_SIZE - 1)


def tcp_send(frame: int, size: int, path: TcpPath = TcpPath()) -> TcpSend:
    """Frame ``frame``'s skb as TCP builds it: ``size`` payload bytes, sequence numbers
    continuing, its checksum partial, and the header a TSO device would get."""
    start = frame & 0xFF  # byte i is (frame + i) mod 256
    payload = memoryview(_PATTERN)[start:start + size]  # copied once, into the frame
    mss = path.mss
    skb = gso_superframe(path.flow, payload, mss=mss, seq=1 + frame * size, ack=1,
                         flags=ACK | PSH | (CWR if path.ecn else 0),
                         ip_id=frame * ((size + mss - 1) // mss),
                         options=timestamp_option(1000 + frame, 500))
    return _sent(skb, virtio_net_hdr_from_skb(skb), path.offload.hdr_len)


def ring_sends(frame: int, size: int, path: TcpPath = TcpPath()) -> list[TcpSend]:
    """The packets ``start_xmit`` puts on the ring for frame ``frame``: the skb whole when the
    device takes it (TSO, or one MSS or less with checksum offload), else what
    ``validate_xmit_skb`` makes of it: MSS-sized segments (``skb_gso_segment``), their
    checksums left partial with checksum offload, complete and linear without it
    (``skb_checksum_help``; no NETIF_F_SG either)."""
    sent = tcp_send(frame, size, path)
    csum = path.offload.csum
    if sent.skb.gso_size == 0 or path.tso:
        if csum:
            return [sent]
        frames = [complete_checksum(sent.skb.frame, sent.skb.csum_start, TCP_CSUM_OFFSET)]
    else:
        frames = tcp_gso_segment(sent.skb.frame, path.mss, partial=csum)
    headers = sent.skb.headlen  # skb_segment gives each segment the headers, frags after
    packets = []
    for index, segment in enumerate(frames):
        skb = GsoSkb(frame=segment, gso_size=0, ipv6=path.ipv6, ecn=False,
                     headlen=headers if csum else len(segment), csum_start=sent.skb.csum_start)
        header = virtio_net_hdr_from_skb(skb) if csum else VnetHeader()
        # skb_segment's segments share the superframe's page fragments.
        packets.append(_sent(skb, header, path.offload.hdr_len,
                             index * path.mss % SKB_FRAG_PAGE))
    return packets


def wire_frames(frame: int, size: int, path: TcpPath = TcpPath()) -> list[bytes]:
    """The segments that leave the host for frame ``frame``, checksums complete: the host's
    ``tcp_gso_segment`` makes them of a superframe, the guest's of an skb it segmented."""
    skb = tcp_send(frame, size, path).skb
    if skb.gso_size == 0:
        return [complete_checksum(skb.frame, skb.csum_start, TCP_CSUM_OFFSET)]
    return tcp_gso_segment(skb.frame, path.mss)

