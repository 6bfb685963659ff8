"""JSON Lines: the header, then one line per event, as ``docs/events.md`` describes."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import IO, Any

from vtrace.codec import encode
from vtrace.model import Event, Header
from vtrace.renderers.base import Renderer, register
from vtrace.session import Session

__all__ = ["JsonLinesRenderer", "tee_jsonl"]


def tee_jsonl(header: Header, events: Iterable[Event], out: IO[str]) -> Iterator[Event]:
    """Write the header, then each event as it passes through."""
    write = out.write
    write(encode(header) + "\n")
    for event in events:
        write(encode(event) + "\n")
        yield event


@register
class JsonLinesRenderer(Renderer):
    name = "jsonl"
    formats = ("jsonl",)
    description = "one JSON object per line: a header, then every event"

    def render(self, session: Session, out: IO[Any]) -> None:
        for _ in tee_jsonl(session.header, session.events(), out):
            pass
