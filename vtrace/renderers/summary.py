"""The end-of-run summary as text lines, and the quiet view that prints only that.

Labels are padded by their width on a terminal, so Chinese labels (two
columns per character) line up as well as English ones.
"""

from __future__ import annotations

from typing import IO, Any

from rich.cells import cell_len

from vtrace.i18n import say
from vtrace.renderers.base import Renderer, register
from vtrace.scenarios import Scenario
from vtrace.session import Session
from vtrace.tally import Tally

__all__ = ["QuietRenderer", "pad", "summary_lines", "summary_rows"]


def pad(text: str, width: int) -> str:
    """``text`` followed by spaces up to ``width`` terminal columns."""
    return text + " " * max(0, width - cell_len(text))


def summary_rows(tally: Tally, scenario: Scenario, lang: str = "en", *,
                 measured: bool = False) -> list[tuple[str, str, str]]:
    """(label, total, per frame) for each of the scenario's counters (those kept for one mode
    only when they counted something), then the time: modelled
    for a replay, ``measured`` for a captured stream."""
    rows = []
    for counter in scenario.counters:
        count = tally[counter.name]
        if counter.when_counted and not count:
            continue
        per_frame = f"{tally.per_frame(count):,.2f}" if counter.per_frame else ""
        rows.append((counter.label.get(lang, counter.label["en"]), f"{count:,}", per_frame))
    time = say("summary.measured_time" if measured else "summary.modelled_time", lang)
    rows.append((time, f"{tally.t_ns / 1000:,.3f} µs",
                 f"{tally.per_frame(tally.t_ns) / 1000:,.3f} µs"))
    return rows


def summary_lines(tally: Tally, scenario: Scenario, lang: str = "en",
                  interrupted: bool = False, *, measured: bool = False) -> list[str]:
    """The summary table, figures with thousands separators and no line ending in spaces;
    without frames (a set-up) it has no per-frame column."""
    title = say("summary.interrupted" if interrupted else "summary.title", lang)
    rows = summary_rows(tally, scenario, lang, measured=measured)
    width = max(cell_len(label) for label, _, _ in rows)
    if not tally.frames:
        return [title] + [f"  {pad(label, width)}  {total:>14}" for label, total, _ in rows]
    lines = [f"{title}  ({say('summary.per_frame', lang)} →)"]
    for label, total, per_frame in rows:
        lines.append(f"  {pad(label, width)}  {total:>14}  {per_frame:>12}".rstrip())
    return lines


@register
class QuietRenderer(Renderer):
    name = "quiet"
    view = True
    description = "nothing while running (the command prints the summary)"

    def __init__(self, *, lang: str = "en") -> None:
        self.lang = lang

    def render(self, session: Session, out: IO[Any]) -> None:
        for _ in session.events():
            pass
