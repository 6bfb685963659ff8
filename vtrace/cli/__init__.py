"""The command line: click commands that parse options and wire a scenario to a view.

``main`` runs the command group in an ``Environment`` (the process's, or one a
caller hands in) and maps whatever escapes to an exit code in
``vtrace.cli.errors``; commands themselves hold no logic.
"""

from __future__ import annotations

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
        cli.main(args=args, prog_name="vtrace", standalone_mode=False, obj=env)
    except click.exceptions.Abort:
        sys.exit(ExitStatus.INTERRUPTED)
    except (Exception, KeyboardInterrupt) as error:
        sys.exit(report(error, env.stderr))
    sys.exit(ExitStatus.OK)
