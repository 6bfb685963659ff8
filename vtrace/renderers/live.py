"""The live view: swimlanes by layer, the current step, the ring and the counters (rich).

The layout is picked once for a terminal's size (and again when it is
resized), not per step, so panels do not come and go while a run goes on: the
richest arrangement whose panels fit side by side and that leaves the room
the era's tallest step needs. A smaller terminal loses whole panels (the
ring's contents, the lifelines, the ring's shadows), never digits of a number
or letters of a function name, and a line says when the layers or the ring
are left out. A step's notes (the version's, the lesson's) show where the
room left allows; where it does not, a line says where to read them. At 80x24
the view keeps the lanes, five ring values, the step and every counter.
On a terminal ``v`` draws the ring as a figure or as its values, in a run as in
step mode (a thread waits for keys; the next refresh draws the change).
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import IO, Any, NamedTuple

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.control import Control
from rich.live import Live
from rich.measure import Measurement
from rich.panel import Panel
from rich.segment import Segment
from rich.table import Table
from rich.text import Text

from vtrace.catalog import ERAS
from vtrace.engine.sim import Fields, Take
from vtrace.i18n import era_label, say
from vtrace.model import Event, Header, Kind, Layer, Place
from vtrace.renderers.base import Renderer, count_param, register
from vtrace.renderers.describe import decision
from vtrace.renderers.live_panels import (
    DEVICE,
    DRIVER,
    SHARED,
    counters,
    frame_panel,
    lanes,
    lanes_width,
    left_out,
    objects_panel,
    register_panel,
    ring_panel,
    step_panel,
    step_reserve,
    step_title,
)
from vtrace.renderers.ring_contents import RingContents
from vtrace.renderers.ring_figure import StepChanges, figure_lines, ring_figure
from vtrace.renderers.ring_frames import FramesInRing, pairs_lane
from vtrace.renderers.view_words import hint, word
from vtrace.renderers.wrapping import wrap
from vtrace.scenarios import Scenario
from vtrace.scenarios.words import ring_phrase
from vtrace.session import Session
from vtrace.stepping import Position, StepView
from vtrace.tally import Tally
from vtrace.terminal import continuing

__all__ = ["DEVICE", "DRIVER", "SHARED", "LiveRenderer", "LiveState"]

REFRESH_PER_SECOND = 12.0
#: At full speed nobody reads a step as it goes by; each redraw costs as much as the replay
#: of a few thousand events, so the screen is drawn less often.
FULL_SPEED_REFRESH_PER_SECOND = 4.0
FOLD_AFTER = 64  # events without a call that a state fed by its taker keeps unbuilt
FUNCTION_WIDTH = 31  # the longest function of a send; a longer one widens the lane for good
CONTENTS_WIDTH = 56  # the ring's contents need this much to read well
FRAME_LINES = 6  # the newest frame's headers, once a frame is in the ring
GAP = 2  # columns between panels side by side


@dataclass(frozen=True, slots=True)
class Arrangement:
    """Which panels a screen shows; ``ring`` is ``full``, ``compact`` or ``none``; ``figure``
    where the ring's figure goes: ``beside`` the lanes, ``below`` them, ``alone`` or
    nowhere (``""``)."""

    lanes: bool
    actors: bool
    ring: str
    contents: bool
    figure: str = ""
    objects: bool = False  # the panel of the objects a set-up made


#: From the richest to the barest; the first that fits the terminal is drawn.
ARRANGEMENTS = (
    Arrangement(True, True, "full", True),
    Arrangement(True, False, "full", True),
    Arrangement(True, True, "full", False),
    Arrangement(True, False, "full", False),
    Arrangement(True, False, "compact", False),
    Arrangement(True, False, "none", False),
    Arrangement(False, False, "none", False),
)
#: With the ring drawn as a figure (``v`` in step mode): the first that fits, else the above.
FIGURE_ARRANGEMENTS = (
    Arrangement(True, True, "none", False, "beside"),
    Arrangement(True, False, "none", False, "beside"),
    Arrangement(True, False, "none", False, "below"),
    Arrangement(False, False, "none", False, "alone"),
)
FIGURE_SLACK = 6  # columns a figure may grow by as its numbers do, after the layout is picked


class LiveState:
    """What the screen shows, updated per event and laid out whenever rich refreshes.

    A state fed by ``taker`` keeps only the fields of the few events it may draw (the
    newest call of each layer, what came after the newest call) and the ring's
    descriptors; it builds their events and the remark when it is drawn, and reads the
    ring's values and the counters off ``tally``, which counts the stream for it.
    """

    def __init__(self, session: Session, lang: str, tally: Tally | None = None) -> None:
        self.lang = lang
        header = session.header
        self.scenario = scenario = session.scenario
        frames = scenario.frames_param
        self.frames = (count_param(header.params, frames) or 0) if frames else 0
        self.ring = RingContents(header, scenario)
        panel = scenario.ring
        self.ring_title = panel.title.get(lang, panel.title["en"]) if panel else ""
        if panel and (layout := ring_phrase(header.params, lang)):
            self.ring_title += f" · {layout}"
        side = scenario.backend(header.params).side
        self.device_side = side.get(lang) or side["en"]  # whose view of the ring
        era = ERAS.get(str(header.params.get("era", "")))
        self.title = f"vtrace {header.scenario}" + (f" · {era_label(era, lang)}" if era else "")
        self.tally = tally if tally is not None else Tally(scenario.calls, scenario.notes)
        self.last_in_layer: dict[Layer, Event] = {}
        self.current: Event | None = None
        self.remark = ""
        self.steps = 0
        self.ended = False
        self.continued = False  # back from Ctrl-Z: the next drawing starts on a clear screen
        self.position: Position | None = None  # in step mode: where the presenter is
        self.function_width = FUNCTION_WIDTH
        self.frame_width = len(f"#{max(self.frames - 1, 0)}")
        self.era = str(header.params.get("era", ""))
        self.live_counters = _live_counters(header, scenario)
        #: the arrangement picked, and the terminal size and widths it was picked for
        self._layout: tuple[tuple[object, ...], Arrangement] | None = None
        self._taking = False
        self._taken = _Taken()
        self.figure = False  # the ring drawn as a figure instead of its values
        #: the counters per queue pair too (several pairs, where the arrangement has room)
        self.per_queue = False
        self.objects = scenario.objects(lang)
        self.changes = StepChanges(self.ring.actions)
        self.in_ring = FramesInRing(self.ring.size, self.ring.packed)
        #: each queue pair's ring, what its steps changed and its frames (``--queues``);
        #: the panels show ``shown_queue``'s: the newest step's in a run, the one ``u``
        #: moves on to in step mode
        self.queue_rings: dict[int, tuple[RingContents, StepChanges, FramesInRing]] = {
            0: (self.ring, self.changes, self.in_ring)}
        self.shown_queue = 0
        self._header = header
        #: the scenario's queue, when the ring's lane names the pair a frame waits in
        pairs = count_param(header.params, "queues") or 1
        self.pair_queue = scenario.queue if pairs > 1 else None
        if self.pair_queue is not None and self.ring.size:
            # room for the longest the lane can say, so it widens no lane after the layout
            most, entry = self.ring.size - 1, "desc" if self.ring.packed else "avail.ring"
            widest = self.pair_queue.entry_in_pair(f"{entry}[{most}] +{most}", pairs - 1, lang)
            self.function_width = max(self.function_width, cell_len(widest))

    def taker(self) -> Take:
        """Take in each event as its fields (``Session.count``), already counted in the
        tally this state was made with; nothing is built until the screen is drawn."""
        self._taking = True
        taken, call, ring = self._taken, Kind.CALL, self.ring
        newest, since, known = taken.newest, taken.since, taken.known

        in_ring, objects = self.in_ring, self.objects
        of_queue = self._of_queue

        def take(fields: Fields) -> None:
            if "ring" in fields.detail:
                queue = fields.detail.get("queue")
                (in_ring if type(queue) is not int else of_queue(queue)[2]).update(
                    fields.frame, fields.detail)
            if fields.kind is not call:
                since.append(fields)
                if len(since) > FOLD_AFTER:
                    self._fold()
                return
            place = fields.place
            step = place.step
            seen = known.get(step)
            if seen is None or seen.place is not place:
                seen = known[step] = taken.learn(place, ring)
            newest[seen.layer] = taken.call = fields
            if since:
                since.clear()
            taken.calls += 1
            frame = fields.frame
            if frame is not None and not taken.low <= frame <= taken.high:
                taken.low, taken.high = min(taken.low, frame), max(taken.high, frame)
            if seen.on_ring:
                queue = fields.detail.get("queue")
                (ring if type(queue) is not int else of_queue(queue)[0]).call(
                    step, frame, fields.detail)
            if objects is not None:
                objects.feed(Event(*fields))

        return take

    def _of_queue(self, queue: int) -> tuple[RingContents, StepChanges, FramesInRing]:
        """Queue pair ``queue``'s ring, changes and frames, made when it first shows."""
        parts = self.queue_rings.get(queue)
        if parts is None:
            ring = RingContents(self._header, self.scenario)
            parts = self.queue_rings[queue] = (ring, StepChanges(ring.actions),
                                               FramesInRing(ring.size, ring.packed))
        return parts

    def show_queue(self, presses: int) -> None:
        """Show the ring of the queue pair ``presses`` presses of ``u`` reach, in turn."""
        queues = sorted(self.queue_rings)
        self._show(queues[presses % len(queues)])

    def _show(self, queue: int) -> None:
        self.shown_queue = queue
        self.ring, self.changes, self.in_ring = self.queue_rings[queue]

    def _remark_now(self) -> str:
        """The remark of the newest call, or of what came after it when that has one."""
        taken = self._taken
        call = taken.call
        remark = taken.folded if call is None or call is taken.folded_at \
            else decision(Event(*call), self.lang)
        for fields in tuple(taken.since):
            remark = decision(Event(*fields), self.lang) or remark
        return remark

    def _fold(self) -> None:
        """A long run of events without a call: keep its remark, not the events."""
        taken = self._taken
        taken.folded, taken.folded_at = self._remark_now(), taken.call
        taken.since.clear()

    def _settle(self) -> None:
        """Build what the screen draws from what was taken in."""
        taken = self._taken
        self.last_in_layer = {layer: Event(*fields) for layer, fields
                              in zip(LAYERS, tuple(taken.newest), strict=True)
                              if fields is not None}
        if taken.call is not None:
            self.current = Event(*taken.call)
        self.remark = self._remark_now()
        self.steps = taken.calls
        self.function_width = max(self.function_width, taken.widest)
        self.frame_width = max(self.frame_width, len(f"#{taken.low}"), len(f"#{taken.high}"))
        if len(self.queue_rings) > 1:
            for queue, (ring, _, _) in self.queue_rings.items():
                ring.values.update(self.tally.rings.get(queue, {}))
            # a run shows the ring of the pair the newest step is on, not a mix of pairs
            shown = self.current.detail.get("queue") if self.current else None
            if type(shown) is int and shown in self.queue_rings:
                self._show(shown)
        else:
            self.ring.values.update(self.tally.ring)

    def update(self, event: Event) -> None:
        self.tally.add(event)
        if self.objects is not None:
            self.objects.feed(event)
        queue = event.detail.get("queue")
        ring, changes, in_ring = self._of_queue(queue) if type(queue) is int \
            else self.queue_rings[0]
        ring.update(event)
        changes.update(event)
        in_ring.update(event.frame, event.detail)
        if event.kind is Kind.CALL:
            if type(queue) is int:
                self._show(queue)  # step mode's ``show`` then picks the pair ``u`` reached
            self.steps += 1
            self.current = event
            self.last_in_layer[event.layer] = event
            self.remark = decision(event, self.lang)
            self.function_width = max(self.function_width, len(event.function))
            if event.frame is not None:
                self.frame_width = max(self.frame_width, len(f"#{event.frame}"))
        else:
            self.remark = decision(event, self.lang) or self.remark

    def frames_done(self) -> int:
        """Frames whose last step has shown: all of them once the stream has ended."""
        started = self.tally.frames
        if self.ended:
            return started
        counter = self.scenario.frames_done
        return min(self.tally[counter], started) if counter else max(started - 1, 0)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if self.continued:
            # The shell wrote its job lines below the old screen, so moving up by the old
            # screen's height would leave its top behind: start again from the top.
            self.continued = False
            yield Control.home()
            yield Control.clear()
        if self._taking:
            self._settle()
        width = options.max_width
        height = options.height or options.size.height
        inner = options.update(width=width - 4, height=None)
        arrangement = self._arranged(console, inner, (width, height))
        above, below = ([console.render_lines(part, inner, pad=False) for part in parts]
                        for parts in self._parts(arrangement, inner.max_width))
        room = height - 2 - sum(len(lines) for lines in (*above, *below))
        title = step_title(self.steps, self.current, self.lang)
        if self.position is not None and self.position.legend:
            # The keys take the step's place, which the layout keeps room for, until ? again.
            step = Panel(Text("\n".join(wrap(word("legend", self.lang), inner.max_width - 4)),
                              style="bold"), title=title, title_align="left")
        else:
            step = step_panel(self.current, title, self.remark, self.lang,
                              (inner.max_width, room))
        drawn = [*above, console.render_lines(step, inner, pad=False), *below]
        yield Panel(_Lines([line for lines in drawn for line in lines]), title=self.title,
                    title_align="left")

    @property
    def ringed(self) -> bool:
        """Whether the stream has a ring with values to show."""
        return self.ring.size > 0 and bool(self.ring.values)

    def _arranged(self, console: Console, inner: ConsoleOptions,
                  size: tuple[int, int]) -> Arrangement:
        """The arrangement for a terminal of ``size``, picked once for that size (again only
        when the ring first holds values, or a lane must widen for a longer name), so that
        the screen keeps its layout from step to step."""
        key = (*size, self.ringed, self.function_width, self.frame_width,
               self.figure and self.ringed)
        if self._layout is None or self._layout[0] != key:
            self._layout = key, self._pick(console, inner, size[1])
        return self._layout[1]

    def _pick(self, console: Console, inner: ConsoleOptions, height: int) -> Arrangement:
        """The richest arrangement whose panels fit side by side and leave the room the
        era's tallest step needs (``step_reserve``)."""
        registers: dict[bool, int] = {}  # the register panel's width, full and compact
        choices = (*FIGURE_ARRANGEMENTS, *ARRANGEMENTS) if self.figure and self.ringed \
            else ARRANGEMENTS
        # each queue pair's counts only where they leave the arrangement its panels
        splits = (True, False) if len(self.tally.per_queue) > 1 else (False,)
        if self.objects is not None:
            choices = (*(dataclasses.replace(choice, objects=True) for choice in choices),
                       *choices)
        for arrangement in choices:
            if not self._fits_across(arrangement, console, inner, inner.max_width, registers):
                continue
            for self.per_queue in splits:
                taken = sum(len(console.render_lines(part, inner, pad=False))
                            for parts in self._parts(arrangement, inner.max_width)
                            for part in parts)
                if arrangement.contents and frame_panel(self.ring, self.lang) is None:
                    taken += FRAME_LINES
                reserve = step_reserve(self.era, self.lang, inner.max_width)
                if 2 + taken + reserve <= height:
                    return arrangement
        return ARRANGEMENTS[-1]

    def _fits_across(self, arrangement: Arrangement, console: Console,
                     options: ConsoleOptions, inner: int, registers: dict[bool, int]) -> bool:
        """Whether the arrangement's panels side by side fit in ``inner`` columns;
        ``registers`` keeps the register panel's widths from one arrangement to the next."""
        if arrangement.ring != "none" and not self.ringed:
            return False
        needed = lanes_width(self.function_width, self.frame_width, arrangement.actors,
                             self.lang) if arrangement.lanes else 0
        if arrangement.figure:
            beside = needed + GAP if arrangement.figure == "beside" else 0
            drawn = max(line.cell_len for line in self._figure(inner - beside))
            return beside + drawn + FIGURE_SLACK <= inner and needed <= inner
        if arrangement.ring != "none":
            compact = arrangement.ring == "compact"
            if compact not in registers:
                registers[compact] = Measurement.get(console, options,
                                                     self._registers(compact)).maximum
            needed += GAP + registers[compact]
        if arrangement.contents:
            needed += GAP + CONTENTS_WIDTH
        return needed <= inner

    def _registers(self, compact: bool) -> Table:
        title = self.ring_title
        if len(self.queue_rings) > 1:  # on its own line: beside the ring's name it wraps at 80
            title += "\n" + say("summary.queue", self.lang, queue=self.shown_queue)
        return register_panel(self.ring.values, self.ring.size, title, self.lang,
                              compact, device=self.device_side)

    def _parts(self, arrangement: Arrangement,
               inner: int) -> tuple[list[RenderableType], list[RenderableType]]:
        """What the screen shows above the step panel and below it, top to bottom."""
        above: list[RenderableType] = []
        top = self._top(arrangement, inner)
        if top is not None:
            above.append(top)
        if arrangement.figure in ("below", "alone"):
            above.append(Group(*self._figure(inner)))
        if arrangement.contents and (frame := frame_panel(self.ring, self.lang)) is not None:
            above.append(frame)
        if arrangement.objects and self.objects is not None:
            above.append(objects_panel(self.objects, self.lang, inner))
        below: list[RenderableType] = [self._counters(inner), self._hint(inner)]
        # The figure alone is what the presenter asked for with v, which brings the lanes back.
        missing = [name for name, gone in (("lanes", not arrangement.lanes
                                            and arrangement.figure != "alone"),
                                           ("ring", self.ringed and arrangement.ring == "none"
                                            and not arrangement.figure))
                   if gone]
        if missing:
            below.append(left_out(missing, self.lang))
        return above, below

    def _figure(self, inner: int) -> list[Text]:
        """The ring drawn as the specification draws it, at this step."""
        return figure_lines(ring_figure(self.ring, self.changes), self.lang, inner)

    def _top(self, arrangement: Arrangement, inner: int) -> Table | None:
        columns: list[RenderableType] = []
        if arrangement.lanes:
            title = say("live.layers" if self.frames else "live.where", self.lang)
            columns.append(lanes(self.last_in_layer, self.current, title,
                                 (self.function_width, self.frame_width), arrangement.actors,
                                 self.lang, self.ring_lane()))
        if arrangement.figure == "beside":
            columns.append(Group(*self._figure(inner - GAP - lanes_width(
                self.function_width, self.frame_width, arrangement.actors, self.lang))))
        if arrangement.ring != "none":
            columns.append(self._registers(arrangement.ring == "compact"))
        if arrangement.contents:
            columns.append(ring_panel(self.ring, self.lang))
        if not columns:
            return None
        grid = Table.grid(padding=(0, GAP))
        for index in range(len(columns)):
            grid.add_column(ratio=1 if index == len(columns) - 1 and arrangement.contents
                            else None, no_wrap=index < len(columns) - 1)
        grid.add_row(*columns)
        return grid

    def ring_lane(self) -> tuple[str, int] | None:
        """The ring's row of "where the frame is": the entry the current step's frame sits in
        (else another frame's) and that frame; with several queue pairs, in whichever pair's
        ring holds it, the pair named in the scenario's words (``pairs_lane``)."""
        current = self.current
        step_pair = None if current is None else current.detail.get("queue")
        lane = pairs_lane({pair: parts[2] for pair, parts in self.queue_rings.items()},
                          None if current is None else current.frame,
                          step_pair if type(step_pair) is int else None)
        if lane is None:
            return None
        entry, frame, pair = lane
        if self.pair_queue is not None:
            entry = self.pair_queue.entry_in_pair(entry, pair, self.lang)
        return entry, frame

    def _counters(self, inner: int) -> Group:
        labels = {counter.name: counter.label for counter in self.scenario.counters}
        names = [labels[name].get(self.lang, labels[name]["en"]) for name in self.live_counters]
        totals = [self.tally[name] for name in self.live_counters]
        frames = (self.frames_done(), self.frames) if self.frames else None
        queues = sorted(self.tally.per_queue)
        if not self.per_queue or len(queues) < 2:
            return counters(list(zip(names, totals, strict=True)), inner, frames,
                            self.lang)
        per_queue = [" | ".join(str(self.tally.per_queue[queue].get(name, 0))
                                for queue in queues) for name in self.live_counters]
        return counters([(name, f"{total} ({each})") for name, total, each
                         in zip(names, totals, per_queue, strict=True)], inner, frames,
                        self.lang, say("live.per_queue", self.lang,
                                       queues=" | ".join(map(str, queues))))

    def _hint(self, inner: int) -> Text:
        at = self.position
        if at is None:
            return Text(word("hint.run", self.lang), style="dim")
        at = dataclasses.replace(at, legend=False)  # the legend shows in the step's place
        quiet = at.typed is None and at.finding is None and at.missed is None
        return Text("\n".join(wrap(hint(at, self.lang), inner)),
                    style="dim" if quiet else "bold")


