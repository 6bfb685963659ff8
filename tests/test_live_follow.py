"""The live view at full speed takes each event's fields unbuilt and builds only what it draws:
the same screen as a view fed every event, and a summary of what it took in."""

from __future__ import annotations

import dataclasses
import io
import re
from collections.abc import Iterator

import pytest
from fake_terminal import Terminal
from rich.console import Console

from vtrace.cli import main
from vtrace.cli.env import Environment
from vtrace.engine.sim import Fields, Take
from vtrace.model import Event, Kind
from vtrace.renderers.live import FOLD_AFTER, LiveState
from vtrace.session import replayed


def _fields(event: Event) -> Fields:
    return Fields(event.seq, event.frame, event.place, event.kind, event.src, event.dst,
                  event.t_ns, event.detail, event.thread, event.source)


def _screen(state: LiveState, width: int, height: int) -> str:
    console = Console(width=width, height=height, color_system=None, force_terminal=True,
                      record=True, file=io.StringIO())
    console.print(state)
    return console.export_text()


def _side_by_side(name: str, given: dict[str, object],
                  events: Iterator[Event] | None = None) -> Iterator[tuple[LiveState, LiveState]]:
    """A state fed each event and one fed its fields (counted in its tally), after each."""
    fed = replayed(name, given, "modern", 1)
    taken = replayed(name, given, "modern", 1)
    built, unbuilt = LiveState(fed, "en"), LiveState(taken, "en", taken.tally)
    take = unbuilt.taker()
    for event in events if events is not None else fed.source:
        built.update(event)
        taken.tally.add(event)
        take(_fields(event))
        yield built, unbuilt


@pytest.mark.parametrize("name,given", [
    ("send", {"frames": 3}),
    ("send", {"frames": 40, "batch": 8, "queue_size": 32, "interval_ns": 0}),
    ("send", {"frames": 3, "backend": "vhost-net", "event_idx": False}),
    ("recv", {"frames": 3}),
    ("setup", {}),
])
def test_the_screen_is_the_one_a_view_fed_every_event_shows(name: str,
                                                            given: dict[str, object]) -> None:
    for count, (built, unbuilt) in enumerate(_side_by_side(name, given)):
        if count % 11:
            continue
        for width, height in ((80, 24), (160, 48)):
            assert _screen(unbuilt, width, height) == _screen(built, width, height), count
        assert (unbuilt.current, unbuilt.steps, unbuilt.remark) == \
            (built.current, built.steps, built.remark)


def test_a_long_run_without_a_call_keeps_the_remark_it_would_have() -> None:
    events = list(replayed("send", {"frames": 2}, "modern", 1).source)
    state = next(event for event in events if event.kind is Kind.STATE)
    call = events[events.index(state) - 1]
    quiet = dataclasses.replace(state, kind=Kind.NOTE, detail={})  # a note that says nothing
    stream = [call, state, *[dataclasses.replace(quiet, seq=call.seq + 2 + at)
                             for at in range(3 * FOLD_AFTER)]]
    pairs = list(_side_by_side("send", {"frames": 2}, iter(stream)))
    built, unbuilt = pairs[-1]
    assert built.remark and _screen(unbuilt, 80, 24) == _screen(built, 80, 24)
    assert unbuilt.remark == built.remark and unbuilt.current == call


def _live(monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str]:
    monkeypatch.setenv("TERM", "xterm")
    screen = Terminal()
    env = Environment(argv=("send", *args), stdout=screen, stderr=io.StringIO(),
                      environ={"TERM": "xterm"})
    with pytest.raises(SystemExit) as done:
        main(["send", *args, "--view", "live", "--speed", "max"], env)
    return int(done.value.code or 0), screen.getvalue()


def test_at_full_speed_the_engine_builds_no_event_and_the_summary_counts_them_all(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import vtrace.engine.sim as sim

    events = sum(1 for _ in replayed("send", {"frames": 30}, "modern", 1).source)

    def refuse(*args: object) -> None:
        raise AssertionError("the engine built an event")

    monkeypatch.setattr(sim, "Event", refuse)
    code, shown = _live(monkeypatch, "--frames", "30")
    assert code == 0 and "frames done 30/30" in shown
    assert re.search(rf"events +{events:,}\b", shown.split("Summary")[-1])


def test_ctrl_c_at_full_speed_counts_what_the_view_took_in(
        monkeypatch: pytest.MonkeyPatch) -> None:
    real_taker = LiveState.taker

    def interrupted(self: LiveState) -> Take:
        take, taken = real_taker(self), [0]

        def stop_after_100(fields: Fields) -> None:
            take(fields)
            taken[0] += 1
            if taken[0] == 100:
                raise KeyboardInterrupt

        return stop_after_100

    monkeypatch.setattr(LiveState, "taker", interrupted)
    code, shown = _live(monkeypatch, "--frames", "30")
    summary = shown.split("Summary")[-1]
    assert code == 130 and "interrupted" in summary
    assert re.search(r"events +100\b", summary)
