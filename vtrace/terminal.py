"""The terminal: is it one, may we colour it, and single keypresses for ``--step``.

Key reading puts the terminal in cbreak mode and always puts it back, on a
normal end, an error or Ctrl-C. After Ctrl-Z and ``fg`` the shell has put the
terminal back in line mode, so cbreak is set again when the process continues.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import IO, Any

__all__ = ["colour_allowed", "continuing", "is_interactive", "keypresses"]

READ_AT_ONCE = 32  # an escape sequence (an arrow, PageDown) arrives in one read


def is_interactive(stream: IO[Any], environ: Mapping[str, str] | None = None) -> bool:
    """A real terminal that can move its cursor: not a pipe, not TERM=dumb."""
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and (environ or os.environ).get("TERM", "") != "dumb"


def columns(stream: IO[Any], environ: Mapping[str, str] | None = None) -> int | None:
    """The width of the terminal ``stream`` writes to (``COLUMNS`` first, as shells set it);
    None off a terminal, where lines are not broken."""
    isatty = getattr(stream, "isatty", None)
    if not (isatty and isatty()):
        return None
    said = (environ or os.environ).get("COLUMNS", "")
    if said.isdigit() and int(said) > 0:
        return int(said)
    try:
        return os.get_terminal_size(stream.fileno()).columns or None
    except (OSError, ValueError, AttributeError):
        return None


def colour_allowed(stream: IO[Any], environ: Mapping[str, str] | None = None) -> bool:
    return is_interactive(stream, environ) and "NO_COLOR" not in (environ or os.environ)


@contextmanager
def keypresses(stream: IO[Any] | None = None) -> Iterator[Callable[[], str]]:
    """Yield a function that waits for a keypress and returns the text the terminal sent
    for it (one character, or a whole escape sequence such as ``"\\x1b[6~"``)."""
    source = stream or sys.stdin
    descriptor = source.fileno()
    import termios
    import tty

    saved = termios.tcgetattr(descriptor)
    try:
        with continuing(lambda: tty.setcbreak(descriptor)):
            tty.setcbreak(descriptor)
            yield lambda: os.read(descriptor, READ_AT_ONCE).decode(errors="replace")
    finally:
        termios.tcsetattr(descriptor, termios.TCSADRAIN, saved)


@contextmanager
def continuing(handler: Callable[[], object]) -> Iterator[None]:
    """Run ``handler`` each time the process goes on after Ctrl-Z and ``fg`` (SIGCONT), as
    well as whatever ran before, until the block ends; nothing off the main thread, where
    signals cannot be set."""
    previous = signal.getsignal(signal.SIGCONT)

    def both(signum: int, frame: Any) -> None:
        if callable(previous):
            previous(signum, frame)
        handler()

    try:
        signal.signal(signal.SIGCONT, both)
    except ValueError:
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGCONT, previous if previous is not None else signal.SIG_DFL)