LAYERS = tuple(Layer)


def _live_counters(header: Header, scenario: Scenario) -> tuple[str, ...]:
    """The scenario's live counters; without ioeventfd every kick exits to QEMU's vCPU
    thread, the figure that mode is about, so it follows the VM exits."""
    names = scenario.live_counters
    counted = {counter.name for counter in scenario.counters}
    if header.params.get("ioeventfd") is False and "exits_to_qemu" in counted \
            and "exits_to_qemu" not in names and "vm_exits" in names:
        at = names.index("vm_exits") + 1
        return (*names[:at], "exits_to_qemu", *names[at:])
    return names


class _Lines:
    """Lines rendered already, drawn as they are."""

    def __init__(self, lines: list[list[Segment]]) -> None:
        self.lines = lines

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for line in self.lines:
            yield from line
            yield Segment.line()


class _Taken:
    """What a state fed by its taker keeps of the events it took in."""

    __slots__ = ("call", "calls", "folded", "folded_at", "high", "known", "low", "newest",
                 "since", "widest")

    def __init__(self) -> None:
        self.newest: list[Fields | None] = [None] * len(LAYERS)  # each layer's newest call
        self.call: Fields | None = None  # the newest call
        self.since: list[Fields] = []  # the events after it
        self.folded = ""  # the remark before them, when they came after ``folded_at``
        self.folded_at: Fields | None = None
        self.calls = 0
        self.widest = 0  # the longest function of a call
        self.low = self.high = 0  # the lowest and the highest frame of a call
        self.known: dict[str, _Known] = {}  # by step

    def learn(self, place: Place, ring: RingContents) -> _Known:
        """What a call at ``place`` needs, worked out once per step."""
        self.widest = max(self.widest, len(place.function))
        return _Known(place, LAYERS.index(place.layer), place.step in ring.actions)


