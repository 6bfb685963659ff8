"""The ring's row of "where the frame is" with several queue pairs: a frame waiting in any
pair's ring shows, with the pair named in the scenario's words, the same in the terminal's
lane and in the data the HTML player gets (en and zh).

Which pairs hold frames is read here off the ring indices the events carry, per pair: a
send's frame waits from the driver's ``avail.idx`` to the device's ``last_avail_idx``, a
receive's from the device's ``used.idx`` to the driver's ``last_used_idx``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pytest
from player_steps import TerminalStep, ring_lanes, terminal_steps

from vtrace.i18n import LANGS
from vtrace.model import Event
from vtrace.renderers.html_data import encode
from vtrace.renderers.html_words import words
from vtrace.renderers.live import LiveState
from vtrace.renderers.ring_frames import FramesInRing, pairs_lane
from vtrace.scenarios import scenario
from vtrace.session import replayed

MQ = {"frames": 8, "queues": 2, "flows": 4}
#: each scenario's ring a frame waits in: the index its producer publishes, the one its
#: consumer keeps, and the ring's name in the entry
WAITS = {"send": ("avail.idx", "last_avail_idx", "avail.ring"),
         "recv": ("used.idx", "last_used_idx", "used.ring")}


def held(events: Sequence[Event], upto: int, name: str) -> dict[int, int]:
    """How many frames wait in each pair's ring once ``events[:upto]`` have happened."""
    published, consumed, _ = WAITS[name]
    values: dict[int, dict[str, int]] = {}
    for event in events[:upto]:
        queue = event.detail.get("queue")
        values.setdefault(queue if type(queue) is int else 0, {}).update(
            event.detail.get("ring", {}))
    return {pair: (ring.get(published, 0) - ring.get(consumed, 0)) % (1 << 16)
            for pair, ring in values.items()
            if (ring.get(published, 0) - ring.get(consumed, 0)) % (1 << 16)}


def player_rows(name: str, given: dict[str, Any]) -> list[list[Any]]:
    data: dict[str, Any] = json.loads(encode(replayed(name, given, "modern", 1), {}))
    rows: list[list[Any]] = data["inRing"]
    return rows


def row_at(rows: list[list[Any]], step: TerminalStep) -> list[Any]:
    """The row the player shows at ``step``: the newest one at or before its last event."""
    shown: list[Any] = []
    for row in rows:
        if row[0] >= step.end:
            break
        shown = row
    return shown


def player_text(row: list[Any], name: str, lang: str) -> str:
    """What the page writes for ``row``, filling the scenario's words as the page does."""
    if len(row) < 3:
        return ""
    entry = str(row[1])
    if len(row) > 3:
        template = words(scenario(name), {})[lang]["ring.pair"]
        entry = template.replace("{pair}", str(row[3])).replace("{entry}", entry)
    return f"{entry} #{row[2]}"


@pytest.mark.parametrize("name", ["send", "recv"])
def test_a_frame_in_pair_1_s_ring_shows_in_the_player_s_data(name: str) -> None:
    events = list(replayed(name, MQ, "modern", 1).events())
    rows = player_rows(name, MQ)
    _, _, ring = WAITS[name]
    named = set()
    for step in terminal_steps(events):
        waiting = held(events, step.end, name)
        row = row_at(rows, step)
        assert (len(row) > 1) is bool(waiting), step.number
        if not waiting:
            continue
        entry, _, pair = row[1:]
        assert pair in waiting, step.number
        if len(waiting) == 1:
            assert pair == next(iter(waiting)), step.number
        others = waiting[pair] - 1
        assert entry.startswith(f"{ring}[") and entry.endswith(f"] +{others}" if others
                                                               else "]"), step.number
        named.add(pair)
    assert named == {0, 1}


