"""The frames of a stream as a classic libpcap file (LINKTYPE_ETHERNET), as the tap saw them.

A replay's frames are rebuilt exactly: ``build_frame`` of the frame's index
and the header's size, the bytes the engine put behind the virtio-net header
(the tap strips that header). A capture's frames are the bytes a probe read,
the ``frame_hex`` detail of the first event of each frame that carries one.
Each packet's time is the event's ``t_ns`` (from the stream's start).
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator
from typing import IO

from vtrace.frames import Endpoints, build_frame
from vtrace.model import Event, Header, Source
from vtrace.output import atomic_output

__all__ = ["LINKTYPE_ETHERNET", "packets", "tee_pcap", "write_packets", "write_pcap"]

LINKTYPE_ETHERNET = 1
_MAGIC = 0xA1B2C3D4  # microsecond timestamps
_SNAPLEN = 65535
#: Where a replayed frame leaves QEMU for the host: its time is the packet's time.
_ON_THE_TAP = ("tap_write_packet", "tun_get_user")


def packets(header: Header, events: Iterable[Event]) -> Iterator[tuple[int, bytes]]:
    """(t_ns, Ethernet frame) of each frame of the stream, in the order they are met."""
    if header.source is Source.REPLAY:
        yield from _replayed(header, events)
        return
    seen: set[tuple[int | None, str]] = set()
    for event in events:
        frame_hex = event.detail.get("frame_hex")
        if not isinstance(frame_hex, str) or (event.frame, frame_hex) in seen:
            continue
        seen.add((event.frame, frame_hex))
        yield event.t_ns, bytes.fromhex(frame_hex)


def _replayed(header: Header, events: Iterable[Event]) -> Iterator[tuple[int, bytes]]:
    size = int(header.params.get("size", 0))
    written: set[int] = set()
    for event in events:
        if event.frame is None or event.frame in written or event.step not in _ON_THE_TAP:
            continue
        written.add(event.frame)
        yield event.t_ns, build_frame(event.frame, size, Endpoints())


def write_packets(out: IO[bytes], found: Iterable[tuple[int, bytes]]) -> int:
    """A pcap file of ``found`` on ``out``; the number of packets written."""
    out.write(struct.pack("<IHHiIII", _MAGIC, 2, 4, 0, 0, _SNAPLEN, LINKTYPE_ETHERNET))
    count = 0
    for t_ns, frame in found:
        _write_packet(out, t_ns, frame)
        count += 1
    return count


def _write_packet(out: IO[bytes], t_ns: int, frame: bytes) -> None:
    seconds, rest = divmod(t_ns, 1_000_000_000)
    kept = frame[:_SNAPLEN]
    out.write(struct.pack("<IIII", seconds, rest // 1000, len(kept), len(frame)))
    out.write(kept)


def write_pcap(header: Header, events: Iterable[Event], path: str) -> int:
    """Write the stream's frames to ``path`` (``-``: standard output) atomically."""
    with atomic_output(path, binary=True) as out:
        return write_packets(out, packets(header, events))


def tee_pcap(header: Header, events: Iterable[Event], out: IO[bytes]) -> Iterator[Event]:
    """Pass ``events`` through, writing the frames they carry to ``out`` as they go, so a
    run shown in a view leaves its pcap file too."""
    passed: list[Event] = []

    def passing() -> Iterator[Event]:
        for event in events:
            passed.append(event)
            yield event

    found = packets(header, passing())
    out.write(struct.pack("<IHHiIII", _MAGIC, 2, 4, 0, 0, _SNAPLEN, LINKTYPE_ETHERNET))
    while True:
        packet = next(found, None)
        yield from passed
        passed.clear()
        if packet is None:
            return
        _write_packet(out, *packet)
