"""A session: one scenario's header and event stream, counted as it flows.

The CLI builds a session from options (a replay) or from a recorded file,
optionally tees it to a JSON Lines file, paces it for a class to follow,
and hands it to a renderer.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from vtrace import __version__
from vtrace.catalog import era as era_named
from vtrace.codec import read_stream
from vtrace.engine import SendParams, send, setup
from vtrace.model import Event, Header, Kind
from vtrace.tally import Tally

__all__ = [
    "Session",
    "from_file",
    "paced",
    "replay_send",
    "replay_setup",
    "stepped",
]


@dataclass
class Session:
    header: Header
    source: Iterable[Event]
    tally: Tally = field(default_factory=Tally)

    def events(self) -> Iterator[Event]:
        """The stream, counted as it flows.

        Everything built so far (catalog, renderers, the ring) lives as long as
        the run: moving it out of the collector's reach keeps full collections,
        which a long stream triggers again and again, from re-scanning it.
        """
        gc.freeze()
        return self.tally.watch(self.source)


def replay_send(params: SendParams, era: str, seed: int, argv: tuple[str, ...] = ()) -> Session:
    """A replay of ``vtrace send`` with these parameters."""
    header = Header(__version__, "send", {**params.as_dict(), "era": era}, seed, argv)
    return Session(header, send(params, era_named(era), seed))


def replay_setup(era: str, seed: int, argv: tuple[str, ...] = ()) -> Session:
    """A replay of ``vtrace setup``: the tap, the device and the driver coming to exist."""
    header = Header(__version__, "setup", {"era": era}, seed, argv)
    return Session(header, setup(era_named(era), seed))


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


def stepped(events: Iterable[Event], read_key: Callable[[], str]) -> Iterator[Event]:
    """Hold each call event after the first until Enter or space; ``q`` ends the stream."""
    first = True
    for event in events:
        if event.kind is Kind.CALL and not first:
            while (key := read_key()) not in ("\n", " "):
                if key in ("q", "Q"):
                    return
        first = False
        yield event
