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
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

from vtrace.sources import TraceSyntaxError

__all__ = ["LineKind", "TraceLine", "fields", "parse", "read", "to_ticks"]


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


class TraceLine(NamedTuple):
    """One record of a trace; ``tid`` is -1 and ``ts`` None where the line does not say."""

    number: int
    comm: str
    tid: int
    cpu: int
    ts: int | None
    kind: LineKind
    name: str
    parent: str  # the caller (function tracer), the probed address, or ""
    body: str  # fields, marker text, probe arguments, or a function_graph duration in µs


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
    """The records of a trace file (any bytes decode: ``char`` probe arguments may be NUL)."""
    with open(path, encoding="latin-1", newline="") as handle:
        yield from parse(handle, str(path))


def parse(lines: Iterable[str], path: str = "<trace>") -> Iterator[TraceLine]:
    """The records of ``lines``; a line of no known shape raises ``TraceSyntaxError``.

    The common tracefs head (flags present, no tgid column) is read with string
    splitting, several times faster than ``_HEAD``, which stays for the rarer shapes.
    """
    stacks: dict[int, list[str]] = {}
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip("\r\n")
        head, colon, body = line.partition(": ")
        parts = head.rsplit(None, 3)
        if colon and len(parts) == 4:
            task, cpu, flags, stamp = parts
            comm, dash, tid = task.lstrip().rpartition("-")
            whole, dot, fraction = stamp.partition(".")
            if (dash and cpu[0] == "[" and cpu[-1] == "]" and 4 <= len(flags) <= 5
                    and tid.isdigit() and cpu[1:-1].isdigit() and whole.isdigit()
                    and (not dot or fraction.isdigit())):
                ts = to_ticks(whole, fraction) if dot else int(whole)
                yield _body(number, comm, int(tid), int(cpu[1:-1]), ts, body, stacks, path)
                continue
        match = _HEAD.match(line)
        if match is not None:
            comm, tid, cpu, whole, fraction = match.groups()
            yield _body(number, comm, int(tid), int(cpu), to_ticks(whole, fraction),
                        line[match.end():], stacks, path)
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


def _body(number: int, comm: str, tid: int, cpu: int, ts: int, body: str,
          stacks: dict[int, list[str]], path: str) -> TraceLine:
    """The record whose text after the head is ``body``."""
    first, _, rest = body.lstrip().partition(" ")
    if rest[:1] == " ":
        rest = rest.lstrip()
    if first.endswith(":") and "(" not in first:
        name = first[:-1]
        if name.startswith("funcgraph_"):
            return _graph_event(number, comm, tid, cpu, ts, name, rest, stacks, path)
        if name == "function":
            called, _, parent = rest.partition(" <-")
            return TraceLine(number, comm, tid, cpu, ts, LineKind.FUNCTION, called.strip(),
                             parent.lstrip("- "), "")
        if name in ("tracing_mark_write", "print"):
            return TraceLine(number, comm, tid, cpu, ts, LineKind.PRINT, "tracing_mark_write",
                             "", _marker_text(rest))
        probe = _PROBE.match(rest) if rest.startswith("(0x") else None
        if probe is not None:
            address, function, arguments = probe.groups()
            kind = LineKind.PROBE if function is None else LineKind.PROBE_RETURN
            name = name.rpartition("/")[2]
            if function is not None:
                name = name.removesuffix("__return")
            return TraceLine(number, comm, tid, cpu, ts, kind, name, function or address,
                             arguments)
        return TraceLine(number, comm, tid, cpu, ts, LineKind.EVENT, name, "", rest)
    if rest.startswith("<-"):
        return TraceLine(number, comm, tid, cpu, ts, LineKind.FUNCTION, first,
                         rest[2:].lstrip("- "), "")
    if rest.startswith("-> "):
        return TraceLine(number, comm, tid, cpu, ts, LineKind.SYSCALL_RETURN, first, "",
                         rest[3:])
    call = body.find("(")
    if call > 0 and body.endswith(")") and " " not in body[:call]:
        return TraceLine(number, comm, tid, cpu, ts, LineKind.SYSCALL, body[:call], "",
                         body[call + 1:-1])
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


def _graph_event(number: int, comm: str, tid: int, cpu: int, ts: int, name: str, rest: str,
                 stacks: dict[int, list[str]], path: str) -> TraceLine:
    """``trace-cmd report``'s ``funcgraph_entry:`` and ``funcgraph_exit:`` lines."""
    duration, bar, call = rest.partition("|")
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
            return TraceLine(number, comm, tid, cpu, ts, LineKind.ENTRY, name, "", duration)
        return TraceLine(number, comm, tid, cpu, ts, LineKind.LEAF, name, "", duration)
    left = _GRAPH_EXIT.match(call)
    if left is not None:
        name = left.group(1) or (stack.pop() if stack else "")
        if left.group(1) and stack and stack[-1] == name:
            stack.pop()
        return TraceLine(number, comm, tid, cpu, ts, LineKind.EXIT, name, "", duration)
    if "=>" in call or not call:
        return None
    raise TraceSyntaxError(path, number, f"not a function_graph call: {_shown(call)}")


def _shown(text: str, limit: int = 80) -> str:
    """``text`` quoted for a message, cut to ``limit`` characters."""
    return repr(text if len(text) <= limit else text[:limit] + "...")
