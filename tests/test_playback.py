"""Settling how a replay is shown: checks and defaults shared by ``send`` and ``setup``."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from vtrace.cli.env import Environment
from vtrace.cli.playback import CLASSROOM_SPEED, Playback
from vtrace.output import OutputError


def _settle(**options: object) -> Playback:
    chosen: dict[str, object] = {"view": None, "events_path": None, "speed": "auto",
                                 "step": False, "lang": "en", "classroom": True}
    chosen.update(options)
    return Playback.settle(Environment(), **chosen)  # type: ignore[arg-type]


def test_off_a_terminal_the_view_is_plain_and_unpaced() -> None:
    playback = _settle()
    assert (playback.view, playback.speed) == ("plain", None)


def test_auto_speed_slows_only_a_classroom_live_view() -> None:
    assert _settle(view="live").speed == CLASSROOM_SPEED
    assert _settle(view="live", classroom=False).speed is None
    assert _settle(view="plain", speed=25.0).speed == 25.0
    assert _settle(view="live", speed=None).speed is None


def test_events_to_stdout_mean_the_quiet_view() -> None:
    assert _settle(events_path="-").view == "quiet"
    with pytest.raises(click.UsageError):
        _settle(events_path="-", view="plain")


def test_step_needs_a_terminal() -> None:
    with pytest.raises(click.UsageError):
        _settle(step=True)


def test_an_unwritable_events_path_fails_before_any_work(tmp_path: Path) -> None:
    with pytest.raises(OutputError):
        _settle(events_path=str(tmp_path / "missing" / "run.jsonl"))


def test_pacing_waits_between_calls_on_the_environments_clock() -> None:
    from vtrace.session import paced, replayed

    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    events = list(replayed("send", {"frames": 1}, "modern", 1).events())
    shown = list(paced(events, 10.0, clock=lambda: now[0], sleep=sleep))
    calls = sum(1 for event in events if event.kind.value == "call")
    assert shown == events
    assert len(slept) == calls - 1 and all(abs(s - 0.1) < 1e-9 for s in slept)

