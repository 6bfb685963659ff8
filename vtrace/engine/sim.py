"""A deterministic scheduler for the threads of a replay.

A scenario runs as a few threads (the guest's vCPU, QEMU's main loop),
each a generator of ``Do`` and ``Wait`` actions. The scheduler always
resumes the runnable thread whose modelled clock is earliest, so effects
on the shared ring happen in time order and the event stream comes out
sorted by ``t_ns``. Nothing here reads a real clock; durations come from
the catalog's modelled costs with a seeded jitter. Inside ``counting`` the
same run builds no events and hands each one's parts to a counter instead, and
all of its fields, unbuilt, to a view that shows only some of them.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, NamedTuple

from vtrace.catalog import CATALOG, Era, place
from vtrace.model import Event, Kind, Place, Source

__all__ = ["JITTER", "Count", "Do", "Fields", "Scheduler", "Signal", "Take", "Thread", "Wait",
           "counting", "recording_wakes"]

JITTER = 0.2  # a step takes its catalog cost give or take up to 20%, drawn from the seed


@dataclass(slots=True)
class Signal:
    """Something a thread can sleep on: an eventfd, an interrupt line, a bottom half."""

    name: str
    pending: int = 0
    raised_at: int = 0
    raised_by: str | None = None  # the step just before the raise, while paths are recorded

    def raise_(self, t_ns: int) -> None:
        if not self.pending:
            self.raised_at = t_ns
            self.raised_by = _RAISER.get()
        self.pending += 1

    def clear(self) -> int:
        count, self.pending = self.pending, 0
        return count


class Do(NamedTuple):
    """Run catalog step ``step``: one event, then the thread's clock moves by its cost.

    A named tuple rather than a dataclass: the engine makes one per event, so
    its construction cost shows in every replay.
    """

    step: str
    frame: int | None = None
    kind: Kind = Kind.CALL
    src: str | None = None  # the caller's actor; defaults to the step's own actor
    dst: str | None = None  # defaults to the step's own actor
    detail: Mapping[str, Any] = MappingProxyType({})
    cost: bool = True  # False for events that take no modelled time (notes, state writes)


class Wait(NamedTuple):
    """Sleep until one of ``signals`` is pending, or until the clock reaches ``until``.

    A signal wakes the thread ``latency_ns`` after it was raised. A named tuple, like
    ``Do``: threads make one at every pause, and a frozen dataclass builds slowly.
    """

    signals: tuple[Signal, ...]
    latency_ns: int = 0
    until: int | None = None


Action = Do | Wait


@dataclass(slots=True)
class Thread:
    name: str
    program: Iterator[Action]
    clock: int = 0
    waiting: Wait | None = None
    woken_by: str | None = None  # the step that raised the signal that woke it
    last_step: str | None = None  # its newest step, while paths are recorded


#: seq of an event that a thread ran first after a signal woke it -> the step that raised it.
_WAKES: ContextVar[dict[int, str] | None] = ContextVar("vtrace_wakes", default=None)
#: While paths are recorded: the newest step of the thread running, which a signal it raises
#: remembers as its raiser.
_RAISER: ContextVar[str | None] = ContextVar("vtrace_raiser", default=None)


@contextmanager
def recording_wakes() -> Iterator[dict[int, str]]:
    """Schedulers made inside note, for each event that a signal's wake-up led to (an
    eventfd, a bottom half, an interrupt), the step on another thread that raised it."""
    wakes: dict[int, str] = {}
    token, raiser = _WAKES.set(wakes), _RAISER.set(None)
    try:
        yield wakes
    finally:
        _WAKES.reset(token)
        _RAISER.reset(raiser)


#: Counts one event from its parts, as it would be built: (step, kind, detail, t_ns).
Count = Callable[[str, Kind, Mapping[str, Any], int], None]

#: An event's fields in the order ``Event`` takes them (seq, frame, place, kind, src, dst,
#: t_ns, detail, thread, source): ``Event(*fields)`` builds it.
Fields = tuple[int, int | None, Place, Kind, str, str, int, Mapping[str, Any], str, Source]
#: Takes in one event as its fields, after ``Count`` has counted it.
Take = Callable[[Fields], None]

_COUNTING: ContextVar[tuple[Count, Take | None] | None] = ContextVar("vtrace_counting",
                                                                    default=None)


@contextmanager
def counting(count: Count, take: Take | None = None) -> Iterator[None]:
    """Schedulers that run inside hand each event's parts to ``count`` and build no events:
    their streams come out empty. For a run that shows only its counts, or (``take``)
    a view that builds only the few events it draws: each event's fields, after counting."""
    token = _COUNTING.set((count, take))
    try:
        yield
    finally:
        _COUNTING.reset(token)


