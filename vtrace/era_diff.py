"""Two eras' paths side by side: which steps the first frame takes in each, and what changed.

``era_diff`` replays a scenario's first frame (or batch, as the overview reads it) in two
eras, lines their calls up with ``difflib`` by step, and says for each pair whether the
step is the same, has a different line, was renamed, moved to another file, or is
absent from one side. A step absent from one side either does not exist in that era's
version (the catalog has no site for it) or exists but is not taken: a behaviour switch
of the era (NAPI TX, byte queue limits, ...), listed from the scenario's switches
(``Scenario.switches``).

Pure: no printing, no terminal; the CLI (``vtrace diff``) lays the rows out.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from vtrace.catalog import CATALOG, Era, era, present
from vtrace.model import Event, Kind, Place
from vtrace.scenarios import scenario

__all__ = ["CHANGES", "EraDiff", "Pair", "era_diff", "switches_differ"]

#: What a pair can be, in the order the legend lists them.
CHANGES = ("same", "line", "renamed", "moved", "absent", "switch")


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
    matcher = difflib.SequenceMatcher(a=[p.step for p in a], b=[p.step for p in b],
                                      autojunk=False)
    pairs: list[Pair] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            pairs += [Pair(x, y, _changes(x, y)) for x, y in zip(a[i1:i2], b[j1:j2],
                                                                  strict=True)]
            continue
        pairs += [Pair(x, None, _absent(x, right)) for x in a[i1:i2]]
        pairs += [Pair(None, y, _absent(y, left)) for y in b[j1:j2]]
    return EraDiff(name, (left, right), tuple(pairs), switches_differ(name, left, right))
