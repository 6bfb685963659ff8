"""Folding a loop that runs again and again into one pass and a count, while it streams.

A refill posts 256 receive buffers with the same four calls each time; a
stalled receive path retries the same handful of steps. Shown whole, such a
loop drowns the point. ``fold_repeats`` passes events through until a block
of at most ``longest`` consecutive events is followed by the same block
again, and again: the first pass is shown, the passes after it are held back
and counted, and when the loop ends a ``Repeat`` says how many passes were
folded; a whole frame that takes the steps of the frame before folds the same
way. Each thread's events are matched on their own, so the host sending a
frame while the guest refills its ring does not break the guest's loop: the
other thread's events go through as they come (at most one pass of the loop
is held back meanwhile). Two events are the same when their place, kind,
lifelines and decisions are (``folding.decisions``: the strings and flags of
the detail, only the names of numbers) and both or neither belong to a frame,
so ring indices and frame numbers that count up do not stop the fold. A pass
of one event folds only when it runs at least twice more (one line for one
would save nothing); a loop that breaks off in its middle shows the broken
pass as it came. Memory is bounded by ``longest`` per thread.

Frames rarely take exactly the steps of the frame before: the one that made
QEMU stall, the one whose interrupt was suppressed. ``fold_alike`` folds what
they share. Each thread's events are cut into segments at the first event of
a frame newer than any the thread has seen, and a segment is matched, step by
step, against the thread's segment before it: a run of steps the same as the
earlier frame's (same signature, so other numbers) is held back and becomes
one ``Alike`` that names the two frames, the count and the first and last
function; a step that differs (a decision taken otherwise, a call the earlier
frame did not make) is shown, and matching resumes at the next step both took,
at most ``LOOKAHEAD`` steps on. What is shown is what differs, and every step
that states a fact (``detail["fact"]``: which flow took which queue).
"""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, overload

from vtrace.model import Event

__all__ = ["LOOKAHEAD", "Alike", "Repeat", "decisions", "fold_alike", "fold_repeats"]

#: Steps of the earlier frame a run may skip to find the next step both frames took.
LOOKAHEAD = 16
#: Steps of a segment remembered for the next frame to match (a refill between frames can be long).
REMEMBERED = 4096


def decisions(detail: Mapping[str, Any]) -> tuple[Hashable, ...]:
    """The decisions in ``detail``: bool and str values, the keys of nested mappings, and only
    the names of everything else (counters and indices)."""
    shape: list[Hashable] = []
    for name, value in detail.items():
        kind = value.__class__
        if kind is bool or kind is str:
            shape.append((name, value))
        elif kind is dict:
            shape.append((name, *value))
        else:
            shape.append(name)
    return tuple(shape)


@dataclass(frozen=True, slots=True)
class Repeat:
    """The ``block`` events before this ran ``times`` more times; the last of them was
    ``last``."""

    block: int
    times: int
    last: Event


@dataclass(frozen=True, slots=True)
class Alike:
    """``steps`` events of frame ``frame`` in ``first``'s thread, from ``first`` to ``last``,
    took the steps frame ``like`` took there (held back, not shown); so did each frame after
    it up to ``until``, each like the one before (``last`` is then the last frame's)."""

    frame: int
    like: int
    steps: int
    first: Event
    last: Event
    until: int  # the last frame that took the steps of the frame before it the same way
    frames: int = 1  # how many frames, from ``frame`` to ``until``, folded this way


def _signature(event: Event) -> tuple[Hashable, ...]:
    detail = event.detail
    return (event.place, event.kind, event.src, event.dst, event.thread, event.frame is None,
            decisions(detail) if detail else ())


Item = tuple[Event, tuple[Hashable, ...]]


