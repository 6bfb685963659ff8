"""ftrace text as tracefs and ``trace-cmd report`` print it, one ``TraceLine`` per record.

Shapes read (``<head>`` is ``comm-tid [cpu] flags ts:``, flags optional, an
optional ``(tgid)`` before the CPU):

- function tracer: ``<head> func <-parent`` (``trace-cmd report``: ``function: func <-- parent``)
- tracepoints: ``<head> name: fields``; system calls ``sys_X(a: v, ...)`` and ``sys_X -> 0xR``
- trace_marker: ``<head> tracing_mark_write: text`` (``trace-cmd report``: ``print: ...``)
- uprobes: ``<head> name: (0xADDR) a=1``, return probes ``name: (0xRET <- 0xFUNC) r=1``
  (a return probe's ``__return`` suffix is dropped: it names the probed function)
- function_graph: ``[ts |] cpu) [comm-tid |] [duration us] |  func() {`` / ``func();`` / ``}``

A comm may hold spaces and dashes: the thread id is the last ``-digits`` before
`` [``. Timestamps are integers (a counter clock such as x86-tsc) or seconds
with decimals; either way ``ts`` is the integer the clock counts, nanoseconds
for the seconds form (with a counter clock tracefs prints counter/10^9 as
seconds, so the same integer comes back). Lines are read one at a time and
nothing is kept but the function_graph call stack of each CPU, bounded in depth.
"""

from __future__ import annotations

import enum
import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from vtrace.sources import TraceSyntaxError

__all__ = ["LineKind", "Shape", "TraceLine", "fields", "parse", "read", "to_ticks"]


class LineKind(str, enum.Enum):
    FUNCTION = "function"  # the function tracer saw ``name`` called from ``parent``
    ENTRY = "entry"  # function_graph: ``name() {``
    EXIT = "exit"  # function_graph: ``}``, ``name`` from the call stack when it is known
    LEAF = "leaf"  # function_graph: ``name();``, entered and left
    EVENT = "event"  # a tracepoint; ``body`` holds its fields
    PRINT = "print"  # a trace_marker write; ``body`` is the text
    PROBE = "probe"  # a uprobe or kprobe hit; ``parent`` is the address
    PROBE_RETURN = "probe-return"  # a return probe; ``parent`` is the function's address
    SYSCALL = "syscall"  # a system call's entry; ``body`` holds its arguments
    SYSCALL_RETURN = "syscall-return"  # a system call's exit; ``body`` is the return value


@dataclass(frozen=True, slots=True, eq=False)
class Shape:
    """What a record says but its number and time. Lines that differ only in those share one
    ``Shape`` (most of a trace: the same function from the same caller on the same thread),
    so a consumer can work a shape out once and find it again by identity."""

    comm: str
    tid: int
    cpu: int
    kind: LineKind
    name: str
    parent: str  # the caller (function tracer), the probed address, or ""
    body: str  # fields, marker text, probe arguments, or a function_graph duration in µs


class TraceLine(NamedTuple):
    """One record of a trace; ``tid`` is -1 and ``ts`` None where the line does not say."""

    number: int
    ts: int | None
    shape: Shape

    @property
    def comm(self) -> str:
        return self.shape.comm

    @property
    def tid(self) -> int:
        return self.shape.tid

    @property
    def cpu(self) -> int:
        return self.shape.cpu

    @property
    def kind(self) -> LineKind:
        return self.shape.kind

    @property
    def name(self) -> str:
        return self.shape.name

    @property
    def parent(self) -> str:
        return self.shape.parent

    @property
    def body(self) -> str:
        return self.shape.body


_HEAD = re.compile(
    r"\s*(.*?)-(\d+)\s+(?:\(\s*[-\d]+\)\s+)?\[(\d+)\]\s+(?:\S{4,5}\s+)?(\d+)(?:\.(\d+))?:\s+")
_GRAPH = re.compile(
    r"\s*(?:(\d+)\.(\d+)\s*\|\s*)?(\d+)\)\s*(?:(.*?)-(\d+)\s*\|)?\s*"
    r"(?:[-+!#*@$]\s*)?(?:([\d.]+) us\s*)?\|\s*(.*?)\s*$")
_PROBE = re.compile(r"\((0x[0-9a-f]+)(?: <- (0x[0-9a-f]+))?\)\s*(.*)$")
_FIELD = re.compile(r"(\w+)=('[^']*'|\"[^\"]*\"|\S*)")
_GRAPH_CALL = re.compile(r"([\w.]+)(?: \[\w+\])?\(\)\s*([{;])$")
_GRAPH_EXIT = re.compile(r"\}(?:\s*/\*\s*([\w.]+)\s*\*/)?$")
#: Lines of a trace that carry no record: banners, lost-event notes, trace-cmd's preamble.
_CHATTER = re.compile(
    r"(?:#|CPU:?\s*\d+ \[LOST|cpus=\d+$|version = |-{10,}|=+>|<=+|\d+\)[^|]*=>[^|]*$)")
