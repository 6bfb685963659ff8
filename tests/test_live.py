"""The live view: what the screen shows mid-run at 60x20, 80x24, 100x30, 110x30 and 160x48,
with rich's output captured; one layout per terminal size for the whole run."""

from __future__ import annotations

import io
import re

import pytest
from diagram_fixtures import assert_snapshot
from fake_terminal import Terminal
from rich.cells import cell_len
from rich.console import Console

from vtrace.model import Kind
from vtrace.renderers.describe import lesson, note
from vtrace.renderers.live import LiveRenderer, LiveState
from vtrace.renderers.live_panels import step_panel
from vtrace.session import replayed

SIZES = [(80, 24), (100, 30), (160, 48)]
#: The sizes a layout is pinned at: the teacher guide's smallest terminal, a live run's, a
#: small one.
LAYOUT_SIZES = [(110, 30), (100, 30), (60, 20)]


def _state(events: int, lang: str = "en", **given: object) -> LiveState:
    session = replayed("send", {"frames": 2, **given}, "modern", 1)
    state = LiveState(session, lang)
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
@pytest.mark.parametrize("width,height", sorted({*SIZES, *LAYOUT_SIZES}))
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
    state = LiveState(session, "en")
    for event in session.source:
        state.update(event)
        if event.kind is not Kind.CALL or event.seq % 7:
            continue
        screen = _screen(state, width, height)
        assert len(screen.splitlines()) <= height
        assert event.function in screen and "…" not in screen
        for name in state.scenario.live_counters:
            assert re.search(rf" {state.tally[name]}\b", screen)
        assert f"frames done {state.frames_done()}/3" in screen
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
    assert "frames done 1/2" in _screen(half_way, 80, 24)
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
    assert "[0] addr=0x2000 len=140 flags=0 next=1  #0  available" in screen
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
    assert "frames done 1/1" in text
    assert bool(COLOUR.search(text)) is colour


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("width,height", LAYOUT_SIZES)
def test_one_layout_per_terminal_size_for_the_whole_run(width: int, height: int,
                                                        lang: str) -> None:
    """``vtrace send --era lesson -n 1 --step`` at a terminal of one size: every step is
    drawn with the same panels, none taller than the terminal."""
    session = replayed("send", {"frames": 1}, "lesson", 1)
    state = LiveState(session, lang)
    ring = {"en": "TX virtqueue (", "zh": "TX 虚拟队列 ("}[lang]
    shown: set[tuple[int, bool, bool]] = set()
    for event in session.source:
        state.update(event)
        if event.kind is not Kind.CALL:
            continue
        lines = _screen(state, width, height).splitlines()
        assert len(lines) <= height
        top = lines[:next(at for at, line in enumerate(lines) if "─ Step" in line or
                          "─ 步骤" in line)]
        # How many lines the panels above the step take; the ring; the lifelines' names.
        shown.add((len(top), any(ring in line for line in top),
                   any("host-stack" in line for line in top)))
    assert len(shown) == 1, shown


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_what_does_not_fit_is_named(lang: str) -> None:
    screen = _screen(_state(41, lang), 60, 20)
    said = {"en": "Left out, the terminal is too small: the layers, the ring panel",
            "zh": "终端太小，没有显示：各层、环形队列面板"}[lang]
    assert said in re.sub(r"[\s│]+", " ", screen).replace("、 ", "、")
    assert "Left out" not in _screen(_state(41), 110, 30)


def test_a_resized_terminal_gets_the_layout_of_its_new_size() -> None:
    state = _state(41)
    assert "TX virtqueue" not in _screen(state, 60, 20)
    assert "TX virtqueue" in _screen(state, 110, 30)
    assert "TX virtqueue" not in _screen(state, 60, 20)


def test_notes_that_do_not_fit_say_where_to_read_them() -> None:
    """Notes longer than the room the layout kept are left out with a pointer."""
    event = next(event for event in replayed("send", {"frames": 1}, "modern", 1).source
                 if event.kind is Kind.CALL and note(event) and lesson(event))

    def drawn(room: tuple[int, int] | None) -> list[str]:
        console = Console(width=96, color_system=None, record=True, file=io.StringIO())
        console.print(step_panel(event, "", "", "en", room))
        return console.export_text().splitlines()

    whole = drawn(None)
    assert "Compared with the lesson" in "".join(whole)
    assert drawn((96, len(whole))) == whole
    cut = drawn((96, len(whole) - 1))
    assert len(cut) <= len(whole) - 1
    assert f"… more: vtrace explain {event.function}" in "".join(cut)
    assert "Compared with the lesson" not in "".join(cut)
    assert "more: vtrace explain" not in _screen(_state(41), 100, 30)


def test_the_chinese_view_names_its_layers_in_chinese() -> None:
    screen = _screen(_state(41, "zh"), 100, 30)
    assert all(name in screen for name in ("客户机用户态", "客户机内核", "共享内存", "宿主机内核"))
    assert "guest-kernel" not in screen and "host-kernel" not in screen
    assert "走完的帧 0/2" in screen


def test_without_ioeventfd_the_counters_show_the_exits_to_qemus_vcpu_thread() -> None:
    state = _state(200, ioeventfd=False)
    screen = _screen(state, 100, 30)
    assert state.tally["exits_to_qemu"] > 0
    counters = re.sub(r"[\s│]+", " ", screen)
    exits = state.tally["exits_to_qemu"]
    assert re.search(rf"VM exits \d+ exits to QEMU's vCPU thread {exits}\b", counters)
    assert "exits to QEMU's vCPU thread" not in _screen(_state(200), 100, 30)
