"""The event stream as the HTML player embeds it: small tables and three columns of numbers.

A stream of 10^4 frames has more than half a million events, so nothing is
written per event that can be shared. Events are described by tables built
as the stream goes by:

``places``   one row per distinct ``Place``, with its texts in every language
             (why, version note, lesson note, location) and its source link;
``shapes``   one row per distinct (place, kind, src, dst, thread, source);
``strings``  every distinct sentence or label;
``says``     one row per distinct set of words an event shows (the arrow's label,
             the decision, the diagram's note, as ``strings`` rows, one per language),
             with what it adds to each counter (a ``counts`` row, as ``vtrace.tally``
             counts) and the descriptor it carries (head, addr, len) or null;
``rings``    one row per distinct change of ``detail["ring"]``: each number as its
             difference from the value before (``[name, "+", 1]``), so the change of
             frame 9,999 is the change of frame 1; anything else as its value
             (``[name, "=", value]``); the ring starts at ``initial``;
``combos``   one row per distinct (shape, says, rings) triple.

Each event is then three integers, one per column of ``events``:

``c``  its combo: 0 means "the next new row of the table", ``k > 0`` the row ``k - 1``;
``f``  its frame, relative to the newest frame so far: 0 for none, ``c >= 1``
       for ``newest + 2 - c`` (1 is a new frame, 2 the newest, 3 the one before),
       and ``-(frame + 1)`` for a jump of more than one frame ahead;
``t``  its ``t_ns`` minus the previous event's.

Every sentence is worked out here, in Python, for every language; the page
only picks one. Every string is cleaned (``escape.clean``) so any file
becomes valid UTF-8; the page escapes ``<`` when it embeds the result.
"""

from __future__ import annotations

import gc
import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

from vtrace.catalog import CATALOG
from vtrace.i18n import LANGS, step_lesson, step_note, step_text
from vtrace.model import Event, Header, Kind, Place
from vtrace.renderers.base import count_param
from vtrace.renderers.describe import decision, location
from vtrace.renderers.diagram_text import crossing, is_dashed, message_label, note_text
from vtrace.renderers.escape import clean
from vtrace.renderers.folding import lifelines
from vtrace.renderers.html_words import RING_GROUPS
from vtrace.scenarios import Scenario, of
from vtrace.tally import Tally

__all__ = ["KINDS", "Stream", "encode", "source_link"]

KINDS = tuple(kind.value for kind in Kind)
_KIND_INDEX = {kind: index for index, kind in enumerate(Kind)}
RING_FIELDS = tuple(name for _, names in RING_GROUPS for name in names)
#: Tags of the source browsers, per project and version; ``near`` where vtrace's lines come
#: from a patched tree the browser does not have (docs/sources.md).
_LINUX_TAGS = {"4.19": "v4.19.108", "6.1": "v6.1.176", "7.2": "v7.2.8"}
_QEMU_TAGS = {"3.1": ("v3.1.0", False), "7.2": ("v7.2.0", True), "10.2": ("v10.2.2", False)}


def source_link(place: Place) -> tuple[str, bool] | None:
    """(URL of the function's line in a source browser, whether the line is only near), or
    None for a place no browser has."""
    if place.file is None or place.project not in ("linux", "qemu"):
        return None
    anchor = f"#L{place.line}" if place.line is not None else ""
    if place.project == "linux":
        tag = _LINUX_TAGS.get(place.version, f"v{place.version}")
        return f"https://elixir.bootlin.com/linux/{tag}/source/{place.file}{anchor}", False
    tag, near = _QEMU_TAGS.get(place.version, (f"v{place.version}.0", True))
    return f"https://gitlab.com/qemu-project/qemu/-/blob/{tag}/{place.file}{anchor}", near


def _texts(function: Any, event: Event) -> dict[str, str]:
    return {lang: clean(str(function(event, lang))) for lang in LANGS}


