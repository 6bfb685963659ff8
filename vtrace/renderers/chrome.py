"""Chrome Trace Event format (``.json``), for Perfetto (ui.perfetto.dev) and chrome://tracing.

Each layer is a process and each actor a thread in it, ordered as the
diagrams draw them, so every lifeline is a track. Every call is one
complete event (``"ph": "X"``) on its actor's track at its modelled time;
it lasts until the next event of the same execution context (``thread``
of the event: ``vcpu0``, ``qemu-main``), but no longer than 1.5 times the
catalog's modelled cost, so a context's idle wait is not drawn as work
(the replay's jitter is well inside that). Writes to shared memory, notes
and the VM entry are instant events (``"ph": "i"``).

Flow events link the hops of one frame: whenever a frame's next call is on
another track, a ``"s"``/``"f"`` pair with its own id joins the two slices,
so selecting a slice in Perfetto shows the arrows of that frame's path.
Only the last slice of the newest 4,096 frames is remembered for that, so
memory stays flat however long the stream.

The output is written as it streams; ``otherData`` carries the header.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import IO, Any, NamedTuple

from vtrace.catalog import CATALOG
from vtrace.model import ACTOR_LAYER, ACTORS, Event, Kind, Layer, Place
from vtrace.renderers.base import Renderer, register
from vtrace.renderers.describe import location, why
from vtrace.renderers.diagram_text import layer_title, message_label, note_text
from vtrace.renderers.escape import clean
from vtrace.session import Session

__all__ = ["ChromeTraceRenderer"]

IDLE_FACTOR = 1.5
FRAMES_REMEMBERED = 4096
PLACES_REMEMBERED = 4096  # a replay has a few hundred; a bound for a hostile file

_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_LAYERS = tuple(Layer)
_OTHER_PID = len(_LAYERS) + 1


def _safe(value: Any) -> Any:
    """``value`` with every string cleaned, so a hostile file cannot make invalid UTF-8."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, Mapping):
        return {clean(str(key)): _safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_safe(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None  # JSON has no NaN or Infinity
    return value


class _PlaceText(NamedTuple):
    name: str
    where: str
    why: str
    longest_ns: int | None  # the longest a slice of the step is drawn


def _micros(t_ns: int) -> float:
    return t_ns / 1000


class _Trace:
    """Streams trace events to ``out``, remembering only what durations and flows need."""

    def __init__(self, out: IO[Any], lang: str) -> None:
        self.write, self.lang = out.write, lang
        self.first = True
        self.tracks: dict[str, tuple[int, int]] = {}
        self.open: dict[str, tuple[Event, int, int]] = {}  # context -> call awaiting its end
        self.last_slice: dict[int, tuple[int, int, float]] = {}  # frame -> (pid, tid, ts)
        self.hops = 0
        self.places: dict[Place, _PlaceText] = {}
        for actor in ACTORS:
            self.track(actor)

    def emit(self, record: Mapping[str, Any]) -> None:
        self.write(("" if self.first else ",\n") + _ENCODER.encode(record))
        self.first = False

    def track(self, actor: str) -> tuple[int, int]:
        """(pid, tid) of ``actor``'s track, announcing its process and thread names once."""
        known = self.tracks.get(actor)
        if known:
            return known
        layer = ACTOR_LAYER.get(actor)
        pid = _LAYERS.index(layer) + 1 if layer else _OTHER_PID
        tid = len(self.tracks) + 1
        if all(other_pid != pid for other_pid, _ in self.tracks.values()):
            self.emit({"name": "process_name", "ph": "M", "pid": pid, "tid": 0,
                       "args": {"name": layer_title(layer, self.lang)}})
            self.emit({"name": "process_sort_index", "ph": "M", "pid": pid, "tid": 0,
                       "args": {"sort_index": pid}})
        self.emit({"name": "thread_name", "ph": "M", "pid": pid, "tid": tid,
                   "args": {"name": clean(actor)}})
        self.emit({"name": "thread_sort_index", "ph": "M", "pid": pid, "tid": tid,
                   "args": {"sort_index": tid}})
        self.tracks[actor] = (pid, tid)
        return pid, tid

    def event(self, event: Event) -> None:
        pending = self.open.pop(event.thread, None)
        if pending is not None:
            self.slice(*pending, end_ns=event.t_ns)
        pid, tid = self.track(event.dst)
        if event.kind is Kind.CALL:
            self.open[event.thread] = (event, pid, tid)
            self.flow(event, pid, tid)
            return
        name = message_label(event, self.lang) if event.kind is not Kind.NOTE else \
            note_text(event, self.lang) or event.function
        self.emit({"name": clean(name), "cat": event.phase.value, "ph": "i", "s": "t",
                   "ts": _micros(event.t_ns), "pid": pid, "tid": tid,
                   "args": self.args(event)})

    def text_of(self, event: Event) -> _PlaceText:
        """What a place always says, worked out once per place rather than per event."""
        text = self.places.get(event.place)
        if text is None:
            if len(self.places) >= PLACES_REMEMBERED:
                self.places.clear()
            step = CATALOG.get(event.step)
            text = self.places[event.place] = _PlaceText(
                clean(event.function), clean(location(event, self.lang)), why(event, self.lang),
                round(step.cost_ns * IDLE_FACTOR) if step else None)
        return text

    def slice(self, event: Event, pid: int, tid: int, end_ns: int | None) -> None:
        text = self.text_of(event)
        longest = text.longest_ns
        duration = end_ns - event.t_ns if end_ns is not None else longest or 0
        if longest is not None:
            duration = min(duration, longest)
        self.emit({"name": text.name, "cat": event.phase.value, "ph": "X",
                   "ts": _micros(event.t_ns), "dur": _micros(max(duration, 0)), "pid": pid,
                   "tid": tid, "args": self.args(event)})

    def flow(self, event: Event, pid: int, tid: int) -> None:
        frame = event.frame
        if frame is None:
            return
        ts = _micros(event.t_ns)
        before = self.last_slice.pop(frame, None)
        if before is not None and before[:2] != (pid, tid):
            self.hops += 1
            name = f"frame {frame}"
            self.emit({"name": name, "cat": "frame", "ph": "s", "id": self.hops,
                       "pid": before[0], "tid": before[1], "ts": before[2]})
            self.emit({"name": name, "cat": "frame", "ph": "f", "bp": "e", "id": self.hops,
                       "pid": pid, "tid": tid, "ts": ts})
        self.last_slice[frame] = (pid, tid, ts)
        if len(self.last_slice) > FRAMES_REMEMBERED:
            del self.last_slice[next(iter(self.last_slice))]

    def args(self, event: Event) -> dict[str, Any]:
        text = self.text_of(event)
        return {"seq": event.seq, "frame": event.frame, "where": text.where, "why": text.why,
                "thread": clean(event.thread), "detail": _safe(event.detail)}

    def finish(self) -> None:
        for pending in list(self.open.values()):
            self.slice(*pending, end_ns=None)
        self.open.clear()


@register
class ChromeTraceRenderer(Renderer):
    name = "chrome"
    formats = ("json",)
    description = "Chrome Trace Event JSON for Perfetto and chrome://tracing"

    def __init__(self, *, lang: str = "en") -> None:
        self.lang = lang

    def render(self, session: Session, out: IO[Any]) -> None:
        header = session.header
        out.write('{"traceEvents":[\n')
        trace = _Trace(out, self.lang)
        for event in session.events():
            trace.event(event)
        trace.finish()
        other = _safe({"vtrace": header.vtrace_version, "scenario": header.scenario,
                       "params": dict(header.params), "seed": header.seed,
                       "argv": list(header.argv), "source": header.source.value})
        out.write('\n],\n"displayTimeUnit":"ns",\n"otherData":' + _ENCODER.encode(other) + "}\n")
