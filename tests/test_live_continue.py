"""After Ctrl-Z and ``fg`` the shell has written its job lines below the live screen: the
next drawing starts from a clear screen, not from where the old screen's top was."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator

from fake_terminal import Terminal

from vtrace.model import Event
from vtrace.renderers.live import LiveRenderer
from vtrace.session import replayed
from vtrace.terminal import continuing

CLEAR = "\x1b[H\x1b[2J"  # home, then erase the whole screen


def _continued_after(events: Iterator[Event], count: int) -> Iterator[Event]:
    """The stream, with a SIGCONT to this process after ``count`` events, as ``fg`` sends."""
    for seen, event in enumerate(events):
        if seen == count:
            os.kill(os.getpid(), signal.SIGCONT)
        yield event


def _drawn(continued_at: int | None) -> str:
    session = replayed("send", {"frames": 1}, "modern", 1)
    events = session.events()
    if continued_at is not None:
        events = _continued_after(events, continued_at)
    out = Terminal()
    LiveRenderer(colour=False).render(session.fed(events), out)
    return out.getvalue()


def test_the_screen_is_drawn_again_from_the_top_after_fg() -> None:
    assert CLEAR not in _drawn(None)
    drawn = _drawn(10)
    assert drawn.count(CLEAR) == 1
    assert "frames done 1/1" in drawn.split(CLEAR)[1]  # the whole screen follows the clearing


def test_continuing_runs_the_handler_and_the_one_before_then_restores_it() -> None:
    seen: list[str] = []
    before = signal.signal(signal.SIGCONT, lambda signum, frame: seen.append("before"))
    try:
        with continuing(lambda: seen.append("ours")):
            os.kill(os.getpid(), signal.SIGCONT)
        os.kill(os.getpid(), signal.SIGCONT)
        assert seen == ["before", "ours", "before"]
    finally:
        signal.signal(signal.SIGCONT, before)
