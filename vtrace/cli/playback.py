"""Showing a session on the terminal: the view options every playing command shares.

``view_options`` adds ``--events``, ``--view``, ``--speed``, ``--step`` and
``--lang``; ``Playback.settle`` checks them and fills in the defaults before
any work; ``play`` runs a session through the view and prints its scenario's
summary. A quiet run that writes no events only counts (the replay builds no
events), with a progress bar on a terminal.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any, TypeVar

import click

from vtrace.cli.env import Environment
from vtrace.cli.options import lang_option, stacked
from vtrace.codec import tee_jsonl
from vtrace.i18n import say
from vtrace.model import Source
from vtrace.output import check_apart, check_writable
from vtrace.renderers import make_view, views
from vtrace.renderers.base import Renderer, count_param
from vtrace.renderers.packets import PacketFile, empty_notice, is_pcapng, tee_packets
from vtrace.renderers.progress import bar, progress
from vtrace.renderers.step_views import step_view
from vtrace.renderers.summary import summary_lines
from vtrace.session import Session, paced
from vtrace.stepping import drive

__all__ = ["AUTO_PACE_HELP", "CLASSROOM_SPEED", "PACE", "Playback", "play", "view_options"]

F = TypeVar("F", bound=Callable[..., Any])

CLASSROOM_SPEED = 10.0  # steps per second of the first frame: slow enough to follow
#: The live view's own pace: each frame a little faster than the one before, every frame on
#: screen for a few redraws, the run within about half a minute.
PACE = {"quicken": 0.75, "frame_s": 0.25, "budget_s": 30.0}
AUTO_PACE_HELP = (
    f"Steps a second, or max. Default in the live view: the first frame at "
    f"{CLASSROOM_SPEED:g} steps a second, each later (identical) frame faster, every frame "
    f"on screen for at least {PACE['frame_s']:g} s, about {PACE['budget_s']:g} s in all "
    f"(what comes after goes at max); elsewhere max.")


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
FOLD = "vtrace.fold"


def _show_ring(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    """Kept in the context for ``Playback.settle``, so every playing command has the option
    without a parameter of its own."""
    ctx.meta[SHOW_RING] = value


def _fold(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    """Kept in the context like ``--show-ring``."""
    ctx.meta[FOLD] = value


PCAP_OPTION = click.option(
    "--pcap", "pcap_path", metavar="PATH",
    help="Also write the frames to a capture file for Wireshark or tshark: PATH.pcap holds "
         "each frame as it crossed the tap, PATH.pcapng each frame at every hop of its path "
         "('-': classic pcap on standard output).")


def view_options(speed_help: str, *, pcap: bool = False) -> Callable[[F], F]:
    """The options that say how to show a stream; ``speed_help`` tells what ``auto`` does;
    ``pcap``: also ``--pcap``, for the streams that carry frames."""
    return stacked([*([PCAP_OPTION] if pcap else []),
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
                          "k, x, i, s the next kick, VM exit, interrupt, suppressed "
                          "notification (K, X, I, S the one before); / NAME Enter finds a "
                          "function; g NUMBER Enter goes to a step; v shows the ring as a "
                          "figure or as values (live view); ? shows the keys; q quits."),
        click.option("--show-ring", is_flag=True, expose_value=False, callback=_show_ring,
                     help="Plain view: print the ring's contents (descriptors, ring entries, "
                          "event indices, the frame's headers) after each ring step."),
        click.option("--fold/--no-fold", default=True, expose_value=False, callback=_fold,
                     help="Plain view: show a loop that runs again and again (a refill, a "
                          "stalled queue) once, with how many more times it ran (default), "
                          "or every pass."),
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
    budgeted: bool = False  # the live view's own pace (PACE), from the speed
    show_ring: bool = False
    pcap_path: str | None = None
    fold: bool = True

    @classmethod
    def settle(cls, env: Environment, *, view: str | None, events_path: str | None,
               speed: float | str | None, step: bool, lang: str, classroom: bool,
               show_ring: bool | None = None, pcap_path: str | None = None) -> Playback:
        """Check the options before any work; ``classroom``: may ``auto`` pace the live view;
        ``show_ring`` unsaid: as ``--show-ring`` of the running command."""
        for path in (events_path, pcap_path):
            if path is not None:
                check_writable(path)
        if events_path == "-" and pcap_path == "-":
            raise click.UsageError("--events - and --pcap - cannot both go to standard output")
        check_apart([("--events", events_path), ("--pcap", pcap_path)])
        to_stdout = "-" in (events_path, pcap_path)
        if to_stdout and view not in (None, "quiet"):
            option = "--events -" if events_path == "-" else "--pcap -"
            raise click.UsageError(
                f"{option} writes to standard output; use --view quiet with it")
        if step and not env.interactive(env.stdin):
            raise click.UsageError("--step needs a terminal to read keys from")
        chosen = view or ("quiet" if to_stdout else
                          "live" if env.interactive(env.stdout) else "plain")
        budgeted = speed == "auto" and chosen == "live" and classroom
        if speed == "auto":
            speed = CLASSROOM_SPEED if budgeted else None
        if show_ring is None:
            context = click.get_current_context(silent=True)
            show_ring = bool(context and context.meta.get(SHOW_RING))
        if show_ring and chosen != "plain":
            raise click.UsageError("--show-ring is for the plain view (--view plain); the live "
                                   "view shows the ring when the terminal has room")
        context = click.get_current_context(silent=True)
        fold = bool(context.meta.get(FOLD, True)) if context else True
        return cls(chosen, events_path, speed if isinstance(speed, float) else None, step, lang,
                   budgeted, show_ring, pcap_path, fold)

    @property
    def counts_only(self) -> bool:
        """Nothing but the counts is shown or written: the events need never be built."""
        return (self.view == "quiet" and self.events_path is None and self.pcap_path is None
                and self.speed is None and not self.step)


def play(session: Session, playback: Playback, env: Environment) -> None:
    """Show ``session`` and then its summary (on stderr when events go to stdout)."""
    renderer = make_view(playback.view, lang=playback.lang, colour=env.colour(env.stdout),
                         show_ring=playback.show_ring, fold=playback.fold,
                         width=env.columns(env.stdout))
    summary = env.stderr if "-" in (playback.events_path, playback.pcap_path) else env.stdout
    # What is built before the stream starts (catalog, renderers, the ring) lives as long
    # as the run: moving it out of the collector's reach keeps the full collections a
    # long stream triggers from scanning it again and again.
    gc.freeze()
    try:
        if playback.counts_only:
            _count(session, summary, playback.lang)
        else:
            with _listening(renderer, playback, env):
                _show(session, playback, env, renderer, summary)
    except KeyboardInterrupt:  # Ctrl-C, SIGTERM, SIGHUP
        with contextlib.suppress(OSError):  # after SIGHUP the terminal may be gone
            _summary(session, playback.lang, True, summary)
        raise
    _summary(session, playback.lang, False, summary)


@contextlib.contextmanager
def _listening(renderer: Renderer, playback: Playback, env: Environment) -> Iterator[None]:
    """A live run on a terminal takes keys as it plays (``v``), outside step mode too."""
    listen = getattr(renderer, "listen", None)
    with contextlib.ExitStack() as stack:
        if listen is not None and not playback.step and env.interactive(env.stdin) \
                and env.interactive(env.stdout):
            listen(stack.enter_context(env.keys(env.stdin)))
        yield


def _show(session: Session, playback: Playback, env: Environment, renderer: Renderer,
          summary: IO[str]) -> None:
    if (playback.speed is None and not playback.step and playback.events_path is None
            and playback.pcap_path is None):
        # Nothing else reads the stream and nothing paces it: the view builds only the
        # events it draws, and the summary still counts what it took in.
        renderer.follow(session, env.stdout)
        return
    with contextlib.ExitStack() as stack:
        # Counted as the view takes them in, so a summary after q or Ctrl-C counts what
        # the screen showed and not an event read ahead.
        events = session.source
        if playback.events_path is not None:
            sink = stack.enter_context(env.output(playback.events_path,
                                                  keep_on_interrupt=True))
            events = tee_jsonl(session.header, events, sink)
        capture: PacketFile | None = None
        if playback.pcap_path is not None:
            capture = PacketFile(session,
                                 stack.enter_context(env.output(playback.pcap_path,
                                                                binary=True,
                                                                keep_on_interrupt=True)),
                                 pcapng=is_pcapng(playback.pcap_path), lang=playback.lang)
            events = tee_packets(capture, events)
            stack.callback(_say_if_empty, capture, playback, env)
        if playback.view == "quiet" and not playback.step:
            # A quiet run that writes files: show it moving (in step mode the status line
            # says where the presenter is, on the line a bar would take).
            frames, label = _measure(session, playback.lang)
            events = stack.enter_context(progress(summary, frames, label=label))(events)
        if playback.step:
            read_key = stack.enter_context(env.keys(env.stdin))
            view = stack.enter_context(step_view(renderer, session, env.stdout))
            tally = session.tally
            drive(events, view, read_key, tally.add,
                  lambda event: (counter for counter, _ in
                                 tally.moves(event.step, event.kind, event.detail)))
            return
        if playback.speed is not None:
            events = paced(events, playback.speed, env.clock, env.sleep,
                           **(PACE if playback.budgeted else {}))
        renderer.render(session.fed(events), env.stdout)


def _say_if_empty(capture: PacketFile, playback: Playback, env: Environment) -> None:
    if capture.count == 0 and playback.pcap_path is not None:
        click.echo(empty_notice(playback.pcap_path, playback.lang), file=env.stderr)


def _count(session: Session, summary: IO[str], lang: str) -> None:
    """Only the counts, with a bar on a terminal of the frames done, their rate and ETA."""
    frames, label = _measure(session, lang)
    tally = session.tally
    with bar(summary, frames, label) as move:
        if move is None:
            session.count()
        else:
            shown = move
            session.count(lambda: shown(tally.frames if frames else tally.events))


def _measure(session: Session, lang: str) -> tuple[int | None, str]:
    """How many frames the stream says it has (None: count events), and the bar's label."""
    scenario = session.scenario
    name = scenario.frames_param
    frames = count_param(session.header.params, name) if name else None
    if frames:
        label = next((counter.label for counter in scenario.counters
                      if counter.name == "frames"), None)
        if label:
            return frames, label.get(lang) or label["en"]
    return None, say("progress.events", lang)


def _summary(session: Session, lang: str, interrupted: bool, out: Any) -> None:
    measured = session.header.source is not Source.REPLAY
    click.echo("\n".join(summary_lines(session.tally, session.scenario, lang, interrupted,
                                        measured=measured)), file=out)
