"""tracefs for the lab: a mount of its own, a trace instance of its own, uprobes of its own.

tracefs is mounted for the run at a directory of its own, whatever else is
mounted at /sys/kernel/tracing: a shared mount point can be unmounted by
another program in the middle of a run, and the instance would be out of
reach of its clean-up. All mounts show the same tracefs, so instances and
uprobes are global; ours carry the run's pid in their names.

Every piece is a context manager that undoes exactly what it did, and sets
the undoing up before it does anything, so that a signal at any moment
leaves nothing behind: the
instance is switched off, its events disabled and its pid filter cleared
before it is removed; uprobes are removed by their own names
(``-:GROUP/NAME``), after the instance that enabled them is gone, because
an enabled probe cannot be removed; the mount is removed last. The global
trace buffer is never switched on.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from vtrace.lab.errors import LabError

__all__ = ["Instance", "instance", "private_mount", "uprobes"]


def _write(path: Path, text: str, *, flags: int = os.O_TRUNC) -> None:
    """One write(2) of ``text``; tracefs files take a whole command per write."""
    descriptor = os.open(path, os.O_WRONLY | flags)
    try:
        os.write(descriptor, text.encode())
    except OSError as error:
        raise LabError(f"writing {text.strip()!r} to {path} failed: {error.strerror}") from None
    finally:
        os.close(descriptor)


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    """``argv`` in a session of its own: a Ctrl-C at the terminal does not stop a clean-up's
    ``umount`` half way."""
    return subprocess.run(argv, capture_output=True, text=True, check=False,
                          start_new_session=True)


@contextlib.contextmanager
def private_mount() -> Iterator[Path]:
    """tracefs mounted at a new directory; yields that directory, unmounted and removed on
    exit."""
    point: Path | None = None
    try:
        point = Path(tempfile.mkdtemp(prefix=f"vtrace-tracefs-{os.getpid()}-"))
        done = _run("mount", "-t", "tracefs", "nodev", str(point))
        if done.returncode != 0:
            raise LabError(f"mount -t tracefs nodev {point} failed: {done.stderr.strip()}")
        yield point
    finally:
        if point is not None:
            if os.path.ismount(point) and _run("umount", str(point)).returncode != 0:
                _run("umount", "-l", str(point))
            with contextlib.suppress(OSError):
                point.rmdir()


class Instance:
    """A tracefs instance (``instances/NAME``): its own buffer, clock, events and pid filter."""

    def __init__(self, root: Path, name: str) -> None:
        self.root = root
        self.path = root / "instances" / name
        self.enabled: list[str] = []

    def set(self, relative: str, value: str) -> None:
        _write(self.path / relative, value + "\n")

    def enable(self, event: str, event_filter: str | None = None) -> bool:
        """Switch ``GROUP/NAME`` on in this instance, with a filter when given; False when
        this host's kernel has no such event."""
        folder = self.path / "events" / event
        if not folder.is_dir():
            return False
        if event_filter:
            _write(folder / "filter", event_filter + "\n")
        _write(folder / "enable", "1\n")
        self.enabled.append(event)
        return True

    def add_pid(self, pid: int) -> None:
        """Add ``pid`` to the event pid filter (no O_TRUNC: a truncating open replaces it)."""
        _write(self.path / "set_event_pid", f"{pid}\n", flags=0)

    def mark(self, text: str) -> None:
        _write(self.path / "trace_marker", text, flags=0)

    def read_trace(self) -> bytes:
        return (self.path / "trace").read_bytes()

    def close(self) -> None:
        """Tracing off, events off, pid filter cleared, then the instance removed."""
        if not self.path.is_dir():
            return
        with contextlib.suppress(OSError, LabError):
            self.set("tracing_on", "0")
        for event in reversed(self.enabled):
            with contextlib.suppress(OSError, LabError):
                _write(self.path / "events" / event / "enable", "0\n")
        self.enabled.clear()
        with contextlib.suppress(OSError, LabError):
            _write(self.path / "set_event_pid", "")
        with contextlib.suppress(FileNotFoundError):
            self.path.rmdir()


@contextlib.contextmanager
def instance(root: Path, name: str) -> Iterator[Instance]:
    """A new instance ``name`` with tracing off; removed on exit."""
    made = Instance(root, name)
    if made.path.exists():
        raise LabError(f"tracefs instance {name} already exists")
    try:
        made.path.mkdir()
        made.set("tracing_on", "0")
        yield made
    finally:
        made.close()


@contextlib.contextmanager
def uprobes(root: Path, definitions: Iterable[str]) -> Iterator[list[str]]:
    """Add uprobe ``definitions`` (``p:GROUP/NAME ...`` lines); yields their event names.

    The file is opened for appending: a truncating open would remove every uprobe on the
    host, not only ours. Each probe's removal is noted before the probe is added; removing
    one that was never added fails, quietly.
    """
    events = root / "uprobe_events"
    added: list[str] = []
    try:
        for line in definitions:
            added.append(line.split()[0].split(":", 1)[1])
            _write(events, line + "\n", flags=os.O_APPEND)
        yield added
    finally:
        for name in reversed(added):
            with contextlib.suppress(OSError, LabError):
                _write(events, f"-:{name}\n", flags=os.O_APPEND)
