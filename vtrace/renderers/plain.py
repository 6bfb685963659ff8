"""Plain text: one line per step, no colour, for pipes, logs and screen readers.

The first time a step appears, indented lines under it point out what is
particular to that version and where the lesson tells it differently. With
``show_ring``, every call that adds, takes, uses or frees a descriptor is
followed by the ring's contents, and a frame's first descriptor by its headers.
In step mode each step's lines are printed when the presenter reaches it, and
the key hint waits on the line below. A loop that runs again and again (a
refill posting 256 buffers, a stalled queue retried, frame after frame taking
the same steps) is shown once, with a line that says how many more times it ran
(``repeats``), and the steps a frame took as the frame before it took them
fold into one line that names both frames, so what is shown of a later frame is
what it did otherwise; ``fold=False``, and ``show_ring``, show every step. On a
terminal (``width``) a long line is broken the way a reader expects
(``wrapping``): never inside a name or a path, Chinese between characters.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import IO, Any

from vtrace.i18n import say
from vtrace.model import ACTOR_LAYER, Event, Kind, Layer
from vtrace.renderers.base import Renderer, count_param, register
from vtrace.renderers.describe import decision, lesson, location, note, ring_fields, why
from vtrace.renderers.diagram_text import ends
from vtrace.renderers.repeats import Alike, Repeat, fold_alike, fold_repeats
from vtrace.renderers.ring_contents import RingContents
from vtrace.renderers.ring_view import frame_lines, ring_lines
from vtrace.renderers.step_views import Transient
from vtrace.renderers.view_words import hint, word
from vtrace.renderers.wrapping import wrap
from vtrace.session import Session
from vtrace.stepping import Position, StepView

__all__ = ["PlainRenderer", "alike_line", "format_event", "remarks", "repeat_line"]

NOTE_INDENT = " " * 34  # past the time and frame columns, ending inside the layer column
RING_INDENT = " " * 22  # under the layer column: the ring is what the step changed


def format_event(event: Event, lang: str = "en") -> str:
    """``   2.420 µs  #0  guest-kernel  virtqueue_add_split  file:line [Linux 6.1]  ...``"""
    frame = f"#{event.frame}" if event.frame is not None else "-"
    head = f"{event.t_ns / 1000:10.3f} µs  {frame:>6}  {_layer(event).value:<12}  "
    if event.kind is Kind.CALL:
        said = decision(event, lang)
        queue = event.detail.get("queue")
        pair = say("summary.queue", lang, queue=queue) if type(queue) is int else ""
        extras = "  ".join(part for part in (pair, ring_fields(event.detail), said) if part)
        text = f"{event.function}  {location(event, lang)}"
        return f"{head}{text}" + (f"  {extras}" if extras else "") + f"  — {why(event, lang)}"
    marker = {Kind.RETURN: "<-", Kind.STATE: "=>", Kind.NOTE: "**"}[event.kind]
    return f"{head}{marker} {decision(event, lang)}"


def _layer(event: Event) -> Layer:
    """The layer a line is in: the step's, but a VM entry is KVM's, as the diagrams draw it
    (``diagram_text.ends``), whichever thread asked for it."""
    drawn_from = ends(event, ACTOR_LAYER)[0]
    return ACTOR_LAYER[drawn_from] if drawn_from != event.src else event.layer


def repeat_line(repeat: Repeat, lang: str = "en") -> str:
    """``   94.492 µs  ↻ the last 5 lines of vcpu0 ran 255 more times, ...``"""
    head = f"{repeat.last.t_ns / 1000:10.3f} µs  {'':>6}  {'':<12}  "
    return head + word("repeat" if repeat.times > 1 else "repeat.once", lang,
                       lines=repeat.block, thread=repeat.last.thread,
                       times=f"{repeat.times:,}")


def alike_line(alike: Alike, lang: str = "en") -> str:
    """``  103.212 µs      #2  qemu  ⋯ 17 steps as frame #1 took them: tap_read_packet … ``"""
    head = f"{alike.last.t_ns / 1000:10.3f} µs  {'#' + str(alike.until):>6}  {'':<12}  "
    key = "alike.frames" if alike.until != alike.frame else \
        "alike" if alike.steps > 1 else "alike.one"
    return head + word(key, lang, steps=alike.steps, like=alike.like, frame=alike.frame,
                       until=alike.until, thread=alike.first.thread,
                       first=alike.first.function, last=alike.last.function)


def remarks(event: Event, lang: str = "en") -> list[str]:
    """Indented lines for the version note and the lesson note of the event's step, if any.

    The plain view prints them under the first call of each step, so every
    difference is pointed out once without repeating it for each frame.
    """
    lines = []
    if said := note(event, lang):
        lines.append(f"{NOTE_INDENT}↳ {said}")
    if said := lesson(event, lang):
        lines.append(f"{NOTE_INDENT}↳ {say('live.lesson', lang)}: {said}")
    return lines


