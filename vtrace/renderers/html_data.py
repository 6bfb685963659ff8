"""The event stream as the HTML player embeds it: small tables and three columns of numbers.

A stream of 10^4 frames has more than half a million events, so nothing is
written per event that can be shared. Events are described by tables built
as the stream goes by:

``places``   one row per distinct ``Place``, with its texts in every language
             (why, version note, lesson note, location) and its source link;
``shapes``   one row per distinct (place, kind, src, dst, thread, source);
``strings``  every distinct sentence, label or sentence template;
``says``     one row per distinct set of words an event shows (the arrow's label,
             the decision, the diagram's note, as ``strings`` rows, one per language),
             then the descriptor it carries (head, addr, len) or null, and which of
             the event's numbers the descriptor's fields are (-1: the value given) or
             null;
``counts``   one row per distinct thing an event adds to the counters, as
             ``vtrace.tally`` counts;
``rings``    one row per distinct change of ``detail["ring"]``: each field as
             ``[name, "#", k]`` (its value is the event's k-th number) or
             ``[name, "=", value]``; the ring starts at ``initial``;
``nums``     one row per distinct list of differences between an event's numbers and
             those of the previous event with the same ``says`` row;
``combos``   one row per distinct (shape, says, rings, nums, counts);
``objects``  for a scenario with an objects panel (the set-up), one row per event that
             created objects: its index, the panel after it and what it made, per language.

The words and ring changes of most events are the same for every frame but
for their numbers (``kick: avail_event 7 is in [7, 8)``). Those are written
once, as templates in which ``⟦k⟧`` stands for the event's k-th number
(``html_numbers``); the numbers go in ``nums`` as differences from the
previous event's, so frame 9,999's row is frame 1's. A template is kept only
when, filled with the first event's own numbers, it gives exactly the
sentences the sentence functions give for that event (and a test checks every
event of every scenario's examples); any other event's words are written in
full, and its ring change as its values.

Each event is then three integers, one per column of ``events`` (four with several queue
pairs: ``q``, its ``detail.queue`` + 1, 0 for none):

``c``  its combo: 0 means "the next new row of the table", ``k > 0`` the row ``k - 1``;
``f``  its frame, relative to the newest frame so far: 0 for none, ``c >= 1``
       for ``newest + 2 - c`` (1 is a new frame, 2 the newest, 3 the one before),
       and ``-(frame + 1)`` for a jump of more than one frame ahead;
``t``  its ``t_ns`` minus the previous event's.

A packed ring's stream says ``packed``: its ring starts at the packed ring's values,
and the ring panel's groups (``ringGroups``) are the packed ring's event areas and
each side's indices and wrap counters.

Every sentence is worked out in Python, for every language; the page only
picks one and fills in the numbers. Every string is cleaned
(``escape.clean``) so any file becomes valid UTF-8; the page escapes ``<``
when it embeds the result.
"""

from __future__ import annotations

import gc
import json
import operator
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from vtrace.i18n import LANGS
from vtrace.model import Event, Header, Kind
from vtrace.renderers.base import count_param
from vtrace.renderers.escape import clean
from vtrace.renderers.folding import lifelines
from vtrace.renderers.html_numbers import split
from vtrace.renderers.html_stream import LITERAL, Entry, Stream
from vtrace.renderers.ring_contents import RingContents
from vtrace.renderers.ring_frames import FramesInRing, pairs_lane
from vtrace.ring_packed import PACKED_SHARED_FIELDS
from vtrace.session import Session

__all__ = ["KINDS", "encode"]

KINDS = tuple(kind.value for kind in Kind)
_FLAT_KEPT = 100_000  # flat details remembered by their items: enough for any run's kinds


