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

__all__ = ["QuietRenderer", "pad", "queue_lines", "queue_rows", "summary_lines", "summary_rows"]


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
    return lines + queue_lines(tally, scenario, lang)


def queue_rows(tally: Tally, scenario: Scenario,
               lang: str = "en") -> list[tuple[str, list[int], int]]:
    """(label, count per queue pair, total) of each counter a queue pair moved, with several
    pairs; none with one."""
    queues = sorted(tally.per_queue)
    if len(queues) < 2:
        return []
    rows = []
    for counter in scenario.counters:
        counts = [tally.per_queue[queue].get(counter.name, 0) for queue in queues]
        if any(counts):
            rows.append((counter.label.get(lang, counter.label["en"]), counts,
                         tally[counter.name]))
    return rows


def _right(text: str, width: int) -> str:
    return " " * max(0, width - cell_len(text)) + text


def queue_lines(tally: Tally, scenario: Scenario, lang: str = "en") -> list[str]:
    """The counters per queue pair and in total, with several pairs: what each one moved,
    and the whole run's (which counts the host's and QEMU's steps of every pair too)."""
    rows = queue_rows(tally, scenario, lang)
    if not rows:
        return []
    queues = sorted(tally.per_queue)
    width = max(cell_len(label) for label, _, _ in rows)
    heads = [say("summary.queue", lang, queue=queue) for queue in queues]
    total = say("summary.total", lang)
    columns = max(10, *(cell_len(head) for head in [*heads, total]))
    lines = [say("summary.per_queue", lang),
             "  " + pad("", width) + "".join(f"  {_right(head, columns)}"
                                             for head in [*heads, total])]
    for label, counts, whole in rows:
        cells = "".join(f"  {count:>{columns},}" for count in counts)
        lines.append(f"  {pad(label, width)}{cells}  {whole:>{columns},}".rstrip())
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
