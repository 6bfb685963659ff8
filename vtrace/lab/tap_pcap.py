"""The frames as they crossed the tap, recorded by a packet socket on it and saved as pcap.

A raw AF_PACKET socket bound to the run's tap sees every frame both ways
(the guest's, as the host receives them, and the host's, as they leave for
QEMU), each stamped by the kernel (SO_TIMESTAMPNS, wall clock). It is read
once the run is over; its buffer is made large enough for a run's frames.
The file is classic pcap with nanosecond times and Ethernet link type
(``vtrace.pcap.PcapWriter``).
"""

from __future__ import annotations

import contextlib
import socket
import struct
from collections.abc import Iterator
from pathlib import Path

from vtrace.pcap import PcapWriter

__all__ = ["Packet", "recorded", "write_pcap"]

_ETH_P_ALL = 0x0003
# Linux's values; Python's socket module names neither.
_SO_TIMESTAMPNS = 35
_SO_RCVBUFFORCE = 33
_BUFFER = 16 << 20
_SNAPLEN = 65535

Packet = tuple[int, bytes]  # (wall clock, ns; the frame)


class _Recorder:
    def __init__(self, interface: str) -> None:
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(_ETH_P_ALL))
        self.sock.setsockopt(socket.SOL_SOCKET, _SO_TIMESTAMPNS, 1)
        with contextlib.suppress(OSError):
            self.sock.setsockopt(socket.SOL_SOCKET, _SO_RCVBUFFORCE, _BUFFER)
        self.sock.bind((interface, 0))
        self.sock.setblocking(False)

    def drain(self) -> list[Packet]:
        """Every frame the socket holds, oldest first."""
        packets: list[Packet] = []
        while True:
            try:
                frame, ancillary, _, _ = self.sock.recvmsg(_SNAPLEN,
                                                           socket.CMSG_SPACE(16))
            except BlockingIOError:
                return packets
            stamp = 0
            for level, kind, data in ancillary:
                if level == socket.SOL_SOCKET and kind == _SO_TIMESTAMPNS:
                    seconds, nanoseconds = struct.unpack("qq", data[:16])
                    stamp = seconds * 1_000_000_000 + nanoseconds
            packets.append((stamp, frame))


@contextlib.contextmanager
def recorded(interface: str) -> Iterator[_Recorder]:
    recorder = _Recorder(interface)
    try:
        yield recorder
    finally:
        recorder.sock.close()


def write_pcap(path: Path, packets: list[Packet]) -> None:
    with path.open("wb") as out:
        writer = PcapWriter(out, nanoseconds=True)
        for stamp, frame in packets:
            writer.packet(stamp, frame)