def _fill(stream: Stream, events: Iterable[Event], queued: list[int] | None = None) -> None:
    """Add every event to ``stream``: the hot loop of a long stream, with locals only.
    ``queued``, with several queue pairs, gets each event's ``detail.queue`` + 1 (0: none)."""
    combos, frames, times = (stream.columns[name] for name in "cft")
    shape_of, entry_of = stream.shape_of, stream.entry_of
    count_of, nums_of, combo_of = stream.count_of, stream.nums_of, stream.combo_of
    shape_for, entry_for, count_for, nums_for, combo_for = (
        stream.shape_row, stream.entry, stream.count_row, stream.nums_row, stream.combo_row)
    minus = operator.sub
    last: dict[int, tuple[int, ...]] = {}  # says: the numbers of its latest event
    plain: dict[tuple[Any, ...], int] = {}  # shape's key: its combo, when there is no detail
    flat_of: dict[tuple[Any, ...], int | tuple[Entry, tuple[int, ...]]] = {}
    newest, t_ns = -1, 0
    for event in events:
        # Places are shared objects (kept alive by the stream); enum members are
        # singletons: their ids hash faster than they do.
        where = (id(event.place), id(event.kind), event.src, event.dst, event.thread,
                 id(event.source))
        detail = event.detail
        seen: Any = None
        if not detail:
            exact = None
            combo = plain.get(where)
        else:
            # A flat detail seen before is found by its items (and their types, as
            # True == 1 == 1.0), without taking it apart: its combo, or for an event whose
            # numbers the page follows, its entry and numbers.
            exact = None if "ring" in detail or "writes" in detail else (
                where, tuple(detail.items()), tuple(map(type, detail.values())))
            try:
                seen = None if exact is None else flat_of.get(exact)
            except TypeError:  # a value that cannot be hashed
                exact = None
            combo = seen if type(seen) is int else None
        if combo is None:
            shape = shape_of.get(where)
            if shape is None:
                shape = shape_for(event)
            if seen is None:
                structure, numbers = split(detail)
                try:
                    entry: Entry | None = entry_of.get((shape, structure))
                except TypeError:  # a value that cannot be hashed: written in full
                    entry = LITERAL
                if entry is None:
                    entry = entry_for(event, shape, structure, numbers)
            else:
                entry, numbers = seen
            entry_id, says, ring, numbered, counting = entry
            nums = count = 0
            if says < 0:
                says, ring, count = stream.literal(event, shape)
            else:
                if counting:
                    known = count_of.get((entry_id, numbers))
                    count = count_for(event, entry, numbers) if known is None else known
                if numbered:
                    before = last.get(says)
                    delta = numbers if before is None else tuple(map(minus, numbers, before))
                    last[says] = numbers
                    known = nums_of.get(delta)
                    nums = nums_for(delta) if known is None else known
            key = (shape, says, ring, nums, count)
            combo = combo_of.get(key)
            if combo is None:
                combo = combo_for(key)
                combos.append(0)
            else:
                combos.append(combo + 1)
            if not detail:
                plain[where] = combo
            elif exact is not None and seen is None and len(flat_of) < _FLAT_KEPT:
                flat_of[exact] = (entry, numbers) if numbered else combo
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
        if queued is not None:
            queue = detail.get("queue") if detail else None
            queued.append(queue + 1 if type(queue) is int else 0)


def _order_actors(stream: Stream) -> None:
    """The lifelines the stream uses, in the diagrams' order, and the shapes renumbered."""
    order = lifelines(stream.actors)
    moved = [order.index(actor) for actor in stream.actors]
    for shape in stream.shapes:
        shape[2], shape[3] = moved[shape[2]], moved[shape[3]]
    stream.actors = order


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


def _noting_objects(session: Session, events: Iterable[Event],
                    made: list[list[Any]]) -> Iterator[Event]:
    """``events``, and in ``made`` a row for each event that created objects (the set-up's
    panel): its index, then per language each side's label and object names, and the lines
    of what it made."""
    panels = {lang: session.scenario.objects(lang) for lang in LANGS}
    for index, event in enumerate(events):
        yield event
        said = {lang: panel.feed(event) for lang, panel in panels.items() if panel is not None}
        if any(said.values()):
            made.append([index,
                         {lang: [[clean(side), [clean(name) for name in names]]
                                 for side, names in panel.by_side()]
                          for lang, panel in panels.items() if panel is not None},
                         {lang: [clean(line) for line in lines] for lang, lines in said.items()}])


