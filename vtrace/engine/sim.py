"""A deterministic scheduler for the threads of a replay.

A scenario runs as a few threads (the guest's vCPU, QEMU's main loop),
each a generator of ``Do`` and ``Wait`` actions. The scheduler always
resumes the runnable thread whose modelled clock is earliest, so effects
on the shared ring happen in time order and the event stream comes out
sorted by ``t_ns``. Nothing here reads a real clock; durations come from
the catalog's modelled costs with a seeded jitter. A scheduler's ``Run`` is its
stream of events; ``Run.count`` makes the same run build no events and hand each
one's parts to a counter instead, and all of its fields, unbuilt, to a view that
shows only some of them. Whoever drains a run says which: nothing is read from
the context or kept between runs.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, NamedTuple

from vtrace.catalog import CATALOG, Era, place
from vtrace.model import Event, Kind, Place, Source

__all__ = ["JITTER", "CountEvent", "Do", "Doing", "Fields", "Run", "Scheduler", "Signal", "Take",
           "Thread", "Wait"]

JITTER = 0.2  # a step takes its catalog cost give or take up to 20%, drawn from the seed


class Signal:
    """Something a thread can sleep on: an eventfd, an interrupt line, a bottom half.

    It belongs to one scheduler (``on``), which learns of every raise and clear.
    """

    __slots__ = ("name", "on", "pending", "raised_at", "raised_by")

    def __init__(self, name: str, on: Scheduler) -> None:
        self.name = name
        self.on = on
        self.pending = 0
        self.raised_at = 0
        self.raised_by: str | None = None  # the step just before the raise, while wakes are noted

    def raise_(self, t_ns: int) -> None:
        on = self.on
        on.changes += 1
        if not self.pending:
            self.raised_at = t_ns
            self.raised_by = on.raiser
        self.pending += 1

    def clear(self) -> int:
        self.on.changes += 1
        count, self.pending = self.pending, 0
        return count


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


#: Counts one event from its parts, as it would be built: (step, kind, detail, t_ns).
CountEvent = Callable[[str, Kind, Mapping[str, Any], int], None]


class Fields(NamedTuple):
    """An event's fields in the order ``Event`` takes them: ``Event(*fields)`` builds it."""

    seq: int
    frame: int | None
    place: Place
    kind: Kind
    src: str
    dst: str
    t_ns: int
    detail: Mapping[str, Any]
    thread: str
    source: Source


#: Takes in one event as its fields, after ``CountEvent`` has counted it.
Take = Callable[[Fields], None]


class Run:
    """The stream of a scheduler's threads, made as it is drained.

    Iterated, it yields each ``Event``; ``count`` runs it instead for its counts alone. Either
    drains it, once. ``note_wakes`` asks, before it runs, for the raiser of each wake-up.
    """

    __slots__ = ("_events", "_scheduler")

    def __init__(self, scheduler: Scheduler) -> None:
        self._scheduler = scheduler
        self._events: Iterator[Event] | None = None

    def __iter__(self) -> Iterator[Event]:
        # The generator itself, so that a loop over the run pays no call per event.
        if self._events is None:
            self._events = self._scheduler.steps(None, None)
        return self._events

    def __next__(self) -> Event:
        return next(iter(self))

    def count(self, count: CountEvent, take: Take | None = None) -> None:
        """Hand each event's parts to ``count`` and build no events; with ``take``, each
        event's fields too, after counting (a view that builds only the few it draws)."""
        if self._events is not None:
            raise RuntimeError("this run has been iterated: a run is drained once")
        self._events = iter(())
        for _ in self._scheduler.steps(count, take):
            pass

    def note_wakes(self) -> Mapping[int, str]:
        """For each event that a signal's wake-up led to (an eventfd, a bottom half, an
        interrupt), the step on another thread that raised it, by the event's ``seq``: filled
        in as the run is drained."""
        wakes = self._scheduler.wakes
        if wakes is None:
            wakes = self._scheduler.wakes = {}
        return wakes


class Scheduler:
    """Interleaves threads by modelled time and turns their actions into events.

    ``changes`` counts the raises and clears of its signals and the threads spawned: while it
    stays the same, only the thread that ran has a new moment, so the scheduler need not look
    at every thread. ``raiser`` is the newest step of the running thread while wakes are
    noted, which a signal it raises remembers.
    """

    def __init__(self, era: Era, seed: int) -> None:
        self.era = era
        self._uniform = random.Random(seed).random
        self.threads: list[Thread] = []
        self.current: Thread | None = None
        self._placements: dict[str, _Placed | None] = {}
        self.changes = 0
        self.raiser: str | None = None
        #: seq of an event a thread ran first after a signal woke it -> the step that raised it
        self.wakes: dict[int, str] | None = None

    def now(self) -> int:
        """The modelled clock of the thread that is running."""
        return self.current.clock if self.current else 0

    def signal(self, name: str) -> Signal:
        """A new signal of this scheduler's threads."""
        return Signal(name, self)

    def spawn(self, name: str, program: Callable[[Thread], Iterator[Action]]) -> Thread:
        self.changes += 1
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

    def run(self) -> Run:
        """The stream of every thread, run until all of them wait for something that will not
        come; whoever drains it decides whether it builds events or only counts them."""
        return Run(self)

    def steps(self, count: CountEvent | None, take: Take | None) -> Iterator[Event]:
        """Run every thread: yield each event, or with ``count`` hand it each event's parts
        (and ``take`` its fields) and yield nothing."""
        wakes = self.wakes
        runnable, placements, uniform = self._runnable, self._placements, self._uniform
        replayed = Source.REPLAY
        # The tuple's own constructor: the class's calls a Python function per event.
        new_fields = tuple.__new__
        thread: Thread | None = None  # the thread that ran the last step, while it may go on
        rival_at: int | None = None
        first = True
        seen = -1
        seq = -1  # the newest event's
        while True:
            # Unless a signal moved, only the thread that ran has a new moment: it goes on
            # while it is still the earliest, and the threads are looked at again otherwise.
            if thread is None or seen != self.changes or rival_at is not None and (
                    thread.clock > rival_at or thread.clock == rival_at and not first):
                thread, rival_at, first = runnable()
                if thread is None:
                    return
                seen = self.changes
                self.current = thread
            if wakes is not None:
                self.raiser = thread.last_step
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
                    take(new_fields(Fields, (seq, frame, place, kind, src or place.actor,
                                             dst or place.actor, started, detail, thread.name,
                                             replayed)))
                continue
            event = Event(seq, frame, place, kind, src or place.actor, dst or place.actor,
                          started, detail, thread.name)
            if wakes is not None:
                _note_wake(wakes, thread, event)
            yield event

    def _placed(self, key: str) -> _Placed | None:
        """The step's place and cost in this era; None when the era has no such function."""
        step = CATALOG[key]
        found = place(step, self.era.versions.get(step.project, ""))
        if found is None:
            return None
        # The half makes int() below round to the nearest nanosecond; a cost of at
        # least 1 ns then always moves the clock.
        return _Placed(found, step.cost_ns * (1.0 - JITTER) + 0.5, step.cost_ns * 2.0 * JITTER)


def _note_wake(wakes: dict[int, str], thread: Thread, event: Event) -> None:
    """Note the raiser of the signal that woke ``thread``: the step its raising thread ran
    just before it raised it."""
    thread.last_step = event.step
    raiser, thread.woken_by = thread.woken_by, None
    if raiser is not None:
        wakes[event.seq] = raiser


class _Placed(NamedTuple):
    place: Place
    fastest_ns: float  # the step's cost with the most jitter off it, plus a half
    spread_ns: float  # from fastest to slowest
