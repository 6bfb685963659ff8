"""Mermaid sequence diagrams (``.mmd``) for Markdown pages that render Mermaid.

The same rows as the Graphviz diagram (see ``rows``): the lifelines the
drawn rows use, declared in ``model.ACTORS`` order inside one ``box`` per
layer, ``autonumber`` for the arrows, ``Note right of`` for decisions, a
note across all lifelines as the separator before each round, and
``loop × N`` around a round that repeats. The VM exit, the VM entry and
the interrupt sit in a tinted ``rect`` so the boundary crossings stand
out. Writes to shared memory use the open arrow (``-)``), completions and
returns the dashed one.

Participant ids are the actor names with anything but letters, digits
and ``_`` replaced (made unique with the lifeline's position); each is
declared ``as`` its escaped name, and every text goes through
``escape.mermaid_text``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import IO, Any

from vtrace.model import Event, Kind
from vtrace.renderers.base import Renderer, register
from vtrace.renderers.diagram_text import (
    LAYER_FILL,
    OTHER_FILL,
    actor_role,
    crossing,
    diagram_comment,
    diagram_title,
    ends,
    is_dashed,
    layer_runs,
    layer_title,
    on_vcpus,
)
from vtrace.renderers.escape import mermaid_box_title, mermaid_text
from vtrace.renderers.folding import MAX_STEPS, batch_of, fold
from vtrace.renderers.rows import Arrow, Item, Loop, Note, Separator, is_summary, items
from vtrace.session import Session

__all__ = ["MermaidRenderer", "mermaid_lines"]

_CROSSING_TINT = {"exit": "rgb(253, 226, 222)", "entry": "rgb(253, 226, 222)",
                  "interrupt": "rgb(253, 235, 214)"}


def _rgb(colour: str) -> str:
    red, green, blue = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgb({red}, {green}, {blue})"


def _ids(actors: list[str]) -> dict[str, str]:
    ids: dict[str, str] = {}
    for position, actor in enumerate(actors):
        base = re.sub(r"\W", "_", actor, flags=re.ASCII) or "actor"
        if not base[0].isalpha():
            base = f"a_{base}"
        ids[actor] = base if base not in ids.values() else f"{base}_{position}"
    return ids


def _participants(actors: list[str], ids: dict[str, str], lang: str) -> list[str]:
    lines: list[str] = []
    for layer, start, end in layer_runs(actors):
        fill = _rgb(LAYER_FILL[layer] if layer else OTHER_FILL)
        lines.append(f"    box {fill} {mermaid_box_title(layer_title(layer, lang))}")
        for actor in actors[start:end]:
            role = actor_role(actor, lang)
            alias = mermaid_text(actor) + (f"<br/>{mermaid_text(role)}" if role else "")
            lines.append(f"        participant {ids[actor]} as {alias}")
        lines.append("    end")
    return lines


def _arrow(event: Event) -> str:
    if event.kind is Kind.STATE:
        return "-)"
    if is_dashed(event):
        return "-->>"
    return "->>"


class _Writer:
    """Turns rows into Mermaid statements, indented by nesting."""

    def __init__(self, ids: dict[str, str], first: str, last: str) -> None:
        self.ids = ids
        self.lines: list[str] = []
        self.span = f"{ids[first]},{ids[last]}" if first != last else ids[first]

    def row(self, row: Arrow | Note, indent: str) -> None:
        if isinstance(row, Note):
            where = f"right of {self.ids[row.actor]}" if row.actor in self.ids else \
                f"over {self.span}"
            self.lines.append(f"{indent}Note {where}: {mermaid_text(row.text)}")
            return
        event = row.event
        src, dst = ends(event, self.ids)
        message = (f"{self.ids[src]}{_arrow(event)}{self.ids[dst]}: "
                   f"{mermaid_text(row.label)}")
        tint = _CROSSING_TINT.get(crossing(event) or "")
        if tint:
            self.lines += [f"{indent}rect {tint}", f"{indent}    {message}", f"{indent}end"]
        else:
            self.lines.append(indent + message)

    def items(self, drawn: Iterable[Item]) -> None:
        for item in drawn:
            if isinstance(item, Loop):
                self.lines.append(f"    loop {mermaid_text(item.title)}")
                for row in item.rows:
                    self.row(row, "        ")
                self.lines.append("    end")
            elif isinstance(item, Separator):
                self.lines.append(f"    Note over {self.span}: {mermaid_text(item.title)}")
            else:
                self.row(item, "    ")


def mermaid_lines(session: Session, *, summary: bool = False, lang: str = "en",
                  max_steps: int = MAX_STEPS, loops: bool = True) -> list[str]:
    """The lines of the Mermaid sequence diagram of the session's events (``summary``:
    crossings only)."""
    header = session.header
    outline = fold(on_vcpus(session.events(), header), batch=batch_of(header.params),
                   summary=summary, lang=lang, max_steps=max_steps, loops=loops)
    ids = _ids(outline.actors)
    writer = _Writer(ids, outline.actors[0], outline.actors[-1])
    writer.items(items(outline, summary=summary, lang=lang))
    return [f"%% {mermaid_text(diagram_comment(header))}", "sequenceDiagram",
            f"    title {mermaid_text(diagram_title(session, lang))}", "    autonumber",
            *_participants(outline.actors, ids, lang), *writer.lines]


@register
class MermaidRenderer(Renderer):
    name = "mermaid"
    formats = ("mmd",)
    options = ("detail", "fold")
    description = "Mermaid sequenceDiagram for Markdown pages"

    def __init__(self, *, detail: str = "full", lang: str = "en", fold: bool = True) -> None:
        self.summary, self.lang, self.loops = is_summary(detail), lang, fold

    def render(self, session: Session, out: IO[Any]) -> None:
        for line in mermaid_lines(session, summary=self.summary, lang=self.lang,
                                  loops=self.loops):
            out.write(line + "\n")
