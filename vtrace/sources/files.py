"""Trace files taken anywhere, into one event stream: what ``vtrace import`` reads.

Each file's format is named or told from its first bytes by the formats the
modules of ``vtrace.sources`` register (``registry``). Several files are merged
on time, each shifted by its own offset, e.g. a guest's and a host's trace; a
whole capture (a directory ``vtrace lab --save`` wrote) is imported on its own.
The streams are merged as they are read, so a file of a million lines takes no
more memory than a short one.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from vtrace import __version__
from vtrace.model import Event, Header, Source
from vtrace.sources import TraceError, lab
from vtrace.sources.convert import Draft, Sides, numbered
from vtrace.sources.registry import Format, Reading, detect, formats

__all__ = ["SIDES", "Imported", "Versions", "format_names", "open_traces"]

SIDES = ("auto", "guest", "host")
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Versions:
    """The versions the traced systems ran, as they report them (None: not known)."""

    guest: str | None = None
    qemu: str | None = None
    host: str | None = None


def format_names() -> tuple[str, ...]:
    """``auto`` and every registered format's name."""
    return ("auto", *formats())


@dataclass(slots=True)
class Imported:
    """What reading the files found out besides the events (filled in as they are read)."""

    unmapped: dict[str, int] = field(default_factory=dict)  # record name -> how often
    kernels: dict[str, str] = field(default_factory=dict)  # file name -> the kernel it names
    clock_offsets: dict[str, int] = field(default_factory=dict)  # file name -> guest offset


def open_traces(paths: Sequence[Path], fmt: str = "auto", offsets_ns: Sequence[int] = (),
                sides: Sequence[str] = (), versions: Versions = Versions(),
                tsc_mhz: float | None = None, argv: tuple[str, ...] = (),
                imported: Imported | None = None) -> tuple[Header, Iterator[Event]]:
    """The header and the events of ``paths`` merged on time.

    ``offsets_ns[i]`` shifts file i (missing ones: 0); ``sides[i]`` says whether
    an ftrace file is the guest's or the host's (``auto``: the host's when it
    holds uprobe lines). Integer ftrace timestamps count ``tsc_mhz`` MHz, or
    nanoseconds when it is None. ``imported`` collects what the readers report.
    """
    if not paths:
        raise TraceError("no trace file given")
    known = formats()
    if fmt != "auto" and fmt not in known:
        raise TraceError(f"no trace format {fmt!r}")
    chosen = [detect(path) if fmt == "auto" else known[fmt] for path in paths]
    for item in chosen:
        if item.load is not None:
            if len(paths) > 1:
                raise TraceError(f"a {item.name} capture is imported on its own, not with "
                                 "other files")
            return item.load(paths[0], argv)
    for path in paths:
        if not path.is_file():
            raise TraceError(f"{path}: no such file")
    report = imported if imported is not None else Imported()
    placers = Sides.reported(versions.guest, versions.qemu, versions.host)
    groups: dict[str, list[tuple[Path, Reading]]] = {}
    for index, (path, item) in enumerate(zip(paths, chosen, strict=True)):
        groups.setdefault(item.name, []).append(
            (path, Reading(placers, _at(offsets_ns, index, 0), _at(sides, index, "auto"),
                           tsc_mhz, report.unmapped, report.kernels, report.clock_offsets)))
    streams = [stream for name, files in groups.items()
               for stream in _read(known[name], files)]
    merged = heapq.merge(*streams, key=lambda draft: draft.t_ns)
    era = lab.era_of(placers.guest.version, placers.qemu.version)
    params: dict[str, Any] = {"files": [path.name for path in paths],
                              "formats": [item.name for item in chosen],
                              "offsets_ns": [_at(offsets_ns, index, 0)
                                             for index in range(len(paths))]}
    if report.kernels:
        params["kernels"] = dict(report.kernels)
    if report.clock_offsets:
        params["clock_offsets"] = dict(report.clock_offsets)
    if era is not None:
        params["era"] = era
    return Header(__version__, "trace", params, 0, argv, Source.TRACE), numbered(merged)


def _read(fmt: Format, files: Sequence[tuple[Path, Reading]]) -> list[Iterator[Draft]]:
    """The streams of a format's files: one for all where it reads them together."""
    if fmt.read_together is not None and len(files) > 1:
        return [fmt.read_together(files)]
    if fmt.read is None:
        raise TraceError(f"{files[0][0]}: a {fmt.name} capture is imported on its own")
    read = fmt.read
    return [read(path, reading) for path, reading in files]


def _at(values: Sequence[T], index: int, default: T) -> T:
    return values[index] if index < len(values) else default
