"""How far a long stream has got, shown on a terminal while a picture is being made.

The bar is drawn only on an interactive terminal and disappears when the work
ends, whichever way it ends. It counts frames when the stream's header says how
many there are, and events otherwise; it redraws every few thousand events,
because a redraw costs as much as reading hundreds of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import IO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from vtrace.i18n import say
from vtrace.model import Event
from vtrace.terminal import colour_allowed, is_interactive

__all__ = ["REDRAW_EVERY", "Track", "progress"]

REDRAW_EVERY = 4096  # events

#: Passes a stream through, moving the bar as it goes.
Track = Callable[[Iterable[Event]], Iterator[Event]]


@contextmanager
def progress(stream: IO[str], frames: int | None, lang: str = "en") -> Iterator[Track]:
    """Yield a ``Track`` that shows progress on ``stream`` when it is a terminal."""
    if not is_interactive(stream):
        yield iter
        return
    console = Console(file=stream, no_color=not colour_allowed(stream), highlight=False)
    label = say("progress.frames" if frames else "progress.events", lang)
    with Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=True) as bar:
        task = bar.add_task(label, total=frames)

        def track(events: Iterable[Event]) -> Iterator[Event]:
            for count, event in enumerate(events, start=1):
                if count % REDRAW_EVERY == 0:
                    if frames is None:
                        bar.update(task, completed=count)
                    elif event.frame is not None:
                        bar.update(task, completed=min(event.frame, frames))
                yield event

        yield track
