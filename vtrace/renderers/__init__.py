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
    perfetto,
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

_ = (chrome, html, jsonl, live, mermaid, overview, pcap, perfetto, plain, sequence, summary)


def make_view(name: str, *, lang: str, colour: bool, show_ring: bool = False,
              fold: bool = True, width: int | None = None) -> Renderer:
    """A terminal view, given the options it takes: whether it may colour, whether it shows
    the ring's contents, whether it folds a loop's repeated passes, the terminal's width
    (None off a terminal)."""
    cls = by_name(name)
    offered = {"colour": colour, "show_ring": show_ring, "fold": fold, "width": width}
    return cls(lang=lang, **{option: offered[option] for option in cls.options
                             if option in offered})
