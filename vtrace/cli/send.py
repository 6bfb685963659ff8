"""``vtrace send``: replay frames leaving the guest and show them."""

from __future__ import annotations

import sys
from typing import Any

import click

from vtrace.cli.options import scenario_options, send_params
from vtrace.cli.play import CLASSROOM_SPEED, Playback, play, view_options
from vtrace.session import replay_send

__all__ = ["send_command"]

CLASSROOM_FRAMES = 5  # up to this many frames, the live view goes slowly enough to follow

EPILOG = """\b
Examples:
  vtrace send --frames 3
  vtrace send --frames 1000 --batch 32 --events run.jsonl --view quiet
  vtrace send --step --no-ioeventfd
  vtrace send --era lesson --lang zh
  vtrace send --frames 5 --events - | jq .function
"""


@click.command("send", epilog=EPILOG)
@scenario_options(default_frames=3)
@view_options(speed_help=f"Pace of the view (default: {CLASSROOM_SPEED:g} for up to "
                         f"{CLASSROOM_FRAMES} frames in the live view, else max).")
def send_command(events_path: str | None, view: str | None,
                 speed: float | str | None, step: bool, lang: str, era: str, seed: int,
                 **scenario: Any) -> None:
    """Send frames from the guest and watch each step of their way to the host."""
    playback = Playback.settle(view=view, events_path=events_path, speed=speed, step=step,
                               lang=lang, classroom=scenario["frames"] <= CLASSROOM_FRAMES)
    session = replay_send(send_params(**scenario), era, seed, tuple(sys.argv[1:]))
    play(session, playback)
