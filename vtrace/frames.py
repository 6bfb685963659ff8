"""Real frames: Ethernet II / IPv4 / UDP bytes with correct checksums, and virtio_net_hdr.

The guest application sends UDP datagrams; by the time the driver sees
them they are complete Ethernet frames. In front of each, ``xmit_skb`` puts
the 12-byte ``struct virtio_net_hdr_mrg_rxbuf`` that virtio 1.x uses.
"""

from __future__ import annotations

import functools
import operator
import struct
from dataclasses import dataclass

__all__ = [
    "ETH_HEADER",
    "IPV4_HEADER",
    "MAX_FRAME",
    "MIN_FRAME",
    "UDP_HEADER",
    "VNET_HDR",
    "VNET_HDR_FIELDS",
    "VNET_HDR_F_DATA_VALID",
    "VNET_HDR_F_NEEDS_CSUM",
    "VNET_HDR_GSO_ECN",
    "VNET_HDR_GSO_TCPV4",
    "VNET_HDR_GSO_TCPV6",
    "VNET_HDR_LENGTHS",
    "VNET_HDR_SIZE",
    "Endpoints",
    "FrameError",
    "ParsedFrame",
    "VnetHeader",
    "build_frame",
    "internet_checksum",
    "parse_frame",
]

ETH_HEADER = 14
IPV4_HEADER = 20
UDP_HEADER = 8
MIN_FRAME = ETH_HEADER + IPV4_HEADER + UDP_HEADER  # an empty datagram
MAX_FRAME = ETH_HEADER + 1500  # a standard MTU, no VLAN tag
VNET_HDR_SIZE = 12  # flags, gso_type, hdr_len, gso_size, csum_start, csum_offset, num_buffers
ETH_P_IP = 0x0800
IPPROTO_UDP = 17
VIRTIO_NET_HDR_GSO_NONE = 0
#: The header ``xmit_skb`` puts in front of a frame whose checksum is already complete.
VNET_HDR = struct.pack("<BBHHHHH", 0, VIRTIO_NET_HDR_GSO_NONE, 0, 0, 0, 0, 0)

VNET_HDR_F_NEEDS_CSUM = 1
VNET_HDR_F_DATA_VALID = 2
VNET_HDR_GSO_TCPV4 = 1
VNET_HDR_GSO_TCPV6 = 4
VNET_HDR_GSO_ECN = 0x80
#: (field, byte offset, struct code) of struct virtio_net_hdr_v1_hash; virtio 1.x is little-endian.
VNET_HDR_FIELDS = (
    ("flags", 0, "B"), ("gso_type", 1, "B"), ("hdr_len", 2, "H"), ("gso_size", 4, "H"),
    ("csum_start", 6, "H"), ("csum_offset", 8, "H"), ("num_buffers", 10, "H"),
    ("hash_value", 12, "I"), ("hash_report", 16, "H"), ("padding", 18, "H"),
    ("outer_th_offset", 20, "H"), ("inner_nh_offset", 22, "H"),
)
#: ``vi->hdr_len``: legacy, with MRG_RXBUF or VERSION_1, with HASH_REPORT, with UDP tunnel
#: GSO (``struct virtio_net_hdr_v1_hash_tunnel``, Linux 7.2).
VNET_HDR_LENGTHS = (10, 12, 20, 24)
# The fields lie back to back, so one struct packs them all; the padding is written as zeros
# and skipped on reading. Built once: a header is packed and read for every packet.
_VNET_HDR_LAYOUT = struct.Struct("<" + "".join("2x" if name == "padding" else code
                                               for name, _, code in VNET_HDR_FIELDS))
_vnet_hdr_values = operator.attrgetter(*(name for name, _, _ in VNET_HDR_FIELDS
                                         if name != "padding"))


class FrameError(ValueError):
    """A frame could not be built or does not parse."""


@dataclass(frozen=True, slots=True)
class VnetHeader:
    """The fields of ``struct virtio_net_hdr_v1_hash_tunnel``; a shorter header holds a prefix."""

    flags: int = 0
    gso_type: int = VIRTIO_NET_HDR_GSO_NONE
    hdr_len: int = 0
    gso_size: int = 0
    csum_start: int = 0
    csum_offset: int = 0
    num_buffers: int = 0
    hash_value: int = 0
    hash_report: int = 0
    outer_th_offset: int = 0
    inner_nh_offset: int = 0

    def pack(self, length: int) -> bytes:
        """The first ``length`` bytes (10, 12, 20 or 24), fields at the spec's offsets."""
        if length not in VNET_HDR_LENGTHS:
            raise FrameError(f"a virtio_net_hdr is 10, 12, 20 or 24 bytes, not {length}")
        return _VNET_HDR_LAYOUT.pack(*_vnet_hdr_values(self))[:length]

    @staticmethod
    def unpack(data: bytes) -> VnetHeader:
        """Read a 10-, 12-, 20- or 24-byte header; fields past its end read as zero."""
        if len(data) not in VNET_HDR_LENGTHS:
            raise FrameError(f"a virtio_net_hdr is 10, 12, 20 or 24 bytes, not {len(data)}")
        return _read_vnet_hdr(bytes(data))