class Stream:
    """The tables and columns of one stream, filled by ``add``."""

    def __init__(self, queue_size: int, scenario: Scenario) -> None:
        self.scenario = scenario
        self._actions: Mapping[str, str] = scenario.ring.actions if scenario.ring else {}
        self.places: list[dict[str, Any]] = []
        self.shapes: list[list[Any]] = []
        self.strings: list[str] = [""]
        self.counts: list[dict[str, int]] = [{}]
        self.says: list[list[Any]] = []
        self.rings: list[list[list[Any]]] = [[]]
        self.combos: list[tuple[int, int, int]] = []
        self.actors: list[str] = []  # in the order they come; ``lifelines`` orders them
        self.threads: list[str] = []
        self.sources: list[str] = []
        self.initial: dict[str, Any] = {**{name: 0 for name in RING_FIELDS},
                                        "num_free": queue_size, "notification": 1}
        self.columns: dict[str, list[int]] = {"c": [], "f": [], "t": []}
        self._place_of: dict[int, int] = {}  # id(place): its row; places are shared objects
        self._places_seen: dict[Place, int] = {}
        self._shape_of: dict[tuple[Any, ...], int] = {}
        self._string_of: dict[str, int] = {"": 0}
        self._count_of: dict[tuple[tuple[str, int], ...], int] = {(): 0}
        self._say_of: dict[tuple[int, str], int] = {}
        self._says_seen: dict[tuple[Any, ...], int] = {}
        self._ring_of: dict[tuple[tuple[str, str, Any], ...], int] = {(): 0}
        self._combo_of: dict[tuple[int, int, int], int] = {}
        self._keep: list[Place] = []  # keeps ids in _place_of from being reused
        self._labels: dict[int, list[int]] = {}  # shape: its label's strings, when fixed
        self._tally = Tally(scenario.calls, scenario.notes)
        self._ring = dict(self.initial)
        self._ring_names: dict[Any, str] = {}
        self.newest = -1
        self.t_ns = 0

    def _index(self, names: list[str], name: str) -> int:
        name = clean(name)
        try:
            return names.index(name)
        except ValueError:
            names.append(name)
            return len(names) - 1

    def _place(self, event: Event) -> int:
        place = event.place
        row = self._places_seen.get(place)
        if row is None:
            row = len(self.places)
            self._places_seen[place] = row
            self.places.append(self._place_row(event))
        self._place_of[id(place)] = row
        self._keep.append(place)
        return row

    def _place_row(self, event: Event) -> dict[str, Any]:
        place, step = event.place, CATALOG.get(event.step)
        link = source_link(place)
        return {
            "step": clean(place.step), "function": clean(place.function),
            "file": clean(place.file) if place.file is not None else None,
            "line": place.line, "project": clean(place.project),
            "version": clean(place.version), "phase": place.phase.value,
            "layer": place.layer.value, "actor": clean(place.actor),
            "desc": self._actions.get(place.step),
            "link": clean(link[0]) if link else None, "near": bool(link and link[1]),
            "where": _texts(location, event),
            "why": {lang: clean(step_text(step, lang)) if step else "" for lang in LANGS},
            "note": {lang: clean(step_note(step, place.version, lang)) if step else ""
                     for lang in LANGS},
            "lesson": {lang: clean(step_lesson(step, lang)) if step else "" for lang in LANGS},
        }

    def shape_row(self, event: Event) -> int:
        place = self._place_of.get(id(event.place))
        if place is None:
            place = self._place(event)
        # Enum members are singletons; their ids hash faster than they do.
        key = (place, id(event.kind), event.src, event.dst, event.thread, id(event.source))
        row = self._shape_of.get(key)
        if row is None:
            row = self._shape_of[key] = len(self.shapes)
            self.shapes.append([place, _KIND_INDEX[event.kind],
                                self._index(self.actors, event.src),
                                self._index(self.actors, event.dst),
                                self._index(self.threads, event.thread),
                                self._index(self.sources, event.source.value),
                                crossing(event) or "", int(is_dashed(event))])
        return row

    def _string(self, text: str) -> int:
        row = self._string_of.get(text)
        if row is None:
            row = self._string_of[text] = len(self.strings)
            self.strings.append(text)
        return row

    def says_row(self, event: Event, shape: int, key: str) -> int:
        """The row of the event's words, counts and descriptor, found by its detail's text
        (``key``: the detail without ``ring``, which no sentence reads)."""
        row = self._say_of.get((shape, key))
        if row is not None:
            return row
        texts = self._texts(event, shape)
        counted = self._counted(event)
        count = self._count_of.get(counted)
        if count is None:
            count = self._count_of[counted] = len(self.counts)
            self.counts.append(dict(counted))
        detail = event.detail
        head = detail.get("head")
        descriptor = [head, _number(detail.get("addr")), _number(detail.get("len"))] \
            if type(head) is int else None
        content = (*texts, count, None if descriptor is None else tuple(descriptor))
        row = self._says_seen.get(content)
        if row is None:
            row = self._says_seen[content] = len(self.says)
            self.says.append([*texts, count, descriptor])
        self._say_of[(shape, key)] = row
        return row

    def _texts(self, event: Event, shape: int) -> list[int]:
        """The rows of the event's label, decision and note in ``strings``, one per language
        each (a label that reads no detail is worked out once per shape)."""
        labels = self._labels.get(shape) if event.kind is not Kind.STATE else None
        if labels is None:
            labels = [self._string(_clean(message_label(event, lang))) for lang in LANGS]
            if event.kind is not Kind.STATE:
                self._labels[shape] = labels
        decided = [decision(event, lang) for lang in LANGS]
        return [*labels, *(self._string(_clean(text)) for text in decided),
                *(self._string(_clean(note_text(event, lang, text)))
                  for lang, text in zip(LANGS, decided, strict=True))]

    def _counted(self, event: Event) -> tuple[tuple[str, int], ...]:
        """What the event adds to each of the scenario's counters, as ``vtrace.tally`` counts
        it: the difference it makes to one running tally."""
        counts = self._tally.counts
        before = dict(counts)
        self._tally.add(event)
        return tuple((name, count - before[name]) for name, count in counts.items()
                     if count != before[name])

    def ring_row(self, change: Any) -> int:
        """The row of a ``ring`` change: numbers as differences from the value before (so
        every frame's change looks alike), anything else as the value itself."""
        if not isinstance(change, Mapping):
            return 0
        now, parts = self._ring, []  # type: dict[str, Any], list[tuple[str, str, Any]]
        names = self._ring_names
        for name, value in change.items():
            before = now.get(name)
            now[name] = value
            spelled = names.get(name)
            if spelled is None:
                spelled = names[name] = clean(str(name))
            if type(value) is int and type(before) is int:
                parts.append((spelled, "+", value - before))
            else:
                parts.append((spelled, "=", _finite(value) if isinstance(
                    value, (int, float, bool)) or value is None else clean(str(value))))
        key = tuple(parts)
        row = self._ring_of.get(key)
        if row is None:
            row = self._ring_of[key] = len(self.rings)
            self.rings.append([list(part) for part in parts])
        return row

    def combo_row(self, shape: int, says: int, ring: int) -> int:
        key = (shape, says, ring)
        row = self._combo_of.get(key)
        if row is None:
            row = self._combo_of[key] = len(self.combos)
            self.combos.append(key)
        return row


