"""The ring drawn in the terminal: the split ring as the specification draws it, and the
packed ring through the same description, built from the events' ring detail, changed
cells marked by a mark and not only by colour, fitting 80x24 in step mode with ``v``; and
the "vring" lane showing the frame while it sits in the ring."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import Any

import pytest
from diagram_fixtures import assert_snapshot
from rich.cells import cell_len
from rich.console import Console

from vtrace.model import Event, Kind
from vtrace.renderers.live import LiveState
from vtrace.renderers.ring_contents import RingContents
from vtrace.renderers.ring_figure import (
    MARK,
    PACKED_POINTERS,
    StepChanges,
    figure_lines,
    ring_figure,
    split_figure,
)
from vtrace.renderers.ring_frames import FramesInRing
from vtrace.scenarios import of
from vtrace.session import replayed
from vtrace.stepping import Position, drive

SIZES = [(80, 24), (100, 30), (160, 48)]
BATCH = {"frames": 4, "batch": 4}


def _steps(name: str, given: dict[str, Any]) -> Iterator[tuple[int, list[Event]]]:
    """Each step's number and the events up to its end, as step mode feeds them."""
    events = list(replayed(name, given, "modern", 1).source)
    starts = [index for index, event in enumerate(events) if event.kind is Kind.CALL]
    for number in range(1, len(starts) + 1):
        end = starts[number] if number < len(starts) else len(events)
        yield number, events[:end]


def _state(name: str, given: dict[str, Any], step: int, lang: str,
           figure: bool = True) -> LiveState:
    session = replayed(name, given, "modern", 1)
    state = LiveState(session, lang)
    state.figure = figure
    for number, events in _steps(name, given):
        if number == step:
            for event in events:
                state.update(event)
            state.position = Position(step, [e for e in events if e.kind is Kind.CALL][-1],
                                      figure=figure)
            return state
    raise AssertionError(f"no step {step}")


def _screen(state: LiveState, width: int, height: int) -> str:
    console = Console(width=width, height=height, color_system=None, force_terminal=True,
                      record=True, file=io.StringIO())
    console.print(state)
    return console.export_text()


def _step_of(name: str, given: dict[str, Any], function: str, frame: int) -> int:
    """The number of the step calling ``function`` for ``frame``."""
    for number, events in _steps(name, given):
        call = events[[index for index, event in enumerate(events)
                       if event.kind is Kind.CALL][-1]]
        if call.function == function and call.frame == frame:
            return number
    raise AssertionError(function)


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize(("width", "height"), SIZES)
def test_the_figure_in_step_mode_matches_the_snapshot_and_fits(width: int, height: int,
                                                               lang: str) -> None:
    """Four frames handed over in one batch; the device has taken the second."""
    step = _step_of("send", BATCH, "virtqueue_split_pop", 1)
    screen = _screen(_state("send", BATCH, step, lang), width, height)
    assert_snapshot(f"ring-figure-{width}x{height}-{lang}.txt", screen)
    lines = screen.splitlines()
    assert len(lines) <= height
    assert {cell_len(line) for line in lines} == {width}
    assert "idx 4" in screen and "last_avail_idx 2*" in screen  # the pop moved it: marked
    assert re.search(r"\[2\] → 2", screen) and re.search(r"\[4\] ← idx", screen)


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize(("name", "given"), [("send", {"frames": 3}), ("send", BATCH),
                                             ("recv", {"frames": 3})])
def test_the_figure_fits_80x24_at_every_step(name: str, given: dict[str, Any],
                                             lang: str) -> None:
    count = sum(1 for _ in _steps(name, given))
    for step in range(1, count + 1, 5):
        screen = _screen(_state(name, given, step, lang), 80, 24)
        assert len(screen.splitlines()) <= 24
        assert "← idx" in screen and "used_event" in screen and "avail_event" in screen, (
            step, screen)


