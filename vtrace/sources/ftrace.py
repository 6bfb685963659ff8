"""ftrace text as tracefs and ``trace-cmd report`` print it, one ``TraceLine`` per record.

Shapes read (``<head>`` is ``comm-tid [cpu] flags ts:``, flags optional, an
optional ``(tgid)`` before the CPU):

- function tracer: ``<head> func <-parent`` (``trace-cmd report``: ``function: func <-- parent``)
- tracepoints: ``<head> name: fields``; system calls ``sys_X(a: v, ...)`` and ``sys_X -> 0xR``
- trace_marker: ``<head> tracing_mark_write: text`` (``trace-cmd report``: ``print: ...``)
- uprobes: ``<head> name: (0xADDR) a=1``, return probes ``name: (0xRET <- 0xFUNC) r=1``
  (a return probe's ``__return`` suffix is dropped: it names the probed function)
- function_graph: ``[ts |] cpu) [comm-tid |] [duration us] |  func() {`` / ``func();`` / ``}``;
  a tracepoint, system call or marker that fires meanwhile is a comment in the call column,
  ``/* sys_write(fd: 4, ...) */``, ``/* net_dev_xmit: dev=eth0 ... */``, and a marker's
  comment is its bare text (``/* app write() begin seq=1 */``); each is kept as that event
- lost records: ``CPU:1 [LOST 344 EVENTS]`` (``trace-cmd report``: ``[344 EVENTS DROPPED]``,
  or ``[EVENTS DROPPED]`` when it does not know how many),
  a ``LOST`` record at the time of the record before it
- ignored: ``#`` lines (the header, ``##### CPU 1 buffer started ####``), function_graph's
  context-switch banners (``1) init-1 => udpsend-98``), ``trace-cmd report``'s ``cpus=2``
  and ``CPU 1 is empty``

A comm may hold spaces and dashes: the thread id is the last ``-digits`` before
`` [``. Timestamps are integers (a counter clock such as x86-tsc) or seconds
with decimals; either way ``ts`` is the integer the clock counts, nanoseconds
for the seconds form (with a counter clock tracefs prints counter/10^9 as
seconds, so the same integer comes back). Lines are read one at a time and
nothing is kept but the function_graph call stack of each CPU, bounded in depth.

``from_ftrace`` turns the records into drafts (kinds, places, frames, threads), and
the module registers the ``ftrace`` format, the one tried last.
"""

from __future__ import annotations

import enum
import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from vtrace.model import Kind, Source
from vtrace.sources import TraceSyntaxError
from vtrace.sources.convert import NO_FRAME, OTHER_PACKET, Draft, Sides, thread_of
from vtrace.sources.registry import Format, Reading, register

__all__ = ["FORMAT", "LineKind", "Shape", "TraceLine", "fields", "from_ftrace", "parse", "read",
           "to_ticks"]


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
    LOST = "lost"  # the ring buffer dropped ``body`` records of CPU ``cpu`` here


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
    r"(?:#|cpus=\d+$|CPU \d+ is empty$|version = |-{10,}|=+>|<=+|\d+\)[^|]*=>[^|]*$)")
_KINDS = {
    LineKind.FUNCTION: Kind.CALL, LineKind.ENTRY: Kind.CALL, LineKind.LEAF: Kind.CALL,
    LineKind.EXIT: Kind.RETURN, LineKind.EVENT: Kind.NOTE, LineKind.PRINT: Kind.NOTE,
    LineKind.PROBE: Kind.CALL, LineKind.PROBE_RETURN: Kind.RETURN,
    LineKind.SYSCALL: Kind.CALL, LineKind.SYSCALL_RETURN: Kind.RETURN, LineKind.LOST: Kind.NOTE,
}
_SEQ = re.compile(r"\bseq=(\d+)")
#: Events that are about a thread, not about any datagram.
_FRAMELESS = frozenset({"sched_switch", "sched_wakeup", "sched_waking"})
#: Uprobe arguments that hold the frame's bytes, eight at a time, little-endian: b0, b1, ...
_BYTES = re.compile(r"b(\d+)$")
_SHAPES_KEPT = 1024  # drafts without a time kept for reuse
_PEEK = 200  # records a file's side is told from
_LOST = re.compile(r"CPU:?\s*(\d+) \[(?:LOST (\d+) EVENTS|(\d+)? ?EVENTS DROPPED)\]")
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
        lost = _LOST.match(stripped)
        if lost is not None:
            cpu_text, lost_count, dropped = lost.groups()
            yield TraceLine(number, None, Shape("", -1, int(cpu_text), LineKind.LOST,
                                                "lost_events", "", lost_count or dropped or ""))
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
            return LineKind.PRINT, "tracing_mark_write", "", _marker_text(name, rest)
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


def _marker_text(event: str, rest: str) -> str:
    """The written text of a marker. ``trace-cmd report``'s ``print:`` puts the writer's
    address first, as a symbol (``tracing_mark_write:``, or the nearest symbol it knows), an
    address (``0xffffffff811c36bd:``) or ``(ip)``; tracefs prints the text alone."""
    if rest.startswith("(") and ")" in rest:
        return rest[rest.index(")") + 1:].strip()
    where, colon, text = rest.partition(": ")
    if colon and (event == "print" or where == "tracing_mark_write") and " " not in where:
        return text.strip()
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
    if call.startswith("/*") and call.endswith("*/"):
        return TraceLine(number, ts, Shape(comm, tid, cpu, *_comment(call[2:-2].strip())))
    if "=>" in call or not call:
        return None
    raise TraceSyntaxError(path, number, f"not a function_graph call: {_shown(call)}")


