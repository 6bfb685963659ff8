"""Plain text: one line per step, no colour, for pipes, logs and screen readers.

The first time a step appears, indented lines under it point out what is
particular to that version and where the lesson tells it differently. With
``show_ring``, every call that adds, takes, uses or frees a descriptor is
followed by the ring's contents, and a frame's first descriptor by its headers.
In step mode each step's lines are printed when the presenter reaches it, and
the key hint waits on the line below.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import IO, Any

from vtrace.i18n import say
from vtrace.model import Event, Header, Kind
from vtrace.renderers.base import Renderer, register
from vtrace.renderers.describe import decision, lesson, location, note, ring_fields, why
from vtrace.renderers.ring_contents import RingContents
from vtrace.renderers.ring_view import frame_lines, ring_lines
from vtrace.renderers.step_views import Transient
from vtrace.renderers.view_words import hint, word
from vtrace.stepping import Position, StepView

__all__ = ["PlainRenderer", "format_event", "remarks"]

NOTE_INDENT = " " * 34  # past the time and frame columns, ending inside the layer column
RING_INDENT = " " * 22  # under the layer column: the ring is what the step changed


def format_event(event: Event, lang: str = "en") -> str:
    """``   2.420 µs  #0  guest-kernel  virtqueue_add_split  file:line [Linux 6.1]  ...``"""
    frame = f"#{event.frame}" if event.frame is not None else "-"
    head = f"{event.t_ns / 1000:10.3f} µs  {frame:>6}  {event.layer.value:<12}  "
    if event.kind is Kind.CALL:
        said = decision(event, lang)
        extras = "  ".join(part for part in (ring_fields(event.detail), said) if part)
        text = f"{event.function}  {location(event, lang)}"
        return f"{head}{text}" + (f"  {extras}" if extras else "") + f"  — {why(event, lang)}"
    marker = {Kind.RETURN: "<-", Kind.STATE: "=>", Kind.NOTE: "**"}[event.kind]
    return f"{head}{marker} {decision(event, lang)}"


def remarks(event: Event, lang: str = "en") -> list[str]:
    """Indented lines for the version note and the lesson note of the event's step, if any.

    The plain view prints them under the first call of each step, so every
    difference is pointed out once without repeating it for each frame.
    """
    lines = []
    if said := note(event, lang):
        lines.append(f"{NOTE_INDENT}↳ {said}")
    if said := lesson(event, lang):
        lines.append(f"{NOTE_INDENT}↳ {say('live.lesson', lang)}: {said}")
    return lines


class _Lines:
    """The lines each event adds, remembering which steps were already annotated."""

    def __init__(self, header: Header, lang: str, show_ring: bool) -> None:
        self.lang = lang
        self.ring = RingContents(header) if show_ring else None
        self.annotated: set[tuple[str, str]] = set()
        self.framed: set[int] = set()

    def of(self, event: Event) -> list[str]:
        lines = [format_event(event, self.lang)]
        if event.kind is Kind.CALL and (event.step, event.version) not in self.annotated:
            self.annotated.add((event.step, event.version))
            lines += remarks(event, self.lang)
        if self.ring is not None:
            self.ring.update(event)
            if event.kind is Kind.CALL and event.step in self.ring.actions \
                    and "head" in event.detail:
                lines += self._ring_lines()
        return lines

    def _ring_lines(self) -> list[str]:
        assert self.ring is not None
        lines = ring_lines(self.ring, self.lang)
        frame = self.ring.frame
        if frame is not None and frame not in self.framed:
            self.framed.add(frame)
            lines += frame_lines(self.ring, self.lang)
        return [f"{RING_INDENT}│ {line}" for line in lines]


@register
class PlainRenderer(Renderer):
    name = "plain"
    formats = ("txt",)
    view = True
    options = ("show_ring",)
    description = "one readable line per step"

    def __init__(self, *, lang: str = "en", show_ring: bool = False) -> None:
        self.lang = lang
        self.show_ring = show_ring

    def render(self, header: Header, events: Iterable[Event], out: IO[Any]) -> None:
        lines = _Lines(header, self.lang, self.show_ring)
        for event in events:
            for line in lines.of(event):
                out.write(line + "\n")

    @contextmanager
    def stepping(self, header: Header, out: IO[Any]) -> Iterator[StepView]:
        """A view a presenter drives a step at a time (``vtrace.stepping.drive``)."""
        view = _PlainSteps(header, self.lang, self.show_ring, out)
        try:
            yield view
        finally:
            view.hint.clear()


class _PlainSteps:
    """The plain view in step mode: a step's lines once the presenter reaches it."""

    def __init__(self, header: Header, lang: str, show_ring: bool, out: IO[Any]) -> None:
        self.header = header
        self.lang = lang
        self.show_ring = show_ring
        self.out = out
        self.hint = Transient(out, once=True)
        self.printed = 0  # the step whose lines were printed last
        self.reset()

    def reset(self) -> None:
        self.lines = _Lines(self.header, self.lang, self.show_ring)
        self.step: list[str] = []

    def feed(self, event: Event) -> None:
        if event.kind is Kind.CALL:
            self.step = []
        self.step += self.lines.of(event)

    def show(self, at: Position) -> None:
        self.hint.clear()
        if at.step != self.printed:
            if at.back:
                self.out.write(f"── {word('back', self.lang, step=at.step)} ──\n")
            self.out.write("".join(line + "\n" for line in self.step))
            self.printed = at.step
        said = hint(at, self.lang)
        # Off a terminal the hint is printed once, not after every step of a log.
        self.hint.put(f"[{word('step', self.lang, step=at.step)}] {said}" if self.hint.terminal
                      else said)
