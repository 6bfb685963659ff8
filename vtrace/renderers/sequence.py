"""Sequence diagrams drawn with Graphviz: SVG, PNG, PDF, or the DOT source itself.

Lifelines stand in ``model.ACTORS`` order (actors a recorded file adds go
to the right), grouped in boxes by layer, with a red line where the guest
ends and the host begins. Each event becomes one row, top to bottom:

* a call between lifelines is a straight numbered arrow labelled with the
  function; a call within one lifeline is a small loop with the label
  beside it;
* a write to shared memory is a dotted blue arrow to the vring lifeline,
  labelled with the fields written (``avail.idx=1``);
* completions, interrupts and returns are dashed; the VM exit, the VM
  entry and the interrupt that crosses back into the guest are thick and
  red (orange for the interrupt) and named, so the boundary crossings stand
  out;
* a decision worth knowing (kick or not, interrupt or not, notifications
  off) is a yellow note beside its lifeline.

Rounds (see ``folding``) are separated by a titled line; a round that
repeats is drawn once inside a dashed loop frame titled ``× N``. With
``detail="summary"`` only arrows that cross a layer are drawn, with the
decisions as notes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO, Any

from vtrace.model import ACTOR_LAYER, Event, Header, Layer
from vtrace.renderers.base import register
from vtrace.renderers.canvas import FRONT, MIDDLE, MONO, SANS, Canvas, text_width, wrap
from vtrace.renderers.describe import location, why
from vtrace.renderers.diagram_text import (
    GUEST_LAYERS,
    HOST_LAYERS,
    LAYER_FILL,
    OTHER_FILL,
    RED,
    actor_role,
    arrow_look,
    diagram_comment,
    diagram_title,
    layer_runs,
    layer_title,
    word,
)
from vtrace.renderers.folding import MAX_STEPS, batch_of, fold
from vtrace.renderers.graphviz_run import GraphvizRenderer
from vtrace.renderers.rows import Arrow, Item, Loop, Note, Separator, is_summary, items, rows_of

__all__ = ["SequenceRenderer", "sequence_source"]

SIZE = 10.0  # points, for labels and notes
MARGIN = 24.0
HEAD_H = 34.0
TOP = 120.0  # first row
ROW = 22.0  # a message
SELF_ROW = 24.0  # a self call
LOOP_W, LOOP_H = 16.0, 10.0  # the self-call loop
NOTE_GAP = 8.0  # from the lifeline to a note
NOTE_MIN = 190.0  # room a lifeline with notes gets on its right
LINE = SIZE * 1.2
SEPARATOR = 30.0
LOOP_TITLE = 24.0
LOOP_FOOT = 10.0
NUMBER = "0000 "  # room for an arrow's number in front of its label

GREY = "#8a8a8a"
NOTE_FILL, LOOP_COLOUR = "#fff8d6", "#7d5ba6"


# -- columns ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Columns:
    x: dict[str, float]
    note_width: dict[str, float]  # room for notes right of each lifeline
    left: float
    right: float


def _head_width(actor: str, lang: str) -> float:
    return max(80.0, text_width(actor, SIZE), text_width(actor_role(actor, lang), 8.0)) + 16


def _columns(actors: list[str], drawn: list[Item], lang: str) -> _Columns:
    index = {actor: position for position, actor in enumerate(actors)}
    heads = [_head_width(actor, lang) for actor in actors]
    gaps = [(heads[i] + heads[i + 1]) / 2 + 14 for i in range(len(actors) - 1)] + [0.0]
    need = [head / 2 for head in heads]  # room wanted right of the last lifeline
    spans: list[tuple[int, int, float]] = []
    for row in rows_of(drawn):
        if isinstance(row, Note):
            if row.actor in index:
                column = index[row.actor]
                gaps[column] = max(gaps[column], NOTE_MIN)
                need[column] = max(need[column], NOTE_MIN)
            continue
        event, width = row.event, text_width(NUMBER + row.label, SIZE)
        src, dst = index[event.src], index[event.dst]
        if src == dst:
            reach = LOOP_W + 6 + width + 10
            gaps[src] = max(gaps[src], reach)
            need[src] = max(need[src], reach)
        else:
            spans.append((min(src, dst), max(src, dst), width + 16))
    for low, high, width in spans:
        short = width - sum(gaps[low:high])
        if short > 0:
            for column in range(low, high):
                gaps[column] += short / (high - low)
    xs: dict[str, float] = {}
    x = MARGIN + heads[0] / 2
    for position, actor in enumerate(actors):
        xs[actor] = x
        x += gaps[position]
    last = actors[-1]
    right = xs[last] + need[-1] + MARGIN
    notes = {actor: (gaps[i] if i < len(actors) - 1 else need[i]) - NOTE_GAP - 14
             for i, actor in enumerate(actors)}
    return _Columns(xs, notes, MARGIN, right)


# -- drawing ------------------------------------------------------------------------------------


def _tooltip(event: Event, lang: str) -> str:
    return "\n".join(part for part in (f"{event.function} — {location(event, lang)}",
                                       why(event, lang)) if part)


class _Painter:
    """Walks the items down the page, drawing each on the canvas."""

    def __init__(self, canvas: Canvas, columns: _Columns, lang: str) -> None:
        self.canvas, self.columns, self.lang = canvas, columns, lang
        self.y = TOP
        self.number = 0

    def arrow(self, row: Arrow) -> None:
        canvas, event, y = self.canvas, row.event, self.y
        self.number += 1
        label = f"{self.number} {row.label}"
        look = arrow_look(event)
        colour, style, width = look["color"], look["style"], look["penwidth"]
        tooltip = _tooltip(event, self.lang)
        src, dst = self.columns.x[event.src], self.columns.x[event.dst]
        if src == dst:
            right, low = src + LOOP_W, y + LOOP_H
            for start, end in (((src, y), (right, y)), ((right, y), (right, low))):
                canvas.line(start, end, arrow=False, color=colour, style=style, penwidth=width)
            canvas.line((right, low), (src, low), tooltip=tooltip, color=colour, style=style,
                        penwidth=width)
            canvas.text(right + 6, y + LOOP_H / 2, label, left=True, fontcolor=colour)
            self.y += SELF_ROW
            return
        canvas.line((src, y + 6), (dst, y + 6), tooltip=tooltip, color=colour, style=style,
                    penwidth=width)
        canvas.text((src + dst) / 2, y - 2, label, fontcolor=colour)
        self.y += ROW

    def note(self, row: Note) -> None:
        columns = self.columns
        if row.actor in columns.x:
            left = columns.x[row.actor] + NOTE_GAP
            width = columns.note_width[row.actor]
        else:  # a note about the whole diagram
            left, width = columns.left, columns.right - columns.left - MARGIN
        lines = wrap(row.text, width - 12, SIZE)
        text = "\n".join(lines)
        box_width = min(width, text_width(text, SIZE) + 14)
        height = len(lines) * LINE + 8
        self.canvas.box(left + box_width / 2, self.y + height / 2, box_width, height,
                        shape="note", layer=MIDDLE, style="filled", fillcolor=NOTE_FILL,
                        color=GREY, penwidth="0.8")
        self.canvas.text(left + 7, self.y + height / 2, text, left=True)
        self.y += height + 6

    def separator(self, item: Separator) -> None:
        columns, y = self.columns, self.y + 8
        self.canvas.line((columns.left, y + 8), (columns.right - MARGIN / 2, y + 8), arrow=False,
                         color=GREY, style="dashed", penwidth="0.8")
        self.canvas.text(columns.left + 4, y, item.title, left=True, size=SIZE + 1,
                         fontcolor=GREY)
        self.y += SEPARATOR

    def loop(self, item: Loop) -> None:
        columns, top = self.columns, self.y + 4
        self.canvas.text(columns.left + 8, top + 10, item.title, left=True, size=SIZE + 1,
                         fontcolor=LOOP_COLOUR)
        self.y = top + LOOP_TITLE
        self.rows(item.rows)
        bottom = self.y + LOOP_FOOT - 6
        width = columns.right - columns.left - MARGIN / 2
        self.canvas.box(columns.left + width / 2, (top + bottom) / 2, width, bottom - top,
                        layer=MIDDLE, style="dashed", color=LOOP_COLOUR, penwidth="1.4")
        self.y = bottom + 8

    def rows(self, rows: Iterable[Arrow | Note]) -> None:
        for row in rows:
            if isinstance(row, Arrow):
                self.arrow(row)
            else:
                self.note(row)

    def items(self, drawn: list[Item]) -> None:
        for item in drawn:
            if isinstance(item, Loop):
                self.loop(item)
            elif isinstance(item, Separator):
                self.separator(item)
            else:
                self.rows((item,))


def _layer_boxes(canvas: Canvas, actors: list[str], columns: _Columns, bottom: float,
                 lang: str) -> None:
    """A filled box per run of lifelines in one layer, and the guest/host boundary line."""
    xs = columns.x
    middles = [(xs[a] + xs[b]) / 2 for a, b in zip(actors, actors[1:], strict=False)]
    edges = [columns.left, *middles, columns.right - MARGIN / 2]
    for layer, start, end in layer_runs(actors):
        left, right = edges[start] + 1.5, edges[end] - 1.5
        canvas.box((left + right) / 2, (40 + bottom) / 2, right - left, bottom - 40,
                   style="filled", fillcolor=LAYER_FILL[layer] if layer else OTHER_FILL,
                   color="#ffffff", penwidth="0")
        canvas.text((left + right) / 2, 50, layer_title(layer, lang), size=9, fontcolor="#555555",
                    fontname=SANS)
    for position in range(1, len(actors)):
        before, after = ACTOR_LAYER.get(actors[position - 1]), ACTOR_LAYER.get(actors[position])
        if (before in GUEST_LAYERS or before is Layer.VRING) and after in HOST_LAYERS:
            x = edges[position]
            canvas.line((x, 28), (x, bottom), arrow=False, color=RED, style="dashed",
                        penwidth="1.6")
            canvas.text(x, 20, word("boundary", lang), size=9, fontcolor=RED, fontname=SANS)


def _heads(canvas: Canvas, actors: list[str], columns: _Columns, y: float, lang: str) -> None:
    for actor in actors:
        role = actor_role(actor, lang)
        canvas.box(columns.x[actor], y, _head_width(actor, lang), HEAD_H, layer=MIDDLE,
                   style="filled,rounded", fillcolor="#ffffff", color="#555555", penwidth="1")
        canvas.text(columns.x[actor], y - (5 if role else 0), actor)
        if role:
            canvas.text(columns.x[actor], y + 8, role, size=8, fontcolor="#555555", fontname=SANS)


def sequence_source(header: Header, events: Iterable[Event], *, summary: bool = False,
                    lang: str = "en", max_steps: int = MAX_STEPS) -> str:
    """The DOT source of the sequence diagram of ``events`` (``summary``: crossings only)."""
    outline = fold(events, batch=batch_of(header.params), summary=summary, lang=lang,
                   max_steps=max_steps)
    drawn = items(outline, summary=summary, lang=lang)
    actors = outline.actors
    columns = _columns(actors, drawn, lang)
    canvas = Canvas("sequence", comment=diagram_comment(header), font=MONO, font_size=SIZE)
    painter = _Painter(canvas, columns, lang)
    painter.items(drawn)
    foot = painter.y + 20 + HEAD_H / 2
    bottom = foot + HEAD_H / 2 + 10
    _layer_boxes(canvas, actors, columns, bottom, lang)
    head = 80.0
    _heads(canvas, actors, columns, head, lang)
    _heads(canvas, actors, columns, foot, lang)
    for actor in actors:
        x = columns.x[actor]
        canvas.line((x, head + HEAD_H / 2), (x, foot - HEAD_H / 2), arrow=False, color=GREY,
                    style="dashed", penwidth="0.8")
    canvas.text(columns.left, 8, diagram_title(header, lang), left=True, size=SIZE + 2,
                layer=FRONT, fontcolor="#222222", fontname=SANS)
    return canvas.source()


@register
class SequenceRenderer(GraphvizRenderer):
    """A sequence diagram: DOT source, or a picture drawn by ``dot`` or graphviz-pure."""

    name = "sequence"
    formats = ("svg", "png", "pdf", "dot")
    options = ("output_format", "detail", "renderer")
    description = "sequence diagram (Graphviz): svg, png, pdf or the dot source"

    def __init__(self, *, output_format: str = "svg", detail: str = "full", renderer: str = "auto",
                 lang: str = "en") -> None:
        self.summary = is_summary(detail)
        super().__init__(output_format=output_format, renderer=renderer, lang=lang)

    def render(self, header: Header, events: Iterable[Event], out: IO[Any]) -> None:
        self.write(sequence_source(header, events, summary=self.summary, lang=self.lang), out)
