"""TSO from both ends: the guest's GSO superframe and its header, the host's segmentation.

The guest's TCP builds one skb of up to 64 KiB with a partial checksum;
``xmit_skb`` fills the virtio_net_hdr with ``virtio_net_hdr_from_skb``
(include/linux/virtio_net.h). The host's ``tun_get_user`` turns the header
back into gso fields, and when the packet leaves through a device that cannot
segment, ``skb_gso_segment`` → ``inet_gso_segment`` (net/ipv4/af_inet.c) →
``tcp_gso_segment`` (net/ipv4/tcp_offload.c) cuts it into MSS-sized wire
frames. Here the wire frames carry complete checksums; a NIC with checksum
offload would fill them itself. Lines per version: ``vtrace.offload_sites``.
"""

from __future__ import annotations

import functools
import math
import struct
from dataclasses import dataclass

from vtrace.frames import (
    ETH_HEADER,
    VIRTIO_NET_HDR_GSO_NONE,
    VNET_HDR_F_NEEDS_CSUM,
    VNET_HDR_GSO_ECN,
    VNET_HDR_GSO_TCPV4,
    VNET_HDR_GSO_TCPV6,
    FrameError,
    VnetHeader,
)
from vtrace.tcpframes import ACK, CWR, FIN, PSH, TcpFlow, build_tcp_frame, fold, parse_tcp_frame

__all__ = [
    "TCP_CSUM_OFFSET",
    "GsoSkb",
    "HostSkb",
    "complete_checksum",
    "gso_segments",
    "gso_superframe",
    "mss_for",
    "tcp_gso_segment",
    "virtio_net_hdr_from_skb",
    "virtio_net_hdr_to_skb",
]

TCP_CSUM_OFFSET = 16  # offsetof(struct tcphdr, check)
TCP_HLEN = 20  # sizeof(struct tcphdr): the least a TCP GSO frame must carry


@dataclass(frozen=True, slots=True)
class GsoSkb:
    """What ``virtio_net_hdr_from_skb`` reads off a TCP skb."""

    frame: bytes  # Ethernet header to the end of the payload, checksum partial
    gso_size: int  # 0 when the skb is not GSO
    ipv6: bool
    ecn: bool  # SKB_GSO_TCP_ECN: tcp_ecn_send sets it on a segment with CWR
    headlen: int  # skb_headlen: what sits in the linear area, the rest is in page frags
    csum_start: int  # skb_checksum_start_offset: the TCP header's offset in the frame


def mss_for(mtu: int, flow: TcpFlow, options: int = 0) -> int:
    """The MSS a path of ``mtu`` bytes allows, after the IP and TCP headers and options."""
    return mtu - flow.ip_header - 20 - options


def gso_superframe(flow: TcpFlow, payload: bytes | memoryview, *, mss: int, seq: int, ack: int = 0,
                   flags: int = ACK | PSH, ip_id: int = 0, options: bytes = b"",
                   headlen: int | None = None) -> GsoSkb:
    """The skb TCP hands to the driver: one frame, partial checksum, gso_size = ``mss``.

    ``headlen`` defaults to the headers alone: ``tcp_sendmsg`` copies the
    payload into page fragments when the device does scatter-gather.
    """
    frame = build_tcp_frame(flow, payload, seq=seq, ack=ack, flags=flags, ip_id=ip_id,
                            options=options, partial=True)
    csum_start = ETH_HEADER + flow.ip_header
    headers = csum_start + 20 + len(options)
    return GsoSkb(frame=frame, gso_size=mss if len(payload) > mss else 0, ipv6=flow.ipv6,
                  ecn=bool(flags & CWR), headlen=headers if headlen is None else headlen,
                  csum_start=csum_start)


def virtio_net_hdr_from_skb(skb: GsoSkb) -> VnetHeader:
    """The header fields as ``virtio_net_hdr_from_skb`` fills them for a CHECKSUM_PARTIAL skb."""
    return _partial_header(skb.gso_size, skb.ipv6, skb.ecn, skb.headlen, skb.csum_start)


@functools.lru_cache(maxsize=256)
def _partial_header(gso_size: int, ipv6: bool, ecn: bool, headlen: int,
                    csum_start: int) -> VnetHeader:
    """The header of a CHECKSUM_PARTIAL skb with these fields: every skb of a send has the
    same, so each (immutable) header is built once."""
    if gso_size:
        gso_type = VNET_HDR_GSO_TCPV6 if ipv6 else VNET_HDR_GSO_TCPV4
        if ecn:
            gso_type |= VNET_HDR_GSO_ECN
        return VnetHeader(flags=VNET_HDR_F_NEEDS_CSUM, gso_type=gso_type, hdr_len=headlen,
                          gso_size=gso_size, csum_start=csum_start, csum_offset=TCP_CSUM_OFFSET)
    return VnetHeader(flags=VNET_HDR_F_NEEDS_CSUM, csum_start=csum_start,
                      csum_offset=TCP_CSUM_OFFSET)


