"""The command line: click commands that parse options and wire a scenario to a view.

``main`` runs the command group in an ``Environment`` (the process's, or one a
caller hands in) and maps whatever escapes to an exit code in
``vtrace.cli.errors``; commands themselves hold no logic. A reader that stops
early (``vtrace send --events - | head -1``) ends the run quietly with status 0,
as it ends ``yes``.
"""

from __future__ import annotations

import errno
import os
import sys

import click

from vtrace.cli.app import cli
from vtrace.cli.env import Environment
from vtrace.cli.errors import ExitStatus, report
from vtrace.stop import interruption, stoppable

__all__ = ["Environment", "cli", "main"]

SHOW_CURSOR = "\x1b[?25h"


def main(argv: list[str] | None = None, env: Environment | None = None) -> None:
    """Run ``vtrace`` with ``argv`` (default: the process's) and exit with its status.

    SIGTERM and SIGHUP end the run as Ctrl-C does (``vtrace.stop``)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if env is None:
        env = Environment(argv=tuple(args))
    context: click.Context | None = None
    try:
        with stoppable():
            # The group is invoked here rather than through click's main, which turns a
            # closed pipe into exit status 1.
            context = cli.make_context("vtrace", args, obj=env)
            with context:
                cli.invoke(context)
    except (click.exceptions.Abort, EOFError):
        sys.exit(ExitStatus.INTERRUPTED)
    except (Exception, KeyboardInterrupt) as error:
        stopped = interruption(error) is not None
        if isinstance(error, OSError) and error.errno == errno.EPIPE and not stopped:
            _drop_stdout()
            sys.exit(ExitStatus.OK)
        status = report(error, env.stderr, context)
        if stopped:
            _after_signal(env)
        sys.exit(status)
    sys.exit(ExitStatus.OK)


def _after_signal(env: Environment) -> None:
    """Show the cursor again: a signal can land while rich starts its live display, after
    it hid the cursor and before it would show it on the way out. Then, if the reader of
    standard output has gone (a closed terminal, a killed pipe reader), drop what is still
    buffered for it, so that the interpreter's last flush neither fails nor changes the
    exit status."""
    try:
        if env.interactive(env.stdout):
            env.stdout.write(SHOW_CURSOR)
        env.stdout.flush()
        sys.stdout.flush()
    except (OSError, ValueError):
        _drop_stdout()


def _drop_stdout() -> None:
    """The reader of standard output has gone: send what is still buffered for it to
    /dev/null, so that the interpreter's last flush does not fail a second time."""
    try:
        descriptor = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # not a file: nothing flushes at exit
        return
    sink = os.open(os.devnull, os.O_WRONLY)
    os.dup2(sink, descriptor)
    os.close(sink)