class _Folder:
    """Matches events against the tail of what was passed through."""

    def __init__(self, longest: int) -> None:
        self.shown: deque[tuple[Hashable, ...]] = deque(maxlen=longest)
        self.held: list[Item] = []  # events that may start (or continue) a pass of a loop
        self.candidates: list[int] = []  # loop lengths the held events still fit
        self.period = 0  # the length of the loop being folded, 0 when none
        self.passes = 0  # complete passes after the first
        self.early: list[Item] = []  # those passes' events, until there are ``least``
        self.last: Event | None = None

    def take(self, item: Item) -> Iterator[Event | Repeat]:
        if self.period:
            yield from self._in_loop(item)
        else:
            if not self.held:
                self.candidates = list(range(1, len(self.shown) + 1))
            yield from self._matching(item)

    def _pass(self, item: Item) -> Event:
        self.shown.append(item[1])
        return item[0]

    def _matching(self, item: Item) -> Iterator[Event | Repeat]:
        at = len(self.held)
        self.candidates = [p for p in self.candidates if self.shown[at - p] == item[1]]
        self.held.append(item)
        complete = [p for p in self.candidates if p == len(self.held)]
        if complete:
            self.period, self.passes = complete[0], 0
            self._one_more_pass()
        elif not self.candidates:
            first, *rest = self.held
            self.held = []
            yield self._pass(first)
            for again in rest:
                yield from self.take(again)

    def _one_more_pass(self) -> None:
        self.passes += 1
        self.last = self.held[-1][0]
        if self.passes <= self._least():
            self.early += self.held
        self.held = []

    def _in_loop(self, item: Item) -> Iterator[Event | Repeat]:
        if self.shown[len(self.held) - self.period] == item[1]:
            self.held.append(item)
            if len(self.held) == self.period:
                self._one_more_pass()
            return
        yield from self.close()
        rest, self.held = [*self.held, item], []
        for again in rest:
            yield from self.take(again)

    def _least(self) -> int:
        """Passes a loop must run again to be folded: a line must save at least one."""
        return 2 if self.period == 1 else 1

    def close(self) -> Iterator[Event | Repeat]:
        """End the loop being folded: a ``Repeat``, or its few passes as they came."""
        if self.period and self.passes >= self._least() and self.last is not None:
            yield Repeat(self.period, self.passes, self.last)
        else:
            for item in self.early:
                yield self._pass(item)
        self.period, self.passes, self.early, self.last = 0, 0, [], None

    def holding(self) -> bool:
        """Whether events of this thread wait to be shown (a pass being matched, or a loop
        not yet long enough to fold)."""
        return bool(self.held) or (self.period > 0 and self.passes < self._least())

    def interrupt(self) -> Iterator[Event | Repeat]:
        """Another thread goes on: what this one holds is shown before it, in time order."""
        if self.period:
            yield from self.close()
        for item in self.held:
            yield self._pass(item)
        self.held = []

    def finish(self) -> Iterator[Event | Repeat]:
        yield from self.close()
        for item in self.held:
            yield self._pass(item)
        self.held = []


@overload
def fold_repeats(events: Iterable[Event], *, longest: int = 128,
                 frameless: bool = False) -> Iterator[Event | Repeat]: ...


@overload
def fold_repeats(events: Iterable[Event | Alike], *, longest: int = 128,
                 frameless: bool = False) -> Iterator[Event | Repeat | Alike]: ...


def fold_repeats(events: Iterable[Event | Alike], *, longest: int = 128,
                 frameless: bool = False) -> Iterator[Event | Repeat | Alike]:
    """``events``, with every loop of at most ``longest`` events in one thread folded into its
    first pass and a ``Repeat``; an ``Alike`` goes through as a line of its thread that ends
    a loop (the steps it stands for are not shown, so no pass of the loop follows them).
    ``frameless``: only steps of no frame loop (a diagram folds whole frames by rounds), so
    a step of a frame ends its thread's loop the way an ``Alike`` does."""
    folders: dict[str, _Folder] = {}
    for item in events:
        event = item.first if isinstance(item, Alike) else item
        if frameless and event.frame is not None:
            item = Alike(event.frame, event.frame, 0, event, event, event.frame)
        for thread, other in folders.items():
            if thread != event.thread and other.holding():
                yield from other.interrupt()
        folder = folders.get(event.thread)
        if folder is None:
            folder = folders[event.thread] = _Folder(longest)
        if isinstance(item, Alike):
            yield from folder.finish()
            folder.shown.clear()
            yield event if item.steps == 0 else item
        else:
            yield from folder.take((event, _signature(event)))
    for folder in folders.values():
        yield from folder.finish()