@dataclass(frozen=True, slots=True)
class HostSkb:
    """What the host's ``tun_get_user`` makes of a frame and its header."""

    gso_size: int  # 0: the host sends the frame as it is
    gso_type: frozenset[str]  # SKB_GSO_* names: tcpv4 or tcpv6, tcp_ecn, dodgy
    checksum_partial: bool  # CHECKSUM_PARTIAL: csum_start and csum_offset hold
    csum_start: int
    csum_offset: int


def virtio_net_hdr_to_skb(header: VnetHeader, frame: bytes | memoryview) -> HostSkb:
    """The checks and fields of ``virtio_net_hdr_to_skb`` for a TCP frame (UDP is not followed).

    A header the kernel refuses raises FrameError naming the check (it returns -EINVAL).
    """
    if header.flags & VNET_HDR_F_NEEDS_CSUM:
        return _host_skb(header, len(frame), 0)
    tcp_offset = ETH_HEADER + parse_tcp_frame(bytes(frame)).flow.ip_header
    return _host_skb(header, len(frame), tcp_offset)


@functools.lru_cache(maxsize=256)
def _host_skb(header: VnetHeader, length: int, tcp_offset: int) -> HostSkb:
    """``virtio_net_hdr_to_skb`` for a frame of ``length`` bytes whose TCP header starts
    where the offset says (read only without a partial checksum): what it does depends on
    nothing else, and a send repeats it for every packet, so each outcome is worked out once."""
    gso_type: set[str] = set()
    if header.gso_type != VIRTIO_NET_HDR_GSO_NONE:
        base = header.gso_type & ~VNET_HDR_GSO_ECN
        if base not in (VNET_HDR_GSO_TCPV4, VNET_HDR_GSO_TCPV6):
            raise FrameError(f"gso_type {header.gso_type:#x} is not TCP GSO")
        gso_type.add("tcpv4" if base == VNET_HDR_GSO_TCPV4 else "tcpv6")
        if header.gso_type & VNET_HDR_GSO_ECN:
            gso_type.add("tcp_ecn")
        if not header.gso_size:
            raise FrameError("a GSO header with gso_size 0 is refused")
    partial = bool(header.flags & VNET_HDR_F_NEEDS_CSUM)
    thlen = TCP_HLEN if gso_type else 0
    if partial:
        needed = header.csum_start + max(thlen, header.csum_offset + 2)
        if needed > length:
            raise FrameError(f"csum_start and csum_offset need {needed} bytes, "
                             f"the frame has {length}")
        payload_offset = header.csum_start + thlen
    else:
        payload_offset = tcp_offset + thlen
    if gso_type and partial and header.csum_offset != TCP_CSUM_OFFSET:
        raise FrameError(f"csum_offset {header.csum_offset} is not the TCP checksum's")
    if gso_type and length - payload_offset > header.gso_size:
        return HostSkb(header.gso_size, frozenset(gso_type | {"dodgy"}), partial,
                       header.csum_start, header.csum_offset)
    return HostSkb(0, frozenset(), partial, header.csum_start, header.csum_offset)


def complete_checksum(frame: bytes, csum_start: int, csum_offset: int) -> bytes:
    """Finish a partial checksum as ``skb_checksum_help`` does: sum from csum_start, complement."""
    data = frame[csum_start:] + (b"\0" if (len(frame) - csum_start) % 2 else b"")
    check = ~fold(sum(struct.unpack(f"!{len(data) // 2}H", data))) & 0xFFFF
    where = csum_start + csum_offset
    return frame[:where] + struct.pack("!H", check) + frame[where + 2:]


def gso_segments(payload_length: int, mss: int) -> int:
    """How many wire frames: ``DIV_ROUND_UP(skb->len, mss)``, one when it fits (tcp_gso_segment)."""
    return max(1, math.ceil(payload_length / mss))


def tcp_gso_segment(frame: bytes, mss: int, *, partial: bool = False) -> list[bytes]:
    """Cut a TCP superframe into wire frames as ``inet_gso_segment`` and ``tcp_gso_segment`` do.

    Every segment copies the headers; sequence numbers advance by ``mss``; FIN
    and PSH stay only on the last segment, CWR only on the first; an IPv4 id
    grows by one per segment (no SKB_GSO_TCP_FIXEDID); lengths and both checksums
    are recomputed. ``partial``: the device has checksum offload, so each TCP
    checksum is left partial (by gso_reset_checksum), as in the guest's own GSO.
    """
    if mss <= 0:
        raise FrameError("the MSS must be positive")
    head = parse_tcp_frame(frame)
    if len(head.payload) <= mss:
        return [frame]
    start = ETH_HEADER + head.flow.ip_header
    options = frame[start + 20:start + head.tcp_header]
    (window,) = struct.unpack_from("!H", frame, start + 14)
    count = gso_segments(len(head.payload), mss)
    segments = []
    for index in range(count):
        flags = head.flags
        if index < count - 1:
            flags &= ~(FIN | PSH)
        if index:
            flags &= ~CWR
        segments.append(build_tcp_frame(
            head.flow, head.payload[index * mss:(index + 1) * mss], seq=head.seq + index * mss,
            ack=head.ack, flags=flags, ip_id=head.ip_id + index, window=window,
            options=options, partial=partial))
    return segments
