"""QEMU's machine protocol (QMP) on a Unix socket, and the virtio-net rings read through it.

QMP is one JSON object a line: QEMU greets, takes ``qmp_capabilities``, then
answers each ``{"execute": ...}`` with ``{"return": ...}`` or ``{"error": ...}``;
asynchronous ``{"event": ...}`` lines may come in between and are skipped.
``read_rings`` stops the guest, asks QEMU 7.2's ``x-query-virtio*`` commands
for each queue's indices and reads the ring bytes with the monitor's ``xp``
(also of a packed ring, which ``x-query-virtio-queue-element`` refuses),
then lets the guest go on. Its answers are kept as QEMU gave them;
``vtrace.lab.qmp_ring`` turns them into ring fields.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from vtrace.lab.errors import LabError
from vtrace.lab.qmp_ring import is_packed, queue_indices, ring_bytes

__all__ = ["Qmp", "read_rings", "socket_directory"]

_CONNECT_S = 10.0
_ANSWER_S = 10.0


@contextlib.contextmanager
def socket_directory() -> Iterator[Path]:
    """A directory of this process for QMP's socket (``vtrace-qmp-<pid>``), removed on the
    way out; its removal is arranged before it is made, so no exit path leaves it."""
    directory = Path(tempfile.gettempdir()) / f"vtrace-qmp-{os.getpid()}"
    try:
        shutil.rmtree(directory, ignore_errors=True)  # a leftover of a dead process of our pid
        directory.mkdir(mode=0o700)
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


class Qmp:
    """One QMP conversation; ``execute`` returns the ``return`` member of the answer."""

    def __init__(self, path: Path, connect_s: float = _CONNECT_S) -> None:
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        end = time.monotonic() + connect_s
        while True:
            try:
                self._socket.connect(str(path))
                break
            except OSError as refused:
                if time.monotonic() >= end:
                    self._socket.close()
                    raise LabError(f"no QMP on {path.name}: {refused.strerror}") from None
                time.sleep(0.02)
        self._socket.settimeout(_ANSWER_S)
        self._lines = self._socket.makefile("rb")
        self.greeting = self._line()
        self.execute("qmp_capabilities")

    def _line(self) -> dict[str, Any]:
        try:
            line = self._lines.readline()
        except OSError as failed:
            raise LabError(f"QMP: {failed}") from None
        if not line:
            raise LabError("QMP: QEMU closed the socket")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def execute(self, command: str, **arguments: Any) -> Any:
        request: dict[str, Any] = {"execute": command}
        if arguments:
            request["arguments"] = arguments
        self._socket.sendall(json.dumps(request).encode() + b"\n")
        while True:
            answer = self._line()
            if "event" in answer:
                continue
            if "error" in answer:
                raise LabError(f"QMP {command}: {answer['error'].get('desc', answer['error'])}")
            return answer.get("return")

    def close(self) -> None:
        self._lines.close()
        self._socket.close()


def read_rings(qmp: Qmp, pairs: int = 1) -> dict[str, Any]:
    """Stop the guest, read the virtio-net device's status and the RX and TX rings of its
    ``pairs`` queue pairs, let the guest go on. Returns QEMU's answers, unparsed."""
    devices = qmp.execute("x-query-virtio")
    path = next((device["path"] for device in devices if device["name"] == "virtio-net"),
                None)
    if path is None:
        raise LabError("QMP: QEMU has no virtio-net device")
    qmp.execute("stop")
    try:
        answers: dict[str, Any] = {
            "qemu": qmp.greeting.get("QMP", {}).get("version", {}),
            "path": path,
            "status": qmp.execute("x-query-virtio-status", path=path),
            "queues": {},
        }
        packed = is_packed(answers["status"])
        for name, index in queue_indices(pairs).items():
            status = qmp.execute("x-query-virtio-queue-status", path=path, queue=index)
            memory = {part: qmp.execute("human-monitor-command",
                                        **{"command-line": f"xp /{count}xh {address:#x}"})
                      for part, (address, count) in ring_bytes(status, packed).items()}
            answers["queues"][name] = {"status": status, "xp": memory}
    finally:
        qmp.execute("cont")
    return answers
