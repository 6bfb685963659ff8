"""The one place that turns exceptions into messages and exit codes."""

from __future__ import annotations

import contextlib
import enum
import sys
from typing import IO

import click

from vtrace.stop import Stopped, interruption

__all__ = ["ExitStatus", "exit_status_for", "reading", "report"]


class ExitStatus(enum.IntEnum):
    OK = 0
    ERROR = 1  # the environment cannot do it (a missing program, a failing write, the lab)
    USAGE = 2  # the command line or an input file is wrong
    HANGUP = 129  # SIGHUP: the terminal closed
    INTERRUPTED = 130  # Ctrl-C
    TERMINATED = 143  # SIGTERM: timeout, a scheduler, kill


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
_HELP_FOR_NO_ARGUMENTS: tuple[type[click.ClickException], ...] = tuple(
    kind for kind in [getattr(click.exceptions, "NoArgsIsHelpError", None)] if kind is not None)


def exit_status_for(error: BaseException) -> ExitStatus:
    signal = interruption(error)
    if isinstance(signal, Stopped):
        return ExitStatus(signal.status)
    if signal is not None:
        return ExitStatus.INTERRUPTED
    if isinstance(error, click.exceptions.Exit):
        return ExitStatus(error.exit_code)
    if isinstance(error, (click.UsageError, *_usage_errors())):
        return ExitStatus.USAGE
    return ExitStatus.ERROR


_READING = "vtrace.reading"


def reading(path: str) -> None:
    """Note that the running command reads its data from ``path``, so that a message about
    bad data names the file (``-``: standard input)."""
    context = click.get_current_context(silent=True)
    if context is not None:
        context.meta[_READING] = path


def report(error: BaseException, stream: IO[str] | None = None,
           context: click.Context | None = None) -> ExitStatus:
    """Print a one-line message for ``error`` on ``stream`` (stderr) and return its status;
    ``context``: the root context of the run, for the name of the command that failed and
    the file it was reading."""
    status = exit_status_for(error)
    out = stream or sys.stderr
    with contextlib.suppress(OSError, ValueError):  # after SIGHUP, stderr may be gone
        for line in _message(error, context):
            click.echo(line, file=out)
        if isinstance(error, _HELP_FOR_NO_ARGUMENTS):  # bare ``vtrace``: the help is the message
            error.show(file=stream)
        out.flush()
    return status


def _message(error: BaseException, context: click.Context | None) -> list[str]:
    """The lines that say what went wrong, each starting with the command's name."""
    command = _command(context)
    if interruption(error) is not None or isinstance(
            error, (click.exceptions.Exit, *_HELP_FOR_NO_ARGUMENTS)):
        # Ctrl-C and signals: the run's summary already says so
        return []
    lab_errors = sys.modules.get("vtrace.lab.errors")  # no lab error without the lab loaded
    if lab_errors is not None and isinstance(error, lab_errors.PrerequisiteError):
        return [f"{command}: {problem}" for problem in error.problems]
    if isinstance(error, click.UsageError):
        text = " ".join(error.format_message().split())  # click lists choices on lines
        return [f"{command}: error: {text} (see '{command} --help')"]
    if isinstance(error, click.ClickException):
        return [f"{command}: error: {error.format_message()}"]
    if isinstance(error, OSError):
        text = f"{error.strerror or error}: {error.filename or ''}".rstrip(": ")
        return [f"{command}: error: {text}"]
    text = str(error)
    source = context.meta.get(_READING) if context is not None else None
    if source is not None and isinstance(error, _data_errors()) and not text.startswith(
            f"{source}:"):
        text = f"{'standard input' if source == '-' else source}: {text}"
    return [f"{command}: error: {text}"]


def _command(context: click.Context | None) -> str:
    """``vtrace COMMAND``, or ``vtrace`` before a command was chosen."""
    chosen = context.invoked_subcommand if context is not None else None
    return f"vtrace {chosen}" if chosen else "vtrace"


def _data_errors() -> tuple[type[Exception], ...]:
    from vtrace.codec import DecodeError
    from vtrace.sources import TraceError

    return DecodeError, TraceError
