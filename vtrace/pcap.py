"""The two capture file formats Wireshark reads, written and read back: one writer each.

``PcapWriter`` writes classic libpcap (Ethernet link type, microsecond or
nanosecond stamps): what ``--pcap run.pcap`` and the lab's ``tap.pcap`` are.
``PcapngWriter`` writes pcapng: a section header naming vtrace, one Interface
Description Block per interface, announced the first time a packet uses it,
and Enhanced Packet Blocks with nanosecond stamps and a comment each. Both
take ``(t_ns, frame)``; which frames a stream carries is ``vtrace.packets``'
business. ``read_packets`` reads a classic file back (the lab's ``tap.pcap``).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path
from typing import IO

__all__ = ["LINKTYPE_ETHERNET", "PcapWriter", "PcapngWriter", "read_packets"]

LINKTYPE_ETHERNET = 1
SNAPLEN = 65535
_MAGIC_US, _MAGIC_NS = 0xA1B2C3D4, 0xA1B23C4D
_MAGICS = {_MAGIC_US: 1000, _MAGIC_NS: 1}  # ns per unit of a packet's sub-second field

# pcapng (draft-ietf-opsawg-pcapng): block types and option codes.
_SHB, _IDB, _EPB = 0x0A0D0D0A, 0x00000001, 0x00000006
_BYTE_ORDER_MAGIC = 0x1A2B3C4D
_OPT_END, _OPT_COMMENT = 0, 1
_SHB_USERAPPL = 4
_IF_NAME, _IF_DESCRIPTION, _IF_TSRESOL = 2, 3, 9
_NANOSECONDS = 9  # if_tsresol: 10^-9 s


class PcapWriter:
    """Classic pcap on ``out``: the file header at once, then each packet as it comes."""

    def __init__(self, out: IO[bytes], *, nanoseconds: bool = False) -> None:
        self.write, self.nanoseconds = out.write, nanoseconds
        self.count = 0
        self.write(struct.pack("<IHHiIII", _MAGIC_NS if nanoseconds else _MAGIC_US, 2, 4, 0, 0,
                               SNAPLEN, LINKTYPE_ETHERNET))

    def packet(self, t_ns: int, frame: bytes) -> None:
        seconds, rest = divmod(t_ns, 1_000_000_000)
        kept = frame[:SNAPLEN]
        self.write(struct.pack("<IIII", seconds, rest if self.nanoseconds else rest // 1000,
                               len(kept), len(frame)))
        self.write(kept)
        self.count += 1


def _option(code: int, value: bytes) -> bytes:
    return struct.pack("<HH", code, len(value)) + value + b"\0" * (-len(value) % 4)


def _block(kind: int, body: bytes) -> bytes:
    length = 12 + len(body)
    return struct.pack("<II", kind, length) + body + struct.pack("<I", length)


class PcapngWriter:
    """pcapng on ``out``, every interface Ethernet with nanosecond stamps."""

    def __init__(self, out: IO[bytes], *, application: str, comment: str = "") -> None:
        self.write = out.write
        self.count = 0
        self.interfaces: dict[str, int] = {}
        options = _option(_SHB_USERAPPL, application.encode())
        if comment:
            options += _option(_OPT_COMMENT, comment.encode())
        self.write(_block(_SHB, struct.pack("<IHHq", _BYTE_ORDER_MAGIC, 1, 0, -1) + options
                          + _option(_OPT_END, b"")))

    def interface(self, name: str, description: str = "") -> int:
        """The id of interface ``name``, announcing it on first use."""
        known = self.interfaces.get(name)
        if known is not None:
            return known
        options = _option(_IF_NAME, name.encode()) + _option(_IF_TSRESOL, bytes((_NANOSECONDS,)))
        if description:
            options += _option(_IF_DESCRIPTION, description.encode())
        self.write(_block(_IDB, struct.pack("<HHI", LINKTYPE_ETHERNET, 0, SNAPLEN) + options
                          + _option(_OPT_END, b"")))
        self.interfaces[name] = len(self.interfaces)
        return self.interfaces[name]

    def packet(self, t_ns: int, frame: bytes, interface: int, comment: str = "") -> None:
        kept = frame[:SNAPLEN]
        body = [struct.pack("<IIIII", interface, (t_ns >> 32) & 0xFFFFFFFF, t_ns & 0xFFFFFFFF,
                            len(kept), len(frame)), kept, b"\0" * (-len(kept) % 4)]
        if comment:
            body += [_option(_OPT_COMMENT, comment.encode()), _option(_OPT_END, b"")]
        self.write(_block(_EPB, b"".join(body)))
        self.count += 1


def read_packets(path: str | Path) -> Iterator[tuple[int, bytes]]:
    """(wall-clock ns, frame) of each packet of a little-endian pcap file, µs or ns stamps."""
    with open(path, "rb") as capture:
        head = capture.read(24)
        if len(head) < 24 or (scale := _MAGICS.get(struct.unpack("<I", head[:4])[0])) is None:
            raise ValueError(f"{path}: not a little-endian pcap file")
        while len(record := capture.read(16)) == 16:
            seconds, fraction, kept, _ = struct.unpack("<IIII", record)
            yield seconds * 1_000_000_000 + fraction * scale, capture.read(kept)
