"""Renderers: every way vtrace shows an event stream, found by name or file extension.

Importing this package registers the built-in renderers.
"""

from __future__ import annotations

from vtrace.renderers import chrome, html, jsonl, mermaid, overview, plain, sequence, summary
from vtrace.renderers.base import (
    Renderer,
    RenderError,
    UnknownRenderer,
    by_extension,
    by_name,
    names,
    register,
)

__all__ = [
    "RenderError",
    "Renderer",
    "UnknownRenderer",
    "by_extension",
    "by_name",
    "make_view",
    "names",
    "register",
]

_ = (chrome, html, jsonl, mermaid, overview, plain, sequence, summary)


def make_view(name: str, *, lang: str, step: bool = False) -> Renderer:
    """A terminal view for ``vtrace send`` (live is imported only when it is used)."""
    if name == "live":
        import sys

        from vtrace.renderers.live import LiveRenderer
        from vtrace.terminal import colour_allowed

        return LiveRenderer(lang=lang, colour=colour_allowed(sys.stdout), keys_hint=step)
    return by_name(name)(lang=lang)  # type: ignore[call-arg]