def test_the_figure_names_the_values_of_the_events_ring_detail() -> None:
    """At every step the figure's values are the ring's start and every change the events
    made, and each changed cell is marked."""
    session = replayed("send", BATCH, "modern", 1)
    panel = of(session.header).ring
    assert panel is not None
    contents = RingContents(session.header, session.scenario)
    changes = StepChanges(panel.actions)
    told = dict(panel.start(contents.size))
    for event in session.source:
        contents.update(event)
        changes.update(event)
        told.update(event.detail.get("ring", {}))
        figure = split_figure(contents, changes)
        shown = figure.values()
        assert shown == {name: told.get(name, 0) for name in shown}
        text = "\n".join(line.plain for line in figure_lines(figure))
        for name in changes.names & set(shown):
            assert re.search(rf"{re.escape(name.split('.')[-1])} {shown[name]}\{MARK}", text)


def test_the_figure_changes_with_each_step_that_moves_the_ring() -> None:
    """Whenever a step changes a value the figure names, or a descriptor, the drawing
    changes too."""
    drawn = []
    for _, events in _steps("send", {"frames": 2}):
        session = replayed("send", {"frames": 2}, "modern", 1)
        state = LiveState(session, "en")
        for event in events:
            state.update(event)
        figure = split_figure(state.ring, state.changes)
        drawn.append(((figure.values(), [area.rows for area in figure.areas]),
                      "\n".join(line.plain for line in state._figure(76))))
    moves = 0
    for (told, text), (told_before, before) in zip(drawn[1:], drawn, strict=False):
        if told != told_before:
            moves += 1
            assert text != before
    assert moves > 10


def test_v_in_step_mode_switches_between_the_values_and_the_figure() -> None:
    session = replayed("send", {"frames": 1}, "modern", 1)
    shown: list[Position] = []

    class View:
        def reset(self) -> None: ...
        def feed(self, event: Event) -> None: ...
        def show(self, at: Position) -> None:
            shown.append(at)

    keys = iter(["v", "\n", "v", "q"])
    drive(session.source, View(), lambda: next(keys))
    assert [at.figure for at in shown] == [False, True, True, False]
    assert [at.step for at in shown] == [1, 1, 2, 2]
    values = _screen(_state("send", {"frames": 1}, 30, "en", figure=False), 80, 24)
    figure = _screen(_state("send", {"frames": 1}, 30, "en"), 80, 24)
    assert "TX virtqueue" in values and "descriptor table" not in values
    assert "descriptor table" in figure and "← idx" in figure


def _vring_rows(name: str, given: dict[str, Any]) -> list[tuple[str, str]]:
    """Per step: its function and what the vring lane shows."""
    rows = []
    for _, events in _steps(name, given):
        session = replayed(name, given, "modern", 1)
        state = LiveState(session, "en")
        for event in events:
            state.update(event)
        screen = _screen(state, 160, 48)
        lane = next(line for line in screen.splitlines() if "  vring  " in line)
        found = re.search(r"  vring +(?:vring +)?((?:(?:avail|used)\.ring|desc)\[\d+\](?: \+\d+)?"
                          r" +#\d+)?", lane)
        assert found is not None, lane
        rows.append((state.current.function if state.current else "", found[1] or ""))
    return rows


def test_the_vring_lane_holds_a_sent_frame_from_the_add_to_the_pop() -> None:
    rows = _vring_rows("send", {"frames": 1})
    functions = [function for function, _ in rows]
    added = functions.index("virtqueue_add_split")
    popped = functions.index("virtqueue_split_pop")
    assert all(not shown for _, shown in rows[:added])
    assert all(re.fullmatch(r"avail\.ring\[0\] +#0", shown) for _, shown in
               rows[added:popped]), rows[added:popped]
    assert all(not shown for _, shown in rows[popped:])


def test_the_vring_lane_holds_a_received_frame_from_the_fill_to_the_get_buf() -> None:
    rows = _vring_rows("recv", {"frames": 1})
    functions = [function for function, _ in rows]
    flushed = functions.index("virtqueue_split_flush")
    taken = functions.index("virtqueue_get_buf_ctx")
    assert all(not shown for _, shown in rows[:flushed])
    assert all(re.fullmatch(r"used\.ring\[0\] +#0", shown) for _, shown in
               rows[flushed:taken]), rows[flushed:taken]
    assert all(not shown for _, shown in rows[taken:])


