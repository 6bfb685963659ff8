"""The host's part of the conversation: watch the guest's console, send or receive datagrams.

Each datagram the host's application handles gets a trace_marker line in
the host's instance, so the host trace says when the application saw it:
``vtrace-host recv() returned seq=N`` (send) or ``vtrace-host sendto()
begin|end seq=N`` (recv). A TCP send is one connection: the host's peer
counts the stream's bytes, the warm-up first, then one block a frame, and
marks ``vtrace-host recv() returned seq=N`` once block N is whole. A TCP
receive is the mirror: the host connects to the guest, writes the warm-up,
waits until the guest says it has read it, then writes one block a frame,
each bracketed by ``vtrace-host sendto() begin|end seq=N``.
"""

from __future__ import annotations

import fcntl
import re
import select
import socket
import struct
import termios
import time
from collections.abc import Callable
from pathlib import Path

from vtrace.lab.errors import LabError
from vtrace.lab.params import PAYLOAD_PREFIX

__all__ = ["Console", "payload", "receive", "receive_stream", "send", "send_stream", "seq_of"]

_SEQ = re.compile(rb"seq=(\d+)")
_GUEST_ERROR = "vtrace-guest error:"

Mark = Callable[[str], None]
Running = Callable[[], bool]


def payload(seq: int, size: int) -> bytes:
    """What the guest's sender writes: ``vtrace seq=N``, then a space and dots up to ``size``."""
    text = f"{PAYLOAD_PREFIX}{seq}"
    if len(text) < size:
        text = (text + " ").ljust(size, ".")
    return text.encode()


def seq_of(data: bytes) -> int | None:
    found = _SEQ.search(data)
    return int(found.group(1)) if found else None


class Console:
    """The guest's console file, read as it grows."""

    def __init__(self, path: Path, running: Running, said: Callable[[], str]) -> None:
        self.path = path
        self.running = running
        self.said = said  # QEMU's last words, for the message when it is gone
        self.lines: list[str] = []
        self._offset = 0
        self._partial = b""

    def _read_more(self) -> list[str]:
        try:
            with self.path.open("rb") as console:
                console.seek(self._offset)
                chunk = console.read()
        except FileNotFoundError:
            return []
        self._offset += len(chunk)
        data = self._partial + chunk
        *complete, self._partial = data.split(b"\n")
        fresh = [line.decode("latin-1").rstrip("\r") for line in complete]
        self.lines += fresh
        for line in fresh:
            if _GUEST_ERROR in line:
                raise LabError(f"the guest failed: {line.split(_GUEST_ERROR, 1)[1].strip()}")
        return fresh

    def wait_for(self, text: str, timeout_s: float) -> str:
        """The first console line (from the start) that contains ``text``."""
        end = time.monotonic() + timeout_s
        checked = 0
        while True:
            self._read_more()
            for line in self.lines[checked:]:
                if text in line:
                    return line
            checked = len(self.lines)
            if not self.running():
                self._read_more()
                raise LabError(f"QEMU exited before the guest printed {text!r} "
                               f"(last console line: {self.last_line()!r}){self.said()}")
            if time.monotonic() > end:
                raise LabError(f"the guest did not print {text!r} within {timeout_s:g} s "
                               f"(last console line: {self.last_line()!r})")
            time.sleep(0.02)

    def check(self) -> None:
        """Raise if the guest reported a failure or QEMU is gone."""
        self._read_more()
        if not self.running():
            raise LabError(f"QEMU exited early (last console line: {self.last_line()!r})"
                           f"{self.said()}")

    def last_line(self) -> str:
        return next((line for line in reversed(self.lines) if line.strip()), "")


