"""A quiet run that writes no events only counts: the same counts, no events built, and a
progress bar on a terminal only."""

from __future__ import annotations

import io
from collections import deque

import pytest
from cli_run import run
from fake_terminal import Terminal
from hypothesis import given, settings
from hypothesis import strategies as st

from vtrace.catalog import ERAS
from vtrace.cli import main
from vtrace.cli.env import Environment
from vtrace.scenarios.params import QUEUE_SIZES
from vtrace.session import Session, replayed
from vtrace.tally import Tally


def _state(tally: Tally) -> tuple[object, ...]:
    return tally.events, tally.t_ns, dict(tally.counts), dict(tally.ring)


def _both(name: str, given: dict[str, object], era: str, seed: int) -> tuple[Session, Session]:
    full = replayed(name, given, era, seed)
    deque(full.events(), 0)
    counted = replayed(name, given, era, seed)
    counted.count()
    return full, counted


@settings(max_examples=40)
@given(frames=st.integers(1, 40), batch=st.integers(1, 12),
       queue_size=st.sampled_from(QUEUE_SIZES[:4]), event_idx=st.booleans(),
       ioeventfd=st.booleans(), interval_us=st.integers(0, 120),
       era=st.sampled_from(sorted(ERAS)), seed=st.integers(0, 2**32))
def test_counting_alone_gives_the_tally_of_the_full_stream(
        frames: int, batch: int, queue_size: int, event_idx: bool, ioeventfd: bool,
        interval_us: int, era: str, seed: int) -> None:
    full, counted = _both("send", {"frames": frames, "batch": batch, "queue_size": queue_size,
                                   "event_idx": event_idx, "ioeventfd": ioeventfd,
                                   "interval_ns": interval_us}, era, seed)
    assert _state(counted.tally) == _state(full.tally)


@pytest.mark.parametrize("era", sorted(ERAS))
def test_the_setup_counts_the_same_way(era: str) -> None:
    full, counted = _both("setup", {}, era, 1)
    assert full.tally.events > 0
    assert _state(counted.tally) == _state(full.tally)


def test_counting_builds_no_event(monkeypatch: pytest.MonkeyPatch) -> None:
    import vtrace.engine.sim as sim

    def refuse(*args: object) -> None:
        raise AssertionError("an event was built")

    session = replayed("send", {"frames": 5}, "modern", 1)
    monkeypatch.setattr(sim, "Event", refuse)
    session.count()
    assert session.tally.frames == 5


def _quiet(stdout: io.StringIO, *args: str) -> int:
    env = Environment(argv=("send", *args), stdout=stdout, stderr=io.StringIO(),
                      environ={"TERM": "xterm"})
    with pytest.raises(SystemExit) as done:
        main(["send", *args], env)
    return int(done.value.code or 0)


@pytest.mark.parametrize("extra", [(), ("--events", "/dev/null")])
def test_a_quiet_run_on_a_terminal_shows_a_bar_with_rate_and_time_left_then_the_summary(
        monkeypatch: pytest.MonkeyPatch, extra: tuple[str, ...]) -> None:
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.delenv("NO_COLOR", raising=False)
    screen = Terminal()
    assert _quiet(screen, "--frames", "300", "--view", "quiet", *extra) == 0
    shown = screen.getvalue()
    assert "frames sent" in shown and "/300" in shown and "/s" in shown
    assert "-:--:--" in shown or "0:00:0" in shown  # the time left
    assert shown.rindex("\x1b[?25h") > shown.rindex("\x1b[?25l")  # the bar is gone
    assert "Summary" in shown.split("\x1b[?25h")[-1]


def test_off_a_terminal_a_quiet_run_prints_the_summary_alone() -> None:
    out = io.StringIO()
    assert _quiet(out, "--frames", "300", "--view", "quiet") == 0
    text = out.getvalue()
    assert "\x1b" not in text and text.lstrip().startswith("Summary")


def test_the_summary_has_no_trailing_spaces_and_separates_thousands() -> None:
    code, out, _ = run("send", "--view", "quiet", "-n", "1500")
    assert code == 0
    lines = out.splitlines()
    assert [line for line in lines if line != line.rstrip()] == []
    frames = next(line for line in lines if line.strip().startswith("frames sent"))
    assert frames.split()[-1] == "1,500"
    events = next(line for line in lines if line.strip().startswith("events"))
    assert "," in events.split()[1]
