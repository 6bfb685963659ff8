"""``trace-cmd record`` files (``.dat``), read through Debian's ``trace-cmd report``.

``trace-cmd report`` prints a ``.dat`` as ftrace text (``ftrace`` parses it);
vtrace does not decode the binary format itself. The kernel a file was
recorded on (its ``UNAME`` option, shown by ``trace-cmd dump --options``)
places its functions when no ``--linux-version`` is given. Several ``.dat``
files are reported by one ``trace-cmd report -i A -i B``, which merges them
on time and applies the clock offsets a ``trace-cmd record -A`` / ``agent``
session stored in the guest's file (its ``TimeShift`` option, whose first
offset the header keeps in ``clock_offsets``); each line then starts with
its file's name. A file is the guest's when it carries a ``TimeShift``
option or its records name the virtio driver (``start_xmit``, ``vp_notify``,
...), the host's when it lists guests (``GUEST``) or names no driver;
``--side`` overrides.
"""

from __future__ import annotations

import heapq
import itertools
import re
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path

from vtrace.sources import TraceError, ftrace
from vtrace.sources.convert import Draft, Sides
from vtrace.sources.ftrace import LineKind, TraceLine, from_ftrace
from vtrace.sources.places import guest_actor
from vtrace.sources.registry import Format, Reading, register

__all__ = ["FORMAT", "MAGIC", "TraceCmdMissing", "report_command"]

MAGIC = b"\x17\x08\x44tracing"
PACKAGE = "trace-cmd"
_UNAME = re.compile(r"^Linux \S+ (\S+) ", re.MULTILINE)
_TIME_SHIFT = re.compile(r"\[Option TimeShift")
_OFFSET = re.compile(r"^\s*(-?\d+) -?\d+ \d+ \d+\s*\[offset", re.MULTILINE)
_GUEST_LIST = re.compile(r"\[Option GUEST")
_PEEK = 400  # records a file's side is told from
_GUEST_ACTORS = ("virtio_net", "vring")


class TraceCmdMissing(RuntimeError):
    """``trace-cmd`` is not installed: the environment cannot read the file."""


def report_command(paths: Sequence[Path]) -> list[str]:
    """``trace-cmd report``'s argv for ``paths``, merged on one clock when there are several."""
    return [_binary(), "report", *itertools.chain.from_iterable(("-i", str(p)) for p in paths)]


def _binary() -> str:
    found = shutil.which("trace-cmd")
    if found is None:
        raise TraceCmdMissing(f"reading a trace-cmd .dat file needs trace-cmd report: "
                              f"apt-get install {PACKAGE}")
    return found


def _options(path: Path) -> str:
    done = subprocess.run([_binary(), "dump", "--options", "-i", str(path)],
                          capture_output=True, text=True, errors="replace", check=False)
    if done.returncode != 0:
        raise TraceError(f"{path}: trace-cmd cannot read it: {_last_line(done.stderr)}")
    return done.stdout


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "no reason given"


def _report(paths: Sequence[Path]) -> Iterator[str]:
    """The lines ``trace-cmd report`` prints, without their ``\\n``, as it prints them."""
    with subprocess.Popen(report_command(paths), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, encoding="latin-1") as child:
        out, err = child.stdout, child.stderr
        if out is None or err is None:
            raise TraceError(f"{paths[0]}: trace-cmd report printed nothing")
        for line in out:
            yield line.rstrip("\n")
        problem = err.read()
    if child.returncode != 0:
        raise TraceError(f"{paths[0]}: trace-cmd report failed: {_last_line(problem)}")


def _is_guest(records: Sequence[TraceLine]) -> bool:
    return any(record.kind in (LineKind.FUNCTION, LineKind.ENTRY, LineKind.LEAF)
               and guest_actor(record.name) in _GUEST_ACTORS for record in records)


def _placers(path: Path, reading: Reading) -> tuple[Sides, str]:
    """The placers for a file (its own kernel's version where none was given) and the side its
    options say it is (``auto`` where they do not): a guest's file carries the clock offsets
    to its host's (the first goes to ``Reading.clock_offsets``), a host's names its guests."""
    options = _options(path)
    side = "auto"
    if _TIME_SHIFT.search(options):
        side = "guest"
        offset = _OFFSET.search(options)
        if offset is not None:
            reading.clock_offsets[path.name] = int(offset.group(1))
    elif _GUEST_LIST.search(options):
        side = "host"
    sides = reading.sides
    uname = _UNAME.search(options)
    if uname is not None:
        reading.kernels[path.name] = uname.group(1)
        if sides.guest.version is None:
            sides = Sides.reported(uname.group(1), sides.qemu.version, uname.group(1))
    return sides, side


def _drafts(records: Iterator[TraceLine], side: str, said: str, sides: Sides,
            reading: Reading) -> Iterator[Draft]:
    head = list(itertools.islice(records, _PEEK))
    if side == "auto":
        side = said if said != "auto" else "guest" if _is_guest(head) else "host"
    shift = reading.shift_ns
    return from_ftrace(itertools.chain(head, records), sides, guest=side == "guest",
                       clock=lambda ts: ts + shift)


def _read(path: Path, reading: Reading) -> Iterator[Draft]:
    sides, said = _placers(path, reading)
    return _drafts(ftrace.parse(_report([path]), str(path)), reading.side, said, sides,
                   reading)


def _read_together(files: Sequence[tuple[Path, Reading]]) -> Iterator[Draft]:
    """One ``trace-cmd report`` of every file, split back by the name each line starts with
    (the lines are held until the report ends: the files are merged on one clock first)."""
    paths = [path for path, _ in files]
    if len({path.name for path in paths}) < len(paths):
        raise TraceError(f"trace-cmd report tells merged files apart by name: give "
                         f"{', '.join(str(path) for path in paths)} different names")
    placed = [_placers(path, reading) for path, reading in files]
    width = max(len(path.name) for path in paths)
    streams: dict[str, list[str]] = {path.name: [] for path in paths}
    for line in _report(paths):
        name, colon, rest = line.lstrip().partition(": ")
        if colon and name in streams and len(line) - len(line.lstrip()) <= width:
            streams[name].append(rest)
    return heapq.merge(*(_drafts(ftrace.parse(streams[path.name], str(path)), reading.side,
                                 said, sides, reading)
                         for (path, reading), (sides, said) in zip(files, placed, strict=True)),
                       key=lambda draft: draft.t_ns)


FORMAT = register(Format("trace-cmd", 20, lambda path, head: head.startswith(MAGIC),
                         read=_read, read_together=_read_together))