def receive(sock: socket.socket, expected: set[int], mark: Mark, console: Console,
            timeout_s: float) -> list[int]:
    """Datagrams on ``sock`` until every seq of ``expected`` came (or QEMU exits); their seqs."""
    got: list[int] = []
    end = time.monotonic() + timeout_s
    while not expected <= set(got):
        ready, _, _ = select.select([sock], [], [], 0.05)
        if ready:
            data = sock.recv(2048)
            seq = seq_of(data)
            mark(f"vtrace-host recv() returned seq={seq}\n")
            if seq is not None:
                got.append(seq)
            continue
        console.check()
        if time.monotonic() > end:
            raise LabError(f"the host received seq {sorted(got)} of {sorted(expected)} within "
                           f"{timeout_s:g} s")
    return got


def receive_stream(listener: socket.socket, warmup: int, size: int, frames: int, mark: Mark,
                   console: Console, timeout_s: float,
                   keep: Callable[[socket.socket], object]) -> list[int]:
    """The guest's one TCP connection on ``listener``: ``warmup`` bytes, then ``frames``
    blocks of ``size``; the seqs of the blocks that came whole. ``keep`` takes the
    connection as soon as it is accepted, to close it after the rings are read (a FIN now
    would make the guest answer into its transmit ring)."""
    end = time.monotonic() + timeout_s
    connection: socket.socket | None = None
    got: list[int] = []
    total = 0
    while len(got) < frames:
        ready, _, _ = select.select([connection or listener], [], [], 0.05)
        if ready and connection is None:
            connection, _ = listener.accept()
            keep(connection)
            continue
        if ready and connection is not None:
            data = connection.recv(1 << 20)
            if not data:
                break
            total += len(data)
            while len(got) < frames and total >= warmup + (len(got) + 1) * size:
                got.append(len(got) + 1)
                mark(f"vtrace-host recv() returned seq={got[-1]}\n")
            continue
        console.check()
        if time.monotonic() > end:
            break
    if len(got) < frames:
        raise LabError(f"the host received {total} bytes of the guest's TCP stream, not "
                       f"{warmup + frames * size}, within {timeout_s:g} s")
    return got


def send(target: tuple[str, int], seqs: list[int], size: int, gap_s: float, mark: Mark,
         flows: list[socket.socket]) -> None:
    """One datagram per seq to ``target``, ``gap_s`` apart, each bracketed by markers; seq N
    goes out on flow (N - 1) mod len(flows)."""
    for index, seq in enumerate(seqs):
        if index:
            time.sleep(gap_s)
        mark(f"vtrace-host sendto() begin seq={seq}\n")
        flows[(seq - 1) % len(flows)].sendto(payload(seq, size), target)
        mark(f"vtrace-host sendto() end seq={seq}\n")


def send_stream(connection: socket.socket, warmup: int, size: int, seqs: list[int],
                gap_s: float, mark: Mark, console: Console, timeout_s: float) -> None:
    """``warmup`` bytes on ``connection``, then (once the guest's receiver says it read them)
    one block of ``size`` bytes per seq, each sent whole and acked before the next."""
    connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    block = b"." * min(warmup, 1 << 20)
    for start in range(0, warmup, len(block)):
        connection.sendall(block[:warmup - start])
    console.wait_for("rx warm", timeout_s)
    for index, seq in enumerate(seqs):
        if index:
            time.sleep(gap_s)
        mark(f"vtrace-host sendto() begin seq={seq}\n")
        connection.sendall(payload(seq, size))
        mark(f"vtrace-host sendto() end seq={seq}\n")
        _wait_acked(connection, console, timeout_s)


def _wait_acked(connection: socket.socket, console: Console, timeout_s: float) -> None:
    """Until the peer has acked every byte written: each block leaves in packets of its own."""
    end = time.monotonic() + timeout_s
    while _unacked(connection):
        console.check()
        if time.monotonic() > end:
            raise LabError(f"the guest did not acknowledge the host's TCP block within "
                           f"{timeout_s:g} s")
        time.sleep(0.001)


def _unacked(connection: socket.socket) -> int:
    """Bytes written and not yet acked (SIOCOUTQ, which is TIOCOUTQ's number)."""
    answer = fcntl.ioctl(connection.fileno(), termios.TIOCOUTQ, b"\0" * 4)
    return int(struct.unpack("i", answer)[0])
