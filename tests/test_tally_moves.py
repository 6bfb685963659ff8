"""``Tally.moves`` tells what an event would add to the counters, exactly as counting it does."""

from __future__ import annotations

import pytest

from vtrace.scenarios import REGISTERED
from vtrace.session import replayed
from vtrace.tally import Tally


@pytest.mark.parametrize("name", list(REGISTERED))
def test_moves_are_what_counting_adds(name: str) -> None:
    scenario = REGISTERED[name]
    params = {"frames": 4} if scenario.frames_param else {}
    session = replayed(name, params, "modern", 2)
    tally, moved = Tally(scenario.calls, scenario.notes), 0
    for event in session.events():
        before = dict(tally.counts)
        moves = tally.moves(event.step, event.kind, event.detail)
        tally.add(event)
        assert dict(moves) == {counter: count - before[counter]
                               for counter, count in tally.counts.items()
                               if count != before[counter]}, event.step
        moved += bool(moves)
    assert moved  # the scenario's counters do move