@pytest.mark.parametrize("name", ["send", "recv"])
def test_the_row_names_the_pair_the_current_frame_waits_in(name: str) -> None:
    """Where both pairs hold frames, the row shows the pair holding the step's frame."""
    events = list(replayed(name, MQ, "modern", 1).events())
    rows = player_rows(name, MQ)
    checked = 0
    for step in terminal_steps(events):
        row = row_at(rows, step)
        if len(row) > 3 and row[2] == step.call.frame:
            checked += 1
            queue = step.call.detail.get("queue")
            # a frame stays on its flow's pair: the step of that frame is on that pair
            assert queue is None or queue == row[3], step.number
    assert checked


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", ["send", "recv"])
def test_the_terminal_lane_and_the_player_say_the_same(name: str, lang: str) -> None:
    events = list(replayed(name, MQ, "modern", 1).events())
    rows = player_rows(name, MQ)
    terminal = ring_lanes(name, MQ, lang)
    player = [player_text(row_at(rows, step), name, lang) for step in terminal_steps(events)]
    assert player == terminal
    queue = scenario(name).queue
    assert queue is not None
    pair_1 = queue.entry_in_pair("", 1, lang)
    assert any(text.startswith(pair_1) for text in terminal)
    assert any(text.startswith(queue.entry_in_pair("", 0, lang)) for text in terminal)


@pytest.mark.parametrize(("name", "en", "zh"), [
    ("send", "TX queue 1: avail.ring[3]", "TX 队列 1：avail.ring[3]"),
    ("recv", "RX queue 1: used.ring[3]", "RX 队列 1：used.ring[3]"),
])
def test_the_scenario_names_its_queue_in_a_pair(name: str, en: str, zh: str) -> None:
    queue = scenario(name).queue
    assert queue is not None
    entry = en.split(": ")[1]
    assert (queue.entry_in_pair(entry, 1, "en"), queue.entry_in_pair(entry, 1, "zh")) == (en, zh)
    assert {lang: words(scenario(name), {})[lang]["ring.pair"] for lang in LANGS} == \
        queue.in_pair


@pytest.mark.parametrize("name", ["send", "recv"])
def test_one_queue_pair_names_no_pair(name: str) -> None:
    """One pair: the rows and the lane are as before, the entry alone."""
    given = {"frames": 3}
    rows = player_rows(name, given)
    assert rows and all(len(row) in (1, 3) for row in rows)
    terminal = ring_lanes(name, given, "en")
    assert any(terminal) and all(text == "" or text.startswith(WAITS[name][2])
                                 for text in terminal)


def test_the_lane_keeps_room_for_the_longest_pair_it_can_name() -> None:
    """The lane is as wide as the longest entry it may show, so the layout never changes
    for a longer one."""
    from rich.cells import cell_len
    for lang in LANGS:
        live = LiveState(replayed("send", {**MQ, "queues": 8}, "modern", 1), lang)
        queue = scenario("send").queue
        assert queue is not None
        widest = queue.entry_in_pair("avail.ring[255] +255", 7, lang)
        assert live.function_width >= cell_len(widest)


def test_the_pair_shown_holds_the_step_s_frame_else_it_is_the_step_s_pair() -> None:
    rings = {0: FramesInRing(8), 1: FramesInRing(8)}
    assert pairs_lane(rings, 0, 0) is None
    rings[0].update(0, {"ring": {"avail.idx": 1}})
    rings[1].update(1, {"ring": {"avail.idx": 1}})
    rings[1].update(3, {"ring": {"avail.idx": 2}})
    assert pairs_lane(rings, 3, 0) == ("avail.ring[1] +1", 3, 1)  # where frame 3 waits
    assert pairs_lane(rings, 9, 1) == ("avail.ring[0] +1", 1, 1)  # the step's pair
    assert pairs_lane(rings, 9, None) == ("avail.ring[0]", 0, 0)  # the first pair holding
    rings[0].update(None, {"ring": {"last_avail_idx": 1}})  # the device took frame 0
    assert pairs_lane(rings, 0, 0) == ("avail.ring[0] +1", 1, 1)
