"""Renderers: every way vtrace shows an event stream, found by name or file extension.

Importing this package registers the built-in renderers.
"""

from __future__ import annotations

from vtrace.renderers import (
    chrome,
    html,
    jsonl,
    live,
    mermaid,
    overview,
    pcap,
    plain,
    sequence,
    summary,
)
from vtrace.renderers.base import (
    Renderer,
    RenderError,
    UnknownRenderer,
    by_name,
    for_format,
    format_of,
    formats,
    names,
    register,
    views,
)

__all__ = [
    "RenderError",
    "Renderer",
    "UnknownRenderer",
    "by_name",
    "for_format",
    "format_of",
    "formats",
    "make_view",
    "names",
    "register",
    "views",
]

_ = (chrome, html, jsonl, live, mermaid, overview, pcap, plain, sequence, summary)


def make_view(name: str, *, lang: str, colour: bool, step: bool = False) -> Renderer:
    """A terminal view; one that draws in colour is told whether it may."""
    cls = by_name(name)
    if "colour" in cls.options:
        return cls(lang=lang, colour=colour, keys_hint=step)  # type: ignore[call-arg]
    return cls(lang=lang)
