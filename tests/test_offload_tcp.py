"""TSO: the superframe's header and partial checksum, and the host's segments on the wire."""

from __future__ import annotations

import struct
import subprocess
from pathlib import Path

import pytest
from conftest import program
from hypothesis import given, settings
from hypothesis import strategies as st

from vtrace.frames import VNET_HDR_F_NEEDS_CSUM, VNET_HDR_GSO_ECN, FrameError, VnetHeader
from vtrace.offload import (
    complete_checksum,
    gso_segments,
    gso_superframe,
    mss_for,
    tcp_gso_segment,
    virtio_net_hdr_from_skb,
    virtio_net_hdr_to_skb,
)
from vtrace.pcap import PcapWriter
from vtrace.tcpframes import (
    ACK,
    CWR,
    FIN,
    PSH,
    TcpFlow,
    build_tcp_frame,
    parse_tcp_frame,
    timestamp_option,
)

V4 = TcpFlow()
V6 = TcpFlow(bytes.fromhex("fd00" + "00" * 13 + "0f"), bytes.fromhex("fd00" + "00" * 13 + "02"))
PAYLOAD = bytes(range(256)) * 254  # 65,024 bytes
TS = timestamp_option(1000, 2000)


def ones_sum(data: bytes) -> int:
    """A second, byte-by-byte one's-complement sum, independent of the code under test."""
    if len(data) % 2:
        data += b"\0"
    total = 0
    for high, low in zip(data[::2], data[1::2], strict=True):
        total += high << 8 | low
        total = (total & 0xFFFF) + (total >> 16)
    return total


def checksums_hold(frame: bytes) -> bool:
    ethertype = frame[12:14]
    if ethertype == b"\x08\x00":
        ip = frame[14:34]
        tcp = frame[34:14 + int.from_bytes(ip[2:4], "big")]
        pseudo = ip[12:20] + b"\0\x06" + len(tcp).to_bytes(2, "big")
        return ones_sum(ip) == 0xFFFF and ones_sum(pseudo + tcp) == 0xFFFF
    ip = frame[14:54]
    tcp = frame[54:54 + int.from_bytes(ip[4:6], "big")]
    pseudo = ip[8:40] + len(tcp).to_bytes(4, "big") + b"\0\0\0\x06"
    return ones_sum(pseudo + tcp) == 0xFFFF


def test_the_gso_header_is_what_virtio_net_hdr_from_skb_writes() -> None:
    skb = gso_superframe(V4, PAYLOAD, mss=mss_for(1500, V4, len(TS)), seq=1, options=TS)
    header = virtio_net_hdr_from_skb(skb)
    assert header.flags == VNET_HDR_F_NEEDS_CSUM
    assert header.gso_type == 1 and header.gso_size == 1448
    assert header.csum_start == 14 + 20 and header.csum_offset == 16
    assert header.hdr_len == 14 + 20 + 32  # the linear part: headers only, payload in frags
    v6 = virtio_net_hdr_from_skb(gso_superframe(V6, PAYLOAD[:9000], mss=1440, seq=1))
    assert (v6.gso_type, v6.csum_start, v6.hdr_len) == (4, 54, 74)
    ecn = virtio_net_hdr_from_skb(gso_superframe(V4, PAYLOAD, mss=1448, seq=1,
                                                 flags=ACK | CWR))
    assert ecn.gso_type == 1 | VNET_HDR_GSO_ECN


def test_the_host_reads_back_what_the_guest_wrote() -> None:
    skb = gso_superframe(V4, PAYLOAD, mss=1448, seq=1, flags=ACK | CWR)
    host = virtio_net_hdr_to_skb(virtio_net_hdr_from_skb(skb), skb.frame)
    assert host.gso_size == 1448 and host.gso_type == {"tcpv4", "tcp_ecn", "dodgy"}
    assert (host.checksum_partial, host.csum_start, host.csum_offset) == (True, 34, 16)
    small = gso_superframe(V6, b"x" * 100, mss=1440, seq=1)
    assert virtio_net_hdr_to_skb(virtio_net_hdr_from_skb(small), small.frame).gso_size == 0


@pytest.mark.parametrize(("header", "why"), [
    (VnetHeader(gso_type=3, gso_size=1448), "not TCP"),
    (VnetHeader(gso_type=1, gso_size=0), "gso_size 0"),
    (VnetHeader(flags=1, gso_type=1, gso_size=1448, csum_start=34, csum_offset=6), "csum_offset"),
    (VnetHeader(flags=1, csum_start=65_500, csum_offset=16), "need"),
])
def test_the_host_refuses_headers_the_kernel_refuses(header: VnetHeader, why: str) -> None:
    with pytest.raises(FrameError, match=why):
        virtio_net_hdr_to_skb(header, gso_superframe(V4, PAYLOAD, mss=1448, seq=1).frame)


