"""QEMU's ``-trace`` log backend: ``event args``, or ``TID@SEC.USEC:event args`` with
``-msg timestamp=on``.

The arguments are the event's format string filled in, most often ``name value``
pairs (``vq 0x55d1 count 1``), sometimes ``name=value``; ``arguments`` reads
both. Lines that are not trace events (a warning QEMU wrote to the same log)
have no event name and are refused with their line number.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

from vtrace.sources import TraceSyntaxError

__all__ = ["LogLine", "arguments", "parse", "read"]


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
