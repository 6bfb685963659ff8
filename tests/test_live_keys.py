"""Keys during a live run, outside step mode: ``v`` draws the ring as a figure or as values,
as it does in step mode; nothing listens off a terminal."""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, Any

import pytest
from fake_terminal import Terminal

from vtrace.cli import main
from vtrace.cli.env import Environment
from vtrace.renderers.live import LiveState, toggling
from vtrace.session import replayed


def _reader(keys: list[str]) -> Callable[[], str]:
    pressed = iter(keys)
    return lambda: next(pressed)


def test_each_v_switches_the_ring_and_the_keys_ending_stops_listening() -> None:
    state = LiveState(replayed("send", {"frames": 1}, "modern", 1), "en")
    toggling(state, _reader(["v"]))
    assert state.figure
    toggling(state, _reader(["x", "vV"]))
    assert state.figure
    toggling(state, _reader(["V", ""]))
    assert not state.figure


def _run(view: str) -> tuple[str, bool]:
    """A paced run whose clock waits until the key was taken, so the screen after it is
    drawn with the figure: no race between the run and the key."""
    taken = threading.Event()
    listened: list[bool] = []

    @contextmanager
    def keys(stream: IO[Any]) -> Iterator[Callable[[], str]]:
        listened.append(True)
        pressed = iter(["v"])

        def read() -> str:
            for key in pressed:
                return key
            taken.set()
            threading.Event().wait()  # the presenter presses nothing more
            return ""

        yield read

    out = Terminal()
    env = Environment(argv=(), stdin=Terminal(), stdout=out, stderr=io.StringIO(),
                      environ={"TERM": "xterm", "COLUMNS": "80", "LINES": "24"}, keys=keys,
                      sleep=lambda seconds: taken.wait(5) if view == "live" else None,
                      clock=lambda: 0.0)
    with pytest.raises(SystemExit) as exited:
        main(["send", "--frames", "1", "--view", view, "--speed", "1000"], env)
    assert exited.value.code == 0
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", out.getvalue()), bool(listened)


def test_v_in_a_live_run_draws_the_ring_as_a_figure() -> None:
    screen, listened = _run("live")
    assert listened and "descriptor table" in screen


def test_the_plain_view_takes_no_keys() -> None:
    _, listened = _run("plain")
    assert not listened
