"""The live view: what the screen shows mid-run at 80x24, 100x30 and 160x48, with rich's
output captured."""

from __future__ import annotations

import io
import re

import pytest
from diagram_fixtures import assert_snapshot
from fake_terminal import Terminal
from rich.cells import cell_len
from rich.console import Console

from vtrace.model import Kind
from vtrace.renderers.live import LiveRenderer, LiveState
from vtrace.session import replayed

SIZES = [(80, 24), (100, 30), (160, 48)]


def _state(events: int, lang: str = "en", **given: object) -> LiveState:
    session = replayed("send", {"frames": 2, **given}, "modern", 1)
    state = LiveState(session.header, lang)
    for count, event in enumerate(session.source):
        if count == events:
            break
        state.update(event)
    return state


def _screen(state: LiveState, width: int, height: int) -> str:
    console = Console(width=width, height=height, color_system=None, force_terminal=True,
                      record=True, file=io.StringIO())
    console.print(state)
    return console.export_text()


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("width,height", SIZES)
def test_mid_run_screen_matches_the_snapshot_and_fits(width: int, height: int,
                                                      lang: str) -> None:
    screen = _screen(_state(41, lang), width, height)
    assert_snapshot(f"live-{width}x{height}-{lang}.txt", screen)
    lines = screen.splitlines()
    assert len(lines) <= height
    assert {cell_len(line) for line in lines} == {width}


@pytest.mark.parametrize("width,height", SIZES)
def test_numbers_and_names_are_never_cut(width: int, height: int) -> None:
    session = replayed("send", {"frames": 3}, "modern", 1)
    state = LiveState(session.header, "en")
    for event in session.source:
        state.update(event)
        if event.kind is not Kind.CALL or event.seq % 7:
            continue
        screen = _screen(state, width, height)
        assert len(screen.splitlines()) <= height
        assert event.function in screen and "…" not in screen
        for name in state.scenario.live_counters:
            assert re.search(rf" {state.tally[name]}\b", screen)
        assert f"frames {state.frames_done()}/3" in screen
        in_use = 256 - state.ring.values["num_free"]
        assert f"{in_use}/256" in screen


def test_before_the_first_step_the_ring_holds_its_real_values() -> None:
    screen = _screen(_state(0), 160, 48)
    assert re.search(r"num_free +256", screen) and re.search(r"notification +1", screen)
    assert re.search(r"descriptors in use +0/256", screen)


def test_the_step_says_its_frame_time_and_thread() -> None:
    state = _state(41)
    event = state.current
    assert event is not None
    screen = _screen(state, 80, 24)
    assert f"Step {state.steps} · frame #{event.frame} · {event.t_ns / 1000:.3f} µs · " \
           f"{event.thread}" in screen


def test_a_frame_counts_as_done_only_after_its_last_step() -> None:
    events = list(replayed("send", {"frames": 2}, "modern", 1).source)
    reclaimed = [index for index, event in enumerate(events)  # not the empty, last call
                 if event.step == "virtqueue_get_buf" and event.frame is not None]
    half_way = _state(reclaimed[1])
    assert half_way.tally.frames == 2 and half_way.frames_done() == 1
    assert "frames 1/2" in _screen(half_way, 80, 24)
    assert _state(reclaimed[1] + 1).frames_done() == 2


def test_rows_of_an_earlier_frame_carry_their_frame_number() -> None:
    events = list(replayed("send", {"frames": 2}, "modern", 1).source)
    second = next(at for at, event in enumerate(events) if event.frame == 1)
    state = _state(second + 3)  # a few steps into frame 1, frame 0's rows still shown
    assert state.current is not None and state.current.frame == 1
    screen = _screen(state, 80, 24)
    lanes = screen.splitlines()[2:8]
    assert any(re.search(r"_\w+ +#0 ", line) for line in lanes)
    assert any(re.search(r"_\w+ +#1 ", line) for line in lanes)


def test_the_ring_contents_show_at_160_columns() -> None:
    state = _state(14)  # just after the first descriptor was added
    screen = _screen(state, 160, 48)
    assert "[0] addr=0x2000 len=140 flags=0 next=0  #0  available" in screen
    assert "idx=0 ring[0]=0  not taken yet" in screen
    assert "UDP src_port=40000 dst_port=9 len=94" in screen
    assert "Ring contents" not in _screen(state, 80, 24)


COLOUR = re.compile(r"\x1b\[(?:\d+;)*(?:3[0-8]|4[0-8]|9\d)[;m]")


@pytest.mark.parametrize("colour", [True, False])
def test_the_renderer_ends_with_the_final_state_coloured_only_when_told(
        monkeypatch: pytest.MonkeyPatch, colour: bool) -> None:
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.delenv("NO_COLOR", raising=False)
    session = replayed("send", {"frames": 1}, "modern", 1)
    out = Terminal()
    LiveRenderer(colour=colour).render(session, out)
    text = out.getvalue()
    assert "frames 1/1" in text
    assert bool(COLOUR.search(text)) is colour
