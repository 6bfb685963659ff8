"""The environment a command runs in: its streams, variables, arguments, clock and keys.

``main`` builds one from the process, or takes one a caller (a test) made, and
hands it to every command through click's context object, so nothing below
the command line reads ``sys`` or ``os.environ`` for itself: the default
language comes from its variables, and an output named ``-`` is its standard output.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from typing import IO, Any

import click

__all__ = ["Environment", "current"]

KeyReader = Callable[[IO[Any]], AbstractContextManager[Callable[[], str]]]


class Environment:
    """What a command may touch of the world outside vtrace: ``argv``, the three streams
    (the process's by default), ``environ``, a ``clock`` and ``sleep``, and ``keys``, which
    reads single keypresses from a terminal.

    A plain class rather than a dataclass: ``vtrace --help`` makes one, and should not pay
    for importing what it does not use.
    """

    __slots__ = ("argv", "clock", "environ", "keys", "sleep", "stderr", "stdin", "stdout")

    def __init__(self, argv: tuple[str, ...] = (), *, stdin: IO[Any] | None = None,
                 stdout: IO[Any] | None = None, stderr: IO[Any] | None = None,
                 environ: Mapping[str, str] | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Any] = time.sleep,
                 keys: KeyReader | None = None) -> None:
        self.argv = argv
        self.stdin: IO[Any] = stdin if stdin is not None else sys.stdin
        self.stdout: IO[Any] = stdout if stdout is not None else sys.stdout
        self.stderr: IO[Any] = stderr if stderr is not None else sys.stderr
        self.environ: Mapping[str, str] = environ if environ is not None else os.environ
        self.clock = clock
        self.sleep = sleep
        self.keys: KeyReader = keys if keys is not None else _keypresses

    def interactive(self, stream: IO[Any]) -> bool:
        from vtrace.terminal import is_interactive

        return is_interactive(stream, self.environ)

    def colour(self, stream: IO[Any]) -> bool:
        from vtrace.terminal import colour_allowed

        return colour_allowed(stream, self.environ)

    def lang(self) -> str:
        """The language of its variables (``VTRACE_LANG``, the locale's), else English."""
        from vtrace.i18n import default_lang

        return default_lang(self.environ)

    @contextmanager
    def output(self, path: str, *, binary: bool = False,
               keep_on_interrupt: bool = False) -> Iterator[IO[Any]]:
        """``path`` written atomically (``vtrace.output.atomic_output``); ``-`` is this
        environment's standard output."""
        if path == "-":
            # A test's text stream has no bytes under it: it takes the bytes itself.
            stream: IO[Any] = getattr(self.stdout, "buffer", self.stdout) if binary \
                else self.stdout
            yield stream
            stream.flush()
            return
        from vtrace.output import atomic_output

        with atomic_output(path, binary=binary, keep_on_interrupt=keep_on_interrupt) as out:
            yield out

    def columns(self, stream: IO[Any]) -> int | None:
        from vtrace.terminal import columns

        return columns(stream, self.environ)


def _keypresses(stream: IO[Any]) -> AbstractContextManager[Callable[[], str]]:
    from vtrace.terminal import keypresses

    return keypresses(stream)


def current() -> Environment:
    """The environment of the running command (the process's, if none was handed in)."""
    context = click.get_current_context(silent=True)
    found = context.find_object(Environment) if context is not None else None
    if found is None:
        found = Environment(argv=tuple(sys.argv[1:]))
        if context is not None:
            context.find_root().obj = found
    return found


