"""The tables of the HTML player's stream, and the rows of one event in them.

``html_data`` walks the events and asks here for the row of whatever it has
not seen before; everything here runs once per new row, not once per event.
An event with a detail has an *entry* per (shape, structure) (see
``html_numbers``): its words, as templates when its numbers fit them; its
ring change; whether its numbers are needed at all; whether it moves a
counter.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any, NamedTuple

from vtrace.catalog import CATALOG
from vtrace.i18n import LANGS, step_lesson, step_note, step_text
from vtrace.model import Event, Kind, Place
from vtrace.renderers.describe import decision, location
from vtrace.renderers.diagram_text import crossing, ends, is_dashed, message_label, note_text
from vtrace.renderers.escape import clean
from vtrace.renderers.html_numbers import Slot, fill, slotted
from vtrace.renderers.html_words import RING_GROUPS
from vtrace.scenarios import Scenario
from vtrace.tally import Tally

__all__ = ["LITERAL", "Entry", "Stream", "source_link"]

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


class Entry(NamedTuple):
    """The rows of every event of one shape and structure."""

    id: int
    says: int  # -1: the words are written in full, found by the detail's text
    ring: int
    numbered: bool  # whether the page needs the event's numbers
    counting: bool  # whether the event's step moves a counter


#: The entry of a structure whose words are written in full (or that cannot be hashed).
LITERAL = Entry(-1, -1, 0, False, True)


def _texts(function: Any, event: Event) -> dict[str, str]:
    return {lang: clean(str(function(event, lang))) for lang in LANGS}


def _clean(text: str) -> str:
    """``escape.clean``, skipped for the usual text that has nothing to replace."""
    return text if text.isprintable() else clean(text)


def _number(value: Any) -> Any:
    return value if type(value) in (int, float) and math.isfinite(value) else None


def _descriptor(detail: Mapping[str, Any]) -> tuple[list[Any] | None, list[int] | None]:
    """The descriptor an event carries, [head, addr, len], or None; and for a slotted
    detail, which of the event's numbers each field is (-1: the field's value is given)."""
    fields = (detail.get("head"), detail.get("addr"), detail.get("len"))
    if type(fields[0]) not in (int, Slot):
        return None, None
    # Any field may be slotted: a head too big for a JavaScript number is given as it is.
    if any(type(field) is Slot for field in fields):
        return ([None if type(field) is Slot else _number(field) for field in fields],
                [field.position if type(field) is Slot else -1 for field in fields])
    return [fields[0], _number(fields[1]), _number(fields[2])], None


class Stream:
    """The tables and columns of one stream, filled by ``html_data``."""

    def __init__(self, queue_size: int, scenario: Scenario) -> None:
        self._actions: Mapping[str, str] = scenario.ring.actions if scenario.ring else {}
        self.places: list[dict[str, Any]] = []
        self.shapes: list[list[Any]] = []
        self.strings: list[str] = [""]
        self.counts: list[dict[str, int]] = [{}]
        self.says: list[list[Any]] = []
        self.rings: list[list[list[Any]]] = [[]]
        self.nums: list[list[int]] = [[]]
        self.combos: list[tuple[int, int, int, int, int]] = []
        self.actors: list[str] = []  # in the order they come; ``lifelines`` orders them
        self.threads: list[str] = []
        self.sources: list[str] = []
        self.initial: dict[str, Any] = {**{name: 0 for name in RING_FIELDS},
                                        "num_free": queue_size, "notification": 1}
        self.columns: dict[str, list[int]] = {"c": [], "f": [], "t": []}
        self.place_of: dict[int, int] = {}  # id(place): its row; places are shared objects
        self.shape_of: dict[tuple[Any, ...], int] = {}  # by the ids of place, kind, source
        self.entry_of: dict[tuple[int, tuple[Any, ...]], Entry] = {}
        self.count_of: dict[tuple[int, tuple[int, ...]], int] = {}
        self.nums_of: dict[tuple[int, ...], int] = {(): 0}
        self.combo_of: dict[tuple[int, int, int, int, int], int] = {}
        self._places_seen: dict[Place, int] = {}
        self._shapes_seen: dict[tuple[Any, ...], int] = {}
        self._keep: list[Place] = []  # keeps ids in place_of from being reused
        self._string_of: dict[str, int] = {"": 0}
        self._literal_of: dict[tuple[int, str], tuple[int, int]] = {}
        self._counts_seen: dict[tuple[tuple[str, int], ...], int] = {(): 0}
        self._says_seen: dict[tuple[Any, ...], int] = {}
        self._rings_seen: dict[tuple[tuple[str, str, Any], ...], int] = {(): 0}
        self._labels: dict[int, list[str]] = {}  # shape: its labels, when they read no detail
        self._tally = Tally(scenario.calls, scenario.notes)
        self._tallied = frozenset((*scenario.calls, *scenario.notes))
        self._entries = 0

    # -- places, shapes, strings ------------------------------------------------------------

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
        self.place_of[id(place)] = row
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
        place = self.place_of.get(id(event.place))
        if place is None:
            place = self._place(event)
        key = (id(event.place), id(event.kind), event.src, event.dst, event.thread,
               id(event.source))
        same = (place, *key[1:])  # equal places of other ids share the row
        row = self._shapes_seen.get(same)
        if row is None:
            row = self._shapes_seen[same] = len(self.shapes)
            src, dst = ends(event, self.actors)
            self.shapes.append([place, _KIND_INDEX[event.kind],
                                self._index(self.actors, src),
                                self._index(self.actors, dst),
                                self._index(self.threads, event.thread),
                                self._index(self.sources, event.source.value),
                                crossing(event) or "", int(is_dashed(event))])
        self.shape_of[key] = row
        return row

    def _string(self, text: str) -> int:
        row = self._string_of.get(text)
        if row is None:
            row = self._string_of[text] = len(self.strings)
            self.strings.append(text)
        return row

    # -- an event's words, ring change and counts -----------------------------------------------

    def entry(self, event: Event, shape: int, structure: tuple[Any, ...],
              numbers: tuple[int, ...]) -> Entry:
        """The entry of the event's shape and structure, made from the event."""
        detail, labels = slotted(structure), self._fixed_labels(event, shape)
        try:
            templates = self._sentences(dataclasses.replace(event, detail=detail), labels)
            fits = [fill(text, numbers) for text in templates] == \
                self._sentences(event, labels)
        except (TypeError, ValueError, IndexError, KeyError):  # a sentence that reads a number
            fits = False
        if not fits:
            entry = self.entry_of[shape, structure] = LITERAL
            return entry
        descriptor, slots = _descriptor(detail)
        ring = self._ring(detail.get("ring"))
        numbered = bool(numbers) and (slots is not None or "#" in (
            part[1] for part in self.rings[ring]) or any("⟦" in text for text in templates))
        rows = [self._string(text) for text in templates]
        if numbered:  # its own row: the page follows its numbers from event to event
            says = len(self.says)
            self.says.append([*rows, descriptor, slots])
        else:
            says = self._says(rows, descriptor)
        self._entries += 1
        entry = self.entry_of[shape, structure] = Entry(
            self._entries, says, ring, numbered, event.step in self._tallied)
        return entry

    def count_row(self, event: Event, entry: Entry, numbers: tuple[int, ...]) -> int:
        """The ``counts`` row of what the event adds to each counter."""
        row = self._count_row(self._counted(event))
        self.count_of[entry.id, numbers] = row
        return row

    def literal(self, event: Event, shape: int) -> tuple[int, int, int]:
        """(says, rings, counts) rows of an event whose words are written in full, found by
        the text of its detail without ``ring`` (which no sentence reads); its ring change
        is written as its values."""
        detail = event.detail
        key = repr([item for item in detail.items() if item[0] != "ring"])
        found = self._literal_of.get((shape, key))
        if found is None:
            rows = [self._string(text) for text in self._sentences(
                event, self._fixed_labels(event, shape))]
            descriptor, _ = _descriptor(detail)
            found = self._literal_of[shape, key] = (self._says(rows, descriptor),
                                                    self._count_row(self._counted(event)))
        return found[0], self._ring(detail.get("ring")), found[1]

    def _fixed_labels(self, event: Event, shape: int) -> list[str] | None:
        """The labels of the shape's arrow when they read no detail, worked out once."""
        if event.kind is Kind.STATE:
            return None
        labels = self._labels.get(shape)
        if labels is None:
            labels = self._labels[shape] = [_clean(message_label(event, lang))
                                            for lang in LANGS]
        return labels

    def _sentences(self, event: Event, labels: list[str] | None) -> list[str]:
        """The event's label (unless given), decision and note, in every language each."""
        if labels is None:
            labels = [_clean(message_label(event, lang)) for lang in LANGS]
        decided = [decision(event, lang) for lang in LANGS]
        return [*labels, *(_clean(text) for text in decided),
                *(_clean(note_text(event, lang, text))
                  for lang, text in zip(LANGS, decided, strict=True))]

    def _says(self, rows: list[int], descriptor: list[Any] | None) -> int:
        content = (*rows, None if descriptor is None else tuple(descriptor))
        row = self._says_seen.get(content)
        if row is None:
            row = self._says_seen[content] = len(self.says)
            self.says.append([*rows, descriptor, None])
        return row

    def _counted(self, event: Event) -> tuple[tuple[str, int], ...]:
        """What the event adds to each of the scenario's counters, as ``vtrace.tally``
        counts it."""
        return self._tally.moves(event.step, event.kind, event.detail)

    def _count_row(self, counted: tuple[tuple[str, int], ...]) -> int:
        row = self._counts_seen.get(counted)
        if row is None:
            row = self._counts_seen[counted] = len(self.counts)
            self.counts.append(dict(counted))
        return row

    def _ring(self, change: Any) -> int:
        """The ``rings`` row of a change: a number's slot as ``[name, "#", k]`` (the event's
        k-th number), anything else as ``[name, "=", value]``."""
        if not isinstance(change, Mapping):
            return 0
        parts = tuple((clean(str(name)), "#", value.position) if type(value) is Slot
                      else (clean(str(name)), "=", _json_value(value))
                      for name, value in change.items())
        row = self._rings_seen.get(parts)
        if row is None:
            row = self._rings_seen[parts] = len(self.rings)
            self.rings.append([list(part) for part in parts])
        return row

    # -- the rest -------------------------------------------------------------------------------

    def nums_row(self, delta: tuple[int, ...]) -> int:
        row = self.nums_of[delta] = len(self.nums)
        self.nums.append(list(delta))
        return row

    def combo_row(self, key: tuple[int, int, int, int, int]) -> int:
        row = self.combo_of[key] = len(self.combos)
        self.combos.append(key)
        return row


def _json_value(value: Any) -> Any:
    """A ring value JSON can carry: a finite number, a boolean, None, or its text."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return _number(value)
    return clean(str(value))
