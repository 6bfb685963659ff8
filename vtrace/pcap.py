"""The frames of a stream as a classic libpcap file (LINKTYPE_ETHERNET), as the tap saw them.

A replay's frames are rebuilt exactly: ``build_frame`` of the frame's index,
the header's size and the scenario's endpoints, the bytes the engine put
behind the virtio-net header (the tap strips that header), at the step where
the frame crosses the tap: out of QEMU into tun for send, out of tun into QEMU
for recv. A TCP send writes each superframe as it crosses the tap and its
segments as they leave the host. A capture's frames are the bytes it saw, the ``frame_hex`` detail
of the events that carry one (the lab's packet socket on the tap, or a probe).
Each packet's time is the event's ``t_ns`` (from the stream's start).
``read_packets`` reads a pcap file back (the lab's ``tap.pcap``).
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

from vtrace.frames import Endpoints, build_frame
from vtrace.model import Event, Header, Source
from vtrace.output import atomic_output
from vtrace.scenarios.recv.world import HOST_TO_GUEST
from vtrace.scenarios.send.tso import tcp_send, wire_frames

__all__ = ["LINKTYPE_ETHERNET", "packets", "read_packets", "tee_pcap", "write_packets",
           "write_pcap"]

LINKTYPE_ETHERNET = 1
_MAGIC = 0xA1B2C3D4  # microsecond timestamps
_SNAPLEN = 65535
#: Per scenario: who the replayed frames go between, and the steps where a frame crosses
#: the tap (the first one met is the packet's time).
_CROSSING: dict[str, tuple[Endpoints, frozenset[str]]] = {
    "send": (Endpoints(), frozenset({"tap_write_packet", "tun_get_user"})),
    "recv": (HOST_TO_GUEST, frozenset({"tun_put_user"})),
}
_MAGICS = {0xA1B2C3D4: 1000, 0xA1B23C4D: 1}  # ns per unit of a packet's sub-second field


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
    crossing = _CROSSING.get(header.scenario)
    if crossing is None:
        return
    endpoints, steps = crossing
    size = int(header.params.get("size", 0))
    if header.params.get("proto") == "tcp":
        yield from _tso(size, events)
        return
    written: set[int] = set()
    for event in events:
        if event.frame is None or event.frame in written or event.step not in steps:
            continue
        written.add(event.frame)
        yield event.t_ns, build_frame(event.frame, size, endpoints)


def _tso(size: int, events: Iterable[Event]) -> Iterator[tuple[int, bytes]]:
    """A TCP send: each superframe as it crosses the tap (``tun_get_user``), then its wire
    frames as they leave the host (``tcp_gso_segment``), checksums complete."""
    for event in events:
        if event.frame is None:
            continue
        if event.step == "tun_get_user":
            yield event.t_ns, tcp_send(event.frame, size).skb.frame
        elif event.step == "tcp_gso_segment":
            for segment in wire_frames(event.frame, size):
                yield event.t_ns, segment


def read_packets(path: str | Path) -> Iterator[tuple[int, bytes]]:
    """(wall-clock ns, frame) of each packet of a little-endian pcap file, µs or ns stamps."""
    with open(path, "rb") as capture:
        head = capture.read(24)
        if len(head) < 24 or (scale := _MAGICS.get(struct.unpack("<I", head[:4])[0])) is None:
            raise ValueError(f"{path}: not a little-endian pcap file")
        while len(record := capture.read(16)) == 16:
            seconds, fraction, kept, _ = struct.unpack("<IIII", record)
            yield seconds * 1_000_000_000 + fraction * scale, capture.read(kept)


def write_packets(out: IO[bytes], found: Iterable[tuple[int, bytes]]) -> int:
    """A pcap file of ``found`` on ``out``; the number of packets written."""
    _write_header(out)
    count = 0
    for t_ns, frame in found:
        _write_packet(out, t_ns, frame)
        count += 1
    return count


def _write_header(out: IO[bytes]) -> None:
    out.write(struct.pack("<IHHiIII", _MAGIC, 2, 4, 0, 0, _SNAPLEN, LINKTYPE_ETHERNET))


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
    _write_header(out)
    while True:
        packet = next(found, None)
        yield from passed
        passed.clear()
        if packet is None:
            return
        _write_packet(out, *packet)