def _comment(text: str) -> tuple[LineKind, str, str, str]:
    """(kind, name, parent, body) of an event function_graph printed as a comment: a
    tracepoint or a system call by its shape, any other text a marker's."""
    try:
        found = _tail(text, 0, "")
    except TraceSyntaxError:
        found = None
    return found or (LineKind.PRINT, "tracing_mark_write", "", text)


def _shown(text: str, limit: int = 80) -> str:
    """``text`` quoted for a message, cut to ``limit`` characters."""
    return repr(text if len(text) <= limit else text[:limit] + "...")


def from_ftrace(records: Iterable[TraceLine], sides: Sides, *, guest: bool,
                clock: Callable[[int], int]) -> Iterator[Draft]:
    """Drafts of a guest's (``guest``) or the host's ftrace records; ``clock`` maps ts to ns.

    A function_graph line without a time takes the time of the line before it.
    Records of one ``Shape`` (they differ only in number and time) make drafts
    that share everything else, the ``detail`` mapping included, worked out once.
    """
    last_ns = 0
    made: dict[Shape, tuple[Any, ...]] = {}
    new = tuple.__new__
    for _, ts, shape in records:
        if ts is not None:
            last_ns = clock(ts)
        rest = made.get(shape)
        if rest is None:
            if len(made) >= _SHAPES_KEPT:
                made.clear()
            rest = made[shape] = _draft(shape, sides, guest)
        yield new(Draft, (last_ns,) + rest)


def _draft(record: Shape, sides: Sides, guest: bool) -> tuple[Any, ...]:
    """A draft of a record without its time: (label, place, kind, thread, source, detail)."""
    kind = record.kind
    detail: dict[str, Any] = {"comm": record.comm, "tid": record.tid, "cpu": record.cpu}
    label: int | None = None
    if kind is LineKind.PRINT:
        detail["text"] = record.body
        seq = _SEQ.search(record.body)
        label = int(seq.group(1)) if seq else (NO_FRAME if "calib" in record.body else None)
        place, known = (sides.app.place(_marker_step(record.body)) if guest
                        else sides.host.place("trace_marker", "host-stack"))
        source = Source.GUEST_FTRACE if guest else Source.HOST_TRACEPOINT
    elif kind in (LineKind.PROBE, LineKind.PROBE_RETURN):
        args = fields(record.body)
        detail.update(args, address=record.parent)
        label = _seqch(args)
        frame = _frame_bytes(args)
        if frame:
            detail["frame_hex"] = frame.hex()
        place, known = sides.qemu.place(record.name)
        source = Source.HOST_UPROBE
    else:
        if kind in (LineKind.EVENT, LineKind.SYSCALL):
            detail["fields"] = record.body
        elif kind is LineKind.SYSCALL_RETURN:
            detail["ret"] = record.body
        elif kind is LineKind.LOST:
            if record.body:
                detail["lost"] = int(record.body)
            label = NO_FRAME
        elif kind is LineKind.FUNCTION and record.parent:
            detail["parent"] = record.parent
        elif record.body:
            detail["duration_us"] = record.body
        if record.name in _FRAMELESS:
            label = NO_FRAME
        place, known = (sides.guest if guest else sides.host).place(record.name)
        source = Source.GUEST_FTRACE if guest else Source.HOST_TRACEPOINT
    if not known:
        detail["in_catalog"] = False
    thread = f"vcpu{record.cpu}" if guest else thread_of(record.comm, record.tid)
    return label, place, _KINDS[kind], thread, source, detail


def _marker_step(text: str) -> str:
    """The application's step a marker stands for: ``app write() begin seq=1`` -> ``write``."""
    words = text.split()
    if len(words) >= 2 and words[0] == "app" and words[1].endswith("()"):
        return words[1][:-2]
    return "trace_marker"


def _seqch(args: Mapping[str, str]) -> int | None:
    """The frame a probe's ``seqch`` (the seq digit of the payload) names."""
    if "seqch" not in args:
        return None
    digit = args["seqch"]
    return int(digit) if len(digit) == 1 and digit.isdigit() else OTHER_PACKET


def _frame_bytes(args: Mapping[str, str]) -> bytes:
    """The frame bytes a probe fetched as ``b0=0x..``, ``b1=0x..`` (u64 words), if any."""
    words = sorted((int(match.group(1)), value) for key, value in args.items()
                   if (match := _BYTES.match(key)))
    try:
        return b"".join(int(value, 16).to_bytes(8, "little") for _, value in words)
    except ValueError:
        return b""


def _read(path: Path, reading: Reading) -> Iterator[Draft]:
    """Drafts of a guest's or the host's trace file, the side told from its first records
    where it is ``auto`` (the host's holds uprobe lines)."""
    records: Iterator[TraceLine] = read(path)
    side = reading.side
    if side == "auto":
        head = list(itertools.islice(records, _PEEK))
        side = "host" if any(record.kind in (LineKind.PROBE, LineKind.PROBE_RETURN)
                             for record in head) else "guest"
        records = itertools.chain(head, records)
    scale = 1000.0 / reading.tsc_mhz if reading.tsc_mhz else 1.0
    shift = reading.shift_ns
    return from_ftrace(records, reading.sides, guest=side == "guest",
                       clock=lambda ts: round(ts * scale) + shift)


#: Any text is tried as ftrace last: a line of no known shape is then refused with its number.
FORMAT = register(Format("ftrace", 90, lambda path, head: path.is_file(), read=_read))
