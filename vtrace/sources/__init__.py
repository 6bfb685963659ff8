"""Real traces: parsers of what tracers print, and their conversion into vtrace's events.

Each format is one module that registers itself (``registry``): ``ftrace``
reads tracefs and ``trace-cmd report`` text, ``tracecmd`` a ``trace-cmd
record`` file through ``trace-cmd report``, ``qemu_log`` QEMU's ``-trace`` log
backend, ``retis`` and ``pwru`` those tools' JSON events (``skb_events`` holds
what the two share), and ``lab`` the directory ``vtrace lab --save`` writes.
``places`` decides where a traced name is drawn, ``convert`` numbers drafts
into events, and ``files`` merges the files ``vtrace import`` is given. Every
parser streams its input line by line and reports a malformed line as a
``TraceSyntaxError`` that names the file and the line.
"""

from __future__ import annotations

__all__ = ["TraceError", "TraceSyntaxError"]


class TraceError(ValueError):
    """A trace or a capture directory cannot be turned into events."""


class TraceSyntaxError(TraceError):
    """A line of a trace file has a shape no parser knows."""

    def __init__(self, path: str, number: int, reason: str) -> None:
        super().__init__(f"{path}:{number}: {reason}")
        self.path = path
        self.number = number
