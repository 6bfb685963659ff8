"""Step numbers as the terminal's step mode counts them, for checking the HTML player against.

``terminal_steps`` drives ``vtrace.stepping.drive`` over a stream, pressing
Enter until the end, and records each step the presenter saw: its number,
its call and how many events the view had been fed by then. ``ring_lanes`` gives what the
live view's ring lane says at each of those steps.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from vtrace.model import Event
from vtrace.renderers.live import LiveState
from vtrace.session import replayed
from vtrace.stepping import Position, drive

__all__ = ["TerminalStep", "ring_lanes", "step_of", "terminal_steps"]


@dataclass(frozen=True)
class TerminalStep:
    """Step ``number`` shows ``call``, with ``end`` events of the stream fed to the view."""

    number: int
    call: Event
    end: int


class _Counter:
    def __init__(self) -> None:
        self.fed = 0
        self.steps: list[TerminalStep] = []

    def reset(self) -> None:
        self.fed = 0

    def feed(self, event: Event) -> None:
        self.fed += 1

    def show(self, at: Position) -> None:
        self.steps.append(TerminalStep(at.step, at.event, self.fed))


def terminal_steps(events: Sequence[Event]) -> list[TerminalStep]:
    """Every step of ``events`` as step mode shows them, first to last."""
    counter = _Counter()
    drive(events, counter, lambda: "\n")
    return counter.steps


def step_of(steps: Sequence[TerminalStep], index: int) -> TerminalStep:
    """The step whose events include ``events[index]``."""
    return next(step for step in steps if index < step.end)


def ring_lanes(name: str, given: Mapping[str, Any], lang: str) -> list[str]:
    """The live view's ring lane (``entry #frame``, "" for none) at each step of the replay
    of ``name`` with ``given`` (modern era, seed 1), first to last."""
    events = list(replayed(name, given, "modern", 1).events())
    live = LiveState(replayed(name, given, "modern", 1), lang)
    fed, texts = 0, []
    for step in terminal_steps(events):
        for event in events[fed:step.end]:
            live.update(event)
        fed = step.end
        lane = live.ring_lane()
        texts.append("" if lane is None else f"{lane[0]} #{lane[1]}")
    return texts
