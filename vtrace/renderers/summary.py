"""The end-of-run summary as text lines, and the quiet view that prints only that."""

from __future__ import annotations

from collections.abc import Iterable
from typing import IO, Any

from vtrace.i18n import say
from vtrace.model import Event, Header
from vtrace.renderers.base import Renderer, register
from vtrace.tally import Tally

__all__ = ["QuietRenderer", "summary_rows", "summary_lines"]

_COUNTED = (
    "frames", "events", "kicks", "kicks_suppressed", "kicks_deferred", "vm_exits",
    "exits_to_qemu", "interrupts", "interrupts_suppressed", "bytes_to_host", "completed",
)


def summary_rows(tally: Tally, lang: str = "en") -> list[tuple[str, str, str]]:
    """(label, total, per frame) for every counter, then the modelled time."""
    rows = []
    for name in _COUNTED:
        count = getattr(tally, name)
        per_frame = f"{tally.per_frame(count):.2f}" if name not in ("frames", "events") else ""
        rows.append((say(f"summary.{name}", lang), str(count), per_frame))
    rows.append((say("summary.modelled_time", lang), f"{tally.t_ns / 1000:.3f} µs",
                 f"{tally.per_frame(tally.t_ns) / 1000:.3f} µs"))
    return rows


def summary_lines(tally: Tally, lang: str = "en", interrupted: bool = False) -> list[str]:
    title = say("summary.interrupted" if interrupted else "summary.title", lang)
    rows = summary_rows(tally, lang)
    width = max(len(label) for label, _, _ in rows)
    lines = [f"{title}  ({say('summary.per_frame', lang)} →)"]
    for label, total, per_frame in rows:
        lines.append(f"  {label:<{width}}  {total:>14}  {per_frame:>12}")
    return lines


@register
class QuietRenderer(Renderer):
    name = "quiet"
    description = "nothing while running (the command prints the summary)"

    def __init__(self, *, lang: str = "en") -> None:
        self.lang = lang

    def render(self, header: Header, events: Iterable[Event], out: IO[Any]) -> None:
        for _ in events:
            pass
