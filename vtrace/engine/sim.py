"""A deterministic scheduler for the threads of a replay.

A scenario runs as a few threads (the guest's vCPU, QEMU's main loop),
each a generator of ``Do`` and ``Wait`` actions. The scheduler always
resumes the runnable thread whose modelled clock is earliest, so effects
on the shared ring happen in time order and the event stream comes out
sorted by ``t_ns``. Nothing here reads a real clock; durations come from
the catalog's modelled costs with a seeded jitter.
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
from vtrace.model import Event, Kind, Place

__all__ = ["JITTER", "Count", "Do", "Scheduler", "Signal", "Thread", "Wait", "counting",
           "recording_wakes"]

JITTER = 0.2  # a step takes its catalog cost give or take up to 20%, drawn from the seed


@dataclass(slots=True)
class Signal:
    """Something a thread can sleep on: an eventfd, an interrupt line, a bottom half."""

    name: str
    pending: int = 0
    raised_at: int = 0

    def raise_(self, t_ns: int) -> None:
        if not self.pending:
            self.raised_at = t_ns
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


@dataclass(frozen=True, slots=True)
class Wait:
    """Sleep until one of ``signals`` is pending, or until the clock reaches ``until``.

    A signal wakes the thread ``latency_ns`` after it was raised.
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
    woken_by: int | None = None  # when the signal that woke it was raised


#: seq of an event that a thread ran first after a signal woke it -> the step that raised it.
_WAKES: ContextVar[dict[int, str] | None] = ContextVar("vtrace_wakes", default=None)


@contextmanager
def recording_wakes() -> Iterator[dict[int, str]]:
    """Schedulers made inside note, for each event that a signal's wake-up led to (an
    eventfd, a bottom half, an interrupt), the step on another thread that raised it."""
    wakes: dict[int, str] = {}
    token = _WAKES.set(wakes)
    try:
        yield wakes
    finally:
        _WAKES.reset(token)


#: Counts one event from its parts, as it would be built: (step, kind, detail, t_ns).
Count = Callable[[str, Kind, Mapping[str, Any], int], None]

_COUNTING: ContextVar[Count | None] = ContextVar("vtrace_counting", default=None)


@contextmanager
def counting(count: Count) -> Iterator[None]:
    """Schedulers that run inside hand each event's parts to ``count`` and build no events:
    their streams come out empty. For a run that shows only its counts."""
    token = _COUNTING.set(count)
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
        self._history: list[tuple[int, str, str]] = []  # (t_ns, thread, step) when recording
        self._count: Count | None = None

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
        best_by: int | None = None
        for thread in self.threads:
            wait, by = thread.waiting, None
            if wait is None:
                at = thread.clock
            else:
                due = wait.until
                for signal in wait.signals:
                    if signal.pending:
                        woken = signal.raised_at + wait.latency_ns
                        if due is None or woken < due:
                            due, by = woken, signal.raised_at
                if due is None:
                    continue
                at = max(thread.clock, due)
            if best is None or at < best_at:
                best, best_at, best_by = thread, at, by
        if best is not None and best.waiting is not None:
            best.clock, best.waiting, best.woken_by = best_at, None, best_by
        return best

    def run(self) -> Iterator[Event]:
        """Run every thread until all of them wait for something that will not come."""
        # Read when the stream starts, so that whoever drains it decides.
        self._count = _COUNTING.get()
        emit = (self._counted if self._count is not None else
                self._recorded if self._wakes is not None else self._event)
        runnable = self._runnable
        while (thread := runnable()) is not None:
            self.current = thread
            try:
                action = next(thread.program)
            except StopIteration:
                self.threads.remove(thread)
                continue
            if type(action) is Wait:
                thread.waiting = action
                continue
            event = emit(thread, action)  # type: ignore[arg-type]
            if event is not None:
                yield event

    def _recorded(self, thread: Thread, action: Do) -> Event | None:
        event = self._event(thread, action)
        if event is not None:
            self._note_wake(thread, event)
        return event

    def _note_wake(self, thread: Thread, event: Event) -> None:
        """Record the raiser of the signal that woke ``thread``: the last step another thread
        ran before the moment it was raised."""
        self._history.append((event.t_ns, thread.name, event.step))
        raised, thread.woken_by = thread.woken_by, None
        if raised is None:
            return
        for t_ns, name, step in reversed(self._history):
            if name != thread.name and t_ns < raised:
                self._wakes[event.seq] = step  # type: ignore[index]
                return

    def _counted(self, thread: Thread, action: Do) -> None:
        started = thread.clock
        place = self._step(thread, action)
        if place is not None:
            self.seq += 1
            self._count(place.step, action.kind, action.detail, started)  # type: ignore[misc]

    def _placed(self, key: str) -> _Placed | None:
        """The step's place and cost in this era; None when the era has no such function."""
        step = CATALOG[key]
        found = place(step, self.era.versions.get(step.project, ""))
        if found is None:
            return None
        # The half makes int() below round to the nearest nanosecond; a cost of at
        # least 1 ns then always moves the clock.
        return _Placed(found, step.cost_ns * (1.0 - JITTER) + 0.5, step.cost_ns * 2.0 * JITTER)

    def _event(self, thread: Thread, action: Do) -> Event | None:
        started = thread.clock
        place = self._step(thread, action)
        if place is None:
            return None
        event = Event(self.seq, action.frame, place, action.kind, action.src or place.actor,
                      action.dst or place.actor, started, action.detail, thread.name)
        self.seq += 1
        return event

    def _step(self, thread: Thread, action: Do) -> Place | None:
        """Where the step runs in this era (None: nowhere, so it is skipped); the thread's
        clock moves on by its cost."""
        try:
            placed = self._placements[action.step]
        except KeyError:
            placed = self._placements[action.step] = self._placed(action.step)
        if placed is None:
            return None
        if action.cost:
            thread.clock += int(placed.fastest_ns + placed.spread_ns * self._uniform())
        return placed.place


class _Placed(NamedTuple):
    place: Place
    fastest_ns: float  # the step's cost with the most jitter off it, plus a half
    spread_ns: float  # from fastest to slowest
