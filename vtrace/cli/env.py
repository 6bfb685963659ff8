"""The environment a command runs in: its streams, variables, arguments, clock and keys.

``main`` builds one from the process, or takes one a caller (a test) made, and
hands it to every command through click's context object, so nothing below
the command line reads ``sys`` or ``os.environ`` for itself.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import IO, Any

import click

from vtrace.terminal import colour_allowed, is_interactive, keypresses

__all__ = ["Environment", "current"]

KeyReader = Callable[[IO[Any]], AbstractContextManager[Callable[[], str]]]


@dataclass
class Environment:
    """What a command may touch of the world outside vtrace."""

    argv: tuple[str, ...] = ()
    stdin: IO[Any] = field(default_factory=lambda: sys.stdin)
    stdout: IO[Any] = field(default_factory=lambda: sys.stdout)
    stderr: IO[Any] = field(default_factory=lambda: sys.stderr)
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Any] = time.sleep
    keys: KeyReader = keypresses

    def interactive(self, stream: IO[Any]) -> bool:
        return is_interactive(stream, self.environ)

    def colour(self, stream: IO[Any]) -> bool:
        return colour_allowed(stream, self.environ)


def current() -> Environment:
    """The environment of the running command (the process's, if none was handed in)."""
    context = click.get_current_context(silent=True)
    found = context.find_object(Environment) if context is not None else None
    if found is None:
        found = Environment(argv=tuple(sys.argv[1:]))
        if context is not None:
            context.find_root().obj = found
    return found


