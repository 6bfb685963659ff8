"""Frames are real Ethernet/IPv4/UDP bytes with correct checksums."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vtrace.frames import (
    MAX_FRAME,
    MIN_FRAME,
    VNET_HDR,
    VNET_HDR_SIZE,
    FrameError,
    build_frame,
    internet_checksum,
    parse_frame,
)


def test_rfc1071_example_sums_to_the_published_checksum() -> None:
    # RFC 1071 section 3's words 0001 f203 f4f5 f6f7 sum to ddf2, so the checksum is 220d.
    assert internet_checksum(bytes.fromhex("0001f203f4f5f6f7")) == 0x220D


def test_a_frame_has_ethernet_ipv4_and_udp_headers_at_their_offsets() -> None:
    frame = build_frame(5, 128)
    assert len(frame) == 128
    assert frame[12:14] == b"\x08\x00"  # EtherType IPv4
    assert frame[14] == 0x45 and frame[23] == 17  # version/IHL, protocol UDP
    assert struct.unpack("!H", frame[16:18])[0] == 128 - 14  # IP total length
    assert struct.unpack("!H", frame[18:20])[0] == 5  # IP id carries the frame number
    assert struct.unpack("!H", frame[38:40])[0] == 128 - 34  # UDP length


@given(index=st.integers(0, 10**7), size=st.integers(MIN_FRAME, MAX_FRAME))
def test_every_frame_parses_back_with_valid_checksums(index: int, size: int) -> None:
    parsed = parse_frame(build_frame(index, size))
    assert parsed.length == size
    assert parsed.ip_checksum_ok and parsed.udp_checksum_ok


def test_a_flipped_payload_bit_breaks_the_udp_checksum() -> None:
    frame = bytearray(build_frame(1, 100))
    frame[-1] ^= 1
    assert not parse_frame(bytes(frame)).udp_checksum_ok


@pytest.mark.parametrize("size", [MIN_FRAME - 1, MAX_FRAME + 1])
def test_sizes_outside_ethernet_limits_are_refused(size: int) -> None:
    with pytest.raises(FrameError):
        build_frame(0, size)


def test_the_virtio_net_header_is_twelve_bytes_of_no_offload() -> None:
    assert bytes(VNET_HDR_SIZE) == VNET_HDR