@functools.lru_cache(maxsize=256)
def _read_vnet_hdr(data: bytes) -> VnetHeader:
    """The header ``data`` holds: a replay reads the same few headers packet after packet,
    and a header is immutable, so each is built once."""
    return VnetHeader(*_VNET_HDR_LAYOUT.unpack(data + bytes(VNET_HDR_LENGTHS[-1] - len(data))))


@dataclass(frozen=True, slots=True)
class Endpoints:
    """Who talks to whom: the guest's NIC and the host side of the tap."""

    src_mac: bytes = bytes.fromhex("525400123456")  # QEMU's default guest MAC
    dst_mac: bytes = bytes.fromhex("fe54001234ff")
    src_ip: bytes = bytes((10, 0, 2, 15))
    dst_ip: bytes = bytes((10, 0, 2, 2))
    src_port: int = 40000
    dst_port: int = 9  # the discard service


@dataclass(frozen=True, slots=True)
class ParsedFrame:
    """What the host stack would read out of a frame."""

    length: int
    src_ip: bytes
    dst_ip: bytes
    src_port: int
    dst_port: int
    payload: bytes
    ip_checksum_ok: bool
    udp_checksum_ok: bool


def internet_checksum(data: bytes) -> int:
    """RFC 1071 one's-complement sum of 16-bit words."""
    if len(data) % 2:
        data += b"\0"
    total: int = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def _pseudo_header(src_ip: bytes, dst_ip: bytes, udp_length: int) -> bytes:
    """The IPv4 pseudo-header the UDP checksum covers before the segment itself."""
    return src_ip + dst_ip + struct.pack("!BBH", 0, IPPROTO_UDP, udp_length)


def _udp_checksum(src_ip: bytes, dst_ip: bytes, segment: bytes) -> int:
    checksum = internet_checksum(_pseudo_header(src_ip, dst_ip, len(segment)) + segment)
    return checksum or 0xFFFF  # zero means "no checksum" in UDP over IPv4


def build_frame(index: int, size: int, endpoints: Endpoints = Endpoints()) -> bytes:
    """Frame number ``index`` of ``size`` bytes (Ethernet header up to the end of UDP data)."""
    if not MIN_FRAME <= size <= MAX_FRAME:
        raise FrameError(f"frame size must be between {MIN_FRAME} and {MAX_FRAME} bytes")
    payload_length = size - MIN_FRAME
    stamp = f"vtrace frame {index} ".encode()
    payload = (stamp * (payload_length // len(stamp) + 1))[:payload_length]
    udp_length = UDP_HEADER + payload_length
    udp_no_sum = struct.pack("!HHHH", endpoints.src_port, endpoints.dst_port, udp_length, 0)
    udp_sum = _udp_checksum(endpoints.src_ip, endpoints.dst_ip, udp_no_sum + payload)
    udp = struct.pack("!HHHH", endpoints.src_port, endpoints.dst_port, udp_length, udp_sum)
    ip_fields = (
        0x45, 0, IPV4_HEADER + udp_length, index & 0xFFFF, 0x4000, 64, IPPROTO_UDP, 0,
        endpoints.src_ip, endpoints.dst_ip,
    )
    ip_no_sum = struct.pack("!BBHHHBBH4s4s", *ip_fields)
    ip = ip_no_sum[:10] + struct.pack("!H", internet_checksum(ip_no_sum)) + ip_no_sum[12:]
    ethernet = endpoints.dst_mac + endpoints.src_mac + struct.pack("!H", ETH_P_IP)
    return ethernet + ip + udp + payload


def parse_frame(frame: bytes) -> ParsedFrame:
    """Read an Ethernet/IPv4/UDP frame back, checking both checksums."""
    if len(frame) < MIN_FRAME:
        raise FrameError(f"frame of {len(frame)} bytes is shorter than {MIN_FRAME}")
    (ethertype,) = struct.unpack_from("!H", frame, 12)
    ip = frame[ETH_HEADER : ETH_HEADER + IPV4_HEADER]
    if ethertype != ETH_P_IP or ip[0] != 0x45 or ip[9] != IPPROTO_UDP:
        raise FrameError("not an IPv4/UDP frame without options")
    src_ip, dst_ip = ip[12:16], ip[16:20]
    udp_start = ETH_HEADER + IPV4_HEADER
    src_port, dst_port, udp_length, _ = struct.unpack_from("!HHHH", frame, udp_start)
    segment = frame[udp_start : udp_start + udp_length]
    pseudo = _pseudo_header(src_ip, dst_ip, udp_length)
    return ParsedFrame(
        length=len(frame),
        src_ip=src_ip,
        dst_ip=dst_ip,
        src_port=src_port,
        dst_port=dst_port,
        payload=segment[UDP_HEADER:],
        ip_checksum_ok=internet_checksum(ip) == 0,
        udp_checksum_ok=internet_checksum(pseudo + segment) == 0,
    )
