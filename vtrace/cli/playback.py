"""Showing a session on the terminal: the view options every playing command shares.

``view_options`` adds ``--events``, ``--view``, ``--speed``, ``--step`` and
``--lang``; ``Playback.settle`` checks them and fills in the defaults before
any work; ``play`` runs a session through the view and prints its scenario's
summary.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import click

from vtrace.cli.env import Environment
from vtrace.cli.options import lang_option, stacked
from vtrace.output import atomic_output, check_writable
from vtrace.renderers import make_view, views
from vtrace.renderers.jsonl import tee_jsonl
from vtrace.renderers.step_views import step_view
from vtrace.renderers.summary import summary_lines
from vtrace.session import Session, paced
from vtrace.stepping import drive

__all__ = ["CLASSROOM_FRAMES", "CLASSROOM_SPEED", "Playback", "play", "view_options"]

F = TypeVar("F", bound=Callable[..., Any])

CLASSROOM_SPEED = 10.0  # steps per second: slow enough to follow on a projector
CLASSROOM_FRAMES = 5  # up to this many frames, the live view goes slowly enough to follow


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


SHOW_RING = "vtrace.show_ring"


def _show_ring(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    """Kept in the context for ``Playback.settle``, so every playing command has the option
    without a parameter of its own."""
    ctx.meta[SHOW_RING] = value


def view_options(speed_help: str) -> Callable[[F], F]:
    """The options that say how to show a stream; ``speed_help`` tells what ``auto`` does."""
    return stacked([
        click.option("--events", "events_path", metavar="PATH|-",
                     help="Also write every event as JSON Lines to PATH ('-' for standard "
                          "output)."),
        click.option("--view", type=click.Choice(views()),
                     help="live (default on a terminal), plain (default otherwise) or quiet."),
        click.option("--speed", callback=_speed, default="auto", metavar="STEPS_PER_S|max",
                     help=speed_help),
        click.option("--step", is_flag=True,
                     help="Step mode for a presenter: Enter, space, →, ↓ or PageDown shows the "
                          "next step; ←, ↑ or PageUp the one before; f the next frame; "
                          "g NUMBER Enter goes to a step; ? shows the keys; q quits."),
        click.option("--show-ring", is_flag=True, expose_value=False, callback=_show_ring,
                     help="Plain view: print the ring's contents (descriptors, ring entries, "
                          "event indices, the frame's headers) after each ring step."),
        lang_option,
    ])


@dataclass(frozen=True, slots=True)
class Playback:
    """How to show a stream, with every default settled."""

    view: str
    events_path: str | None
    speed: float | None  # steps per second; None: as fast as possible
    step: bool
    lang: str
    show_ring: bool = False

    @classmethod
    def settle(cls, env: Environment, *, view: str | None, events_path: str | None,
               speed: float | str | None, step: bool, lang: str, classroom: bool,
               show_ring: bool | None = None) -> Playback:
        """Check the options before any work; ``classroom``: may ``auto`` slow the live view;
        ``show_ring`` unsaid: as ``--show-ring`` of the running command."""
        if events_path is not None:
            check_writable(events_path)
        to_stdout = events_path == "-"
        if to_stdout and view not in (None, "quiet"):
            raise click.UsageError(
                "--events - writes to standard output; use --view quiet with it")
        if step and not env.interactive(env.stdin):
            raise click.UsageError("--step needs a terminal to read keys from")
        chosen = view or ("quiet" if to_stdout else
                          "live" if env.interactive(env.stdout) else "plain")
        if speed == "auto":
            speed = CLASSROOM_SPEED if chosen == "live" and classroom else None
        if show_ring is None:
            context = click.get_current_context(silent=True)
            show_ring = bool(context and context.meta.get(SHOW_RING))
        if show_ring and chosen != "plain":
            raise click.UsageError("--show-ring is for the plain view (--view plain); the live "
                                   "view shows the ring when the terminal has room")
        return cls(chosen, events_path, speed if isinstance(speed, float) else None, step, lang,
                   show_ring)


def play(session: Session, playback: Playback, env: Environment) -> None:
    """Show ``session`` and then its summary (on stderr when events go to stdout)."""
    renderer = make_view(playback.view, lang=playback.lang, colour=env.colour(env.stdout),
                         show_ring=playback.show_ring)
    summary = env.stderr if playback.events_path == "-" else env.stdout
    # What is built before the stream starts (catalog, renderers, the ring) lives as long
    # as the run: moving it out of the collector's reach keeps the full collections a
    # long stream triggers from scanning it again and again.
    gc.freeze()
    try:
        with contextlib.ExitStack() as stack:
            # Counted as the view takes them in, so a summary after q or Ctrl-C counts
            # what the screen showed and not an event read ahead.
            events = session.source
            if playback.events_path is not None:
                sink = stack.enter_context(atomic_output(playback.events_path,
                                                         keep_on_interrupt=True))
                events = tee_jsonl(session.header, events, sink)
            if playback.step:
                read_key = stack.enter_context(env.keys(env.stdin))
                view = stack.enter_context(step_view(renderer, session.header, env.stdout))
                drive(events, view, read_key, session.tally.add)
            else:
                if playback.speed is not None:
                    events = paced(events, playback.speed, env.clock, env.sleep)
                renderer.render(session.header, session.tally.watch(events), env.stdout)
    except KeyboardInterrupt:
        _summary(session, playback.lang, True, summary)
        raise
    _summary(session, playback.lang, False, summary)


def _summary(session: Session, lang: str, interrupted: bool, out: Any) -> None:
    click.echo("\n".join(summary_lines(session.tally, session.scenario, lang, interrupted)),
               file=out)