def _clean(text: str) -> str:
    """``escape.clean``, skipped for the usual text that has nothing to replace."""
    return text if text.isprintable() else clean(text)


def _number(value: Any) -> Any:
    return value if type(value) in (int, float) and math.isfinite(value) else None


def _fill(stream: Stream, events: Iterable[Event]) -> None:
    """Add every event to ``stream``: the hot loop of a long stream, with locals only."""
    combos, frames, times = (stream.columns[name] for name in "cft")
    place_of, shape_of, say_of = stream._place_of, stream._shape_of, stream._say_of
    combo_of = stream._combo_of
    shape_for, says_for, ring_for, combo_for = (stream.shape_row, stream.says_row,
                                                stream.ring_row, stream.combo_row)
    plain: dict[int, int] = {}  # shape: its combo, for the events with no detail
    newest, t_ns = -1, 0
    for event in events:
        place = place_of.get(id(event.place))
        shape = None if place is None else shape_of.get(
            (place, id(event.kind), event.src, event.dst, event.thread, id(event.source)))
        if shape is None:
            shape = shape_for(event)
        detail = event.detail
        combo = plain.get(shape) if not detail else None
        if combo is None:
            ring = 0
            if not detail:
                key = ""
            elif "ring" in detail:
                key = repr([item for item in detail.items() if item[0] != "ring"])
                ring = ring_for(detail["ring"])
            else:
                key = repr(detail)
            says = say_of.get((shape, key))
            if says is None:
                says = says_for(event, shape, key)
            combo = combo_of.get((shape, says, ring))
            if combo is None:
                combo = combo_for(shape, says, ring)
                combos.append(0)
            else:
                combos.append(combo + 1)
            if not detail:
                plain[shape] = combo
        else:
            combos.append(combo + 1)
        frame = event.frame
        if frame is None:
            frames.append(0)
        elif frame <= newest + 1:
            frames.append(newest + 2 - frame)
            if frame > newest:
                newest = frame
        else:
            frames.append(-(frame + 1))
            newest = frame
        times.append(event.t_ns - t_ns)
        t_ns = event.t_ns


