"""Step mode: a presenter moves through a stream one step at a time, forward and back.

A step is one call event and the state writes and notes that follow it, up to
the next call. ``drive`` reads the stream only as far as the presenter has
gone and keeps what it read (only step mode keeps anything, so a plain run
stays in constant memory). Showing step *n* feeds a view every event up to the
end of step *n*; going back starts the view afresh and feeds it again from the
history, so its ring, counters and lanes are those of that step.

Keys arrive as the raw text a terminal sends (``"\\x1b[6~"`` for PageDown);
``key_names`` splits such text into names, so a clicker, the arrows and the
keyboard all work, and a test can hand in the same text a terminal would.

Keys by meaning go to the next step that kicks, exits the VM, interrupts or
suppresses a notification (Shift: the step before that does), as the player's
k, x, i and s do; which event means what is read off the counters it moves in
the scenario's tally table (``moved``). ``/`` and a name find the next step
calling a function of that name, or in a file of that name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol

from vtrace.model import Event, Kind

__all__ = [
    "BACK",
    "MEANINGS",
    "NEXT",
    "Position",
    "StepView",
    "drive",
    "key_names",
]

#: Keys that show the next step: Enter, space, the right and down arrows, PageDown.
NEXT = frozenset({"enter", "space", "right", "down", "pagedown"})
#: Keys that show the step before: the left and up arrows, PageUp.
BACK = frozenset({"left", "up", "pageup"})

#: The keys that seek a step by meaning, and the counters whose move marks an event as one;
#: a note (a notification held back, a decision) marks a suppressed notification too.
MEANINGS: dict[str, tuple[str, ...]] = {
    "k": ("kicks",),
    "x": ("vm_exits",),
    "i": ("interrupts",),
    "s": ("kicks_suppressed", "interrupts_suppressed", "kicks_deferred"),
}
#: The meaning that includes every note.
NOTED = "s"

_ESCAPES = {
    "\x1b[A": "up", "\x1b[B": "down", "\x1b[C": "right", "\x1b[D": "left",
    "\x1bOA": "up", "\x1bOB": "down", "\x1bOC": "right", "\x1bOD": "left",
    "\x1b[5~": "pageup", "\x1b[6~": "pagedown",
}
_PLAIN = {"\n": "enter", "\r": "enter", " ": "space", "\x7f": "backspace", "\b": "backspace"}


def key_names(text: str) -> list[str]:
    """The keys in what a terminal sent: ``"\\x1b[C \\n"`` -> ``["right", "space", "enter"]``.

    An escape sequence vtrace does not use comes back as ``"other"``; a lone
    Escape as ``"escape"``; any other character as itself.
    """
    names: list[str] = []
    at = 0
    while at < len(text):
        if text[at] == "\x1b":
            at, name = _escape(text, at)
            names.append(name)
            continue
        names.append(_PLAIN.get(text[at], text[at]))
        at += 1
    return names


def _escape(text: str, at: int) -> tuple[int, str]:
    """The name of the escape sequence at ``text[at]`` and where the text goes on after it."""
    for sequence, name in _ESCAPES.items():
        if text.startswith(sequence, at):
            return at + len(sequence), name
    if text.startswith(("\x1b[", "\x1bO"), at):
        end = at + 2
        while end < len(text) and not (text[end].isalpha() or text[end] == "~"):
            end += 1
        return end + 1, "other"
    return at + 1, "escape"


@dataclass(frozen=True, slots=True)
class Position:
    """Where the presenter is, as a view shows it.

    ``step`` is the 1-based number of the step shown and ``event`` its call;
    ``last`` says the stream ends after it; ``typed`` holds the digits of a
    ``g`` (go to) being typed, or None; ``finding`` the name of a ``/`` (find)
    being typed, or None; ``legend`` asks for the key legend; ``back`` says the
    presenter arrived here by going back; ``missed`` names the key (``k``,
    ``K``, ``/``) whose search found no step, so the presenter stayed;
    ``figure`` asks for the ring drawn as a figure (``v``); ``queue`` counts the presses
    of ``u``, which move the ring panel to the next queue pair of a stream that has several.
    """

    step: int
    event: Event
    last: bool = False
    typed: str | None = None
    legend: bool = False
    back: bool = False
    finding: str | None = None
    missed: str | None = None
    figure: bool = False
    queue: int = 0


class StepView(Protocol):
    """A view that can be driven a step at a time: fed events, shown, and started afresh."""

    def reset(self) -> None:
        """Forget every event fed so far."""

    def feed(self, event: Event) -> None:
        """Take in one event without drawing."""

    def show(self, at: Position) -> None:
        """Draw what has been fed, as step ``at.step``."""


class _History:
    """The events read so far and where each step starts in them."""

    def __init__(self, events: Iterable[Event]) -> None:
        self.source: Iterator[Event] = iter(events)
        self.events: list[Event] = []
        self.starts: list[int] = []  # index in ``events`` of each step's call
        self.ended = False

    def complete(self, step: int) -> bool:
        """Read until step ``step`` (0-based) is complete; False when the stream has no such
        step."""
        while not self.ended and len(self.starts) <= step + 1:
            event = next(self.source, None)
            if event is None:
                self.ended = True
                break
            if event.kind is Kind.CALL:
                self.starts.append(len(self.events))
            self.events.append(event)
        return step < len(self.starts)

    def end_of(self, step: int) -> int:
        """The index just past the last event of step ``step``, which must be complete."""
        return self.starts[step + 1] if step + 1 < len(self.starts) else len(self.events)

    def last(self, step: int) -> bool:
        return self.ended and step == len(self.starts) - 1

    def frame_at(self, step: int) -> int | None:
        return self.events[self.starts[step]].frame

    def step_events(self, step: int) -> list[Event]:
        """The events of step ``step`` (complete); the first step holds what came before
        its call, as a view is fed it."""
        return self.events[self.starts[step] if step else 0:self.end_of(step)]


class _Presenter:
    """The step on screen and how the view got there."""

    def __init__(self, history: _History, view: StepView,
                 consumed: Callable[[Event], None],
                 moved: Callable[[Event], Iterable[str]]) -> None:
        self.history = history
        self.view = view
        self.consumed = consumed
        self.moved = moved
        self.fed = 0  # events of the history the view holds now
        self.seen = 0  # events ever handed to the view (and counted)
        self.step = -1
        self.legend = False
        self.typed: str | None = None
        self.finding: str | None = None
        self.missed: str | None = None
        self.figure = False
        self.queue = 0

    def go(self, step: int) -> bool:
        """Show step ``step`` (0-based); False when the stream has no such step."""
        history = self.history
        if step < 0 or not history.complete(step):
            return False
        end = history.end_of(step)
        back = step < self.step
        if end < self.fed:
            self.view.reset()
            self.fed = 0
        for event in history.events[self.fed:end]:
            self.view.feed(event)
        for event in history.events[self.seen:end]:
            self.consumed(event)
        self.fed, self.seen = end, max(self.seen, end)
        self.step = step
        self.show(back=back)
        return True

    def show(self, back: bool = False) -> None:
        history = self.history
        self.view.show(Position(self.step + 1, history.events[history.starts[self.step]],
                                history.last(self.step), self.typed, self.legend, back,
                                self.finding, self.missed, self.figure, self.queue))
        self.missed = None

    def miss(self, key: str) -> None:
        """A search found nothing: stay, and say so."""
        self.missed = key
        self.show()

    def means(self, step: int, meaning: str) -> bool:
        """Whether an event of step ``step`` (complete) has ``meaning`` (a key of
        ``MEANINGS``)."""
        counters = MEANINGS[meaning]
        return any((meaning == NOTED and event.kind is Kind.NOTE)
                   or any(counter in counters for counter in self.moved(event))
                   for event in self.history.step_events(step))

    def seek(self, key: str) -> None:
        """Show the next step with the meaning of ``key`` (upper case: the step before)."""
        meaning = key.lower()
        if key.isupper():
            found = next((step for step in range(self.step - 1, -1, -1)
                          if self.means(step, meaning)), None)
        else:
            step = self.step + 1
            while self.history.complete(step) and not self.means(step, meaning):
                step += 1
            found = step if step < len(self.history.starts) else None
        if found is None:
            self.miss(key)
        else:
            self.go(found)

    def find(self, name: str) -> None:
        """Show the next step calling a function whose name (or file) holds ``name``, from
        the step after this one, going round to the first step at the end."""
        needle = name.lower()

        def calls(step: int) -> bool:
            place = self.history.events[self.history.starts[step]].place
            return needle in place.function.lower() or needle in (place.file or "").lower()

        step = self.step + 1
        while self.history.complete(step):
            if calls(step):
                self.go(step)
                return
            step += 1
        found = next((step for step in range(self.step + 1) if calls(step)), None)
        if found is None:
            self.miss("/")
        else:
            self.go(found)

    def next_frame(self) -> bool:
        """Show the first step of a frame after every frame met so far; False at the end."""
        history = self.history
        newest = max((frame for index in range(self.step + 1)
                      if (frame := history.frame_at(index)) is not None), default=-1)
        step = self.step + 1
        while history.complete(step):
            frame = history.frame_at(step)
            if frame is not None and frame > newest:
                return self.go(step)
            step += 1
        return self.go(len(history.starts) - 1) if step - 1 > self.step else False


def drive(events: Iterable[Event], view: StepView, read_key: Callable[[], str],
          consumed: Callable[[Event], None] = lambda event: None,
          moved: Callable[[Event], Iterable[str]] = lambda event: ()) -> None:
    """Let the presenter move through ``events`` on ``view`` until the end or ``q``.

    ``consumed`` is called once for every event the first time the view takes
    it in, so a tally counts what was shown, never an event read ahead.
    ``moved`` names the counters an event moves (``Tally.moves``), which the
    keys by meaning seek.
    """
    presenter = _Presenter(_History(events), view, consumed, moved)
    if not presenter.go(0):
        return
    while True:
        for key in key_names(read_key()):
            if not _press(presenter, key):
                return


def _press(presenter: _Presenter, key: str) -> bool:
    """Act on one key; False when the presenter is done."""
    if presenter.typed is not None:
        _typing(presenter, key)
        return True
    if presenter.finding is not None:
        _finding(presenter, key)
        return True
    if key in ("q", "Q"):
        return False
    if key in NEXT:
        return presenter.go(presenter.step + 1)
    if key in BACK:
        presenter.go(presenter.step - 1)
    elif key in ("f", "F"):
        return presenter.next_frame() or not presenter.history.last(presenter.step)
    elif key.lower() in MEANINGS:
        presenter.seek(key)
    elif key in ("g", "G"):
        presenter.typed = ""
        presenter.show()
    elif key == "/":
        presenter.finding = ""
        presenter.show()
    elif key == "?":
        presenter.legend = not presenter.legend
        presenter.show()
    elif key in ("v", "V"):
        presenter.figure = not presenter.figure
        presenter.show()
    elif key in ("u", "U"):
        presenter.queue += 1
        presenter.show()
    return True


def _typing(presenter: _Presenter, key: str) -> None:
    """A key while the number of a ``g`` is being typed: digits, Backspace, Enter or Escape."""
    typed = presenter.typed or ""
    if key.isdigit() and len(key) == 1:
        presenter.typed = typed + key
    elif key == "backspace":
        presenter.typed = typed[:-1]
    elif key == "enter" and typed:
        presenter.typed = None
        wanted = max(int(typed), 1) - 1
        if not presenter.go(wanted):
            presenter.go(len(presenter.history.starts) - 1)
        return
    else:
        presenter.typed = None
    presenter.show()


def _finding(presenter: _Presenter, key: str) -> None:
    """A key while the name of a ``/`` is being typed: characters, Backspace, Enter or
    Escape."""
    typed = presenter.finding or ""
    if len(key) == 1 and key.isprintable() and not key.isspace():
        presenter.finding = typed + key
    elif key == "backspace":
        presenter.finding = typed[:-1]
    elif key == "enter" and typed:
        presenter.finding = None
        presenter.find(typed)
        return
    else:
        presenter.finding = None
    presenter.show()
