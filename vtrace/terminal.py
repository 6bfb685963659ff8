"""The terminal: is it one, may we colour it, and single keypresses for ``--step``.

Key reading puts the terminal in cbreak mode and always puts it back, on a
normal end, an error or Ctrl-C.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import IO, Any

__all__ = ["colour_allowed", "is_interactive", "keypresses"]


def is_interactive(stream: IO[Any], environ: Mapping[str, str] | None = None) -> bool:
    """A real terminal that can move its cursor: not a pipe, not TERM=dumb."""
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and (environ or os.environ).get("TERM", "") != "dumb"


def colour_allowed(stream: IO[Any], environ: Mapping[str, str] | None = None) -> bool:
    return is_interactive(stream, environ) and "NO_COLOR" not in (environ or os.environ)


@contextmanager
def keypresses(stream: IO[Any] | None = None) -> Iterator[Callable[[], str]]:
    """Yield a function that waits for one key and returns it (Enter comes back as "\\n")."""
    source = stream or sys.stdin
    descriptor = source.fileno()
    import termios
    import tty

    saved = termios.tcgetattr(descriptor)
    try:
        tty.setcbreak(descriptor)
        yield lambda: os.read(descriptor, 1).decode(errors="replace").replace("\r", "\n")
    finally:
        termios.tcsetattr(descriptor, termios.TCSADRAIN, saved)