def _noting_ring(session: Session, events: Iterable[Event],
                 lanes: list[list[Any]]) -> Iterator[Event]:
    """``events``, and in ``lanes`` a row each time the ring's row of "where the frame is"
    changes (the terminal's lane): the event's index, the entry (``avail.ring[3] +1``) and
    its frame, and with several queue pairs the pair whose ring holds it (``pairs_lane``; the
    page names it in the scenario's words); or only the index once no frame is in a ring."""
    contents = RingContents(session.header, session.scenario)
    first = FramesInRing(contents.size, contents.packed)
    rings = {0: first}  # each queue pair's, by pair
    several = (count_param(session.header.params, "queues") or 1) > 1
    call = Kind.CALL
    current: int | None = None
    step_pair: int | None = None
    shown: tuple[str, int] | tuple[str, int, int] | None = None
    for index, event in enumerate(events):
        yield event
        detail = event.detail
        if "ring" in detail:
            queue = detail.get("queue")
            pair = queue if type(queue) is int else 0
            in_ring = rings.get(pair)
            if in_ring is None:
                in_ring = rings[pair] = FramesInRing(contents.size, contents.packed)
            in_ring.update(event.frame, detail)
        elif event.kind is not call:
            continue
        if event.kind is call:
            current = event.frame
            queue = detail.get("queue")
            step_pair = queue if type(queue) is int else None
        lane = pairs_lane(rings, current, step_pair) if several else first.lane(current)
        if lane != shown:
            shown = lane
            lanes.append([index] if lane is None else [index, *lane])


#: The ring panel's groups for a packed ring: the event areas in guest memory, then each
#: side's own (the descriptor slots are the figure's).
PACKED_GROUPS = (
    ("ring.shared", PACKED_SHARED_FIELDS),
    ("ring.driver", ("next_avail_idx", "avail_wrap_counter", "num_added", "num_free",
                     "last_used_idx", "used_wrap_counter")),
    ("ring.device", ("last_avail_idx", "last_avail_wrap_counter", "inuse", "used_idx",
                     "vq.used_wrap_counter", "signalled_used", "notification")),
)


def _packed(session: Session, queue_size: int) -> dict[str, Any]:
    """What a packed ring's stream says besides the split ring's: its start and groups."""
    panel = session.scenario.ring
    start = panel.at_start(session.header.params, queue_size) if panel and queue_size else {}
    if "avail_wrap_counter" not in start:
        return {}
    return {"initial": dict(start), "packed": True,
            "ringGroups": [[heading, list(names)] for heading, names in PACKED_GROUPS]}


def encode(session: Session, extra: Mapping[str, Any]) -> str:
    """The JSON text of the stream, with ``extra`` (words, layout) beside it; not yet escaped
    for HTML."""
    header, events = session.header, session.events()
    objects: list[list[Any]] = []  # the set-up's objects panel, when the scenario has one
    if session.scenario.objects("en") is not None:
        events = _noting_objects(session, events, objects)
    lanes: list[list[Any]] = []  # the ring's row of "where the frame is"
    if session.scenario.ring is not None:
        events = _noting_ring(session, events, lanes)
    stream = Stream(count_param(header.params, "queue_size") or 0, session.scenario)
    queued: list[int] | None = None
    if (count_param(header.params, "queues") or 1) > 1:
        queued = stream.columns["q"] = []
    # The tables only grow and hold no cycles: collections would only scan them again and
    # again, which takes a third of the time of a long stream.
    collecting = gc.isenabled()
    gc.disable()
    try:
        _fill(stream, events, queued)
    finally:
        if collecting:
            gc.enable()
    _order_actors(stream)
    dump = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode
    parts = {
        "header": _header(header), "kinds": KINDS, "actors": stream.actors,
        "threads": stream.threads, "sources": stream.sources, "places": stream.places,
        "shapes": stream.shapes, "strings": stream.strings, "counts": stream.counts,
        "says": stream.says, "nums": stream.nums, "rings": stream.rings,
        "initial": stream.initial,
        "combos": stream.combos, "events": stream.columns, "objects": objects,
        "inRing": lanes, **extra,
    }
    parts.update(_packed(session, count_param(header.params, "queue_size") or 0))
    return "{" + ",".join(f"{json.dumps(name)}:{dump(value)}" for name, value in parts.items()) \
        + "}"
