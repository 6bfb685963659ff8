"""virtio_net_hdr: each field at its offset in struct virtio_net_hdr_v1_hash(_tunnel)."""

from __future__ import annotations

import struct

import pytest

from vtrace.frames import VNET_HDR, VNET_HDR_FIELDS, FrameError, VnetHeader

# The uapi struct (include/uapi/linux/virtio_net.h), laid out by hand: __u8 flags, __u8
# gso_type, then __virtio16 hdr_len, gso_size, csum_start, csum_offset, num_buffers, then
# __le32 hash_value, __le16 hash_report, __le16 padding; Linux 7.2's tunnel header then adds
# __le16 outer_th_offset and __le16 inner_nh_offset.
UAPI_OFFSETS = {"flags": 0, "gso_type": 1, "hdr_len": 2, "gso_size": 4, "csum_start": 6,
                "csum_offset": 8, "num_buffers": 10, "hash_value": 12, "hash_report": 16,
                "padding": 18, "outer_th_offset": 20, "inner_nh_offset": 22}


def test_every_field_sits_at_its_uapi_offset() -> None:
    assert {name: offset for name, offset, _ in VNET_HDR_FIELDS} == UAPI_OFFSETS


@pytest.mark.parametrize(("name", "value"), [
    ("flags", 0x01), ("gso_type", 0x81), ("hdr_len", 0x1234), ("gso_size", 1448),
    ("csum_start", 34), ("csum_offset", 16), ("num_buffers", 3), ("hash_value", 0x51CCC178),
    ("hash_report", 2), ("outer_th_offset", 54), ("inner_nh_offset", 70),
])
def test_a_field_lands_little_endian_at_its_offset(name: str, value: int) -> None:
    packed = VnetHeader(**{name: value}).pack(24)
    width = struct.calcsize("<" + next(code for n, _, code in VNET_HDR_FIELDS if n == name))
    offset = UAPI_OFFSETS[name]
    assert packed[offset:offset + width] == value.to_bytes(width, "little")
    assert packed[:offset] == bytes(offset)
    assert packed[offset + width:] == bytes(24 - offset - width)


def test_shorter_headers_are_prefixes() -> None:
    header = VnetHeader(1, 1, 66, 1448, 34, 16, 2, 7, 2)
    assert header.pack(10) == header.pack(20)[:10]
    assert header.pack(12) == header.pack(20)[:12]
    assert VnetHeader.unpack(header.pack(20)) == header
    assert VnetHeader.unpack(header.pack(10)) == VnetHeader(1, 1, 66, 1448, 34, 16)


def test_the_default_twelve_bytes_are_the_old_constant() -> None:
    assert VnetHeader().pack(12) == VNET_HDR


@pytest.mark.parametrize("length", [0, 11, 22, 28])
def test_other_lengths_are_refused(length: int) -> None:
    with pytest.raises(FrameError):
        VnetHeader().pack(length)
    with pytest.raises(FrameError):
        VnetHeader.unpack(bytes(length))
