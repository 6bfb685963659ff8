"""JSON Lines: the header, then one line per event, as ``docs/events.md`` describes."""

from __future__ import annotations

from typing import IO, Any

from vtrace.codec import tee_jsonl
from vtrace.renderers.base import Renderer, register
from vtrace.session import Session

__all__ = ["JsonLinesRenderer"]


@register
class JsonLinesRenderer(Renderer):
    name = "jsonl"
    formats = ("jsonl",)
    description = "one JSON object per line: a header, then every event"

    def render(self, session: Session, out: IO[Any]) -> None:
        for _ in tee_jsonl(session.header, session.events(), out):
            pass
