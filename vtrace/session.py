"""A session: one stream's header and events, counted as they flow.

The CLI builds a session from a replay or from a recorded file, optionally
tees it to a JSON Lines file, paces it for a class to follow, and hands it to
a renderer. The scenario is found from the header, so a recording counts the
same as the replay that made it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from vtrace.codec import read_stream
from vtrace.model import Event, Header, Kind
from vtrace.scenarios import Scenario, of, replay
from vtrace.tally import Tally

__all__ = [
    "Session",
    "from_file",
    "paced",
    "replayed",
]


@dataclass
class Session:
    header: Header
    source: Iterable[Event]
    scenario: Scenario = field(init=False)
    tally: Tally = field(init=False)

    def __post_init__(self) -> None:
        self.scenario = of(self.header)
        self.tally = Tally(self.scenario.calls, self.scenario.notes)

    def events(self) -> Iterator[Event]:
        """The stream, counted as it flows."""
        return self.tally.watch(self.source)


def replayed(name: str, given: Mapping[str, Any], era: str, seed: int,
             argv: tuple[str, ...] = ()) -> Session:
    """A replay of scenario ``name`` with ``given`` parameters over its defaults."""
    return Session(*replay(name, given, era, seed, argv))


def from_file(lines: Iterable[str]) -> Session:
    """A session read back from a JSON Lines stream."""
    header, events = read_stream(lines)
    return Session(header, events)


def paced(events: Iterable[Event], steps_per_second: float,
          clock: Callable[[], float] = time.monotonic,
          sleep: Callable[[float], Any] = time.sleep) -> Iterator[Event]:
    """Release events no faster than ``steps_per_second`` (state and notes ride along)."""
    interval = 1.0 / steps_per_second
    due = clock()
    for event in events:
        if event.kind is Kind.CALL:
            now = clock()
            if due > now:
                sleep(due - now)
            due = max(due, now) + interval
        yield event

