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

__all__ = ["Environment", "cli", "main"]


def main(argv: list[str] | None = None, env: Environment | None = None) -> None:
    """Run ``vtrace`` with ``argv`` (default: the process's) and exit with its status."""
    args = list(sys.argv[1:] if argv is None else argv)
    if env is None:
        env = Environment(argv=tuple(args))
    try:
        # The group is invoked here rather than through click's main, which turns a closed
        # pipe into exit status 1.
        with cli.make_context("vtrace", args, obj=env) as context:
            cli.invoke(context)
    except (click.exceptions.Abort, EOFError):
        sys.exit(ExitStatus.INTERRUPTED)
    except OSError as error:
        if error.errno != errno.EPIPE:
            sys.exit(report(error, env.stderr))
        _drop_stdout()
    except (Exception, KeyboardInterrupt) as error:
        sys.exit(report(error, env.stderr))
    sys.exit(ExitStatus.OK)


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
