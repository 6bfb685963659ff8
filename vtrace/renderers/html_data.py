"""The event stream as the HTML player embeds it: small tables and five columns of numbers.

A stream of 10^4 frames has more than half a million events, so nothing is
written per event that can be shared. Events are described by tables built
as the stream goes by:

``places``   one row per distinct ``Place``, with its texts in every language
             (why, version note, lesson note, location) and its source link;
``shapes``   one row per distinct (place, kind, src, dst, thread, source);
``details``  every distinct ``detail``, in the order first seen;
``says``     every distinct set of words an event shows: the arrow's label,
             the decision sentence and the diagram's note, in every language, and
             what the event adds to each counter (as ``vtrace.tally`` counts).

Each event is then five integers, one per column of ``events``:

``s``  its shape;
``f``  its frame, relative to the newest frame so far: 0 for none, ``c >= 1``
       for ``newest + 2 - c`` (1 is a new frame, 2 the newest, 3 the one before),
       and ``-(frame + 1)`` for a jump of more than one frame ahead;
``t``  its ``t_ns`` minus the previous event's;
``d`` and ``w``  its detail and its words: 0 means "the next new row of the
       table", ``k > 0`` the row ``k - 1`` seen before.

Every sentence is worked out here, in Python, for every language; the page
only picks one. Every string is cleaned (``escape.clean``) so any file
becomes valid UTF-8; the page escapes ``<`` when it embeds the result.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

from vtrace.catalog import CATALOG
from vtrace.i18n import LANGS, step_lesson, step_note, step_text
from vtrace.model import ACTORS, Event, Header, Kind, Place
from vtrace.renderers.describe import decision, location
from vtrace.renderers.diagram_text import crossing, is_dashed, message_label, note_text
from vtrace.renderers.escape import clean
from vtrace.renderers.html_words import COUNTERS
from vtrace.tally import Tally

__all__ = ["DESCRIPTOR_ACTIONS", "KINDS", "Stream", "encode", "source_link"]

KINDS = tuple(kind.value for kind in Kind)
_KIND_INDEX = {kind: index for index, kind in enumerate(Kind)}
#: What a call that carries a descriptor ``head`` does to that descriptor, per step.
DESCRIPTOR_ACTIONS = {"virtqueue_add_split": "add", "virtqueue_add": "add",
                      "virtqueue_split_pop": "take", "virtqueue_pop": "take",
                      "virtqueue_push": "use", "virtqueue_get_buf": "free"}

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


def _counted(event: Event) -> dict[str, int]:
    """What the event adds to each counter, as ``vtrace.tally`` counts it."""
    tally = Tally()
    tally.add(event)
    return {name: getattr(tally, name) for name in COUNTERS if getattr(tally, name)}


def _texts(function: Any, event: Event) -> dict[str, str]:
    return {lang: clean(str(function(event, lang))) for lang in LANGS}


class Stream:
    """The tables and columns of one stream, filled by ``add``."""

    def __init__(self) -> None:
        self.places: list[dict[str, Any]] = []
        self.shapes: list[list[Any]] = []
        self.details: list[str] = []  # JSON text of each, ASCII only
        self.says: list[dict[str, Any]] = []
        self.actors = list(ACTORS)
        self.threads: list[str] = []
        self.sources: list[str] = []
        self.columns: dict[str, list[int]] = {"s": [], "f": [], "t": [], "d": [], "w": []}
        self._place_of: dict[int, int] = {}  # id(place): its row; places are shared objects
        self._places_seen: dict[Place, int] = {}
        self._shape_of: dict[tuple[Any, ...], int] = {}
        self._detail_of: dict[str, int] = {}
        self._say_of: dict[tuple[int, int], int] = {}
        self._says_seen: dict[tuple[object, ...], int] = {}
        self._keep: list[Place] = []  # keeps ids in _place_of from being reused
        self.newest = -1
        self.t_ns = 0

    def _index(self, names: list[str], name: str) -> int:
        try:
            return names.index(name)
        except ValueError:
            names.append(clean(name))
            return len(names) - 1

    def _place(self, event: Event) -> int:
        place = event.place
        row = self._place_of.get(id(place))
        if row is not None:
            return row
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
            "desc": DESCRIPTOR_ACTIONS.get(place.step),
            "link": clean(link[0]) if link else None, "near": bool(link and link[1]),
            "where": _texts(location, event),
            "why": {lang: clean(step_text(step, lang)) if step else "" for lang in LANGS},
            "note": {lang: clean(step_note(step, place.version, lang)) if step else ""
                     for lang in LANGS},
            "lesson": {lang: clean(step_lesson(step, lang)) if step else "" for lang in LANGS},
        }

    def _shape(self, event: Event) -> int:
        key = (self._place(event), event.kind, event.src, event.dst, event.thread,
               event.source)
        row = self._shape_of.get(key)
        if row is None:
            row = self._shape_of[key] = len(self.shapes)
            self.shapes.append([key[0], _KIND_INDEX[event.kind],
                                self._index(self.actors, event.src),
                                self._index(self.actors, event.dst),
                                self._index(self.threads, event.thread),
                                self._index(self.sources, event.source.value),
                                crossing(event) or "", int(is_dashed(event))])
        return row

    def _says(self, event: Event, shape: int, detail: int) -> int:
        key = (shape, detail)
        row = self._say_of.get(key)
        if row is None:
            words = {"label": _texts(message_label, event), "decision": _texts(decision, event),
                     "note": _texts(note_text, event)}
            count = _counted(event)
            flat = (*(text for texts in words.values() for text in texts.values()),
                    *count.items())
            row = self._says_seen.get(flat)
            if row is None:
                row = self._says_seen[flat] = len(self.says)
                said: dict[str, Any] = {name: [texts[lang] for lang in LANGS]
                                        for name, texts in words.items()}
                said["count"] = count
                self.says.append(said)
            self._say_of[key] = row
        return row

    def add(self, event: Event) -> None:
        columns = self.columns
        shape = self._shape(event)
        columns["s"].append(shape)
        frame = event.frame
        if frame is None:
            columns["f"].append(0)
        elif frame <= self.newest + 1:
            columns["f"].append(self.newest + 2 - frame)
        else:
            columns["f"].append(-(frame + 1))
        if frame is not None and frame > self.newest:
            self.newest = frame
        columns["t"].append(event.t_ns - self.t_ns)
        self.t_ns = event.t_ns
        text = _detail_text(event.detail) if event.detail else "{}"
        detail = self._detail_of.get(text)
        if detail is None:
            detail = self._detail_of[text] = len(self.details)
            self.details.append(text)
            columns["d"].append(0)
        else:
            columns["d"].append(detail + 1)
        says = len(self.says)
        row = self._says(event, shape, detail)
        columns["w"].append(0 if row == says else row + 1)


def _finite(value: Any) -> Any:
    """``value`` with NaN and infinities as None, which JSON cannot carry."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {str(key): _finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(item) for item in value]
    return value


def _detail_text(detail: Mapping[str, Any]) -> str:
    """``detail`` as JSON; ASCII only, so a lone surrogate from a hostile file is escaped."""
    try:
        return json.dumps(detail, separators=(",", ":"), default=str, allow_nan=False)
    except ValueError:
        return json.dumps(_finite(detail), separators=(",", ":"), default=str)


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
    """The JSON text of the stream, with ``extra`` (words, layout) beside it; ASCII-safe
    where a stream's own bytes go, and not yet escaped for HTML."""
    stream = Stream()
    add = stream.add
    for event in events:
        add(event)
    dump = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    parts = {
        "header": dump(_header(header)), "kinds": dump(KINDS), "actors": dump(stream.actors),
        "threads": dump(stream.threads), "sources": dump(stream.sources),
        "places": dump(stream.places), "shapes": dump(stream.shapes),
        "says": dump(stream.says), "details": "[" + ",".join(stream.details) + "]",
        "events": dump(stream.columns),
        **{name: dump(value) for name, value in extra.items()},
    }
    return "{" + ",".join(f"{json.dumps(name)}:{text}" for name, text in parts.items()) + "}"
