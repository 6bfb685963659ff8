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
so selecting a slice in Perfetto or DevTools shows the arrows of that frame's
path. Chrome DevTools binds a flow event to a slice only when their ``ts``,
``pid``, ``tid`` and ``cat`` are all equal, so every event has the one
category ``vtrace`` and the phase (``app``, ``xmit``, ...) rides in ``args``.
Only the last slice of the newest 4,096 frames is remembered for that, so
memory stays flat however long the stream.

The output is written as it streams, kept no larger than the JSON Lines
recording of the same run: one line per event without spaces, short ``args``
keys (``ph`` phase, ``at`` file:line and version, ``ctx`` execution context,
``d`` the step's detail when it has any), and what a place always says (why
the step happens) once, in ``otherData.why`` keyed by ``at``, rather than on
every slice. ``otherData`` also carries the header.
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
#: The one category of every event, so DevTools binds each flow to its slices.
CATEGORY = "vtrace"


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


#: JSON of the strings met (cleaned), so each name, key or word is encoded once.
_STRINGS: dict[str, str] = {}


def _string_json(text: str) -> str:
    known = _STRINGS.get(text)
    if known is None:
        if len(_STRINGS) >= PLACES_REMEMBERED:
            _STRINGS.clear()
        known = _STRINGS[text] = _ENCODER.encode(clean(text))
    return known


def _detail_json(detail: Mapping[Any, Any]) -> str:
    """``_ENCODER.encode(_safe(detail))``, written from cached strings for the usual small
    maps of numbers, flags, words and maps; anything else goes to the encoder."""
    parts = []
    for key, value in detail.items():
        kind = type(value)
        if type(key) is not str:
            return _ENCODER.encode(_safe(detail))
        if kind is int:
            text = str(value)
        elif kind is bool:
            text = "true" if value else "false"
        elif kind is str:
            text = _string_json(value)
        elif value is None:
            text = "null"
        elif kind is dict:
            text = _detail_json(value)
        else:
            return _ENCODER.encode(_safe(detail))
        parts.append(_string_json(key) + ":" + text)
    return "{" + ",".join(parts) + "}"


class _PlaceText(NamedTuple):
    name: str  # as JSON
    where: str
    why: str
    longest_ns: int | None  # the longest a slice of the step is drawn
    fixed_args: str  # the JSON of the args every event of the place has: phase and where


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
        self.why: dict[str, str] = {}  # at -> why, for otherData
        for actor in ACTORS:
            self.track(actor)

    def emit(self, record: Mapping[str, Any]) -> None:
        self.raw(_ENCODER.encode(record))

    def raw(self, record_json: str) -> None:
        self.write(("" if self.first else ",\n") + record_json)
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
        self.raw(f'{{"name":{_ENCODER.encode(clean(name))},"cat":"{CATEGORY}","ph":"i",'
                 f'"s":"t","ts":{_micros(event.t_ns)!r},"pid":{pid},"tid":{tid},'
                 f'"args":{self.args(event, self.text_of(event))}}}')

    def text_of(self, event: Event) -> _PlaceText:
        """What a place always says, worked out once per place rather than per event."""
        text = self.places.get(event.place)
        if text is None:
            if len(self.places) >= PLACES_REMEMBERED:
                self.places.clear()
            step = CATALOG.get(event.step)
            where = clean(location(event, self.lang))
            text = self.places[event.place] = _PlaceText(
                _string_json(event.function), where, why(event, self.lang),
                round(step.cost_ns * IDLE_FACTOR) if step else None,
                f'"ph":"{event.phase.value}","at":{_ENCODER.encode(where)}')
            if text.why and len(self.why) < PLACES_REMEMBERED:
                self.why.setdefault(text.where, text.why)
        return text

    def slice(self, event: Event, pid: int, tid: int, end_ns: int | None) -> None:
        text = self.text_of(event)
        longest = text.longest_ns
        duration = end_ns - event.t_ns if end_ns is not None else longest or 0
        if longest is not None:
            duration = min(duration, longest)
        self.raw(f'{{"name":{text.name},"cat":"{CATEGORY}","ph":"X","ts":{_micros(event.t_ns)!r},'
                 f'"dur":{_micros(max(duration, 0))!r},"pid":{pid},"tid":{tid},'
                 f'"args":{self.args(event, text)}}}')

    def flow(self, event: Event, pid: int, tid: int) -> None:
        frame = event.frame
        if frame is None:
            return
        ts = _micros(event.t_ns)
        before = self.last_slice.pop(frame, None)
        if before is not None and before[:2] != (pid, tid):
            self.hops += 1
            name = f"frame {frame}"
            self.raw(f'{{"name":"{name}","cat":"{CATEGORY}","ph":"s","id":{self.hops},'
                     f'"pid":{before[0]},"tid":{before[1]},"ts":{before[2]!r}}}')
            self.raw(f'{{"name":"{name}","cat":"{CATEGORY}","ph":"f","bp":"e","id":{self.hops},'
                     f'"pid":{pid},"tid":{tid},"ts":{ts!r}}}')
        self.last_slice[frame] = (pid, tid, ts)
        if len(self.last_slice) > FRAMES_REMEMBERED:
            del self.last_slice[next(iter(self.last_slice))]

    def args(self, event: Event, text: _PlaceText) -> str:
        """The event's ``args`` as JSON."""
        frame = "" if event.frame is None else f',"frame":{event.frame}'
        detail = f',"d":{_detail_json(event.detail)}' if event.detail else ""
        return (f'{{"seq":{event.seq},{text.fixed_args},"ctx":{_string_json(event.thread)}'
                f'{frame}{detail}}}')

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
                       "argv": list(header.argv), "source": header.source.value,
                       "why": trace.why})
        out.write('\n],\n"displayTimeUnit":"ns",\n"otherData":' + _ENCODER.encode(other) + "}\n")
