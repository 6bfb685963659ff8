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
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Iterable, Iterator
from dataclasses import dataclass

from vtrace.model import Event
from vtrace.renderers.folding import decisions

__all__ = ["Repeat", "fold_repeats"]


@dataclass(frozen=True, slots=True)
class Repeat:
    """The ``block`` events before this ran ``times`` more times; the last of them was
    ``last``."""

    block: int
    times: int
    last: Event


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


def fold_repeats(events: Iterable[Event], *, longest: int = 128) -> Iterator[Event | Repeat]:
    """``events``, with every loop of at most ``longest`` events in one thread folded into its
    first pass and a ``Repeat``."""
    folders: dict[str, _Folder] = {}
    for event in events:
        for thread, other in folders.items():
            if thread != event.thread and other.holding():
                yield from other.interrupt()
        folder = folders.get(event.thread)
        if folder is None:
            folder = folders[event.thread] = _Folder(longest)
        yield from folder.take((event, _signature(event)))
    for folder in folders.values():
        yield from folder.finish()
