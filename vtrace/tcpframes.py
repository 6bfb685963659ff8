"""Real TCP frames: Ethernet II / IPv4 or IPv6 / TCP bytes with correct checksums.

A frame carries either a complete TCP checksum (what a wire frame carries) or
the partial one Linux leaves for an offloading device: ``__tcp_v4_send_check``
stores the folded pseudo-header sum, not complemented, and the device (or
``skb_checksum_help``) adds the segment's bytes from ``csum_start`` on.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from vtrace.frames import ETH_HEADER, IPV4_HEADER, FrameError, internet_checksum

__all__ = [
    "ACK",
    "CWR",
    "ECE",
    "FIN",
    "IPV6_HEADER",
    "PSH",
    "SYN",
    "TCP_HEADER",
    "TcpFlow",
    "TcpFrame",
    "build_tcp_frame",
    "fold",
    "parse_tcp_frame",
    "timestamp_option",
]

IPV6_HEADER = 40
TCP_HEADER = 20  # without options
IPPROTO_TCP = 6
ETH_P_IP = 0x0800
ETH_P_IPV6 = 0x86DD
IP_DF = 0x4000
MAX_IP_PAYLOAD = 0xFFFF  # the 16-bit length field of IPv4 (total) and IPv6 (payload)
FIN, SYN, RST, PSH, ACK, URG, ECE, CWR = (1 << bit for bit in range(8))
# Built once: a replay builds a frame for every packet it sends.
_TCP = struct.Struct("!HHIIHHHH")  # ports, seq, ack, data offset and flags, window, check, urg
_IPV4 = struct.Struct("!BBHHHBBH4s4s")
_IPV6 = struct.Struct("!IHBB16s16s")
_ETHERTYPE = struct.Struct("!H")
_PSEUDO_WORDS = {12: struct.Struct("!6H"), 40: struct.Struct("!20H")}  # IPv4's, IPv6's


@dataclass(frozen=True, slots=True)
class TcpFlow:
    """One direction of a TCP connection; 16-byte addresses make it IPv6."""

    src_ip: bytes = bytes((10, 0, 2, 15))
    dst_ip: bytes = bytes((10, 0, 2, 2))
    src_port: int = 40000
    dst_port: int = 5001
    src_mac: bytes = bytes.fromhex("525400123456")
    dst_mac: bytes = bytes.fromhex("fe54001234ff")

    def __post_init__(self) -> None:
        if len(self.src_ip) not in (4, 16) or len(self.dst_ip) != len(self.src_ip):
            raise FrameError("a flow has two IPv4 or two IPv6 addresses")

    @property
    def ipv6(self) -> bool:
        return len(self.src_ip) == 16

    @property
    def ip_header(self) -> int:
        return IPV6_HEADER if self.ipv6 else IPV4_HEADER


@dataclass(frozen=True, slots=True)
class TcpFrame:
    """What the host stack reads out of a TCP frame."""

    flow: TcpFlow
    seq: int
    ack: int
    flags: int
    ip_id: int  # 0 for IPv6, which has none outside a fragment header
    ip_length: int  # IPv4 total length, or IPv6 payload length
    tcp_header: int
    payload: bytes
    ip_checksum_ok: bool
    tcp_checksum_ok: bool


def fold(total: int) -> int:
    """Fold a one's-complement sum to 16 bits (``csum_fold`` without its final complement)."""
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return total


def _pseudo_header(flow: TcpFlow, tcp_length: int) -> bytes:
    if flow.ipv6:
        return flow.src_ip + flow.dst_ip + struct.pack("!I3xB", tcp_length, IPPROTO_TCP)
    return flow.src_ip + flow.dst_ip + struct.pack("!BBH", 0, IPPROTO_TCP, tcp_length)


def timestamp_option(tsval: int, tsecr: int) -> bytes:
    """NOP, NOP, timestamps: the 12 option bytes Linux puts on every segment by default."""
    return struct.pack("!BBBBII", 1, 1, 8, 10, tsval, tsecr)


