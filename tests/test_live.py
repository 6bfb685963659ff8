"""The live view: what the screen shows mid-run, with rich's output captured."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

from rich.console import Console

from vtrace.engine import SendParams
from vtrace.renderers.live import LiveRenderer, LiveState
from vtrace.session import replay_send

SNAPSHOTS = Path(__file__).parent / "snapshots"


def screen_after(events: int, lang: str = "en", width: int = 100) -> str:
    session = replay_send(SendParams(frames=2), "modern", 1)
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
    screen = screen_after(40)
    snapshot = SNAPSHOTS / "live-after-40-events.txt"
    if os.environ.get("VTRACE_UPDATE_SNAPSHOTS"):
        snapshot.write_text(screen, encoding="utf-8")
    assert screen == snapshot.read_text(encoding="utf-8")


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


def test_the_renderer_ends_with_the_final_state_and_no_colour_when_told() -> None:
    session = replay_send(SendParams(frames=1), "modern", 1)
    out = io.StringIO()
    console = Console(width=100, file=out, force_terminal=True, no_color=True)
    LiveRenderer(console=console).render(session.header, session.events(), out)
    text = out.getvalue()
    assert "frames 1/1" in text
    assert not re.search(r"\x1b\[(?:\d+;)*(?:3[0-8]|4[0-8]|9\d)[;m]", text)  # no colours