def test_the_vring_lane_holds_a_frame_in_its_packed_slot_from_the_add_to_the_pop() -> None:
    rows = _vring_rows("send", {"frames": 1, "ring": "packed"})
    functions = [function for function, _ in rows]
    added = functions.index("virtqueue_add_packed")
    popped = functions.index("virtqueue_packed_pop")
    assert all(not shown for _, shown in rows[:added])
    assert all(re.fullmatch(r"desc\[0\] +#0", shown) for _, shown in rows[added:popped]), \
        rows[added:popped]
    assert all(not shown for _, shown in rows[popped:])


def test_a_frame_leaves_a_packed_ring_when_the_device_passes_its_slot_after_a_wrap() -> None:
    """The packed ring's indices wrap at its size; Linux's last_used_idx carries the wrap
    counter in bit 15."""
    in_ring = FramesInRing(32, packed=True)
    in_ring.update(7, {"ring": {"next_avail_idx": 0, "avail_wrap_counter": 0}})  # slot 31
    assert [in_ring.place(resident) for resident in in_ring.residents()] == ["desc[31]"]
    in_ring.update(None, {"ring": {"last_avail_idx": 31}})
    assert in_ring.residents()
    in_ring.update(7, {"ring": {"last_avail_idx": 0, "last_avail_wrap_counter": 0}})
    assert not in_ring.residents()
    in_ring.update(8, {"ring": {"used_idx": 1}})  # a later frame: published on the used side
    in_ring.update(None, {"ring": {"last_used_idx": 1 | 1 << 15}})
    assert not in_ring.residents()


def test_a_frame_leaves_the_ring_when_the_index_wraps_past_it() -> None:
    """The indices are free-running 16-bit numbers: 65535 is passed by 0."""
    in_ring = FramesInRing(256)
    in_ring.update(7, {"ring": {"avail.idx": 0}})  # published at position 65535
    assert [(resident.ring, in_ring.slot(resident), resident.frame)
            for resident in in_ring.residents()] == [("avail", 255, 7)]
    in_ring.update(7, {"ring": {"used.idx": 1}})  # the same buffer coming back: not again
    in_ring.update(None, {"ring": {"last_avail_idx": 65535}})
    assert in_ring.residents()
    in_ring.update(7, {"ring": {"last_avail_idx": 0}})
    assert not in_ring.residents()


# -- the packed ring -----------------------------------------------------------------------

PACKED = {"frames": 4, "batch": 4, "ring": "packed"}
#: A queue of 32 that 40 frames wrap: the bits flip meaning with the wrap counters.
PACKED_WRAP = {"frames": 40, "batch": 4, "ring": "packed", "queue_size": 32}


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize(("width", "height"), SIZES)
def test_the_packed_figure_in_step_mode_matches_the_snapshot_and_fits(width: int, height: int,
                                                                      lang: str) -> None:
    """The device has written the first buffer back: both bits of slot 0 equal its used
    wrap counter, and the slot is marked."""
    step = _step_of("send", PACKED, "virtqueue_packed_flush", 0)
    screen = _screen(_state("send", PACKED, step, lang), width, height)
    assert_snapshot(f"ring-figure-packed-{width}x{height}-{lang}.txt", screen)
    lines = screen.splitlines()
    assert len(lines) <= height
    assert {cell_len(line) for line in lines} == {width}
    assert re.search(r"0  0 1 1 \S+\*", screen)  # slot 0, id 0, AVAIL 1, USED 1, changed
    assert "used_idx 1*" in screen and "vq.used_wrap_counter 1" in screen
    assert "driver_event off_wrap 0x8002" in screen and "device_event" in screen


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize(("name", "given"), [("send", PACKED), ("send", PACKED_WRAP),
                                             ("recv", {"frames": 3, "ring": "packed"})])
