"""Sequence diagrams drawn with Graphviz: SVG, PNG, PDF, or the DOT source itself.

Lifelines stand in ``model.ACTORS`` order (actors a recorded file adds go
to the right), only those the drawn rows use (no vhost worker for QEMU's
back end), grouped in boxes by layer, with a red line where the guest ends
and the host begins. Each event becomes one row, top to bottom:

* a call between lifelines is a straight numbered arrow labelled with the
  function; a call within one lifeline is a small loop with the label
  beside it;
* a write to shared memory is a dotted blue arrow to the vring lifeline,
  labelled with the fields written (``avail.idx=1``);
* completions, interrupts and returns are dashed; the VM exit, the VM
  entry and the interrupt that crosses back into the guest are thick and
  red (orange for the interrupt) and named, so the boundary crossings stand
  out; the VM entry leaves the KVM lifeline, since KVM resumes the vCPU;
* a decision worth knowing (kick or not, interrupt or not, notifications
  off) is a yellow note beside its lifeline.

Rounds (see ``folding``) are separated by a titled line; a round that
repeats is drawn once inside a dashed loop frame titled ``× N``. With
``detail="summary"`` only arrows that cross a layer are drawn, with the
decisions as notes, in the presenter's large look (``sequence_look``).
``pages`` or ``max_steps_per_page`` cut a long diagram into numbered pages,
one DOT graph each, with the same lifelines and the arrows' numbers going on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO, Any

from vtrace.model import Event, Header, Layer
from vtrace.renderers.base import RenderError, register
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
    ends,
    layer_of,
    layer_runs,
    layer_title,
    on_vcpus,
    word,
)
from vtrace.renderers.folding import MAX_STEPS, batch_of, fold
from vtrace.renderers.graphviz_run import GraphvizRenderer
from vtrace.renderers.rows import Arrow, Item, Loop, Note, Separator, is_summary, items, rows_of
from vtrace.renderers.sequence_look import FULL, PRESENTER, Look, pages
from vtrace.session import Session

__all__ = ["SequenceRenderer", "sequence_pages", "sequence_source"]

MARGIN = 24.0
HEAD_H = 34.0
TOP = 120.0  # first row
ROW = 22.0  # a message
SELF_ROW = 24.0  # a self call
LOOP_W, LOOP_H = 16.0, 10.0  # the self-call loop
NOTE_GAP = 8.0  # from the lifeline to a note
SEPARATOR = 30.0
LOOP_TITLE = 24.0
LOOP_FOOT = 10.0

GREY = "#8a8a8a"
NOTE_FILL, LOOP_COLOUR = "#fff8d6", "#7d5ba6"


# -- columns ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Columns:
    x: dict[str, float]
    note_width: dict[str, float]  # room for notes right of each lifeline
    left: float
    right: float


def _head_width(actor: str, lang: str, look: Look) -> float:
    return max(look.head_min, text_width(actor, look.size),
               text_width(actor_role(actor, lang), look.small)) + look(16)


def _used(actors: list[str], drawn: list[Item]) -> list[str]:
    """The lifelines some row touches, in their order."""
    touched: set[str] = set()
    for row in rows_of(drawn):
        touched.update((row.actor,) if isinstance(row, Note) else ends(row.event, actors))
    return [actor for actor in actors if actor in touched] or actors


def _columns(actors: list[str], drawn: list[Item], lang: str, look: Look) -> _Columns:
    index = {actor: position for position, actor in enumerate(actors)}
    heads = [_head_width(actor, lang, look) for actor in actors]
    gaps = [(heads[i] + heads[i + 1]) / 2 + look(14) for i in range(len(actors) - 1)] + [0.0]
    need = [head / 2 for head in heads]  # room wanted right of the last lifeline
    spans: list[tuple[int, int, float]] = []
    for row in rows_of(drawn):
        if isinstance(row, Note):
            if row.actor in index:
                column = index[row.actor]
                gaps[column] = max(gaps[column], look.note_min)
                need[column] = max(need[column], look.note_min)
            continue
        event, width = row.event, text_width(look.number + row.label, look.size)
        src, dst = (index[end] for end in ends(event, index))
        if src == dst:
            reach = look(LOOP_W + 6) + width + look(10)
            gaps[src] = max(gaps[src], reach)
            need[src] = max(need[src], reach)
        else:
            spans.append((min(src, dst), max(src, dst), width * look.span + look(16)))
    for low, high, width in spans:
        short = width - sum(gaps[low:high])
        if short > 0:
            for column in range(low, high):
                gaps[column] += short / (high - low)
    xs: dict[str, float] = {}
    margin = look(MARGIN)
    x = margin + heads[0] / 2
    for position, actor in enumerate(actors):
        xs[actor] = x
        x += gaps[position]
    last = actors[-1]
    right = xs[last] + need[-1] + margin
    notes = {actor: (gaps[i] if i < len(actors) - 1 else need[i]) - look(NOTE_GAP + 14)
             for i, actor in enumerate(actors)}
    return _Columns(xs, notes, margin, right)


# -- drawing ------------------------------------------------------------------------------------


def _tooltip(event: Event, lang: str) -> str:
    return "\n".join(part for part in (f"{event.function} — {location(event, lang)}",
                                       why(event, lang)) if part)


class _Painter:
    """Walks the items down the page, drawing each on the canvas."""

    def __init__(self, canvas: Canvas, columns: _Columns, lang: str, look: Look,
                 number: int = 0) -> None:
        self.canvas, self.columns, self.lang, self.look = canvas, columns, lang, look
        self.y = look.v(TOP)
        self.number = number

    def arrow(self, row: Arrow) -> None:
        canvas, event, y, look = self.canvas, row.event, self.y, self.look
        self.number += 1
        label = f"{self.number} {row.label}"
        pen = arrow_look(event)
        colour, style, width = pen["color"], pen["style"], pen["penwidth"]
        tooltip = _tooltip(event, self.lang)
        src, dst = (self.columns.x[end] for end in ends(event, self.columns.x))
        if src == dst:
            right, low = src + look(LOOP_W), y + look.v(LOOP_H)
            for start, end in (((src, y), (right, y)), ((right, y), (right, low))):
                canvas.line(start, end, arrow=False, color=colour, style=style, penwidth=width)
            canvas.line((right, low), (src, low), tooltip=tooltip, color=colour, style=style,
                        penwidth=width)
            canvas.text(right + look(6), y + look.v(LOOP_H) / 2, label, left=True,
                        fontcolor=colour)
            self.y += look.v(SELF_ROW)
            return
        canvas.line((src, y + look.v(6)), (dst, y + look.v(6)), tooltip=tooltip, color=colour,
                    style=style, penwidth=width)
        columns, half = self.columns, text_width(label, look.size) / 2
        middle = min(max((src + dst) / 2, columns.left + half), columns.right - columns.left - half)
        canvas.text(middle, y - look.v(2), label, fontcolor=colour)
        self.y += look.v(ROW)

    def note(self, row: Note) -> None:
        columns, look = self.columns, self.look
        if row.actor in columns.x:
            left = columns.x[row.actor] + look(NOTE_GAP)
            width = columns.note_width[row.actor]
        else:  # a note about the whole diagram
            left, width = columns.left, columns.right - 2 * columns.left
        lines = wrap(row.text, width - look(12), look.size)
        text = "\n".join(lines)
        box_width = min(width, text_width(text, look.size) + look(14))
        height = len(lines) * look.line + look.v(8)
        self.canvas.box(left + box_width / 2, self.y + height / 2, box_width, height,
                        shape="note", layer=MIDDLE, style="filled", fillcolor=NOTE_FILL,
                        color=GREY, penwidth="0.8")
        self.canvas.text(left + look(7), self.y + height / 2, text, left=True)
        self.y += height + look.v(6)

    def separator(self, item: Separator) -> None:
        columns, look = self.columns, self.look
        y = self.y + look.v(8)
        self.canvas.line((columns.left, y + look.v(8)), (columns.right - columns.left / 2,
                                                       y + look.v(8)),
                         arrow=False, color=GREY, style="dashed", penwidth="0.8")
        self.canvas.text(columns.left + look(4), y, item.title, left=True, size=look.size + 1,
                         fontcolor=GREY)
        self.y += look.v(SEPARATOR)

    def loop(self, item: Loop) -> None:
        columns, look = self.columns, self.look
        top = self.y + look.v(4)
        self.canvas.text(columns.left + look(8), top + look.v(10), item.title, left=True,
                         size=look.size + 1, fontcolor=LOOP_COLOUR)
        self.y = top + look.v(LOOP_TITLE)
        self.rows(item.rows)
        bottom = self.y + look.v(LOOP_FOOT - 6)
        width = columns.right - columns.left * 1.5
        self.canvas.box(columns.left + width / 2, (top + bottom) / 2, width, bottom - top,
                        layer=MIDDLE, style="dashed", color=LOOP_COLOUR, penwidth="1.4")
        self.y = bottom + look.v(8)

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
                 lang: str, look: Look) -> None:
    """A filled box per run of lifelines in one layer, and the guest/host boundary line."""
    xs = columns.x
    middles = [(xs[a] + xs[b]) / 2 for a, b in zip(actors, actors[1:], strict=False)]
    edges = [columns.left, *middles, columns.right - columns.left / 2]
    for layer, start, end in layer_runs(actors):
        left, right = edges[start] + 1.5, edges[end] - 1.5
        canvas.box((left + right) / 2, (look.v(40) + bottom) / 2, right - left,
                   bottom - look.v(40), style="filled",
                   fillcolor=LAYER_FILL[layer] if layer else OTHER_FILL, color="#ffffff",
                   penwidth="0")
        canvas.text((left + right) / 2, look.v(50), layer_title(layer, lang), size=look.small + 1,
                    fontcolor="#555555", fontname=SANS)
    for position in range(1, len(actors)):
        before, after = layer_of(actors[position - 1]), layer_of(actors[position])
        if (before in GUEST_LAYERS or before is Layer.VRING) and after in HOST_LAYERS:
            x = edges[position]
            canvas.line((x, look.v(28)), (x, bottom), arrow=False, color=RED, style="dashed",
                        penwidth="1.6")
            canvas.text(x, look.v(20), word("boundary", lang), size=look.small + 1, fontcolor=RED,
                        fontname=SANS)


def _heads(canvas: Canvas, actors: list[str], columns: _Columns, y: float, lang: str,
           look: Look) -> None:
    for actor in actors:
        role = actor_role(actor, lang)
        canvas.box(columns.x[actor], y, _head_width(actor, lang, look), look.v(HEAD_H),
                   layer=MIDDLE, style="filled,rounded", fillcolor="#ffffff", color="#555555",
                   penwidth="1")
        canvas.text(columns.x[actor], y - (look.v(5) if role else 0), actor)
        if role:
            canvas.text(columns.x[actor], y + look.v(8), role, size=look.small, fontcolor="#555555",
                        fontname=SANS)


def _page(header: Header, drawn: list[Item], actors: list[str], columns: _Columns, *,
          lang: str, look: Look, number: int, title: str) -> tuple[str, int]:
    """The DOT source of one page, and the number of its last arrow."""
    canvas = Canvas("sequence", comment=diagram_comment(header), font=MONO,
                    font_size=look.size)
    painter = _Painter(canvas, columns, lang, look, number)
    painter.items(drawn)
    head_h = look.v(HEAD_H)
    foot = painter.y + look.v(20) + head_h / 2
    bottom = (foot + head_h / 2 if look.foot else painter.y) + look.v(10)
    _layer_boxes(canvas, actors, columns, bottom, lang, look)
    head = look.v(80.0)
    _heads(canvas, actors, columns, head, lang, look)
    if look.foot:
        _heads(canvas, actors, columns, foot, lang, look)
    end = foot - head_h / 2 if look.foot else painter.y
    for actor in actors:
        x = columns.x[actor]
        canvas.line((x, head + head_h / 2), (x, end), arrow=False, color=GREY,
                    style="dashed", penwidth="0.8")
    canvas.text(columns.left, look.v(8), title, left=True, size=look.size + 2, layer=FRONT,
                fontcolor="#222222", fontname=SANS)
    return canvas.source(), painter.number


def sequence_pages(session: Session, *, summary: bool = False,
                   lang: str = "en", max_steps: int = MAX_STEPS, pages_wanted: int = 1,
                   per_page: int | None = None, loops: bool = True) -> list[str]:
    """The DOT source of each page of the sequence diagram of the session's events
    (``summary``: crossings only, in the presenter's look): ``pages_wanted`` pages of about
    equal height, or pages of at most ``per_page`` rows."""
    look = PRESENTER if summary else FULL
    header = session.header
    outline = fold(on_vcpus(session.events(), header), batch=batch_of(header.params),
                   summary=summary, lang=lang, max_steps=max_steps, loops=loops)
    drawn = items(outline, summary=summary, lang=lang)
    actors = _used(outline.actors, drawn) if look.only_used else outline.actors
    columns = _columns(actors, drawn, lang, look)
    cut = [drawn] if pages_wanted <= 1 and per_page is None else \
        pages(drawn, count=pages_wanted, per_page=per_page, lang=lang) or [drawn]
    title = diagram_title(session, lang)
    sources: list[str] = []
    number = 0
    for page, page_items in enumerate(cut, 1):
        named = title if len(cut) == 1 else word("page", lang, title=title, page=page,
                                                 pages=len(cut))
        source, number = _page(header, page_items, actors, columns, lang=lang, look=look,
                               number=number, title=named)
        sources.append(source)
    return sources


def sequence_source(session: Session, *, summary: bool = False, lang: str = "en",
                    max_steps: int = MAX_STEPS, loops: bool = True) -> str:
    """The DOT source of the sequence diagram of the session's events on one page."""
    return sequence_pages(session, summary=summary, lang=lang, max_steps=max_steps,
                          loops=loops)[0]


@register
class SequenceRenderer(GraphvizRenderer):
    """A sequence diagram: DOT source, or a picture drawn by ``dot`` or graphviz-pure."""

    name = "sequence"
    formats = ("svg", "png", "pdf", "dot")
    options = ("output_format", "detail", "renderer", "pages", "max_steps_per_page", "fold")
    description = "sequence diagram (Graphviz): svg, png, pdf or the dot source"

    def __init__(self, *, output_format: str = "svg", detail: str = "full", renderer: str = "auto",
                 lang: str = "en", pages: int = 1, max_steps_per_page: int | None = None,
                 fold: bool = True) -> None:
        self.summary, self.loops = is_summary(detail), fold
        if pages < 1 or (max_steps_per_page is not None and max_steps_per_page < 1):
            raise RenderError("--pages and --max-steps-per-page take a count of at least 1")
        self.pages, self.per_page = pages, max_steps_per_page
        super().__init__(output_format=output_format, renderer=renderer, lang=lang)

    @property
    def paged(self) -> bool:
        """Whether the diagram may come out on more than one page."""
        return self.pages > 1 or self.per_page is not None

    def render_pages(self, session: Session) -> list[bytes]:
        """Each page's picture (or DOT source), in order."""
        return [self.draw(source) for source in sequence_pages(
            session, summary=self.summary, lang=self.lang,
            pages_wanted=self.pages, per_page=self.per_page, loops=self.loops)]

    def render(self, session: Session, out: IO[Any]) -> None:
        """The diagram on one page; pages go to files of their own (``render_pages``)."""
        if self.paged:
            raise RenderError("a diagram in pages is written to one file per page, not to "
                              "one stream")
        self.write(sequence_source(session, summary=self.summary,
                                   lang=self.lang, loops=self.loops), out)