def build_tcp_frame(flow: TcpFlow, payload: bytes | memoryview, *, seq: int, ack: int = 0,
                    flags: int = ACK | PSH, ip_id: int = 0, window: int = 502,
                    options: bytes = b"", partial: bool = False) -> bytes:
    """An Ethernet frame of one TCP segment (or GSO superframe) carrying ``payload``.

    ``partial`` leaves the pseudo-header sum in the TCP checksum field, as
    CHECKSUM_PARTIAL does; otherwise the checksum is complete.
    """
    if len(options) % 4 or len(options) > 40:
        raise FrameError("TCP options are a multiple of 4 bytes, at most 40")
    tcp_length = TCP_HEADER + len(options) + len(payload)
    ipv6 = flow.ipv6
    ip_length = tcp_length + (0 if ipv6 else IPV4_HEADER)
    if ip_length > MAX_IP_PAYLOAD:
        raise FrameError(f"{len(payload)} bytes of payload do not fit one IP packet")
    pseudo = _pseudo_header(flow, tcp_length)
    fields = (flow.src_port, flow.dst_port, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
              ((TCP_HEADER + len(options)) // 4) << 12 | flags, window)
    if partial:
        check = fold(sum(_PSEUDO_WORDS[len(pseudo)].unpack(pseudo)))
    else:
        check = internet_checksum(b"".join((pseudo, _TCP.pack(*fields, 0, 0), options, payload)))
    tcp = _TCP.pack(*fields, check, 0)
    if ipv6:
        ip = _IPV6.pack(6 << 28, tcp_length, IPPROTO_TCP, 64, flow.src_ip, flow.dst_ip)
    else:
        ip_fields = (0x45, 0, ip_length, ip_id & 0xFFFF, IP_DF, 64, IPPROTO_TCP)
        ip = _IPV4.pack(*ip_fields, internet_checksum(_IPV4.pack(*ip_fields, 0, flow.src_ip,
                                                                  flow.dst_ip)),
                        flow.src_ip, flow.dst_ip)
    ethertype = _ETHERTYPE.pack(ETH_P_IPV6 if ipv6 else ETH_P_IP)
    return b"".join((flow.dst_mac, flow.src_mac, ethertype, ip, tcp, options, payload))


def parse_tcp_frame(frame: bytes) -> TcpFrame:
    """Read an Ethernet/IPv4-or-IPv6/TCP frame back, checking its checksums."""
    if len(frame) < ETH_HEADER + IPV4_HEADER + TCP_HEADER:
        raise FrameError(f"frame of {len(frame)} bytes is too short for TCP")
    (ethertype,) = struct.unpack_from("!H", frame, 12)
    if ethertype == ETH_P_IP and frame[ETH_HEADER] == 0x45 and frame[ETH_HEADER + 9] == 6:
        ip = frame[ETH_HEADER:ETH_HEADER + IPV4_HEADER]
        src_ip, dst_ip = ip[12:16], ip[16:20]
        ip_length, ip_id = struct.unpack_from("!HH", ip, 2)
        tcp_length = ip_length - IPV4_HEADER
        ip_ok = internet_checksum(ip) == 0
    elif ethertype == ETH_P_IPV6 and frame[ETH_HEADER + 6] == IPPROTO_TCP:
        ip = frame[ETH_HEADER:ETH_HEADER + IPV6_HEADER]
        src_ip, dst_ip = ip[8:24], ip[24:40]
        (ip_length,) = struct.unpack_from("!H", ip, 4)
        ip_id, tcp_length, ip_ok = 0, ip_length, True
    else:
        raise FrameError("not an IPv4 (without options) or IPv6 TCP frame")
    start = ETH_HEADER + len(ip)
    segment = frame[start:start + tcp_length]
    src_port, dst_port, seq, ack, offset_flags = struct.unpack_from("!HHIIH", segment)
    flow = TcpFlow(src_ip, dst_ip, src_port, dst_port, frame[6:12], frame[0:6])
    header = (offset_flags >> 12) * 4
    return TcpFrame(
        flow=flow, seq=seq, ack=ack, flags=offset_flags & 0xFF, ip_id=ip_id,
        ip_length=ip_length, tcp_header=header, payload=segment[header:],
        ip_checksum_ok=ip_ok,
        tcp_checksum_ok=internet_checksum(_pseudo_header(flow, tcp_length) + segment) == 0,
    )
