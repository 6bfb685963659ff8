"""JSON Lines: the header, then one line per event, as ``docs/events.md`` describes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import IO, Any

from vtrace.codec import tee_jsonl
from vtrace.model import Event, Header
from vtrace.renderers.base import Renderer, register

__all__ = ["JsonLinesRenderer"]


@register
class JsonLinesRenderer(Renderer):
    name = "jsonl"
    formats = ("jsonl",)
    description = "one JSON object per line: a header, then every event"

    def render(self, header: Header, events: Iterable[Event], out: IO[Any]) -> None:
        for _ in tee_jsonl(header, events, out):
            pass
