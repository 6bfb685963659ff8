"""``vtrace send``: replay frames leaving the guest and show them."""

from __future__ import annotations

import contextlib
import sys
from typing import Any

import click

from vtrace.cli.options import lang_option, scenario_options, send_params
from vtrace.output import atomic_output, check_writable
from vtrace.renderers import make_view
from vtrace.renderers.base import Renderer
from vtrace.renderers.summary import summary_lines
from vtrace.session import Session, paced, replay_send, stepped, tee_jsonl
from vtrace.terminal import is_interactive, keypresses

__all__ = ["send_command"]

VIEWS = ("live", "plain", "quiet")
CLASSROOM_FRAMES = 5  # up to this many frames, the live view goes slowly enough to follow
CLASSROOM_SPEED = 10.0

EPILOG = """\b
Examples:
  vtrace send --frames 3
  vtrace send --frames 1000 --batch 32 --events run.jsonl --view quiet
  vtrace send --step --no-ioeventfd
  vtrace send --frames 5 --events - | jq .function
"""


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


@click.command("send", epilog=EPILOG)
@scenario_options(default_frames=3)
@click.option("--events", "events_path", metavar="PATH|-",
              help="Also write every event as JSON Lines to PATH ('-' for standard output).")
@click.option("--view", type=click.Choice(VIEWS),
              help="live (default on a terminal), plain (default otherwise) or quiet.")
@click.option("--speed", callback=_speed, default="auto", metavar="STEPS_PER_S|max",
              help=f"Pace of the view (default: {CLASSROOM_SPEED:g} for up to "
                   f"{CLASSROOM_FRAMES} frames in the live view, else max).")
@click.option("--step", is_flag=True, help="Wait for Enter or space before each step; q quits.")
@lang_option
@click.pass_context
def send_command(ctx: click.Context, events_path: str | None, view: str | None,
                 speed: float | str | None, step: bool, lang: str, era: str, seed: int,
                 **scenario: Any) -> None:
    """Send frames from the guest and watch each step of their way to the host."""
    if events_path is not None:
        check_writable(events_path)
    to_stdout = events_path == "-"
    if to_stdout and view not in (None, "quiet"):
        raise click.UsageError("--events - writes to standard output; use --view quiet with it")
    if step and not is_interactive(sys.stdin):
        raise click.UsageError("--step needs a terminal to read keys from")
    chosen = view or ("quiet" if to_stdout else "live" if is_interactive(sys.stdout) else "plain")
    if speed == "auto":
        slow = chosen == "live" and scenario["frames"] <= CLASSROOM_FRAMES
        speed = CLASSROOM_SPEED if slow else None
    session = replay_send(send_params(**scenario), era, seed, tuple(sys.argv[1:]))
    renderer = make_view(chosen, lang=lang, interactive=is_interactive(sys.stdout),
                         step=step)
    summary_err = to_stdout
    try:
        _play(session, renderer, events_path, speed if isinstance(speed, float) else None, step)
    except KeyboardInterrupt:
        _summary(session, lang, summary_err, interrupted=True)
        raise
    _summary(session, lang, summary_err, interrupted=False)


def _play(session: Session, renderer: Renderer, events_path: str | None, speed: float | None,
          step: bool) -> None:
    with contextlib.ExitStack() as stack:
        events = session.events()
        if events_path is not None:
            sink = stack.enter_context(atomic_output(events_path, keep_on_interrupt=True))
            events = tee_jsonl(session.header, events, sink)
        if speed is not None:
            events = paced(events, speed)
        if step:
            events = stepped(events, stack.enter_context(keypresses()))
        renderer.render(session.header, events, sys.stdout)


def _summary(session: Session, lang: str, err: bool, interrupted: bool) -> None:
    click.echo("\n".join(summary_lines(session.tally, lang, interrupted)), err=err)
