"""The live view: what the screen shows mid-run, with rich's output captured."""

from __future__ import annotations

import io
import re

import pytest
from diagram_fixtures import assert_snapshot
from fake_terminal import Terminal
from rich.console import Console

from vtrace.renderers.live import LiveRenderer, LiveState
from vtrace.session import replayed


def screen_after(events: int, lang: str = "en", width: int = 100) -> str:
    session = replayed("send", {"frames": 2}, "modern", 1)
    state = LiveState(session.header, lang, keys_hint=False)
    for count, event in enumerate(session.events()):
        state.update(event)
        if count == events:
            break
    console = Console(width=width, color_system=None, force_terminal=True, record=True,
                      file=io.StringIO())
    console.print(state)
    return console.export_text()


def test_mid_run_screen_matches_the_snapshot() -> None:
    assert_snapshot("live-after-40-events.txt", screen_after(40))


def test_the_screen_names_the_current_step_its_location_and_the_ring() -> None:
    screen = screen_after(40)
    assert "▶ qemu" in screen
    assert "virtqueue_push  hw/virtio/virtio.c:1461 [QEMU 7.2]" in screen
    assert "descriptors in use" in screen and "1/256" in screen
    assert "frames 1/2" in screen


def test_chinese_lines_up_inside_the_frame() -> None:
    screen = screen_after(40, lang="zh")
    assert "步骤" in screen
    from rich.cells import cell_len

    widths = {cell_len(line) for line in screen.splitlines() if line}
    assert widths == {100}


COLOUR = re.compile(r"\x1b\[(?:\d+;)*(?:3[0-8]|4[0-8]|9\d)[;m]")


@pytest.mark.parametrize("colour", [True, False])
def test_the_renderer_ends_with_the_final_state_coloured_only_when_told(
        monkeypatch: pytest.MonkeyPatch, colour: bool) -> None:
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.delenv("NO_COLOR", raising=False)
    session = replayed("send", {"frames": 1}, "modern", 1)
    out = Terminal()
    LiveRenderer(colour=colour).render(session.header, session.events(), out)
    text = out.getvalue()
    assert "frames 1/1" in text
    assert bool(COLOUR.search(text)) is colour
