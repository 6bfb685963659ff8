"""docs/events.md keeps up with the stream: every detail key, ring field and enum value."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from vtrace.catalog import ERAS, era
from vtrace.codec import decode_line
from vtrace.model import ACTORS, Event, Header, Kind, Layer, Phase, Source
from vtrace.scenarios.params import PACKED_ERAS
from vtrace.scenarios.recv import RECV
from vtrace.scenarios.send import SEND, SendParams, send
from vtrace.scenarios.setup import setup

DOC = Path(__file__).resolve().parent.parent / "docs" / "events.md"
NESTED = ("ring", "writes")  # detail keys whose values map ring fields to numbers
VOCABULARIES = ("why", "fact")  # detail keys whose string values form a fixed vocabulary


def _spans_per_line() -> list[set[str]]:
    """The code spans (`...`) of each line of the document."""
    text = DOC.read_text(encoding="utf-8")
    return [set(re.findall(r"`([^`]+)`", line)) for line in text.splitlines()]


SPANS = _spans_per_line()
ALL_SPANS = set().union(*SPANS)


def _replays() -> Iterator[Event]:
    """Send replays over the switches that change what is emitted (vhost-net takes kicks
    only through an ioeventfd), every set-up of both back ends, and the receive path's
    examples and the sending path's (TCP, offloads, queues)."""
    for event_idx, ioeventfd, name, batch in itertools.product(
            (True, False), (True, False), sorted(ERAS), (4, 32)):
        params = SendParams(frames=40, batch=batch, queue_size=32, event_idx=event_idx,
                            ioeventfd=ioeventfd)
        yield from send(params, era(name), seed=1)
        if ioeventfd:
            vhost = SendParams(frames=300, batch=batch * 25, queue_size=1024,
                               event_idx=event_idx, interval_ns=0, backend="vhost-net")
            yield from send(vhost, era(name), seed=1)
    for name, backend in itertools.product(sorted(ERAS), ("qemu", "vhost-net")):
        yield from setup(era(name), seed=1, backend=backend)
    for name in PACKED_ERAS:
        yield from setup(era(name), seed=1, ring="packed")
    for name, event_idx in itertools.product(PACKED_ERAS, (True, False)):
        yield from send(SendParams(frames=300, batch=4, event_idx=event_idx, ring="packed"),
                        era(name), seed=1)
    for name in sorted(ERAS):
        for scenario in (SEND, RECV):
            for example in scenario.examples:
                settled = scenario.settle(example)
                if scenario.refusal(settled, era(name)) is None:
                    yield from scenario.run(settled, era(name), 1)
        yield from send(SendParams(frames=8, queues=2, flows=4), era(name), seed=1)
        yield from setup(era(name), seed=1, queues=2)
    for name, event_idx in itertools.product(PACKED_ERAS, (True, False)):
        yield from RECV.run(RECV.settle({"frames": 300, "event_idx": event_idx,
                                         "ring": "packed"}), era(name), 1)


EVENTS = list(_replays())


def test_every_detail_key_is_documented_beside_its_step() -> None:
    # A queue pair's index (``queue``, an int) is on every event of it: documented once.
    emitted = {(event.step, key) for event in EVENTS for key, value in event.detail.items()
               if not (key == "queue" and isinstance(value, int))}
    missing = sorted(
        (step, key) for step, key in emitted
        if not any(step in spans and key in spans for spans in SPANS)
    )
    assert not missing, f"no line of docs/events.md names both step and key: {missing}"


def test_every_ring_field_is_documented() -> None:
    fields = {name for event in EVENTS for key in NESTED
              for name in event.detail.get(key, {})}
    assert fields, "the replays changed no ring field"
    assert sorted(fields - ALL_SPANS) == []


@pytest.mark.parametrize("key", VOCABULARIES)
def test_every_value_of_a_vocabulary_is_documented(key: str) -> None:
    values = {str(event.detail[key]) for event in EVENTS if key in event.detail}
    assert values, f"the replays wrote no {key!r}"
    assert sorted(values - ALL_SPANS) == []


def _row_keys(heading: str) -> list[str]:
    """The code spans opening the table rows of the section under ``heading``, in order."""
    text = DOC.read_text(encoding="utf-8")
    start = text.index(f"\n{heading}\n") + len(heading) + 2
    end = text.find("\n#", start)
    section = text[start:] if end < 0 else text[start:end]
    return re.findall(r"^\| `([^`]+)` \|", section, flags=re.MULTILINE)


@pytest.mark.parametrize("enum", [Layer, Kind, Phase, Source], ids=lambda enum: enum.__name__)
def test_every_enum_value_has_a_row_in_its_table(
        enum: type[Layer | Kind | Phase | Source]) -> None:
    heading = f"### `{enum.__name__.lower()}`"
    assert sorted(_row_keys(heading)) == sorted(member.value for member in enum)


def test_the_actor_table_lists_the_lifelines_in_order() -> None:
    assert tuple(_row_keys("## Actors, in lifeline order")) == ACTORS


def test_example_lines_decode() -> None:
    lines = [line for line in DOC.read_text(encoding="utf-8").splitlines()
             if line.startswith('{"v":')]
    records = [decode_line(line) for line in lines]
    assert any(isinstance(record, Header) for record in records)
    assert any(isinstance(record, Event) for record in records)
