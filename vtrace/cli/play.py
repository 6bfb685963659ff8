"""``vtrace play FILE``: show a recorded, imported or captured stream in the terminal views."""

from __future__ import annotations

from collections.abc import Iterator

import click

from vtrace.cli.env import current
from vtrace.cli.errors import reading
from vtrace.cli.playback import AUTO_PACE_HELP, Playback, play, view_options
from vtrace.output import same_file
from vtrace.session import from_file

__all__ = ["play_command", "read_lines"]

EPILOG = """\b
Examples:
  vtrace send --frames 3 --events run.jsonl --view quiet
  vtrace play run.jsonl                  the same run, in the live view
  vtrace play run.jsonl --step           one step per key
  vtrace play run.jsonl --view plain --lang zh
  cat run.jsonl | vtrace play - --view quiet
"""


def read_lines(path: str) -> Iterator[str]:
    """The lines of a recording ('-': standard input). Bytes that are not UTF-8 stay
    readable (as U+FFFD in every output), so a damaged label does not hide the rest."""
    reading(path)
    if path == "-":
        yield from current().stdin
        return
    with open(path, encoding="utf-8", errors="surrogateescape") as handle:
        yield from handle


@click.command("play", epilog=EPILOG)
@click.argument("recording", metavar="FILE",
                type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@view_options(speed_help=AUTO_PACE_HELP, pcap=True)
def play_command(recording: str, pcap_path: str | None, events_path: str | None,
                 view: str | None, speed: float | str | None, step: bool, lang: str) -> None:
    """Play a recorded stream (a JSON Lines file, '-' for stdin) through a terminal view."""
    env = current()
    for option, path in (("--events", events_path), ("--pcap", pcap_path)):
        if path is not None and recording != "-" and same_file(path, recording):
            raise click.UsageError(f"{option} {path} is the recording being played")
    session = from_file(read_lines(recording))
    playback = Playback.settle(env, view=view, events_path=events_path, speed=speed, step=step,
                               lang=lang, classroom=True, pcap_path=pcap_path)
    play(session, playback, env)
