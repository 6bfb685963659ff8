"""The one place that turns exceptions into messages and exit codes."""

from __future__ import annotations

import enum
import sys
from typing import IO

import click

__all__ = ["ExitStatus", "exit_status_for", "report"]


class ExitStatus(enum.IntEnum):
    OK = 0
    ERROR = 1  # the environment cannot do it (a missing program, a failing write)
    USAGE = 2  # the command line or an input file is wrong
    INTERRUPTED = 130  # Ctrl-C


def _usage_errors() -> tuple[type[Exception], ...]:
    """Exceptions that mean the command line or an input file is wrong.

    Imported here, on the error path, so that ``vtrace --help`` stays fast.
    """
    from vtrace.catalog import UnknownEra, UnknownStep
    from vtrace.codec import DecodeError
    from vtrace.frames import FrameError
    from vtrace.output import OutputError
    from vtrace.renderers.base import UnknownRenderer
    from vtrace.ring import RingError
    from vtrace.scenarios import ParamError, UnknownScenario
    from vtrace.sources import TraceError

    return (UnknownEra, UnknownStep, DecodeError, FrameError, OutputError, UnknownRenderer,
            RingError, ParamError, UnknownScenario, TraceError)


#: What click (8.2 on) raises for a group run with no command; older clicks exit by themselves.
_HELP_FOR_NO_ARGUMENTS: type[click.ClickException] | tuple[()] = getattr(
    click.exceptions, "NoArgsIsHelpError", ())


def exit_status_for(error: BaseException) -> ExitStatus:
    if isinstance(error, KeyboardInterrupt):
        return ExitStatus.INTERRUPTED
    if isinstance(error, click.exceptions.Exit):
        return ExitStatus(error.exit_code)
    if isinstance(error, (click.UsageError, *_usage_errors())):
        return ExitStatus.USAGE
    return ExitStatus.ERROR


def report(error: BaseException, stream: IO[str] | None = None) -> ExitStatus:
    """Print a one-line message for ``error`` on ``stream`` (stderr) and return its status."""
    status = exit_status_for(error)
    if isinstance(error, _HELP_FOR_NO_ARGUMENTS):  # bare ``vtrace``: the help is the message
        error.show(file=stream)
    elif isinstance(error, click.UsageError):
        command = error.ctx.command_path if error.ctx else "vtrace"
        click.echo(f"{command}: error: {error.format_message()} (see '{command} --help')",
                   file=stream or sys.stderr)
    elif isinstance(error, click.ClickException):
        click.echo(f"vtrace: error: {error.format_message()}", file=stream or sys.stderr)
    elif isinstance(error, OSError):
        click.echo(f"vtrace: error: {error.strerror or error}: {error.filename or ''}".rstrip(": "),
                   file=stream or sys.stderr)
    elif not isinstance(error, (KeyboardInterrupt, click.exceptions.Exit)):
        click.echo(f"vtrace: error: {error}", file=stream or sys.stderr)
    (stream or sys.stderr).flush()
    return status
