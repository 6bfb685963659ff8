"""QEMU's ``-trace`` log backend: ``event args``, or ``TID@SEC.USEC:event args`` with
``-msg timestamp=on``.

The arguments are the event's format string filled in, most often ``name value``
pairs (``vq 0x55d1 count 1``), sometimes ``name=value``; ``arguments`` reads
both. Lines that are not trace events (a warning QEMU wrote to the same log)
have no event name and are refused with their line number. ``from_qemu_log``
turns the events into drafts, and the module registers the ``qemu-log`` format.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from vtrace.model import Kind, Source
from vtrace.sources import TraceSyntaxError, ftrace
from vtrace.sources.convert import Draft, Sides, thread_of
from vtrace.sources.registry import Format, Reading, head_lines, register

__all__ = ["FORMAT", "LogLine", "arguments", "from_qemu_log", "parse", "read"]


class LogLine(NamedTuple):
    """One trace event; ``tid`` and ``time_ns`` (wall clock) are None without timestamps."""

    number: int
    tid: int | None
    time_ns: int | None
    event: str
    args: str


_TIMED = re.compile(r"(\d+)@(\d+)\.(\d{1,9}):(\w+)(?: (.*))?$")
_UNTIMED = re.compile(r"([a-z_][a-z0-9_]*)(?: (.*))?$")
_PAIR = re.compile(r"(\w+)(?:=| )(\S+)")


def arguments(args: str) -> dict[str, str]:
    """The ``name value`` or ``name=value`` pairs of an event's arguments."""
    return dict(_PAIR.findall(args))


def read(path: str | Path) -> Iterator[LogLine]:
    with open(path, encoding="latin-1", newline="") as handle:
        yield from parse(handle, str(path))


def parse(lines: Iterable[str], path: str = "<qemu log>") -> Iterator[LogLine]:
    """The events of ``lines``; a line that is no trace event raises ``TraceSyntaxError``."""
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip("\r\n")
        if not line.strip():
            continue
        timed = _TIMED.match(line)
        if timed is not None:
            tid, seconds, micros, event, args = timed.groups()
            time_ns = int(seconds) * 1_000_000_000 + int(micros.ljust(6, "0")[:6]) * 1000
            yield LogLine(number, int(tid), time_ns, event, args or "")
            continue
        untimed = _UNTIMED.match(line)
        if untimed is None:
            raise TraceSyntaxError(path, number, f"not a QEMU trace event: {line[:80]!r}")
        event, args = untimed.groups()
        yield LogLine(number, None, None, event, args or "")


def from_qemu_log(records: Iterable[LogLine], sides: Sides, *,
                  clock: Callable[[int], int] | None = None,
                  threads: Mapping[int, str] | None = None) -> Iterator[Draft]:
    """Drafts of QEMU's own trace events; ``clock`` maps wall-clock ns to the common clock.

    An event without a timestamp takes the time of the one before it.
    """
    last_ns = 0
    names = threads or {}
    for record in records:
        if record.time_ns is not None:
            last_ns = clock(record.time_ns) if clock else record.time_ns
        place, known = sides.qemu.place(record.event)
        detail: dict[str, Any] = {**arguments(record.args), "trace_event": record.event}
        if not known:
            detail["in_catalog"] = False
        if record.tid is None:
            thread = "qemu"
        else:
            detail["tid"] = record.tid
            thread = thread_of(names.get(record.tid, ""), record.tid)
        yield Draft(last_ns, None, place, Kind.CALL, thread, Source.QEMU_LOG, detail)


def _sniff(path: Path, head: bytes) -> bool:
    """A QEMU log when its first record parses as one and not as ftrace (a timed record, with
    its thread id, is QEMU's whatever else it might be)."""
    lines = head_lines(head) if path.is_file() else []
    if not lines:
        return False
    try:
        record = next(parse(lines[:1]))
    except TraceSyntaxError:
        return False
    if record.tid is not None:
        return True
    try:
        next(ftrace.parse(lines[:1]), None)
    except TraceSyntaxError:
        return True
    return False


def _read(path: Path, reading: Reading) -> Iterator[Draft]:
    shift = reading.shift_ns
    return from_qemu_log(read(path), reading.sides, clock=lambda ns: ns + shift)


FORMAT = register(Format("qemu-log", 50, _sniff, read=_read))