class Scheduler:
    """Interleaves threads by modelled time and turns their actions into events.

    Inside ``counting`` it goes through the same steps and clocks but only counts them.
    """

    def __init__(self, era: Era, seed: int) -> None:
        self.era = era
        self._uniform = random.Random(seed).random
        self.threads: list[Thread] = []
        self.seq = 0
        self.current: Thread | None = None
        self._placements: dict[str, _Placed | None] = {}
        self._wakes = _WAKES.get()

    def now(self) -> int:
        """The modelled clock of the thread that is running."""
        return self.current.clock if self.current else 0

    def spawn(self, name: str, program: Callable[[Thread], Iterator[Action]]) -> Thread:
        thread = Thread(name, iter(()))
        thread.program = program(thread)
        self.threads.append(thread)
        return thread

    def _runnable(self) -> Thread | None:
        """The thread to resume: the one whose next moment is earliest.

        A waiting thread's moment is when its first pending signal reaches it, or its
        timeout. It stays waiting until it is the one chosen, so that a signal another
        thread raises before that timeout still wakes it (an idle vCPU halted until
        its timer is woken by the interrupt).
        """
        best: Thread | None = None
        best_at = 0
        best_by: str | None = None
        for thread in self.threads:
            wait = thread.waiting
            if wait is None:
                if best is None or thread.clock < best_at:
                    best, best_at, best_by = thread, thread.clock, None
                continue
            signals, latency_ns, due = wait
            by = None
            for signal in signals:
                if signal.pending:
                    woken = signal.raised_at + latency_ns
                    if due is None or woken < due:
                        due, by = woken, signal.raised_by
            if due is None:
                continue
            at = due if due > thread.clock else thread.clock
            if best is None or at < best_at:
                best, best_at, best_by = thread, at, by
        if best is not None and best.waiting is not None:
            best.clock, best.waiting, best.woken_by = best_at, None, best_by
        return best

    def run(self) -> Iterator[Event]:
        """Run every thread until all of them wait for something that will not come."""
        # Read when the stream starts, so that whoever drains it decides.
        count, take = _COUNTING.get() or (None, None)
        recording = self._wakes is not None
        runnable, placements, uniform = self._runnable, self._placements, self._uniform
        replayed = Source.REPLAY
        while (thread := runnable()) is not None:
            if thread is not self.current:
                self.current = thread
            if recording:
                _RAISER.set(thread.last_step)
            try:
                action = next(thread.program)
            except StopIteration:
                self.threads.remove(thread)
                continue
            if action.__class__ is Wait:
                thread.waiting = action
                continue
            # One unpacking instead of an attribute read per field: this runs for every event.
            step, frame, kind, src, dst, detail, cost = action  # type: ignore[misc]
            try:
                placed = placements[step]
            except KeyError:
                placed = placements[step] = self._placed(step)
            if placed is None:  # the era has no such function: the step is skipped
                continue
            place, fastest_ns, spread_ns = placed
            started = thread.clock
            if cost:
                thread.clock = started + int(fastest_ns + spread_ns * uniform())
            seq = self.seq
            self.seq = seq + 1
            if count is not None:
                count(place.step, kind, detail, started)
                if take is not None:
                    take((seq, frame, place, kind, src or place.actor, dst or place.actor,
                          started, detail, thread.name, replayed))
                continue
            event = Event(seq, frame, place, kind, src or place.actor, dst or place.actor,
                          started, detail, thread.name)
            if recording:
                self._note_wake(thread, event)
            yield event

    def _note_wake(self, thread: Thread, event: Event) -> None:
        """Record the raiser of the signal that woke ``thread``: the step its raising thread
        ran just before it raised it."""
        thread.last_step = event.step
        raiser, thread.woken_by = thread.woken_by, None
        if raiser is not None:
            self._wakes[event.seq] = raiser  # type: ignore[index]

    def _placed(self, key: str) -> _Placed | None:
        """The step's place and cost in this era; None when the era has no such function."""
        step = CATALOG[key]
        found = place(step, self.era.versions.get(step.project, ""))
        if found is None:
            return None
        # The half makes int() below round to the nearest nanosecond; a cost of at
        # least 1 ns then always moves the clock.
        return _Placed(found, step.cost_ns * (1.0 - JITTER) + 0.5, step.cost_ns * 2.0 * JITTER)


class _Placed(NamedTuple):
    place: Place
    fastest_ns: float  # the step's cost with the most jitter off it, plus a half
    spread_ns: float  # from fastest to slowest
