"""Parsed trace records into vtrace events: kinds, places, threads, frames and time.

Each parser's records first become ``Draft``s on one clock (nanoseconds, any
origin); ``numbered`` then gives a time-ordered run of drafts their ``seq``,
their time from the first event, their frame and the lifeline each message
comes from. A frame is told by the datagram: a marker's ``seq=N`` or a probe's
``seqch`` digit names it, and every later event belongs to the last frame named
(completions arrive after the sender's ``end`` marker, so they stay with their
frame until the next one begins).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, NamedTuple

from vtrace.model import Event, Kind, Layer, Place, Source
from vtrace.sources.ftrace import LineKind, Shape, TraceLine, fields
from vtrace.sources.places import Placer, guest_actor, host_actor, qemu_actor
from vtrace.sources.qemu_log import LogLine, arguments

__all__ = ["NO_FRAME", "OTHER_PACKET", "Draft", "Sides", "from_ftrace", "from_qemu_log",
           "numbered", "thread_of"]

NO_FRAME = -1  # a draft's label for an event that belongs to no frame (a context switch)
OTHER_PACKET = -2  # a label for a packet that is no datagram of the run (an ARP): no frame
#                    for it and for what follows, until a frame is named again

_KINDS = {
    LineKind.FUNCTION: Kind.CALL, LineKind.ENTRY: Kind.CALL, LineKind.LEAF: Kind.CALL,
    LineKind.EXIT: Kind.RETURN, LineKind.EVENT: Kind.NOTE, LineKind.PRINT: Kind.NOTE,
    LineKind.PROBE: Kind.CALL, LineKind.PROBE_RETURN: Kind.RETURN,
    LineKind.SYSCALL: Kind.CALL, LineKind.SYSCALL_RETURN: Kind.RETURN,
}
_SEQ = re.compile(r"\bseq=(\d+)")
#: Events that are about a thread, not about any datagram.
_FRAMELESS = frozenset({"sched_switch", "sched_wakeup", "sched_waking"})
#: Uprobe arguments that hold the frame's bytes, eight at a time, little-endian: b0, b1, ...
_BYTES = re.compile(r"b(\d+)$")
_GUEST_LAYERS = (Layer.GUEST_KERNEL, Layer.VRING)
_SHAPES_KEPT = 1024  # drafts without a time kept for reuse


class Draft(NamedTuple):
    """An event before numbering; ``label`` is the frame it names itself, if any."""

    t_ns: int
    label: int | None
    place: Place
    kind: Kind
    thread: str
    source: Source
    detail: Mapping[str, Any]


class Sides(NamedTuple):
    """The placers of one capture: the guest's Linux, QEMU, the host's Linux, the app."""

    guest: Placer
    qemu: Placer
    host: Placer
    app: Placer

    @classmethod
    def reported(cls, guest: str | None, qemu: str | None, host: str | None) -> Sides:
        """Placers for the versions the systems reported (None: outside the catalog)."""
        return cls(Placer("linux", guest, guest_actor, _GUEST_LAYERS),
                   Placer("qemu", qemu, qemu_actor),
                   Placer("linux", host, host_actor, (Layer.HOST_KERNEL,)),
                   Placer("app", None, lambda _: "app"))


def thread_of(comm: str, tid: int | None = None) -> str:
    """vtrace's thread name for a host thread: QEMU's vCPU and main loop as replays call them."""
    if comm.startswith("CPU ") and "/" in comm:
        return "vcpu" + comm[4:comm.index("/")]
    if comm.startswith("qemu-system"):
        return "qemu-main"
    return comm or f"tid {tid}"


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


def numbered(drafts: Iterable[Draft]) -> Iterator[Event]:
    """Events of time-ordered ``drafts``: seq from 0, time from the first, frames filled in."""
    origin: int | None = None
    frame: int | None = None
    last_actor: dict[str, str] = {}
    for seq, draft in enumerate(drafts):
        if origin is None:
            origin = draft.t_ns
        if draft.label is not None and draft.label != NO_FRAME:
            frame = None if draft.label == OTHER_PACKET else draft.label
        actor = draft.place.actor
        src = last_actor.get(draft.thread, actor)
        last_actor[draft.thread] = actor
        yield Event(seq, None if draft.label == NO_FRAME else frame, draft.place, draft.kind,
                    src, actor, draft.t_ns - origin, draft.detail, draft.thread, draft.source)
