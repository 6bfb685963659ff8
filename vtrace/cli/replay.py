"""One command per registered scenario (``vtrace send``, ``vtrace setup``, ...), built from it.

A scenario's parameters become the command's options; the command replays it
and plays the stream through the chosen view. ``replay_command`` makes the
command; the module attribute ``<name>_command`` is that command, made on
first use, which is what ``vtrace.cli.app.COMMANDS`` names.
"""

from __future__ import annotations

import functools
from typing import Any

import click

from vtrace.cli.env import current
from vtrace.cli.options import era_option, param_options, seed_option
from vtrace.cli.playback import AUTO_PACE_HELP, Playback, play, view_options
from vtrace.scenarios import REGISTERED, Scenario
from vtrace.session import replayed

__all__ = ["replay_command"]


@functools.cache
def replay_command(scenario: Scenario) -> click.Command:
    """The command that replays ``scenario``."""
    frames = scenario.frames_param

    @click.command(scenario.name, help=scenario.summary,
                   epilog="\b\nExamples:\n" + "".join(f"  {line}\n" for line in scenario.usage))
    @param_options(scenario.params)
    @era_option
    @seed_option
    @view_options(speed_help=AUTO_PACE_HELP, pcap=frames is not None)
    def command(era: str, seed: int, events_path: str | None, view: str | None,
                speed: float | str | None, step: bool, lang: str,
                pcap_path: str | None = None, **given: Any) -> None:
        env = current()
        playback = Playback.settle(env, view=view, events_path=events_path, speed=speed,
                                   step=step, lang=lang, classroom=True, pcap_path=pcap_path)
        play(replayed(scenario, given, era, seed, env.argv), playback, env)

    return command


def __getattr__(attribute: str) -> click.Command:
    name = attribute.removesuffix("_command")
    if attribute.endswith("_command") and name in REGISTERED:
        return replay_command(REGISTERED[name])
    raise AttributeError(attribute)
