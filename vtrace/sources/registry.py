"""Trace formats by registration: each source module says how its files are told and read.

A source module calls ``register`` once with a ``Format``: its name (what
``vtrace import --format`` takes), ``sniff`` (does a path look like this
format, from its first bytes), and either ``read`` (a file into ``Draft``s on
one clock, merged with other files; ``read_together`` reads several files of
the format at once, where the format itself knows how they align) or
``load`` (a whole capture, header and events, imported on its own).
``formats`` imports every module of ``vtrace.sources``, so a new format is one
new module and nothing else.
Formats are sniffed by ``rank``, lowest first; the one that sniffs last
(``ftrace``, the fallback) has the highest.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from vtrace.model import Event, Header
from vtrace.sources import TraceError
from vtrace.sources.convert import Draft, Sides

__all__ = ["HEAD_BYTES", "Format", "Reading", "detect", "formats", "head_lines", "register"]

HEAD_BYTES = 8192  # what a format is told from


@dataclass(slots=True)
class Reading:
    """What reading one file needs besides its path, and what it tells back.

    ``shift_ns`` moves the file's times, ``side`` says whose trace an ftrace file
    is (``auto``, ``guest``, ``host``), ``tsc_mhz`` what integer timestamps count.
    A reader adds to ``unmapped`` the names of records it could not map to a
    step (with how often), to ``kernels`` the kernel version a file says it
    was recorded on and to ``clock_offsets`` the offset of a guest's clock to its
    host's that a file carries (in its clock's ticks), by file name.
    """

    sides: Sides
    shift_ns: int = 0
    side: str = "auto"
    tsc_mhz: float | None = None
    unmapped: dict[str, int] = field(default_factory=dict)
    kernels: dict[str, str] = field(default_factory=dict)
    clock_offsets: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Format:
    """A trace format: its name, its sniffing rank and test, and how its files are read."""

    name: str
    rank: int
    sniff: Callable[[Path, bytes], bool]
    read: Callable[[Path, Reading], Iterator[Draft]] | None = None
    read_together: Callable[[Sequence[tuple[Path, Reading]]], Iterator[Draft]] | None = None
    load: Callable[[Path, tuple[str, ...]], tuple[Header, Iterator[Event]]] | None = None


_REGISTERED: dict[str, Format] = {}


def register(fmt: Format) -> Format:
    """Make ``fmt`` known to ``vtrace import`` (a name registers once)."""
    if fmt.name in _REGISTERED and _REGISTERED[fmt.name] is not fmt:
        raise ValueError(f"two trace formats named {fmt.name!r}")
    _REGISTERED[fmt.name] = fmt
    return fmt


def formats() -> dict[str, Format]:
    """Every format of every module of ``vtrace.sources``, in the order they are sniffed."""
    package = importlib.import_module("vtrace.sources")
    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"vtrace.sources.{module.name}")
    return {fmt.name: fmt for fmt in sorted(_REGISTERED.values(), key=lambda f: f.rank)}


def detect(path: Path) -> Format:
    """The first format, by rank, that takes ``path``."""
    head = b""
    if path.is_file():
        with open(path, "rb") as handle:
            head = handle.read(HEAD_BYTES)
    for fmt in formats().values():
        if fmt.sniff(path, head):
            return fmt
    raise TraceError(f"{path}: no trace format vtrace reads")


def head_lines(head: bytes) -> list[str]:
    """The complete lines of a file's first bytes, with text, comments left out."""
    lines = head.decode("latin-1").split("\n")
    if len(head) == HEAD_BYTES:
        lines.pop()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