def test_the_packed_figure_fits_80x24_at_every_step(name: str, given: dict[str, Any],
                                                    lang: str) -> None:
    count = sum(1 for _ in _steps(name, given))
    for step in range(1, count + 1, 7):
        state = _state(name, given, step, lang)
        drawn = state._figure(76)
        assert len(drawn) <= 7 and max(line.cell_len for line in drawn) <= 70, step
        screen = _screen(state, 80, 24)
        assert len(screen.splitlines()) <= 24
        assert "next_avail_idx" in screen and "device_event" in screen, (step, screen)


def test_the_packed_figure_names_the_values_of_the_events_ring_detail() -> None:
    """At every step of a run that wraps the ring: the figure's values are the ring's start
    and every change the events made; each slot drawn holds the AVAIL and USED bits of
    the flags the events last gave it, and its state agrees with the wrap counters."""
    session = replayed("send", PACKED_WRAP, "modern", 1)
    panel = of(session.header).ring
    assert panel is not None
    contents = RingContents(session.header, session.scenario)
    changes = StepChanges(panel.actions)
    told = dict(panel.at_start(session.header.params, contents.size))
    flags: dict[int, int] = {}
    wrapped = False
    for event in session.source:
        contents.update(event)
        changes.update(event)
        told.update(event.detail.get("ring", {}))
        if "slot.flags" in event.detail.get("ring", {}) or (
                event.kind is Kind.CALL and event.function == "virtqueue_add_packed"):
            flags[told["slot"]] = told["slot.flags"]
        figure = ring_figure(contents, changes)
        assert figure.layout == "packed"
        shown = figure.values()
        assert shown == {name: told.get(name, 0) for name in shown}
        wrapped |= told["avail_wrap_counter"] == 0
        for row in figure.areas[0].rows:
            if not row.cells:
                assert int(row.label) not in contents.slots
                continue
            addr, length, head, hex_flags, avail, used, state = row.cells
            assert int(hex_flags, 16) == flags[int(row.label)]
            assert (avail, used) == (str(flags[int(row.label)] >> 7 & 1),
                                     str(flags[int(row.label)] >> 15))
            if state == "avail":  # the driver's bits for this lap: AVAIL its wrap counter
                assert avail != used
            if state in ("used", "freed"):
                assert avail == used
        text = "\n".join(line.plain for line in figure_lines(figure))
        for name in changes.names & set(shown) - {"num_free", "inuse"}:  # not in a terminal
            value = next(value for area in figure.areas for value in (*area.above, *area.below)
                         if value.name == name)
            assert re.search(rf"{re.escape(name.split('.')[-1])} {re.escape(value.text)}\{MARK}",
                             text), (name, text)
    assert wrapped


def test_a_receive_ring_posted_in_bulk_shows_its_slots_available() -> None:
    """A packed receive ring is filled before the first frame, with no buffer named: its
    slots are drawn available, and each is named when the device takes it."""
    session = replayed("recv", {"frames": 1, "ring": "packed"}, "modern", 1)
    panel = of(session.header).ring
    assert panel is not None
    contents = RingContents(session.header, session.scenario)
    changes = StepChanges(panel.actions)
    for event in session.source:
        contents.update(event)
        changes.update(event)
        if event.kind is Kind.CALL and event.function == "virtqueue_packed_pop":
            break
    rows = ring_figure(contents, changes).areas[0].rows
    assert [(row.label, row.state, row.cells[2], row.changed) for row in rows] == [
        ("0", "device", "0", True), ("1", "avail", "?", False), ("2", "avail", "?", False)]


def test_a_young_packed_ring_starts_at_slot_0_and_points_at_the_next_slot() -> None:
    session = replayed("send", {"frames": 1, "ring": "packed"}, "modern", 1)
    contents = RingContents(session.header, session.scenario)
    figure = ring_figure(contents)
    assert [(row.label, row.state, row.pointers) for row in figure.areas[0].rows] == [
        ("0", "next", PACKED_POINTERS), ("1", "free", ()), ("2", "free", ())]
    assert figure.values()["last_used_idx"] == 1 << 15  # Linux keeps the wrap bit there
    text = "\n".join(line.plain for line in figure_lines(figure))
    assert "0 ← next_avail_idx" in text and "flags ENABLE" in text
