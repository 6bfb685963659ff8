"""A session: one stream's header and events, counted as they flow.

The CLI builds a session from a replay or from a recorded file, optionally
tees it to a JSON Lines file, paces it for a class to follow, and hands it to
a renderer. The scenario is found from the header here, once: a renderer reads
``session.scenario``, so a recording counts and reads the same as the replay
that made it.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import InitVar, dataclass, field
from typing import Any

from vtrace.codec import read_stream
from vtrace.engine.sim import Fields, Run, Take
from vtrace.model import Event, Header, Kind
from vtrace.scenarios import Scenario, of, replay, scenario
from vtrace.tally import Tally

__all__ = [
    "Session",
    "from_file",
    "paced",
    "replayed",
]


@dataclass
class Session:
    """A stream's header, the scenario it is of (``known``, or found by the header) and its
    events, with the tally that counts them."""

    header: Header
    source: Iterable[Event]
    known: InitVar[Scenario | None] = None
    scenario: Scenario = field(init=False)
    tally: Tally = field(init=False)

    def __post_init__(self, known: Scenario | None) -> None:
        self.scenario = known if known is not None else of(self.header)
        self.tally = Tally(self.scenario.calls, self.scenario.notes)

    def events(self) -> Iterator[Event]:
        """The stream, counted as it flows."""
        return self.tally.watch(self.source)

    def fed(self, events: Iterable[Event]) -> Session:
        """This session (header, scenario, tally) with ``events`` as its stream: its own,
        paced, teed to a file or tracked by a progress bar."""
        other = copy.copy(self)
        other.source = events
        return other

    def count(self, tick: Callable[[], object] | None = None, take: Take | None = None) -> None:
        """Run the stream for its counts alone, calling ``tick`` now and then. A replay's
        scheduler then counts each step without building its event; a recording's
        events are counted as they are read. ``take``, when given, takes in each event's
        fields once it is counted (a view that builds only what it draws)."""
        count = self.tally.counter(tick)
        if isinstance(self.source, Run):
            self.source.count(count, take)
            return
        for event in self.source:
            count(event.place.step, event.kind, event.detail, event.t_ns)
            if take is not None:
                take(Fields(event.seq, event.frame, event.place, event.kind, event.src,
                            event.dst, event.t_ns, event.detail, event.thread, event.source))


def replayed(chosen: Scenario | str, given: Mapping[str, Any], era: str, seed: int,
             argv: tuple[str, ...] = ()) -> Session:
    """A replay of ``chosen`` (a scenario, or its registered name) with ``given`` parameters
    over its defaults."""
    if isinstance(chosen, str):
        chosen = scenario(chosen)
    return Session(*replay(chosen, given, era, seed, argv), chosen)


def from_file(lines: Iterable[str]) -> Session:
    """A session read back from a JSON Lines stream."""
    header, events = read_stream(lines)
    return Session(header, events)


def paced(events: Iterable[Event], steps_per_second: float,
          clock: Callable[[], float] = time.monotonic,
          sleep: Callable[[float], Any] = time.sleep, *, quicken: float = 1.0,
          frame_s: float = 0.0, budget_s: float | None = None) -> Iterator[Event]:
    """Release call events no faster than ``steps_per_second`` (state and notes ride along).

    Each new frame goes ``quicken`` times the time a step of the frame before took, but
    stays at least ``frame_s`` on screen; once ``budget_s`` has passed, the rest comes as
    fast as it is made. A new frame is one numbered higher than any before it.
    """
    stream = iter(events)
    interval = 1.0 / steps_per_second
    started = due = shown = clock()  # shown: when the newest frame's first step came
    newest = -1
    for event in stream:
        if event.kind is Kind.CALL:
            now = clock()
            if budget_s is not None and now - started >= budget_s:
                yield event
                yield from stream
                return
            frame = event.frame
            if frame is not None and frame > newest:
                if newest >= 0:
                    interval *= quicken
                    due = max(due, shown + frame_s)
                newest = frame
                shown = max(due, now)
            if due > now:
                sleep(due - now)
            due = max(due, now) + interval
        yield event

