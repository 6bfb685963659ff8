"""The progress bar of long diagram work: only on a terminal, gone when the work ends."""

from __future__ import annotations

import io

import pytest
from fake_terminal import Terminal

from vtrace.catalog import era
from vtrace.model import Event
from vtrace.renderers.progress import REDRAW_EVERY, progress
from vtrace.scenarios.send import SendParams, send


def frames(count: int) -> list[Event]:
    return list(send(SendParams(frames=count), era("modern"), 1))


def test_off_a_terminal_nothing_is_written_and_events_pass_unchanged() -> None:
    events = frames(2)
    stream = io.StringIO()
    with progress(stream, 2) as track:
        assert list(track(events)) == events
    assert stream.getvalue() == ""


@pytest.mark.parametrize("lang,label", [("en", "reading frames"), ("zh", "读取帧")])
def test_on_a_terminal_the_bar_counts_frames(monkeypatch: pytest.MonkeyPatch, lang: str,
                                             label: str) -> None:
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.delenv("NO_COLOR", raising=False)
    count = REDRAW_EVERY // 40  # about 57 events a frame: several redraws
    events = frames(count)
    stream = Terminal()
    with progress(stream, count, lang) as track:
        assert list(track(events)) == events
    shown = stream.getvalue()
    assert label in shown and f"/{count}" in shown


def test_without_a_frame_count_it_counts_events(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERM", "xterm")
    stream = Terminal()
    with progress(stream, None) as track:
        list(track(frames(REDRAW_EVERY // 40)))
    assert "reading events" in stream.getvalue()


def test_a_dumb_terminal_gets_no_bar(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERM", "dumb")
    stream = Terminal()
    with progress(stream, 1) as track:
        list(track(frames(1)))
    assert stream.getvalue() == ""


def test_the_bar_goes_away_when_the_work_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERM", "xterm")
    stream = Terminal()
    with pytest.raises(KeyboardInterrupt), progress(stream, 1) as track:
        for _ in track(frames(1)):
            raise KeyboardInterrupt
    shown = stream.getvalue()
    assert shown.rindex("\x1b[?25h") > shown.rindex("\x1b[?25l")  # the cursor is back
    assert shown.endswith("\x1b[2K")  # and the bar's line erased
