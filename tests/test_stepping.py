"""Step mode: the keys a presenter uses, going back with the ring as it was, and the count."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import pytest
from fake_terminal import Terminal

from vtrace.cli import main
from vtrace.cli.env import Environment
from vtrace.model import Event, Kind
from vtrace.renderers.ring_contents import RingContents
from vtrace.scenarios.send import SEND
from vtrace.session import replayed
from vtrace.stepping import Position, drive, key_names

PAGE_DOWN, PAGE_UP, RIGHT, LEFT, UP, DOWN = "\x1b[6~", "\x1b[5~", "\x1b[C", "\x1b[D", "\x1b[A", \
    "\x1b[B"


def _events(**given: Any) -> list[Event]:
    return list(replayed("send", {"frames": 2, **given}, "modern", 1).source)


def _calls(events: list[Event]) -> list[Event]:
    return [event for event in events if event.kind is Kind.CALL]


class Recorder:
    """A view that remembers what it was fed and shown, with the ring it would draw."""

    def __init__(self, events: list[Event]) -> None:
        self.header = replayed("send", {"frames": 2}, "modern", 1).header
        self.fed: list[Event] = []
        self.shown: list[Position] = []
        self.resets = 0
        self.rings: list[dict[str, int]] = []
        self.ring = RingContents(self.header, SEND)

    def reset(self) -> None:
        self.resets += 1
        self.fed = []
        self.ring = RingContents(self.header, SEND)

    def feed(self, event: Event) -> None:
        self.fed.append(event)
        self.ring.update(event)

    def show(self, at: Position) -> None:
        self.shown.append(at)
        self.rings.append(dict(self.ring.values))


def _drive(keys: list[str], **given: Any) -> tuple[Recorder, list[Event], list[Event]]:
    events = _events(**given)
    view = Recorder(events)
    pressed = iter(keys)
    consumed: list[Event] = []
    drive(events, view, lambda: next(pressed), consumed.append)
    return view, events, consumed


def test_terminal_text_splits_into_key_names() -> None:
    assert key_names(f"{PAGE_DOWN}{RIGHT} \n\r{LEFT}{UP}{DOWN}{PAGE_UP}") == [
        "pagedown", "right", "space", "enter", "enter", "left", "up", "down", "pageup"]
    assert key_names("\x1bOC") == ["right"]
    assert key_names("\x1b[15~q") == ["other", "q"]
    assert key_names("\x1b") == ["escape"]
    assert key_names("g12\x7f") == ["g", "1", "2", "backspace"]


@pytest.mark.parametrize("key", ["\n", " ", RIGHT, DOWN, PAGE_DOWN])
def test_every_next_key_shows_the_next_step(key: str) -> None:
    view, events, _ = _drive([key, key, "q"])
    assert [at.step for at in view.shown] == [1, 2, 3]
    assert view.shown[-1].event is _calls(events)[2]
    assert all(event.kind is not Kind.CALL for event in view.fed[
        view.fed.index(_calls(events)[2]) + 1:])


@pytest.mark.parametrize("key", [LEFT, UP, PAGE_UP])
def test_going_back_shows_the_ring_as_it_was_at_that_step(key: str) -> None:
    # Forward to the first step that writes the ring (virtqueue_add_split), then back twice.
    added = next(number for number, event in enumerate(_calls(_events()), 1)
                 if "avail.idx" in event.detail.get("ring", {}))
    view, _, _ = _drive([*["\n"] * (added - 1), key, key, "q"])
    assert [at.step for at in view.shown[-3:]] == [added, added - 1, added - 2]
    assert view.shown[-1].back and view.resets == 2
    assert view.rings[-1] == view.rings[added - 3] and view.rings[-2] == view.rings[added - 2]
    assert view.rings[-1] != view.rings[added - 1]  # the ring did move in between


def test_back_at_the_first_step_stays_there() -> None:
    view, _, _ = _drive([LEFT, "q"])
    assert [at.step for at in view.shown] == [1]


def test_f_goes_to_the_first_step_of_the_next_frame() -> None:
    view, events, _ = _drive(["f", "q"])
    first_of_frame_1 = next(event for event in _calls(events) if event.frame == 1)
    assert view.shown[-1].event is first_of_frame_1


def test_g_goes_to_a_typed_step_and_shows_the_digits_while_typing() -> None:
    view, events, _ = _drive(["g", "3", "0", "\x7f", "5", "\n", "g", "2", "\n", "q"])
    assert [at.typed for at in view.shown[1:6]] == ["", "3", "30", "3", "35"]
    assert view.shown[6].step == 35 and view.shown[6].event is _calls(events)[34]
    assert view.shown[-1].step == 2 and view.shown[-1].back


def test_g_past_the_end_shows_the_last_step_and_escape_cancels() -> None:
    view, events, _ = _drive(["g", "9", "9", "9", "9", "\n", "g", "4", "\x1b", "q"])
    assert view.shown[6].step == len(_calls(events)) and view.shown[6].last
    assert view.shown[-1].typed is None and view.shown[-1].step == len(_calls(events))


def test_question_mark_toggles_the_legend() -> None:
    view, _, _ = _drive(["?", "?", "q"])
    assert [at.legend for at in view.shown] == [False, True, False]


def test_next_at_the_last_step_ends_and_everything_was_consumed_once() -> None:
    view, events, consumed = _drive(["\n"] * 1000 + [LEFT] * 5 + ["\n"] * 10, frames=1)
    assert consumed == _events(frames=1)


def test_only_what_was_shown_is_consumed_after_q() -> None:
    view, events, consumed = _drive(["\n", "\n", LEFT, LEFT, "q"])
    assert consumed == view.fed + events[len(view.fed):len(consumed)]
    shown_last = events.index(_calls(events)[2])
    assert all(event.kind is not Kind.CALL for event in consumed[shown_last + 1:])
    assert _calls(consumed) == _calls(events)[:3]


def _keys(sequence: list[str]) -> Callable[[IO[Any]], Any]:
    @contextmanager
    def reader(stream: IO[Any]) -> Iterator[Callable[[], str]]:
        pressed = iter(sequence)
        yield lambda: next(pressed)

    return reader


def _step_run(view: str, keys: list[str], *extra: str) -> str:
    out = Terminal()
    env = Environment(argv=(), stdin=Terminal(), stdout=out, stderr=io.StringIO(),
                      environ={"TERM": "xterm"}, keys=_keys(keys))
    with pytest.raises(SystemExit) as exited:
        main(["send", "--frames", "2", "--step", "--view", view, *extra], env)
    assert exited.value.code == 0
    return out.getvalue()


@pytest.mark.parametrize("view", ["live", "plain", "quiet"])
def test_every_view_shows_the_key_hint_and_the_summary_counts_what_was_shown(view: str) -> None:
    screen = _step_run(view, ["\n", "\n", "q"])
    assert "Enter/→ next" in screen
    summary = screen[screen.rindex("Summary"):]
    events_row = next(line for line in summary.splitlines() if line.strip().startswith("events"))
    shown = _events()
    third_call = shown.index(_calls(shown)[2])
    following = next(index for index in range(third_call + 1, len(shown))
                     if shown[index].kind is Kind.CALL)
    assert events_row.split()[1] == str(following)


def test_quiet_step_mode_names_the_step_and_its_function() -> None:
    screen = _step_run("quiet", ["\n", "q"])
    assert "step 2 · __sys_sendto · frame #0" in screen


def test_quiet_step_mode_is_one_status_line_with_the_keys_from_the_first_step(
        tmp_path: Path) -> None:
    """Writing a file, the quiet view in step mode draws no bar under its status line: the
    first line already has the key hint, each step replaces it, the summary starts afresh."""
    screen = _step_run("quiet", ["\n", "q"], "--events", str(tmp_path / "run.jsonl"))
    drawn = screen[:screen.index("Summary")].split("\r\x1b[2K")
    assert [line for line in drawn if line] == [
        "step 1 · sendto · frame #0 · 0.000 µs · Enter/→ next  ← back  f frame  k x i s  "
        "/ find  g go to  ? keys  q quit",
        "step 2 · __sys_sendto · frame #0 · 0.341 µs · Enter/→ next  ← back  f frame  "
        "k x i s  / find  g go to  ? keys  q quit\n"]
    assert "━" not in screen


def test_plain_step_mode_reprints_a_step_when_going_back() -> None:
    screen = _step_run("plain", ["\n", "\n", LEFT, "q"])
    assert "── back to step 2 ──" in screen
    assert screen.count("__sys_sendto") == 2
