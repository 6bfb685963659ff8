"""Step mode's keys by meaning: k, x, i, s go to the next step that kicks, exits the VM,
interrupts or suppresses a notification (Shift: the one before), as the player's do; ``/``
finds a function. Step numbers stay those of Enter."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import IO, Any

import pytest
from fake_terminal import Terminal

from vtrace.cli import main
from vtrace.cli.env import Environment
from vtrace.model import Event, Kind
from vtrace.scenarios import of
from vtrace.session import replayed
from vtrace.stepping import MEANINGS, Position, drive
from vtrace.tally import Tally


class Shown:
    """A view that remembers the positions it was shown."""

    def __init__(self) -> None:
        self.shown: list[Position] = []

    def reset(self) -> None:
        pass

    def feed(self, event: Event) -> None:
        pass

    def show(self, at: Position) -> None:
        self.shown.append(at)


def _run(keys: list[str], **given: Any) -> tuple[list[Position], list[list[Event]]]:
    """Drive a send with ``keys`` (then q); the positions shown and the events of each step."""
    session = replayed("send", {"frames": 3} | given, "modern", 1)
    events = list(session.source)
    scenario = of(session.header)
    tally = Tally(scenario.calls, scenario.notes)

    def moved(event: Event) -> Iterable[str]:
        return (counter for counter, _ in tally.moves(event.step, event.kind, event.detail))

    view = Shown()
    pressed = iter([*keys, "q"])
    drive(events, view, lambda: next(pressed), moved=moved)
    steps: list[list[Event]] = [[]]
    for event in events:
        if event.kind is Kind.CALL and any(seen.kind is Kind.CALL for seen in steps[-1]):
            steps.append([])
        steps[-1].append(event)
    return view.shown, steps


def _marked(steps: list[list[Event]], meaning: str, **given: Any) -> list[int]:
    """The 1-based numbers of the steps with ``meaning``, counted independently."""
    header = replayed("send", {"frames": 3} | given, "modern", 1).header
    scenario = of(header)
    tally = Tally(scenario.calls, scenario.notes)
    return [number for number, events in enumerate(steps, 1)
            if any((meaning == "s" and event.kind is Kind.NOTE)
                   or any(counter in MEANINGS[meaning]
                          for counter, _ in tally.moves(event.step, event.kind, event.detail))
                   for event in events)]


@pytest.mark.parametrize("meaning", ["k", "x", "i", "s"])
def test_each_key_visits_every_marked_step_in_order_and_back(meaning: str) -> None:
    given: dict[str, Any] = {"ioeventfd": False} if meaning == "x" else \
        {"batch": 4, "frames": 8} if meaning == "s" else {}
    _, steps = _run([], **given)
    marked = _marked(steps, meaning, **given)
    assert marked, meaning
    shown, _ = _run([meaning] * (len(marked) + 1) + [meaning.upper()] * len(marked), **given)
    forward = [at.step for at in shown[1:len(marked) + 1]]
    assert forward == marked
    assert shown[len(marked) + 1].missed == meaning  # none after the last: stay, and say so
    assert shown[len(marked) + 1].step == marked[-1]
    backward = [at.step for at in shown[len(marked) + 2:]]
    assert backward == [*marked[-2::-1], marked[0]]
    assert shown[-1].missed == meaning.upper() or len(marked) == 1


def test_step_numbers_are_those_of_enter() -> None:
    shown, _ = _run(["k"])
    number = shown[-1].step
    again, _ = _run(["\n"] * (number - 1))
    assert again[-1].event is not None and again[-1].event.function == shown[-1].event.function
    assert again[-1].step == number


def test_slash_finds_the_next_step_calling_a_function_and_goes_round() -> None:
    keys = ["/", *"vp_notify", "\n"]
    shown, steps = _run(keys)
    assert [at.finding for at in shown[1:11]] == ["", *("vp_notify"[:n] for n in range(1, 10))]
    first = shown[-1]
    assert first.finding is None and "vp_notify" in first.event.function
    calling = [number for number, events in enumerate(steps, 1)
               if any(event.kind is Kind.CALL and "vp_notify" in event.function
                      for event in events)]
    assert first.step == calling[0]
    shown, _ = _run(keys * (len(calling) + 1))
    finds = [at.step for at in shown if at.finding is None and at.typed is None][1:]
    assert finds == [*calling, calling[0]]  # after the last, round to the first


def test_a_name_no_step_calls_stays_and_says_so() -> None:
    shown, _ = _run(["\n", "/", *"no_such_function", "\n"])
    assert shown[-1].step == 2 and shown[-1].missed == "/"


def test_escape_cancels_a_find_and_q_while_typing_is_a_letter() -> None:
    shown, _ = _run(["/", "q", "\x1b", "\n"])
    assert shown[2].finding == "q" and shown[3].finding is None
    assert shown[-1].step == 2


def test_the_live_step_mode_draws_the_figure_after_v_and_finds_with_slash() -> None:
    """Through the command line, as a presenter's terminal sends the keys."""

    @contextmanager
    def keys(stream: IO[Any]) -> Iterator[Callable[[], str]]:
        pressed = iter(["/virtqueue_add_split\r", "v", "q"])
        yield lambda: next(pressed)

    out = Terminal()
    env = Environment(argv=(), stdin=Terminal(), stdout=out, stderr=io.StringIO(),
                      environ={"TERM": "xterm", "COLUMNS": "80", "LINES": "24"}, keys=keys)
    with pytest.raises(SystemExit) as exited:
        main(["send", "--frames", "1", "--step", "--view", "live"], env)
    assert exited.value.code == 0
    screen = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", out.getvalue())
    found = screen.index("find a function: virtqueue_add_split")
    assert "descriptor table" not in screen[:found]
    drawn = screen[screen.index("descriptor table"):]
    assert "Step 14" in drawn and "idx 1*" in drawn and "[0] → 0*" in drawn
