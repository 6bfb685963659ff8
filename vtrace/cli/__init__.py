"""The command line: click commands that parse options and wire a scenario to a view.

``main`` runs the command group and maps whatever escapes to an exit code
in ``vtrace.cli.errors``; commands themselves hold no logic.
"""

from __future__ import annotations

import sys

import click

from vtrace.cli.app import cli
from vtrace.cli.errors import ExitStatus, report

__all__ = ["cli", "main"]


def main(argv: list[str] | None = None) -> None:
    try:
        cli.main(args=argv, prog_name="vtrace", standalone_mode=False)
    except click.exceptions.Abort:
        sys.exit(ExitStatus.INTERRUPTED)
    except (Exception, KeyboardInterrupt) as error:
        sys.exit(report(error))
    sys.exit(ExitStatus.OK)