def test_a_frame_within_one_mss_is_not_gso_but_still_needs_its_checksum() -> None:
    header = virtio_net_hdr_from_skb(gso_superframe(V4, b"x" * 100, mss=1460, seq=1))
    assert (header.flags, header.gso_type, header.gso_size, header.hdr_len) == (1, 0, 0, 0)


def test_the_partial_checksum_is_the_pseudo_header_sum() -> None:
    skb = gso_superframe(V4, PAYLOAD, mss=1448, seq=1)
    tcp_length = len(skb.frame) - 34
    pseudo = V4.src_ip + V4.dst_ip + struct.pack("!BBH", 0, 6, tcp_length)
    assert struct.unpack_from("!H", skb.frame, 34 + 16)[0] == ones_sum(pseudo)
    assert not checksums_hold(skb.frame)
    assert checksums_hold(complete_checksum(skb.frame, 34, 16))


@pytest.mark.parametrize("flow", [V4, V6], ids=["ipv4", "ipv6"])
def test_segments_carry_sequence_ids_flags_and_valid_checksums(flow: TcpFlow) -> None:
    mss = mss_for(1500, flow, len(TS))
    skb = gso_superframe(flow, PAYLOAD, mss=mss, seq=0xFFFF0000, ip_id=0xFFFE,
                         flags=ACK | PSH | FIN | CWR, options=TS)
    segments = tcp_gso_segment(skb.frame, mss)
    assert len(segments) == gso_segments(len(PAYLOAD), mss) == -(-len(PAYLOAD) // mss)
    parsed = [parse_tcp_frame(segment) for segment in segments]
    assert b"".join(p.payload for p in parsed) == PAYLOAD
    for index, (segment, p) in enumerate(zip(segments, parsed, strict=True)):
        assert checksums_hold(segment)
        assert p.seq == (0xFFFF0000 + index * mss) & 0xFFFFFFFF
        assert p.tcp_header == 32 and len(segment) <= 1514
        last, first = index == len(parsed) - 1, index == 0
        assert bool(p.flags & (PSH | FIN)) == last and bool(p.flags & CWR) == first
        if not flow.ipv6:
            assert p.ip_id == (0xFFFE + index) & 0xFFFF


@settings(max_examples=30)
@given(size=st.integers(1, 65000), mss=st.integers(536, 9000))
def test_any_send_cuts_into_ceil_size_over_mss_frames(size: int, mss: int) -> None:
    skb = gso_superframe(V4, PAYLOAD[:size], mss=mss, seq=7)
    segments = tcp_gso_segment(complete_checksum(skb.frame, 34, 16), mss)
    assert len(segments) == -(-size // mss)
    assert all(checksums_hold(segment) for segment in segments)


def test_too_much_for_one_ip_packet_is_refused() -> None:
    with pytest.raises(FrameError):
        build_tcp_frame(V4, bytes(65_535 - 39), seq=0)
    with pytest.raises(FrameError):
        tcp_gso_segment(build_tcp_frame(V4, b"xy", seq=0), 0)


def write_pcap(path: Path, frames: list[bytes]) -> None:
    """A classic pcap of ``frames``, one a second, through vtrace's one pcap writer."""
    with path.open("wb") as out:
        writer = PcapWriter(out)
        for number, frame in enumerate(frames):
            writer.packet(number * 1_000_000_000, frame)


@program("tshark", "tshark")
def test_tshark_finds_every_segment_checksum_good(tmp_path: Path) -> None:
    frames = tcp_gso_segment(gso_superframe(V4, PAYLOAD, mss=1448, seq=1, options=TS).frame,
                             1448)
    frames += tcp_gso_segment(gso_superframe(V6, PAYLOAD[:20000], mss=1440, seq=1).frame, 1440)
    broken = bytearray(frames[0])
    broken[-1] ^= 1
    write_pcap(tmp_path / "wire.pcap", [*frames, bytes(broken)])
    result = subprocess.run(
        ["tshark", "-r", str(tmp_path / "wire.pcap"), "-o", "tcp.check_checksum:TRUE",
         "-o", "ip.check_checksum:TRUE", "-T", "fields", "-e", "ip.checksum.status",
         "-e", "tcp.checksum.status"],
        capture_output=True, text=True, check=True, timeout=120)
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    good = "1"  # tshark's checksum status: 0 bad, 1 good, 2 unverified
    assert len(rows) == len(frames) + 1
    assert all(tcp == good and ip in (good, "") for ip, tcp in rows[:-1])
    assert rows[-1][1] == "0"
