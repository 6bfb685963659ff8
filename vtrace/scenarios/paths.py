"""What runs before and after each step, read off the replays themselves.

The catalog says where a function is; the scenarios say what runs. So the
path a step sits on is taken from replays of every registered scenario's
``examples`` in an era. When a signal woke the thread (an eventfd, a bottom
half, an interrupt), a step's caller is the step on the other thread that raised
the signal; otherwise it is the call just before it on its thread when that call
ran in the actor the step is drawn from (``src``), or else the latest call of that
actor on the thread (the tap, back from the host kernel, pushes the used entry).
``vtrace explain`` and ``vtrace steps`` read this, so neither can say something
the replays do not do.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from vtrace.catalog import Era
from vtrace.model import Event, Kind
from vtrace.scenarios import REGISTERED

__all__ = ["Paths", "paths"]


@dataclass(frozen=True, slots=True)
class Paths:
    """One era's paths: per scenario the steps its replays run, in first-run order; per
    step the steps that run just before (callers) and just after (callees) it."""

    runs: Mapping[str, tuple[str, ...]]
    callers: Mapping[str, tuple[str, ...]]
    callees: Mapping[str, tuple[str, ...]]


@functools.cache
def paths(era: Era, seed: int = 1) -> Paths:
    runs: dict[str, dict[str, None]] = {}
    callers: dict[str, dict[str, None]] = {}
    callees: dict[str, dict[str, None]] = {}
    for name, scenario in REGISTERED.items():
        if not scenario.replayable:
            continue
        ran = runs.setdefault(name, {})
        for example in scenario.examples:
            settled = scenario.settle(example)
            if scenario.refusal(settled, era) is not None:
                continue
            run = scenario.run(settled, era, seed)
            wakes = run.note_wakes()
            events = list(run)
            for before, after in _hops(events, wakes):
                ran.setdefault(after, None)
                if before is not None and before != after:
                    callers.setdefault(after, {})[before] = None
                    callees.setdefault(before, {})[after] = None
    return Paths({name: tuple(steps) for name, steps in runs.items()},
                 {key: tuple(found) for key, found in callers.items()},
                 {key: tuple(found) for key, found in callees.items()})


def _hops(events: Iterable[Event], wakes: Mapping[int, str]) -> list[tuple[str | None, str]]:
    """(the step a call came from, the step called) for every call event of a replay."""
    hops: list[tuple[str | None, str]] = []
    last_on_thread: dict[str, Event] = {}
    last_of_actor: dict[tuple[str, str], str] = {}
    for event in events:
        if event.kind is not Kind.CALL:
            continue
        previous = last_on_thread.get(event.thread)
        if event.seq in wakes:
            hops.append((wakes[event.seq], event.step))
        elif previous is not None and previous.actor == event.src:
            hops.append((previous.step, event.step))
        else:
            hops.append((last_of_actor.get((event.thread, event.src)), event.step))
        last_on_thread[event.thread] = event
        last_of_actor[event.thread, event.actor] = event.step
    return hops
