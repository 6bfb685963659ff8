"""Step numbers as the terminal's step mode counts them, for checking the HTML player against.

``terminal_steps`` drives ``vtrace.stepping.drive`` over a stream, pressing
Enter until the end, and records each step the presenter saw: its number,
its call and how many events the view had been fed by then.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from vtrace.model import Event
from vtrace.stepping import Position, drive

__all__ = ["TerminalStep", "step_of", "terminal_steps"]


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
