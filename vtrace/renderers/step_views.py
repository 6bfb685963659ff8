"""Step mode for every view: the views that draw steps themselves, and a status line for
the rest.

A renderer that can be driven a step at a time returns, from its
``stepping(session, out)``, a context manager yielding a
``vtrace.stepping.StepView`` (the live and the plain views). Any other view
(quiet) gets ``StatusLine``: the step number, the function, its frame and time,
and the key hint, on one line that is redrawn in place on a terminal and
printed line by line off one.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import IO, Any

from vtrace.model import Event
from vtrace.renderers.base import Renderer
from vtrace.renderers.view_words import hint, word
from vtrace.session import Session
from vtrace.stepping import Position, StepView
from vtrace.terminal import is_interactive

__all__ = ["ERASE_LINE", "StatusLine", "Transient", "step_view"]

ERASE_LINE = "\r\x1b[2K"


class Transient:
    """One line at the bottom of a terminal that the next output replaces; off a terminal,
    ``put`` prints the line for good (once per distinct text when ``once``)."""

    def __init__(self, out: IO[Any], once: bool) -> None:
        self.out = out
        self.terminal = is_interactive(out)
        self.once = once
        self.shown = False
        self.said: str | None = None

    def clear(self) -> None:
        if self.terminal and self.shown:
            self.out.write(ERASE_LINE)
            self.shown = False

    def put(self, text: str) -> None:
        if self.terminal:
            self.clear()
            self.out.write(text)
            self.shown = True
        elif not (self.once and text == self.said):
            self.out.write(text + "\n")
            self.said = text
        self.out.flush()


class StatusLine:
    """Step mode for a view that shows nothing per step: the step, the function, the hint."""

    def __init__(self, out: IO[Any], lang: str) -> None:
        self.line = Transient(out, once=False)
        self.lang = lang

    def reset(self) -> None:
        pass

    def feed(self, event: Event) -> None:
        pass

    def show(self, at: Position) -> None:
        event = at.event
        frame = word("no_frame", self.lang) if event.frame is None else \
            word("frame", self.lang, frame=event.frame)
        self.line.put(f"{word('step', self.lang, step=at.step)} · {event.function} · {frame} · "
                      f"{event.t_ns / 1000:.3f} µs · {hint(at, self.lang)}")

    def close(self) -> None:
        if self.line.shown:
            self.line.out.write("\n")


@contextmanager
def _status(out: IO[Any], lang: str) -> Iterator[StepView]:
    view = StatusLine(out, lang)
    try:
        yield view
    finally:
        view.close()


def step_view(renderer: Renderer, session: Session,
              out: IO[Any]) -> AbstractContextManager[StepView]:
    """The step-mode view of ``renderer``: its own, or the status line."""
    own = renderer.stepping(session, out)
    return own if own is not None else _status(out, renderer.lang)


