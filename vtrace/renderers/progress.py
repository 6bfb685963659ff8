"""How far a long run has got, shown on a terminal while a picture is made or a quiet run
counts.

The bar is drawn only on an interactive terminal and disappears when the work
ends, whichever way it ends. It counts frames when the stream's header says how
many there are, and events otherwise, with the rate so far and the time left;
it moves every few thousand events, because a redraw costs as much as reading
hundreds of them (rich redraws it from its own thread, ten times a second).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import IO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from vtrace.i18n import say
from vtrace.model import Event
from vtrace.terminal import colour_allowed, is_interactive

__all__ = ["REDRAW_EVERY", "Move", "Track", "bar", "progress"]

REDRAW_EVERY = 4096  # events

#: Passes a stream through, moving the bar as it goes.
Track = Callable[[Iterable[Event]], Iterator[Event]]
#: Sets how much of the bar's total is done.
Move = Callable[[int], None]


class _Rate(ProgressColumn):
    """Frames (or events) a second, over rich's recent samples."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:,.0f}/s", style="progress.data.speed")


@contextmanager
def bar(stream: IO[str], total: int | None, label: str) -> Iterator[Move | None]:
    """Yield a ``Move`` for a transient bar on ``stream`` when it is a terminal, else None."""
    if not is_interactive(stream):
        yield None
        return
    console = Console(file=stream, no_color=not colour_allowed(stream), highlight=False)
    with Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), _Rate(),
                  TimeElapsedColumn(), TimeRemainingColumn(), console=console,
                  transient=True) as shown:
        task = shown.add_task(label, total=total)

        def move(done: int) -> None:
            shown.update(task, completed=done if total is None else min(done, total))

        yield move


@contextmanager
def progress(stream: IO[str], frames: int | None, lang: str = "en",
             label: str | None = None) -> Iterator[Track]:
    """Yield a ``Track`` that shows progress on ``stream`` when it is a terminal; ``label``
    names what is counted (default: frames, or events, read)."""
    label = label or say("progress.frames" if frames else "progress.events", lang)
    with bar(stream, frames, label) as move:
        if move is None:
            yield iter
            return
        shown = move

        def track(events: Iterable[Event]) -> Iterator[Event]:
            for count, event in enumerate(events, start=1):
                if count % REDRAW_EVERY == 0:
                    if frames is None:
                        shown(count)
                    elif event.frame is not None:
                        shown(event.frame)
                yield event

        yield track