def _order_actors(stream: Stream) -> None:
    """The lifelines the stream uses, in the diagrams' order, and the shapes renumbered."""
    order = lifelines(stream.actors)
    moved = [order.index(actor) for actor in stream.actors]
    for shape in stream.shapes:
        shape[2], shape[3] = moved[shape[2]], moved[shape[3]]
    stream.actors = order


def _finite(value: Any) -> Any:
    """``value`` with NaN and infinities as None, which JSON cannot carry."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {str(key): _finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(item) for item in value]
    return value


def _header(header: Header) -> dict[str, Any]:
    def safe(value: Any) -> Any:
        if isinstance(value, Mapping):
            return {clean(str(key)): safe(item) for key, item in value.items()}
        if isinstance(value, (bool, int)) or value is None:
            return value
        return clean(str(value))

    return {"vtrace": clean(header.vtrace_version), "scenario": clean(header.scenario),
            "params": safe(header.params), "seed": header.seed, "source": header.source.value,
            "argv": [clean(arg) for arg in header.argv]}


def encode(header: Header, events: Iterable[Event], extra: Mapping[str, Any]) -> str:
    """The JSON text of the stream, with ``extra`` (words, layout) beside it; not yet escaped
    for HTML."""
    stream = Stream(count_param(header.params, "queue_size") or 0, of(header))
    # The tables only grow and hold no cycles: collections would only scan them again and
    # again, which takes a third of the time of a long stream.
    collecting = gc.isenabled()
    gc.disable()
    try:
        _fill(stream, events)
    finally:
        if collecting:
            gc.enable()
    _order_actors(stream)
    dump = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode
    parts = {
        "header": _header(header), "kinds": KINDS, "actors": stream.actors,
        "threads": stream.threads, "sources": stream.sources, "places": stream.places,
        "shapes": stream.shapes, "strings": stream.strings, "counts": stream.counts,
        "says": stream.says, "rings": stream.rings, "initial": stream.initial,
        "combos": stream.combos, "events": stream.columns, **extra,
    }
    return "{" + ",".join(f"{json.dumps(name)}:{dump(value)}" for name, value in parts.items()) \
        + "}"
