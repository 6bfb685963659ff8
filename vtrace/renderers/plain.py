"""Plain text: one line per step, no colour, for pipes, logs and screen readers.

The first time a step appears, indented lines under it point out what is
particular to that version and where the lesson tells it differently.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import IO, Any

from vtrace.i18n import say
from vtrace.model import Event, Header, Kind
from vtrace.renderers.base import Renderer, register
from vtrace.renderers.describe import decision, lesson, location, note, ring_fields, why

__all__ = ["PlainRenderer", "format_event", "remarks"]

NOTE_INDENT = " " * 34  # past the time and frame columns, ending inside the layer column


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


@register
class PlainRenderer(Renderer):
    name = "plain"
    formats = ("txt",)
    view = True
    description = "one readable line per step"

    def __init__(self, *, lang: str = "en") -> None:
        self.lang = lang

    def render(self, header: Header, events: Iterable[Event], out: IO[Any]) -> None:
        annotated: set[tuple[str, str]] = set()
        for event in events:
            out.write(format_event(event, self.lang) + "\n")
            if event.kind is Kind.CALL and (event.step, event.version) not in annotated:
                annotated.add((event.step, event.version))
                for line in remarks(event, self.lang):
                    out.write(line + "\n")
