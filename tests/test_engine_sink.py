"""The engine's sink is explicit: whoever drains a run says whether it builds events or only
counts them, so runs drained together, interleaved, each give what they give alone."""

from __future__ import annotations

from collections import Counter

import pytest

from vtrace.catalog import era
from vtrace.engine.sim import Fields
from vtrace.model import Event, Kind
from vtrace.scenarios.recv import RECV
from vtrace.scenarios.send import SendParams, send


def _steps(events: list[Event]) -> Counter[str]:
    return Counter(event.step for event in events)


def test_a_run_counted_while_another_is_iterated_leaves_each_as_it_is_alone() -> None:
    params = SendParams(frames=6, batch=2)
    alone = list(send(params, era("modern"), 1))
    alone_counted: Counter[str] = Counter()
    send(params, era("lesson"), 2).count(lambda step, *_: alone_counted.update((step,)))

    iterated: list[Event] = []
    counted: Counter[str] = Counter()
    taken: list[Fields] = []
    for event in send(params, era("modern"), 1):
        iterated.append(event)
        if len(iterated) == 20:  # mid-stream, another run is drained for its counts
            send(params, era("lesson"), 2).count(
                lambda step, *_: counted.update((step,)), taken.append)
    assert iterated == alone
    assert counted == alone_counted
    assert Counter(fields.place.step for fields in taken) == counted


def test_taken_fields_build_the_events_a_run_makes() -> None:
    params = RECV.settle({"frames": 3})
    built = list(RECV.run(params, era("modern"), 1))
    taken: list[Fields] = []
    RECV.run(params, era("modern"), 1).count(lambda *_: None, taken.append)
    assert [Event(*fields) for fields in taken] == built
    assert all(fields.kind is event.kind for fields, event in zip(taken, built, strict=True))
    assert any(fields.kind is Kind.STATE for fields in taken)


def test_wakes_are_noted_for_the_run_that_asks_whatever_runs_beside_it() -> None:
    params = SendParams(frames=4)
    alone = send(params, era("modern"), 1)
    wakes_alone = alone.note_wakes()
    list(alone)
    noting = send(params, era("modern"), 1)
    wakes = noting.note_wakes()
    for number, _ in enumerate(noting):
        if number == 10:
            list(send(params, era("newest"), 3))
    assert wakes_alone and dict(wakes) == dict(wakes_alone)


def test_a_run_is_drained_once() -> None:
    run = send(SendParams(frames=1), era("modern"), 1)
    next(run)
    with pytest.raises(RuntimeError, match="drained once"):
        run.count(lambda *_: None)
