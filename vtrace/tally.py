"""Counters folded from an event stream: what the summary and the live view show.

A ``Tally`` watches events go by and keeps only numbers, so it costs the
same for ten frames or ten million. It reads events, never the engine, so a
recorded or captured stream gives the same counts as a live replay; a run that
shows only its counts hands it each event's parts instead (``counter``), and
the events themselves are never built. Which
step moves which counter is the scenario's table (``Scenario.calls`` and
``Scenario.notes``), handed in by whoever found the scenario from the header.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from vtrace.engine.sim import CountEvent
from vtrace.model import Event, Kind

__all__ = ["Count", "Table", "Tally"]

#: a counter and how much an event's detail adds to it
Count = tuple[str, Callable[[Mapping[str, Any]], int]]
#: step -> one Count, or several when one step moves several counters
Table = Mapping[str, Count | tuple[Count, ...]]


def _counts(table: Table | None) -> dict[str, tuple[Count, ...]]:
    """Every entry of ``table`` as a tuple of Counts."""
    return {step: (entry,) if isinstance(entry[0], str) else entry
            for step, entry in (table or {}).items()}


class Tally:
    """Running counts of one stream: ``events``, the last ``t_ns``, the newest ring values,
    and the scenario's own counters in ``counts``; with several queue pairs (events whose
    ``detail.queue`` is an index), each pair's counters in ``per_queue`` and its ring's
    values in ``rings``."""

    __slots__ = ("_calls", "_count", "_notes", "counts", "events", "per_queue", "ring", "rings",
                 "t_ns")

    def __init__(self, calls: Table | None = None, notes: Table | None = None) -> None:
        self._calls = _counts(calls)
        self._notes = _counts(notes)
        self.counts: dict[str, int] = dict.fromkeys(
            [counter for table in (self._calls, self._notes) for entry in table.values()
             for counter, _ in entry], 0)
        self.events = 0
        self.t_ns = 0
        self.ring: dict[str, int] = {}
        self.per_queue: dict[int, dict[str, int]] = {}
        self.rings: dict[int, dict[str, int]] = {}
        self._count = self.counter()

    def __getitem__(self, name: str) -> int:
        """A counter by name: ``events``, ``t_ns`` or one of the scenario's."""
        if name == "events":
            return self.events
        if name == "t_ns":
            return self.t_ns
        return self.counts.get(name, 0)

    @property
    def frames(self) -> int:
        return self.counts.get("frames", 0)

    def add(self, event: Event) -> None:
        self._count(event.place.step, event.kind, event.detail, event.t_ns)

    def counter(self, tick: Callable[[], object] | None = None,
                every: int = 4096) -> CountEvent:
        """Count one event from its parts (step, kind, detail, t_ns), as ``add`` does, for a
        stream whose events are never built; ``tick`` runs every ``every`` events."""
        counts, ring, call, note = self.counts, self.ring, Kind.CALL, Kind.NOTE
        per_queue, rings = self.per_queue, self.rings
        # Most steps move no counter: one look-up by step settles them.
        by_step = {step: (self._calls.get(step), self._notes.get(step))
                   for step in (*self._calls, *self._notes)}

        def count(step: str, kind: Kind, detail: Mapping[str, Any], t_ns: int) -> None:
            self.events = events = self.events + 1
            self.t_ns = t_ns
            changed = detail.get("ring")
            if changed:
                ring.update(changed)
                queue = detail.get("queue")
                if type(queue) is int:
                    rings.setdefault(queue, {}).update(changed)
            tables = by_step.get(step)
            if tables is not None:
                counted = tables[0] if kind is call else tables[1] if kind is note else None
                if counted is not None:
                    queue = detail.get("queue")
                    own = per_queue.setdefault(queue, {}) if type(queue) is int else None
                    for counter, amount in counted:
                        added = amount(detail)
                        counts[counter] += added
                        if own is not None:
                            own[counter] = own.get(counter, 0) + added
            if tick is not None and not events % every:
                tick()

        return count

    def watch(self, events: Iterable[Event]) -> Iterator[Event]:
        """Pass ``events`` through, counting each one."""
        count = self._count
        for event in events:
            count(event.place.step, event.kind, event.detail, event.t_ns)
            yield event

    def moves(self, step: str, kind: Kind,
              detail: Mapping[str, Any]) -> tuple[tuple[str, int], ...]:
        """What one event would add to each counter it moves, as ``add`` counts it, without
        counting it."""
        table = self._calls if kind is Kind.CALL else self._notes if kind is Kind.NOTE else {}
        added: dict[str, int] = {}
        for counter, amount in table.get(step, ()):
            added[counter] = added.get(counter, 0) + amount(detail)
        return tuple((counter, int(value)) for counter, value in added.items() if value)

    def per_frame(self, count: int) -> float:
        frames = self.frames
        return count / frames if frames else 0.0
