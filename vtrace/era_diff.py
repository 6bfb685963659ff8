"""Two eras' (or two rings') paths side by side: which steps the first frame takes in each,
and what changed; and what the split and the packed ring cost for the same frames.

``era_diff`` replays a scenario's first frame (or batch, as the overview reads it) in two
eras, lines their calls up with ``difflib`` by step, and says for each pair whether the
step is the same, has a different line, was renamed, moved to another file, or is
absent from one side. A step absent from one side either does not exist in that era's
version (the catalog has no site for it) or exists but is not taken: a behaviour switch
of the era (NAPI TX, byte queue limits, ...), listed from the scenario's switches
(``Scenario.switches``).

``ring_diff`` lines up the first frame on the split and on the packed ring of one era
(a step on one side only is marked ``ring``), and ``measure_rings`` replays the same
frames on both rings and counts, from their events, the ring's memory traffic
(``vtrace.ring_traffic``), the kicks and the interrupts.

Pure: no printing, no terminal; the CLIs (``vtrace diff``, ``vtrace compare``) lay the
rows out.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from vtrace.catalog import CATALOG, Era, era, present
from vtrace.model import Event, Kind, Place
from vtrace.ring_traffic import COUNTS, RingTraffic
from vtrace.scenarios import replay, scenario
from vtrace.scenarios.params import RINGS
from vtrace.tally import Tally

__all__ = ["CHANGES", "RING", "RING_COUNTS", "EraDiff", "Pair", "RingMeasure",
           "era_diff", "measure_rings", "ring_diff", "switches_differ"]

#: What a pair can be, in the order the legend lists them.
CHANGES = ("same", "line", "renamed", "moved", "absent", "switch")
#: A step one ring's path takes and the other's does not (a ring diff's ``absent``).
RING = "ring"
#: What ``measure_rings`` counts: the ring traffic, then the send scenario's counters.
RING_COUNTS = (*COUNTS, "kicks", "kicks_suppressed", "interrupts", "interrupts_suppressed")


@dataclass(frozen=True, slots=True)
class Pair:
    """One row: the step on each side (None where that side has no such call) and what
    changed between them (some of ``CHANGES``)."""

    left: Place | None
    right: Place | None
    changes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class EraDiff:
    scenario: str
    eras: tuple[Era, Era]
    pairs: tuple[Pair, ...]
    switches: tuple[tuple[str, Any, Any], ...]  # (switch, left value, right value)
    rings: tuple[str, str] | None = None  # a ring diff: the two rings, in one era


def _first_round(events: Iterable[Event], batch: int) -> Iterator[Place]:
    lead: int | None = None
    for event in events:
        if event.frame is not None:
            if lead is None:
                lead = event.frame
            elif event.frame - lead >= batch:
                return
        if event.kind is Kind.CALL:
            yield event.place


def _path(name: str, params: Mapping[str, Any], chosen: Era, seed: int) -> list[Place]:
    item = scenario(name)
    settled = item.settle(params)
    batch = settled.get("batch", 1)
    return list(_first_round(item.run(settled, chosen, seed),
                             batch if type(batch) is int and batch > 0 else 1))


def _changes(left: Place, right: Place) -> tuple[str, ...]:
    found = tuple(change for change, differs in (
        ("renamed", left.function != right.function),
        ("moved", left.file != right.file),
        ("line", left.line != right.line and left.file == right.file
         and left.function == right.function)) if differs)
    return found or ("same",)


def _absent(place: Place, other: Era) -> tuple[str, ...]:
    """Why the other era lacks this call: its version has no such function, or it does
    but does not take that step (a behaviour switch)."""
    return ("switch",) if present(CATALOG[place.step], other) else ("absent",)


def switches_differ(name: str, left: Era, right: Era) -> tuple[tuple[str, Any, Any], ...]:
    """The scenario's era switches whose values differ between the two eras."""
    chosen = scenario(name)
    a, b = chosen.era_switches(left.name), chosen.era_switches(right.name)
    return tuple((switch, a[switch], b.get(switch)) for switch in a if a[switch] != b.get(switch))


def era_diff(name: str, params: Mapping[str, Any], left_era: str, right_era: str,
             seed: int = 1) -> EraDiff:
    """The first frame's path of scenario ``name`` in two eras, lined up step by step.
    ``params`` are given in the options' units, as ``Scenario.settle`` takes them."""
    left, right = era(left_era), era(right_era)
    a, b = _path(name, params, left, seed), _path(name, params, right, seed)
    return EraDiff(name, (left, right), _pairs(a, b, lambda place, other: _absent(
        place, right if other else left)), switches_differ(name, left, right))


def _pairs(a: list[Place], b: list[Place], absent: Callable[[Place, bool], tuple[str, ...]],
           ) -> tuple[Pair, ...]:
    """The two paths lined up by step; ``absent(place, other)`` names why the other side
    (the right one when ``other``) lacks a step."""
    matcher = difflib.SequenceMatcher(a=[p.step for p in a], b=[p.step for p in b],
                                      autojunk=False)
    pairs: list[Pair] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            pairs += [Pair(x, y, _changes(x, y)) for x, y in zip(a[i1:i2], b[j1:j2],
                                                                  strict=True)]
            continue
        pairs += [Pair(x, None, absent(x, True)) for x in a[i1:i2]]
        pairs += [Pair(None, y, absent(y, False)) for y in b[j1:j2]]
    return tuple(pairs)


def ring_diff(name: str, params: Mapping[str, Any], era_name: str, seed: int = 1,
              rings: tuple[str, str] = RINGS) -> EraDiff:
    """The first frame's path of scenario ``name`` on two rings in one era; the era
    refuses the packed ring where its versions lack it (``ParamError``)."""
    chosen = era(era_name)
    a, b = (_path(name, {**params, "ring": ring}, chosen, seed) for ring in rings)
    return EraDiff(name, (chosen, chosen), _pairs(a, b, lambda place, other: (RING,)), (),
                   rings)


@dataclass(frozen=True, slots=True)
class RingMeasure:
    """One ring's counts over a replay (``RING_COUNTS``), and the frames it moved."""

    ring: str
    era: str
    frames: int
    totals: Mapping[str, int]

    def per_frame(self, name: str) -> float:
        return self.totals[name] / self.frames if self.frames else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"ring": self.ring, "era": self.era, "frames": self.frames,
                "total": dict(self.totals),
                "per_frame": {name: self.per_frame(name) for name in self.totals}}


def measure_rings(frames: int, era_name: str, seed: int = 1, batch: int = 1,
                  rings: tuple[str, str] = RINGS, **params: Any) -> tuple[RingMeasure, ...]:
    """The same ``frames`` sent on each ring (QEMU's back end, ``batch`` back to back),
    each counted from its own events."""
    send = scenario("send")
    measures = []
    for ring in rings:
        header, events = replay(send, {**params, "frames": frames, "batch": batch,
                                       "ring": ring}, era_name, seed)
        tally = Tally(send.calls, send.notes)
        traffic = RingTraffic(int(header.params["queue_size"]), packed=ring == "packed",
                              event_idx=bool(header.params["event_idx"]))
        for event in events:
            tally.add(event)
            traffic.add(event)
        traffic.finish()
        measures.append(RingMeasure(ring, era_name, tally.frames or frames, {
            **traffic.totals, **{name: tally[name] for name in RING_COUNTS[len(COUNTS):]}}))
    return tuple(measures)
