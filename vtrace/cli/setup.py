"""``vtrace setup``: replay how the tap, the device and the guest's driver came to exist."""

from __future__ import annotations

import sys

import click

from vtrace.cli.options import era_option, seed_option
from vtrace.cli.play import CLASSROOM_SPEED, Playback, play, view_options
from vtrace.renderers.summary import SETUP_COUNTED, summary_lines
from vtrace.session import Session, replay_setup

__all__ = ["setup_command"]

EPILOG = """\b
Examples:
  vtrace setup
  vtrace setup --era lesson --view plain
  vtrace setup --lang zh --step
  vtrace setup --events setup.jsonl --view quiet
"""


@click.command("setup", epilog=EPILOG)
@era_option
@seed_option
@view_options(speed_help=f"Pace of the view (default: {CLASSROOM_SPEED:g} in the live view, "
                         "else max).")
def setup_command(era: str, seed: int, events_path: str | None, view: str | None,
                  speed: float | str | None, step: bool, lang: str) -> None:
    """Replay the set-up before any packet moves: tap, virtio-net device, guest driver."""
    playback = Playback.settle(view=view, events_path=events_path, speed=speed, step=step,
                               lang=lang, classroom=True)
    play(replay_setup(era, seed, tuple(sys.argv[1:])), playback, _summary)


def _summary(session: Session, lang: str, interrupted: bool) -> list[str]:
    return summary_lines(session.tally, lang, interrupted, SETUP_COUNTED)