class _Lines:
    """The lines each event adds, remembering which steps were already annotated."""

    def __init__(self, session: Session, lang: str, show_ring: bool,
                 width: int | None) -> None:
        self.lang = lang
        self.ring = RingContents(session.header, session.scenario) if show_ring else None
        #: with several queue pairs, each pair's ring, shown under the steps of that pair
        self.rings: dict[int, RingContents] = {0: self.ring} if self.ring is not None else {}
        self.several = (count_param(session.header.params, "queues") or 1) > 1
        self._session = session
        self.annotated: set[tuple[str, str]] = set()
        self.framed: set[int] = set()
        self.width = width
        self.objects = session.scenario.objects(lang)

    def broken(self, line: str) -> list[str]:
        """``line`` as the terminal should show it: broken to its width, under the text."""
        if self.width is None:
            return [line]
        under = NOTE_INDENT + "  " if line.startswith(NOTE_INDENT) else NOTE_INDENT
        return wrap(line, self.width, under if len(under) < self.width // 2 else "  ")

    def of(self, event: Event) -> list[str]:
        return [part for line in self._of(event) for part in self.broken(line)]

    def _of(self, event: Event) -> list[str]:
        lines = [format_event(event, self.lang)]
        if event.kind is Kind.CALL and (event.step, event.version) not in self.annotated:
            self.annotated.add((event.step, event.version))
            lines += remarks(event, self.lang)
        if self.objects is not None:
            lines += [f"{RING_INDENT}│ {line}" for line in self.objects.feed(event)]
        if self.ring is not None:
            queue = event.detail.get("queue")
            queue = queue if type(queue) is int else 0
            ring = self.rings.get(queue)
            if ring is None:
                ring = self.rings[queue] = RingContents(self._session.header,
                                                        self._session.scenario)
            ring.update(event)
            if event.kind is Kind.CALL and event.step in ring.actions \
                    and "head" in event.detail:
                lines += self._ring_lines(ring, queue)
        return lines

    def _ring_lines(self, ring: RingContents, queue: int) -> list[str]:
        lines = [say("summary.queue", self.lang, queue=queue)] if self.several else []
        lines += ring_lines(ring, self.lang)
        frame = ring.frame
        if frame is not None and frame not in self.framed:
            self.framed.add(frame)
            lines += frame_lines(ring, self.lang)
        return [f"{RING_INDENT}│ {line}" for line in lines]


@register
class PlainRenderer(Renderer):
    name = "plain"
    formats = ("txt",)
    view = True
    options = ("show_ring", "fold", "width")
    description = "one readable line per step"

    def __init__(self, *, lang: str = "en", show_ring: bool = False, fold: bool = True,
                 width: int | None = None) -> None:
        self.lang = lang
        self.show_ring = show_ring
        self.fold = fold
        self.width = width

    def render(self, session: Session, out: IO[Any]) -> None:
        lines = _Lines(session, self.lang, self.show_ring, self.width)
        events = session.events()
        # With the ring shown, each pass differs in what the reader came to see.
        folding = self.fold and not self.show_ring
        for item in fold_repeats(fold_alike(events)) if folding else events:
            if isinstance(item, Repeat | Alike):
                said = repeat_line(item, self.lang) if isinstance(item, Repeat) \
                    else alike_line(item, self.lang)
                out.write("".join(part + "\n" for part in lines.broken(said)))
                continue
            for line in lines.of(item):
                out.write(line + "\n")
        if lines.objects is not None:
            out.write("".join(part + "\n" for line in
                              ["", say("objects.title", self.lang), *lines.objects.lines()]
                              for part in lines.broken(line)))

    def stepping(self, session: Session, out: IO[Any]) -> AbstractContextManager[StepView]:
        """A view a presenter drives a step at a time (``vtrace.stepping.drive``)."""
        return self._stepping(session, out)

    @contextmanager
    def _stepping(self, session: Session, out: IO[Any]) -> Iterator[StepView]:
        view = _PlainSteps(session, self.lang, self.show_ring, out, self.width)
        try:
            yield view
        finally:
            view.hint.clear()


class _PlainSteps:
    """The plain view in step mode: a step's lines once the presenter reaches it."""

    def __init__(self, session: Session, lang: str, show_ring: bool, out: IO[Any],
                 width: int | None) -> None:
        self.session = session
        self.lang = lang
        self.show_ring = show_ring
        self.out = out
        self.width = width
        self.hint = Transient(out, once=True)
        self.printed = 0  # the step whose lines were printed last
        self.reset()

    def reset(self) -> None:
        self.lines = _Lines(self.session, self.lang, self.show_ring, self.width)
        self.step: list[str] = []

    def feed(self, event: Event) -> None:
        if event.kind is Kind.CALL:
            self.step = []
        self.step += self.lines.of(event)

    def show(self, at: Position) -> None:
        self.hint.clear()
        if at.step != self.printed:
            if at.back:
                self.out.write(f"── {word('back', self.lang, step=at.step)} ──\n")
            self.out.write("".join(line + "\n" for line in self.step))
            self.printed = at.step
        said = hint(at, self.lang)
        # Off a terminal the hint is printed once, not after every step of a log.
        self.hint.put(f"[{word('step', self.lang, step=at.step)}] {said}" if self.hint.terminal
                      else said)