class _Segment:
    """One thread's steps since its newest frame began, and the run matching the frame before."""

    def __init__(self) -> None:
        self.frame: int | None = None  # the thread's newest frame
        self.like: int | None = None  # the frame whose steps this segment is matched against
        self.before: list[tuple[Hashable, ...]] = []  # that frame's signatures
        self.steps: list[tuple[Hashable, ...]] = []  # this one's, for the next frame
        self.at = 0  # the next step of ``before`` to match
        self.run: list[Event] = []  # the steps held back

    def begin(self, frame: int) -> None:
        if self.frame is not None:
            self.like, self.before = self.frame, self.steps
        self.frame, self.steps, self.at = frame, [], 0

    def matches(self, signature: tuple[Hashable, ...]) -> bool:
        """Whether the step is one the earlier frame took here (or a few steps on)."""
        if self.frame is not None and len(self.steps) < REMEMBERED:
            self.steps.append(signature)
        if self.like is None:
            return False
        ahead = self.before[self.at:self.at + LOOKAHEAD]
        if signature not in ahead:
            return False
        self.at += ahead.index(signature) + 1
        return True


def _joins(pending: Alike, alike: Alike) -> bool:
    """Whether ``alike`` is the next frame doing what ``pending``'s frames did."""
    return (alike.like == pending.until and alike.steps == pending.steps
            and alike.first.place == pending.first.place and alike.last.place == pending.last.place)


def fold_alike(events: Iterable[Event]) -> Iterator[Event | Alike]:
    """``events``, with each run of steps a frame took like the frame before it in the same
    thread folded into an ``Alike`` (the module docstring says how); frame after frame
    folding the same way in a thread, with nothing of it shown between, is one ``Alike``."""
    segments: dict[str, _Segment] = {}
    pending: dict[str, Alike] = {}  # an Alike held back in case the next frame joins it
    shown = 0  # items yielded: a run of one step is shown as it came if nothing went since
    held_at: dict[str, int] = {}

    def close(segment: _Segment) -> Iterator[Event | Alike]:
        run, segment.run = segment.run, []
        if not run:
            return
        thread = run[0].thread
        if len(run) == 1 and held_at[thread] == shown and thread not in pending:
            yield run[0]
            return
        assert segment.frame is not None and segment.like is not None
        alike = Alike(segment.frame, segment.like, len(run), run[0], run[-1], segment.frame)
        before = pending.pop(thread, None)
        if before is not None and _joins(before, alike):
            alike = dataclasses.replace(before, last=alike.last, until=alike.frame,
                                        frames=before.frames + 1)
        elif before is not None:
            yield before
        pending[thread] = alike

    def show(thread: str) -> Iterator[Event | Alike]:
        if (alike := pending.pop(thread, None)) is not None:
            yield alike

    for event in events:
        segment = segments.get(event.thread)
        if segment is None:
            segment = segments[event.thread] = _Segment()
        frame = event.frame
        if frame is not None and (segment.frame is None or frame > segment.frame):
            for item in close(segment):
                shown += 1
                yield item
            segment.begin(frame)
        # A step that states a fact (which flow went to which queue) is shown for every frame.
        if segment.matches(_signature(event)) and "fact" not in event.detail:
            if not segment.run:
                held_at[event.thread] = shown
            segment.run.append(event)
            continue
        for item in [*close(segment), *show(event.thread)]:
            shown += 1
            yield item
        shown += 1
        yield event
    last: list[Event | Alike] = []
    for segment in segments.values():
        last += [*close(segment)]
    last += pending.values()
    yield from sorted(last, key=lambda item: item.last.seq if isinstance(item, Alike) else item.seq)