_MAX_DEPTH = 256  # deeper function_graph nesting than any kernel stack allows
_TABLE_LIMIT = 2048  # record shapes kept for reuse
_UNSEEN = Shape("", 0, 0, LineKind.EVENT, "", "", "")  # a pair of body and head not met
_BLOCK = 1 << 18  # characters read at a time


def to_ticks(whole: str, fraction: str | None) -> int:
    """The integer a clock counts: ``1000`` stays 1000, ``1.5`` seconds is 1500000000 ns."""
    if fraction is None:
        return int(whole)
    return int(whole) * 1_000_000_000 + int(fraction.ljust(9, "0")[:9])


def fields(body: str) -> dict[str, str]:
    """``k=v`` pairs of a tracepoint or probe body; quotes around a value are dropped."""
    found = {}
    for key, value in _FIELD.findall(body):
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        found[key] = value
    return found


def read(path: str | Path) -> Iterator[TraceLine]:
    """The records of a trace file (any bytes decode: ``char`` probe arguments may be NUL).

    Lines end at ``\\n`` alone: a ``\\r`` or another control byte that a probe's
    ``char`` argument printed stays inside its line. The file opens at the first
    record asked for and closes after the last.
    """
    return parse(itertools.chain.from_iterable(_blocks(path)), str(path))


def _blocks(path: str | Path) -> Iterator[list[str]]:
    """The lines of the file a block at a time, without their ``\\n``."""
    with open(path, encoding="latin-1", newline="") as handle:
        rest = ""
        while block := handle.read(_BLOCK):
            lines = (rest + block).split("\n")
            rest = lines.pop()
            yield lines
    if rest:
        yield [rest]


def parse(lines: Iterable[str], path: str = "<trace>") -> Iterator[TraceLine]:
    """The records of ``lines``; a line of no known shape raises ``TraceSyntaxError``.

    The common tracefs line (flags present, no tgid column) costs two string
    splits and two look-ups: what follows the timestamp (the record's body) and
    what comes before it (task, CPU and flags) repeat from line to line, so a
    record's fields but its number and time are worked out once per pair and
    kept in a bounded table. ``_HEAD`` and ``_GRAPH`` stay for the rarer shapes.
    """
    stacks: dict[int, list[str]] = {}
    last: dict[str, tuple[str, Shape | None]] = {}  # body -> the head last met with it
    known: dict[tuple[str, str], Shape | None] = {}  # (head, body) -> its shape
    recall = last.get
    new = tuple.__new__
    for number, raw in enumerate(lines, start=1):
        head, colon, body = raw.partition(": ")
        if colon:
            lead, _, stamp = head.rpartition(" ")
            ts: int | None
            try:
                ts = int(stamp)
            except ValueError:
                ts = _seconds(stamp)
            if ts is not None:
                met = recall(body)
                if met is not None and met[0] == lead:
                    rest = met[1]
                else:
                    rest = known.get((lead, body), _UNSEEN)
                    if rest is _UNSEEN:
                        where = _task_cpu(lead)
                        text = body.rstrip("\r\n")
                        found = _tail(text, number, path) if where is not None else None
                        if where is not None and found is None:
                            yield _graph_event(number, *where, ts, text, stacks, path)
                            continue
                        if len(known) >= _TABLE_LIMIT:
                            known.clear()
                        rest = known[lead, body] = None if where is None or found is None \
                            else Shape(*(where + found))
                    if len(last) >= _TABLE_LIMIT:
                        last.clear()
                    last[body] = (lead, rest)
                if rest is not None:
                    yield new(TraceLine, (number, ts, rest))
                    continue
        line = raw.rstrip("\r\n")
        match = _HEAD.match(line)
        if match is not None:
            comm, tid, cpu, whole, fraction = match.groups()
            text = line[match.end():]
            ts = to_ticks(whole, fraction)
            found = _tail(text, number, path)
            if found is None:
                yield _graph_event(number, comm, int(tid), int(cpu), ts, text, stacks, path)
            else:
                yield TraceLine(number, ts, Shape(comm, int(tid), int(cpu), *found))
            continue
        stripped = line.strip()
        if not stripped or _CHATTER.match(stripped):
            continue
        graph = _GRAPH.match(line)
        if graph is None:
            raise TraceSyntaxError(path, number, f"not an ftrace line: {_shown(line)}")
        record = _graph(number, graph, stacks, path)
        if record is not None:
            yield record


def _task_cpu(lead: str) -> tuple[str, int, int] | None:
    """(comm, tid, cpu) of a head's ``comm-tid [cpu] flags``, or None for another shape."""
    parts = lead.rsplit(None, 2)
    if len(parts) != 3:
        return None
    task, cpu, flags = parts
    comm, dash, tid = task.lstrip().rpartition("-")
    if (dash and cpu[0] == "[" and cpu[-1] == "]" and 4 <= len(flags) <= 5
            and tid.isdigit() and cpu[1:-1].isdigit()):
        return comm, int(tid), int(cpu[1:-1])
    return None


