"""What a sequence diagram shows, row by row, whichever format draws it (Graphviz, Mermaid).

An ``Outline`` (see ``folding``) becomes a list of items: a ``Separator``
titled with its frames before each round, an ``Arrow`` per message, a
``Note`` per decision, and a ``Loop`` holding the rows of a round that
repeats. A round with the steps of one drawn earlier is a ``Separator``
that names it; what the outline left out is a ``Note`` across the diagram
that says which frames, how many steps and rounds, and why. Arrow labels
name the frame (``#3``) when a round holds several frames or the event
belongs to an earlier one; numbering is left to the format (Mermaid numbers by itself).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from vtrace.model import Event, Kind
from vtrace.renderers.base import RenderError
from vtrace.renderers.diagram_text import (
    crosses_layer,
    frames_title,
    message_label,
    note_text,
    word,
)
from vtrace.renderers.folding import Outline, Round
from vtrace.renderers.repeats import Repeat

__all__ = ["DETAILS", "Arrow", "Item", "Loop", "Note", "Separator", "is_summary", "items",
           "rows_of"]

#: What ``--detail`` accepts: every step, or one arrow per layer crossing.
DETAILS = ("full", "summary")


@dataclass(frozen=True, slots=True)
class Arrow:
    """A message from ``event.src`` to ``event.dst`` (the same lifeline: a self call)."""

    event: Event
    label: str


@dataclass(frozen=True, slots=True)
class Note:
    """A note beside ``actor``'s lifeline; an empty actor means across the whole diagram."""

    actor: str
    text: str


@dataclass(frozen=True, slots=True)
class Separator:
    title: str


@dataclass(frozen=True, slots=True)
class Loop:
    """A round drawn once for ``times`` consecutive rounds with the same steps."""

    title: str
    times: int
    rows: tuple[Arrow | Note, ...]


Item = Arrow | Note | Separator | Loop


def is_summary(detail: str) -> bool:
    """Whether ``detail`` asks for the summary; anything but ``DETAILS`` is an error."""
    if detail not in DETAILS:
        raise RenderError(f"detail must be one of {', '.join(DETAILS)}, not {detail!r}")
    return detail == "summary"


def _round_rows(done: Round, summary: bool, lang: str) -> list[Arrow | Note]:
    first, many = done.first, done.first != done.last
    rows: list[Arrow | Note] = []
    for event in done.events:
        if isinstance(event, Repeat):
            rows.append(Note("", word("repeat" if event.times > 1 else "repeat.once", lang,
                                      steps=event.block, thread=event.last.thread,
                                      times=f"{event.times:,}")))
            continue
        if event.kind is not Kind.NOTE and not (summary and not crosses_layer(event)):
            label = message_label(event, lang)
            if event.frame is not None and (many or event.frame != first):
                label += f"  #{event.frame}"
            rows.append(Arrow(event, label))
        note = note_text(event, lang)
        if note:
            rows.append(Note(event.dst, note))
    return rows


def items(outline: Outline, *, summary: bool = False, lang: str = "en") -> list[Item]:
    """The rows of ``outline``, top to bottom."""
    drawn: list[Item] = []
    for done in outline.rounds:
        first, last = done.frames()
        frames = frames_title(first, last, lang)
        if done.like is not None:
            like = frames_title(done.like.first, done.like.last, lang)
            drawn.append(Separator(word("same" if done.times == 1 else "same.many", lang,
                                        frames=frames, times=f"{done.times:,}", like=like)))
            continue
        rows = _round_rows(done, summary, lang)
        if done.times > 1:
            title = word("loop.interleaved" if done.interleaved else "loop", lang,
                         times=f"{done.times:,}", frames=frames)
            drawn.append(Loop(title, done.times, tuple(rows)))
        else:
            drawn.append(Separator(frames))
            drawn.extend(rows)
        if done.cut:
            drawn.append(Note("", word("cut", lang, frames=frames, drawn=f"{len(done.events):,}",
                                       steps=f"{len(done.events) + done.cut:,}")))
    if outline.hidden_rounds:
        drawn.append(Note("", word(
            "elided", lang, frames=frames_title(outline.hidden_first, outline.hidden_last, lang),
            steps=f"{outline.hidden_steps:,}", rounds=f"{outline.hidden_rounds:,}",
            alike=f"{outline.hidden_alike:,}")))
    return drawn


def rows_of(drawn: Iterable[Item]) -> Iterable[Arrow | Note]:
    """Every arrow and note, loops opened, separators left out."""
    for item in drawn:
        if isinstance(item, Loop):
            yield from item.rows
        elif not isinstance(item, Separator):
            yield item
