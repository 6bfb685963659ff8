"""``vtrace play``: a recording through the terminal views, counted as the replay was."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from diagram_fixtures import RECORDED

from vtrace.cli import main
from vtrace.cli.env import Environment


def _play(*args: str, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    env = Environment(argv=("play", *args), stdin=io.StringIO(stdin), stdout=out, stderr=err,
                      environ={})
    with pytest.raises(SystemExit) as exited:
        main(["play", *args], env)
    return int(exited.value.code or 0), out.getvalue(), err.getvalue()


def test_a_recording_plays_in_the_plain_view_with_the_replays_counters() -> None:
    code, out, _ = _play(str(RECORDED), "--view", "plain")
    assert code == 0
    assert "start_xmit" in out and "kicks (notify writes)" in out and "frames sent" in out


def test_a_set_up_recording_gets_the_set_up_summary(tmp_path: Path) -> None:
    recording = tmp_path / "setup.jsonl"
    with pytest.raises(SystemExit):
        main(["setup", "--events", str(recording), "--view", "quiet"],
             Environment(argv=(), stdout=io.StringIO()))
    code, out, _ = _play(str(recording), "--view", "quiet")
    assert code == 0 and "events" in out and "frames sent" not in out
    assert "VM exits" not in out and "device status writes" in out  # no exit count


def test_standard_input_and_events_out(tmp_path: Path) -> None:
    copy = tmp_path / "copy.jsonl"
    code, _, _ = _play("-", "--view", "quiet", "--events", str(copy),
                       stdin=RECORDED.read_text())
    assert code == 0
    from vtrace.codec import read_stream

    assert list(read_stream(copy.read_text().splitlines())[1]) == \
        list(read_stream(RECORDED.read_text().splitlines())[1])


def test_playing_into_the_recording_itself_is_refused(tmp_path: Path) -> None:
    recording = tmp_path / "run.jsonl"
    recording.write_text(RECORDED.read_text())
    code, _, err = _play(str(recording), "--events", str(recording))
    assert code == 2 and "is the recording being played" in err


def test_a_broken_recording_exits_2_naming_the_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.jsonl"
    broken.write_text(RECORDED.read_text().splitlines()[0] + "\n{not json\n")
    code, _, err = _play(str(broken), "--view", "quiet")
    assert code == 2 and "line 2" in err