def _seconds(stamp: str) -> int | None:
    """The ticks of a ``seconds.fraction`` timestamp, or None for another shape."""
    whole, dot, fraction = stamp.partition(".")
    if dot and whole.isdigit() and fraction.isdigit():
        return to_ticks(whole, fraction)
    return None


def _tail(body: str, number: int, path: str) -> tuple[LineKind, str, str, str] | None:
    """(kind, name, parent, body) of the record whose text after the head is ``body``; None
    for a function_graph event, whose record depends on the call stack."""
    first, _, rest = body.lstrip().partition(" ")
    if rest[:1] == " ":
        rest = rest.lstrip()
    if first.endswith(":") and "(" not in first:
        name = first[:-1]
        if name.startswith("funcgraph_"):
            return None
        if name == "function":
            called, _, parent = rest.partition(" <-")
            return LineKind.FUNCTION, called.strip(), parent.lstrip("- "), ""
        if name in ("tracing_mark_write", "print"):
            return LineKind.PRINT, "tracing_mark_write", "", _marker_text(rest)
        probe = _PROBE.match(rest) if rest.startswith("(0x") else None
        if probe is not None:
            address, function, arguments = probe.groups()
            name = name.rpartition("/")[2]
            if function is None:
                return LineKind.PROBE, name, address, arguments
            return LineKind.PROBE_RETURN, name.removesuffix("__return"), function, arguments
        return LineKind.EVENT, name, "", rest
    if rest.startswith("<-"):
        return LineKind.FUNCTION, first, rest[2:].lstrip("- "), ""
    if rest.startswith("-> "):
        return LineKind.SYSCALL_RETURN, first, "", rest[3:]
    call = body.find("(")
    if call > 0 and body.endswith(")") and " " not in body[:call]:
        return LineKind.SYSCALL, body[:call], "", body[call + 1:-1]
    raise TraceSyntaxError(path, number, f"no event, function or system call in {_shown(body)}")


def _marker_text(rest: str) -> str:
    """The written text of a marker, without trace-cmd's ``tracing_mark_write:`` or ``(ip)``."""
    if rest.startswith("tracing_mark_write:"):
        return rest[len("tracing_mark_write:"):].strip()
    if rest.startswith("(") and ")" in rest:
        return rest[rest.index(")") + 1:].strip()
    return rest


def _graph(number: int, match: re.Match[str], stacks: dict[int, list[str]],
           path: str) -> TraceLine | None:
    """A tracefs function_graph line (None for its context-switch and interrupt markers)."""
    whole, fraction, cpu, comm, tid, duration, call = match.groups()
    ts = None if whole is None else to_ticks(whole, fraction)
    return _graph_call(number, comm or "", int(tid) if tid else -1, int(cpu), ts,
                       duration or "", call, stacks, path)


def _graph_event(number: int, comm: str, tid: int, cpu: int, ts: int, body: str,
                 stacks: dict[int, list[str]], path: str) -> TraceLine:
    """``trace-cmd report``'s ``funcgraph_entry:`` and ``funcgraph_exit:`` lines."""
    first, _, rest = body.lstrip().partition(" ")
    name = first[:-1]
    duration, bar, call = rest.lstrip().partition("|")
    if not bar:
        raise TraceSyntaxError(path, number, f"a {name} line without '|': {_shown(rest)}")
    record = _graph_call(number, comm, tid, cpu, ts, duration.replace("us", "").strip(" +!#*@$"),
                         call.strip(), stacks, path)
    if record is None:
        raise TraceSyntaxError(path, number, f"no call in {name} line: {_shown(rest)}")
    return record


def _graph_call(number: int, comm: str, tid: int, cpu: int, ts: int | None, duration: str,
                call: str, stacks: dict[int, list[str]], path: str) -> TraceLine | None:
    stack = stacks.setdefault(cpu, [])
    entered = _GRAPH_CALL.match(call)
    if entered is not None:
        name, opening = entered.groups()
        if opening == "{":
            if len(stack) < _MAX_DEPTH:
                stack.append(name)
            return TraceLine(number, ts, Shape(comm, tid, cpu, LineKind.ENTRY, name, "", duration))
        return TraceLine(number, ts, Shape(comm, tid, cpu, LineKind.LEAF, name, "", duration))
    left = _GRAPH_EXIT.match(call)
    if left is not None:
        name = left.group(1) or (stack.pop() if stack else "")
        if left.group(1) and stack and stack[-1] == name:
            stack.pop()
        return TraceLine(number, ts, Shape(comm, tid, cpu, LineKind.EXIT, name, "", duration))
    if "=>" in call or not call:
        return None
    raise TraceSyntaxError(path, number, f"not a function_graph call: {_shown(call)}")


def _shown(text: str, limit: int = 80) -> str:
    """``text`` quoted for a message, cut to ``limit`` characters."""
    return repr(text if len(text) <= limit else text[:limit] + "...")
