"""How big a sequence diagram draws things, and how its rows are cut into pages.

A ``Look`` holds the sizes: the full diagram's are small (every step must fit), the
presenter's (``--detail summary``) are large and leave out what a projector does not
need (lifelines no arrow touches, the lifeline heads repeated at the foot), so that one
frame fitted to a 1920×1080 screen has labels at least 18 px high.

``pages`` cuts the drawn items into pages of about equal height: never inside a loop
frame, never ending a page on a round's title, and a round cut across two pages gets
its title again, marked as continued, at the top of the next.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from vtrace.renderers.diagram_text import word
from vtrace.renderers.rows import Item, Loop, Separator

__all__ = ["FULL", "MIN_ROWS", "PRESENTER", "Look", "pages", "weight"]


@dataclass(frozen=True, slots=True)
class Look:
    """Sizes in points: ``size`` for labels and notes, widths times ``scale``, heights times
    ``vscale``."""

    size: float
    scale: float
    vscale: float
    note_min: float  # room a lifeline with notes gets on its right
    head_min: float  # the narrowest lifeline head
    small: float  # roles under the heads, layer titles, the boundary's name
    span: float  # how much of its label an arrow's span must hold (the rest overhangs)
    foot: bool  # repeat the lifeline heads at the bottom
    only_used: bool  # leave out lifelines that no row touches
    number: str  # room for an arrow's number in front of its label

    def __call__(self, points: float) -> float:
        return points * self.scale

    def v(self, points: float) -> float:
        return points * self.vscale

    @property
    def line(self) -> float:
        return self.size * 1.2


FULL = Look(size=10.0, scale=1.0, vscale=1.0, note_min=190.0, head_min=80.0, small=8.0,
            span=1.0, foot=True, only_used=False, number="0000 ")
PRESENTER = Look(size=15.0, scale=1.1, vscale=1.4, note_min=250.0, head_min=86.0, small=15.0,
                 span=0.8, foot=False, only_used=True, number="00 ")


#: The fewest rows a page of ``--pages`` holds: a page with fewer is not worth turning to.
MIN_ROWS = 12


def weight(item: Item) -> int:
    """How many rows an item takes (a loop: its rows and its frame)."""
    if isinstance(item, Loop):
        return len(item.rows) + 2
    return 1


def pages(drawn: list[Item], *, count: int | None = None, per_page: int | None = None,
          lang: str = "en") -> list[list[Item]]:
    """``drawn`` cut into ``count`` pages (fewer when a page would hold less than
    ``MIN_ROWS`` rows), or pages of at most ``per_page`` rows (a loop longer than that
    gets a page of its own)."""
    total = sum(weight(item) for item in drawn)
    if per_page is None:
        per_page = max(MIN_ROWS, math.ceil(total / max(1, count or 1)))
    cut: list[list[Item]] = [[]]
    rows = 0
    round_title: str | None = None
    for item in drawn:
        if isinstance(item, Separator):
            round_title = item.title
        elif isinstance(item, Loop):
            round_title = None
        if cut[-1] and rows + weight(item) > per_page:
            carried = _carry(cut[-1])
            cut.append(carried)
            rows = len(carried)
            if not carried and round_title and not isinstance(item, Separator | Loop):
                cut[-1].append(Separator(word("continued", lang, title=round_title)))
                rows = 1
        cut[-1].append(item)
        rows += weight(item)
    return [page for page in cut if any(not isinstance(item, Separator) for item in page)]


def _carry(page: list[Item]) -> list[Item]:
    """A round's title left at the bottom of ``page`` moves to the next page."""
    if page and isinstance(page[-1], Separator):
        return [page.pop()]
    return []
