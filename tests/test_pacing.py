"""The live view's own pace: a time budget rather than a frame count, on the environment's
clock. No cliff between 5 and 6 frames; every frame on screen; later frames faster."""

from __future__ import annotations

import pytest

from vtrace.cli.playback import CLASSROOM_SPEED, PACE
from vtrace.model import Event, Kind
from vtrace.session import paced, replayed


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds > 0
        self.now += seconds


def _play(frames: int) -> tuple[float, dict[int, float]]:
    """(seconds the whole run takes, when each frame's first step is released)."""
    time = FakeTime()
    starts: dict[int, float] = {}
    events = replayed("send", {"frames": frames}, "modern", 1).events()
    for event in paced(events, CLASSROOM_SPEED, time.clock, time.sleep, **PACE):
        if event.kind is Kind.CALL and event.frame is not None:
            starts.setdefault(event.frame, time.now)
    return time.now, starts


def test_there_is_no_cliff_between_five_and_six_frames() -> None:
    five, _ = _play(5)
    six, _ = _play(6)
    assert five < six < five + 3


@pytest.mark.parametrize("frames", [20, 40, 300])
def test_a_run_of_twenty_frames_or_more_takes_about_half_a_minute(frames: int) -> None:
    took, _ = _play(frames)
    assert 20 <= took <= 40


@pytest.mark.parametrize("frames", [1, 3, 6])
def test_a_short_run_never_takes_longer_than_the_budget(frames: int) -> None:
    took, _ = _play(frames)
    assert 0 < took <= 40


def test_every_frame_in_the_budget_stays_on_screen_and_later_frames_go_faster() -> None:
    _, starts = _play(40)
    # A frame begun after the budget comes as fast as it is made; the rest keep their time.
    in_budget = [frame for frame in sorted(starts) if starts[frame] < PACE["budget_s"]]
    assert len(in_budget) >= 30
    shown = [starts[frame + 1] - starts[frame] for frame in in_budget[:-1]]
    assert all(seconds >= PACE["frame_s"] - 1e-9 for seconds in shown), shown
    assert shown[1] < shown[0] and shown[10] < shown[1]


def test_past_the_budget_the_rest_is_not_held_back() -> None:
    took, starts = _play(2000)
    assert took <= 40 and len(starts) == 2000


def test_an_explicit_speed_stays_steady() -> None:
    time = FakeTime()
    events: list[Event] = list(replayed("send", {"frames": 3}, "modern", 1).events())
    list(paced(events, 20.0, time.clock, time.sleep))
    calls = sum(1 for event in events if event.kind is Kind.CALL)
    assert time.now == pytest.approx((calls - 1) / 20.0)


def test_the_live_view_of_any_length_is_paced_by_the_budget_and_help_says_so() -> None:
    from click.testing import CliRunner

    from vtrace.cli import cli
    from vtrace.cli.env import Environment
    from vtrace.cli.playback import Playback

    def settle(speed: object) -> Playback:
        return Playback.settle(Environment(), view="live", events_path=None,
                               speed=speed, step=False, lang="en",  # type: ignore[arg-type]
                               classroom=True)

    assert settle("auto").budgeted and settle("auto").speed == CLASSROOM_SPEED
    assert not settle(25.0).budgeted
    for command in ("send", "play"):
        shown = " ".join(CliRunner().invoke(cli, [command, "--help"]).output.split())
        assert f"about {PACE['budget_s']:g} s in all" in shown, command