class _Known(NamedTuple):
    """What the taker keeps of a step: its place, the index of its layer in ``LAYERS``, and
    whether it acts on the ring."""

    place: Place
    layer: int
    on_ring: bool


@register
class LiveRenderer(Renderer):
    name = "live"
    view = True
    options = ("colour",)
    description = "a live terminal view: layers, the current step, the ring, counters"

    def __init__(self, *, lang: str = "en", console: Console | None = None,
                 colour: bool = True) -> None:
        self.lang = lang
        self.console = console
        self.colour = colour
        self.read_key: Callable[[], str] | None = None

    def listen(self, read_key: Callable[[], str]) -> None:
        """Take keys while a run plays (``v``: the ring as a figure or as its values), as
        step mode does; ``read_key`` waits for the next one."""
        self.read_key = read_key

    def _console(self, out: IO[Any]) -> Console:
        return self.console or Console(file=out, no_color=not self.colour, highlight=False)

    def render(self, session: Session, out: IO[Any]) -> None:
        state = LiveState(session, self.lang)
        with self._showing(state, out, REFRESH_PER_SECOND):
            for event in session.events():
                state.update(event)

    def follow(self, session: Session, out: IO[Any]) -> None:
        """``render`` of a session that goes as fast as it can: the session counts its
        events and the screen builds only those it draws, at each refresh."""
        state = LiveState(session, self.lang, session.tally)
        with self._showing(state, out, FULL_SPEED_REFRESH_PER_SECOND):
            session.count(take=state.taker())

    @contextmanager
    def _showing(self, state: LiveState, out: IO[Any], per_second: float) -> Iterator[None]:
        """Redraw ``state`` ``per_second`` times a second; leaving the ``Live`` draws it once
        more, ended."""
        if self.read_key is not None:
            threading.Thread(target=toggling, args=(state, self.read_key), daemon=True).start()
        with continuing(lambda: setattr(state, "continued", True)), \
                Live(state, console=self._console(out), refresh_per_second=per_second,
                     auto_refresh=self.console is None, transient=False):
            yield
            state.ended = True

    def stepping(self, session: Session, out: IO[Any]) -> AbstractContextManager[StepView]:
        """A view a presenter drives a step at a time (``vtrace.stepping.drive``)."""
        return self._stepping(session, out)

    @contextmanager
    def _stepping(self, session: Session, out: IO[Any]) -> Iterator[StepView]:
        with Live(console=self._console(out), auto_refresh=False, transient=False) as live:
            view = _LiveSteps(session, self.lang, live)
            with continuing(view.continued):
                yield view


def toggling(state: LiveState, read_key: Callable[[], str]) -> None:
    """Until the keys end: each ``v`` switches ``state``'s ring between figure and values
    (the next refresh draws it)."""
    while True:
        try:
            keys = read_key()
        except (StopIteration, OSError):
            return
        if not keys:
            return
        for key in keys:
            if key in "vV":
                state.figure = not state.figure


class _LiveSteps:
    """The live view in step mode: a fresh state to go back, a redraw per step."""

    def __init__(self, session: Session, lang: str, live: Live) -> None:
        self.session = session
        self.lang = lang
        self.live = live
        self.state = LiveState(session, lang)

    def reset(self) -> None:
        self.state = LiveState(self.session, self.lang)

    def continued(self) -> None:
        """Back from Ctrl-Z: redraw the step on a clear screen now."""
        self.state.continued = True
        self.live.refresh()

    def feed(self, event: Event) -> None:
        self.state.update(event)

    def show(self, at: Position) -> None:
        self.state.position = at
        self.state.figure = at.figure
        self.state.show_queue(at.queue)
        self.state.ended = at.last
        self.live.update(self.state, refresh=True)
