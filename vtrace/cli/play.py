"""Playing a replay to a view: the options and wiring ``send`` and ``setup`` share.

``view_options`` adds ``--events``, ``--view``, ``--speed``, ``--step`` and
``--lang``; ``Playback.settle`` checks them and fills in the defaults before
any work; ``play`` runs a session through the view and prints the summary.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import click

from vtrace.cli.options import lang_option, stacked
from vtrace.output import atomic_output, check_writable
from vtrace.renderers import make_view
from vtrace.renderers.jsonl import tee_jsonl
from vtrace.renderers.summary import summary_lines
from vtrace.session import Session, paced, stepped
from vtrace.terminal import is_interactive, keypresses

__all__ = ["CLASSROOM_SPEED", "VIEWS", "Playback", "play", "view_options"]

F = TypeVar("F", bound=Callable[..., Any])

VIEWS = ("live", "plain", "quiet")
CLASSROOM_SPEED = 10.0  # steps per second: slow enough to follow on a projector


def _speed(ctx: click.Context, param: click.Parameter, value: str) -> float | str | None:
    """``auto`` stays, ``max`` means unpaced (None), anything else is steps per second."""
    if value in ("auto", "max"):
        return None if value == "max" else value
    try:
        speed = float(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is neither a number nor 'max'", ctx, param) from None
    if not 0 < speed <= 100_000:
        raise click.BadParameter("steps per second must be above 0 and at most 100000", ctx,
                                 param)
    return speed


def view_options(speed_help: str) -> Callable[[F], F]:
    """The options that say how to show a replay; ``speed_help`` tells what ``auto`` does."""
    return stacked([
        click.option("--events", "events_path", metavar="PATH|-",
                     help="Also write every event as JSON Lines to PATH ('-' for standard "
                          "output)."),
        click.option("--view", type=click.Choice(VIEWS),
                     help="live (default on a terminal), plain (default otherwise) or quiet."),
        click.option("--speed", callback=_speed, default="auto", metavar="STEPS_PER_S|max",
                     help=speed_help),
        click.option("--step", is_flag=True,
                     help="Wait for Enter or space before each step; q quits."),
        lang_option,
    ])


@dataclass(frozen=True, slots=True)
class Playback:
    """How to show a replay, with every default settled."""

    view: str
    events_path: str | None
    speed: float | None  # steps per second; None: as fast as possible
    step: bool
    lang: str

    @classmethod
    def settle(cls, *, view: str | None, events_path: str | None, speed: float | str | None,
               step: bool, lang: str, classroom: bool) -> Playback:
        """Check the options before any work; ``classroom``: may ``auto`` slow the live view."""
        if events_path is not None:
            check_writable(events_path)
        to_stdout = events_path == "-"
        if to_stdout and view not in (None, "quiet"):
            raise click.UsageError(
                "--events - writes to standard output; use --view quiet with it")
        if step and not is_interactive(sys.stdin):
            raise click.UsageError("--step needs a terminal to read keys from")
        chosen = view or ("quiet" if to_stdout else
                          "live" if is_interactive(sys.stdout) else "plain")
        if speed == "auto":
            speed = CLASSROOM_SPEED if chosen == "live" and classroom else None
        return cls(chosen, events_path, speed if isinstance(speed, float) else None, step, lang)


def play(session: Session, playback: Playback,
         summary: Callable[[Session, str, bool], list[str]] | None = None) -> None:
    """Show ``session`` and then its summary (on stderr when events go to stdout).

    ``summary(session, lang, interrupted)`` gives the summary's lines; by
    default, the send summary.
    """
    lines = summary or _send_summary
    renderer = make_view(playback.view, lang=playback.lang, step=playback.step)
    err = playback.events_path == "-"
    try:
        with contextlib.ExitStack() as stack:
            events = session.events()
            if playback.events_path is not None:
                sink = stack.enter_context(atomic_output(playback.events_path,
                                                         keep_on_interrupt=True))
                events = tee_jsonl(session.header, events, sink)
            if playback.speed is not None:
                events = paced(events, playback.speed)
            if playback.step:
                events = stepped(events, stack.enter_context(keypresses()))
            renderer.render(session.header, events, sys.stdout)
    except KeyboardInterrupt:
        click.echo("\n".join(lines(session, playback.lang, True)), err=err)
        raise
    click.echo("\n".join(lines(session, playback.lang, False)), err=err)


def _send_summary(session: Session, lang: str, interrupted: bool) -> list[str]:
    return summary_lines(session.tally, lang, interrupted)
