"""The live view of the receive path and of the set-up, mid-run, at the sizes a classroom
uses (80x24, 100x30, 160x48) in English and Chinese: snapshots that must fit the screen.
The send path's are in ``test_live``."""

from __future__ import annotations

import io

import pytest
from diagram_fixtures import assert_snapshot
from rich.cells import cell_len
from rich.console import Console

from vtrace.renderers.live import LiveState
from vtrace.session import replayed

SIZES = [(80, 24), (100, 30), (160, 48)]
#: scenario, its parameters, and the event the screen is taken after: the receive path
#: when QEMU has published the first frame's used entry and is about to interrupt; the
#: set-up when the last queue's kicks have become an ioeventfd, every object made.
MOMENTS = {
    "recv": ({"frames": 2}, 38),
    "setup": ({}, 158),
}


def _screen(scenario: str, lang: str, width: int, height: int) -> str:
    given, events = MOMENTS[scenario]
    session = replayed(scenario, given, "modern", 1)
    state = LiveState(session, lang)
    for count, event in enumerate(session.source):
        if count == events:
            break
        state.update(event)
    console = Console(width=width, height=height, color_system=None, force_terminal=True,
                      record=True, file=io.StringIO())
    console.print(state)
    return console.export_text()


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("width,height", SIZES)
@pytest.mark.parametrize("scenario", sorted(MOMENTS))
def test_the_screen_matches_its_snapshot_and_fits(scenario: str, width: int, height: int,
                                                  lang: str) -> None:
    screen = _screen(scenario, lang, width, height)
    assert_snapshot(f"live-{scenario}-{width}x{height}-{lang}.txt", screen)
    lines = screen.splitlines()
    assert len(lines) <= height
    assert {cell_len(line) for line in lines} == {width}


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("width,height", SIZES)
def test_the_set_up_shows_the_objects_on_both_sides_of_the_boundary(width: int, height: int,
                                                                    lang: str) -> None:
    screen = _screen("setup", lang, width, height)
    sides = ("host kernel", "QEMU", "KVM", "guest kernel") if lang == "en" \
        else ("宿主内核", "QEMU", "KVM", "客户机内核")
    assert all(side in screen for side in sides)
    assert "ioeventfd ctrl" in screen and "tun_file" in screen
