"""Trace files taken anywhere, into one event stream: what ``vtrace import`` reads.

Each file is ftrace text or a QEMU trace log (told from its first lines when
the format is ``auto``), or a directory ``vtrace lab --save`` wrote. Several
files are merged on time, each shifted by its own offset, e.g. a guest's and
a host's trace. The streams are merged as they are read, so a file of a
million lines takes no more memory than a short one.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from vtrace import __version__
from vtrace.model import Event, Header, Source
from vtrace.sources import TraceError, TraceSyntaxError, ftrace, lab, qemu_log
from vtrace.sources.convert import Draft, Sides, from_ftrace, from_qemu_log, numbered
from vtrace.sources.ftrace import LineKind, TraceLine

__all__ = ["FORMATS", "SIDES", "Versions", "detect", "open_traces"]

FORMATS = ("auto", "ftrace", "qemu-log", "lab")
SIDES = ("auto", "guest", "host")
_PEEK = 200  # records an ftrace file's side is told from
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Versions:
    """The versions the traced systems ran, as they report them (None: not known)."""

    guest: str | None = None
    qemu: str | None = None
    host: str | None = None


def detect(path: Path) -> str:
    """``lab`` for a capture directory, else ``qemu-log`` or ``ftrace`` by the first record."""
    if path.is_dir():
        return "lab"
    with open(path, encoding="latin-1", newline="") as handle:
        for line in itertools.islice(handle, 50):
            text = line.strip()
            if text and not text.startswith("#"):
                return "qemu-log" if _is_qemu_log(text) else "ftrace"
    return "ftrace"


def _is_qemu_log(text: str) -> bool:
    try:
        record = next(qemu_log.parse([text]))
    except TraceSyntaxError:
        return False
    if record.tid is not None:
        return True
    try:
        next(ftrace.parse([text]), None)
    except TraceSyntaxError:
        return True
    return False


def open_traces(paths: Sequence[Path], fmt: str = "auto", offsets_ns: Sequence[int] = (),
                sides: Sequence[str] = (), versions: Versions = Versions(),
                tsc_mhz: float | None = None,
                argv: tuple[str, ...] = ()) -> tuple[Header, Iterator[Event]]:
    """The header and the events of ``paths`` merged on time.

    ``offsets_ns[i]`` shifts file i (missing ones: 0); ``sides[i]`` says whether
    an ftrace file is the guest's or the host's (``auto``: the host's when it
    holds uprobe lines). Integer ftrace timestamps count ``tsc_mhz`` MHz, or
    nanoseconds when it is None.
    """
    if not paths:
        raise TraceError("no trace file given")
    formats = [detect(path) if fmt == "auto" else fmt for path in paths]
    if "lab" in formats:
        if len(paths) > 1:
            raise TraceError("a lab directory is imported on its own, not with other files")
        return lab.load(paths[0], argv)
    for path in paths:
        if not path.is_file():
            raise TraceError(f"{path}: no such file")
    placers = Sides.reported(versions.guest, versions.qemu, versions.host)
    streams = [_drafts(path, kind, placers, _at(offsets_ns, index, 0),
                       _at(sides, index, "auto"), tsc_mhz)
               for index, (path, kind) in enumerate(zip(paths, formats, strict=True))]
    merged = heapq.merge(*streams, key=lambda draft: draft.t_ns)
    era = lab.era_of(placers.guest.version, placers.qemu.version)
    params: dict[str, Any] = {"files": [path.name for path in paths],
                                 "formats": formats,
                                 "offsets_ns": [_at(offsets_ns, index, 0)
                                                for index in range(len(paths))]}
    if era is not None:
        params["era"] = era
    return Header(__version__, "trace", params, 0, argv, Source.TRACE), numbered(merged)


def _at(values: Sequence[T], index: int, default: T) -> T:
    return values[index] if index < len(values) else default


def _drafts(path: Path, kind: str, placers: Sides, shift: int, side: str,
            tsc_mhz: float | None) -> Iterator[Draft]:
    if kind == "qemu-log":
        return from_qemu_log(qemu_log.read(path), placers, clock=lambda ns: ns + shift)
    records: Iterator[TraceLine] = ftrace.read(path)
    if side == "auto":
        head = list(itertools.islice(records, _PEEK))
        side = "host" if any(record.kind in (LineKind.PROBE, LineKind.PROBE_RETURN)
                             for record in head) else "guest"
        records = itertools.chain(head, records)
    scale = 1000.0 / tsc_mhz if tsc_mhz else 1.0
    return from_ftrace(records, placers, guest=side == "guest",
                       clock=lambda ts: round(ts * scale) + shift)
