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

__all__ = ["JITTER", "Count", "Do", "Doing", "Fields", "Scheduler", "Signal", "Take", "Thread",
           "Wait", "counting", "recording_wakes"]

JITTER = 0.2  # a step takes its catalog cost give or take up to 20%, drawn from the seed


@dataclass(slots=True)
class Signal:
    """Something a thread can sleep on: an eventfd, an interrupt line, a bottom half."""

    name: str
    pending: int = 0
    raised_at: int = 0
    raised_by: str | None = None  # the step just before the raise, while paths are recorded

    def raise_(self, t_ns: int) -> None:
        global _changes
        _changes += 1
        if not self.pending:
            self.raised_at = t_ns
            self.raised_by = _RAISER.get()
        self.pending += 1

    def clear(self) -> int:
        global _changes
        _changes += 1
        count, self.pending = self.pending, 0
        return count


#: How many times a signal was raised or cleared or a thread spawned: while it stays the same,
#: only the thread that ran has a new moment, so the scheduler need not look at every thread.
_changes = 0


#: What ``Do`` returns: (step, frame, kind, src, dst, detail, cost), unpacked by the scheduler.
Doing = tuple[str, int | None, Kind, str | None, str | None, Mapping[str, Any], bool]

_NO_DETAIL: Mapping[str, Any] = MappingProxyType({})


def Do(step: str, frame: int | None = None, kind: Kind = Kind.CALL, src: str | None = None,
       dst: str | None = None, detail: Mapping[str, Any] = _NO_DETAIL,
       cost: bool = True) -> Doing:
    """Run catalog step ``step``: one event, then the thread's clock moves by its cost.

    ``src`` is the caller's actor and ``dst`` the callee's (both default to the step's own
    actor); ``cost`` is False for events that take no modelled time (notes, state writes).
    A function that returns a plain tuple rather than a class: the engine makes one per
    event, and calling a Python function costs a third of building a named tuple.
    """
    return step, frame, kind, src, dst, detail, cost


class Wait(NamedTuple):
    """Sleep until one of ``signals`` is pending, or until the clock reaches ``until``.

    A signal wakes the thread ``latency_ns`` after it was raised. A named tuple, like
    ``Do``'s tuple: threads make one at every pause, and a frozen dataclass builds slowly.
    """

    signals: tuple[Signal, ...]
    latency_ns: int = 0
    until: int | None = None


Action = Doing | Wait


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
        self.current: Thread | None = None
        self._placements: dict[str, _Placed | None] = {}
        self._wakes = _WAKES.get()

    def now(self) -> int:
        """The modelled clock of the thread that is running."""
        return self.current.clock if self.current else 0

    def spawn(self, name: str, program: Callable[[Thread], Iterator[Action]]) -> Thread:
        global _changes
        _changes += 1
        thread = Thread(name, iter(()))
        thread.program = program(thread)
        self.threads.append(thread)
        return thread

    def _moment(self, thread: Thread) -> tuple[int, str | None] | None:
        """When ``thread`` can go on, and the raiser of the signal that wakes it; None when
        it waits for something that has not come.

        A waiting thread's moment is when its first pending signal reaches it, or its
        timeout. It stays waiting until it is the one chosen, so that a signal another
        thread raises before that timeout still wakes it (an idle vCPU halted until
        its timer is woken by the interrupt).
        """
        wait = thread.waiting
        if wait is None:
            return thread.clock, None
        signals, latency_ns, due = wait
        by = None
        for signal in signals:
            if signal.pending:
                woken = signal.raised_at + latency_ns
                if due is None or woken < due:
                    due, by = woken, signal.raised_by
        if due is None:
            return None
        return (due if due > thread.clock else thread.clock), by

    def _runnable(self) -> tuple[Thread | None, int | None, bool]:
        """The thread to resume, the one whose next moment is earliest (the first of equals);
        then the moment of the earliest of the others (None: none of them can go on) and
        whether the chosen one comes before that one among the threads."""
        best: Thread | None = None
        best_at = 0
        best_by: str | None = None
        moments = [(thread, self._moment(thread)) for thread in self.threads]
        for thread, moment in moments:
            if moment is not None and (best is None or moment[0] < best_at):
                best, (best_at, best_by) = thread, moment
        rival_at: int | None = None
        passed = first = False
        for thread, moment in moments:
            if thread is best:
                passed = True
            elif moment is not None and (rival_at is None or moment[0] < rival_at):
                rival_at, first = moment[0], passed
        if best is not None and best.waiting is not None:
            best.clock, best.waiting, best.woken_by = best_at, None, best_by
        return best, rival_at, first

    def run(self) -> Iterator[Event]:
        """Run every thread until all of them wait for something that will not come."""
        # Read when the stream starts, so that whoever drains it decides.
        count, take = _COUNTING.get() or (None, None)
        recording = self._wakes is not None
        runnable, placements, uniform = self._runnable, self._placements, self._uniform
        replayed = Source.REPLAY
        thread: Thread | None = None  # the thread that ran the last step, while it may go on
        rival_at: int | None = None
        first = True
        seen = -1
        seq = -1  # the newest event's
        while True:
            # Unless a signal moved, only the thread that ran has a new moment: it goes on
            # while it is still the earliest, and the threads are looked at again otherwise.
            if thread is None or seen != _changes or rival_at is not None and (
                    thread.clock > rival_at or thread.clock == rival_at and not first):
                thread, rival_at, first = runnable()
                if thread is None:
                    return
                seen = _changes
                self.current = thread
            if recording:
                _RAISER.set(thread.last_step)
            try:
                action = next(thread.program)
            except StopIteration:
                self.threads.remove(thread)
                thread = None
                continue
            if action.__class__ is Wait:
                thread.waiting = action
                thread = None
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
            seq += 1
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
