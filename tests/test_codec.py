"""JSON Lines encoding: round trips, and refusal of what is not a vtrace stream."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vtrace.catalog import era
from vtrace.codec import DecodeError, decode_line, encode, read_stream
from vtrace.model import SCHEMA_VERSION, Event, Header, Source
from vtrace.scenarios.send import SendParams, send


def test_every_event_of_a_replay_survives_the_round_trip() -> None:
    for event in send(SendParams(frames=3, batch=2), era("modern"), 3):
        line = encode(event)
        assert "\n" not in line
        assert decode_line(line) == event


def test_the_header_round_trips() -> None:
    header = Header("0.1.0", "send", {"frames": 3, "era": "modern"}, 42, ("send", "-n", "3"))
    obj = json.loads(encode(header))
    assert obj["kind"] == "header" and obj["v"] == SCHEMA_VERSION == 2
    assert decode_line(encode(header)) == header


def test_a_stream_is_a_header_then_events() -> None:
    header = Header("0.1.0", "send", {"frames": 1}, 1)
    events = list(send(SendParams(frames=1), era("modern"), 1))
    lines = [encode(header)] + [encode(event) for event in events]
    read_header, read_events = read_stream(lines)
    assert read_header == header and list(read_events) == events


@pytest.mark.parametrize("line,message", [
    ("not json", "not JSON"),
    ("[1, 2]", "not a JSON object"),
    ('{"v": 99, "kind": "header"}', "schema version 99 is newer than 2"),
    ('{"v": true, "kind": "header"}', "schema version True is newer"),
    ('{"v": 1, "kind": "call"}', "not a vtrace record"),
    ('{"v": 1, "kind": "header", "vtrace": "0", "scenario": "send", "params": {}, "seed": 1, '
     '"source": "dream"}', "unknown source 'dream'"),
])
def test_bad_lines_raise_decode_errors(line: str, message: str) -> None:
    with pytest.raises(DecodeError, match=message):
        decode_line(line)


@pytest.mark.parametrize("field,value,message", [
    ("kind", "dance", "unknown kind 'dance'"),
    ("kind", ["call"], "unknown kind"),
    ("line", True, "line True is not a number"),
    ("line", "12", "line '12' is not a number"),
    ("function", 7, "names must be strings"),
    ("layer", "attic", "not a valid Layer"),
])
def test_an_event_with_a_wrong_field_is_refused(field: str, value: object, message: str) -> None:
    event = json.loads(encode(next(send(SendParams(frames=1), era("modern"), 1))))
    with pytest.raises(DecodeError, match=message):
        decode_line(json.dumps({**event, field: value}))


def test_lines_of_one_step_share_one_place() -> None:
    records = [decode_line(encode(event)) for event in send(SendParams(frames=3), era("modern"), 1)
               if event.step == "start_xmit"]
    events = [record for record in records if isinstance(record, Event)]
    assert len(events) == len(records) == 3
    assert all(event.place is events[0].place for event in events)


def test_a_stream_without_a_header_is_refused_with_its_line_number() -> None:
    event = next(send(SendParams(frames=1), era("modern"), 1))
    with pytest.raises(DecodeError, match="line 1"):
        read_stream([encode(event)])


def test_strings_from_anywhere_stay_one_line() -> None:
    event = next(send(SendParams(frames=1), era("modern"), 1))
    hostile = replace(event, place=replace(event.place, function='a"b\n<c>&\\'),
                      detail={"note": "x\ny"})
    line = encode(hostile)
    assert "\n" not in line and decode_line(line) == hostile


_SCALARS = (st.integers(min_value=-(2**70), max_value=2**70) | st.booleans() | st.none()
            | st.text() | st.floats(allow_nan=False))
_DETAILS = st.recursive(
    st.dictionaries(st.text(), _SCALARS, max_size=5),
    lambda inner: st.dictionaries(st.text(), _SCALARS | inner | st.lists(_SCALARS, max_size=3),
                                  max_size=5),
    max_leaves=12,
)


@given(_DETAILS)
def test_a_detail_is_written_as_the_json_module_writes_it(detail: dict[str, object]) -> None:
    event = replace(next(send(SendParams(frames=1), era("modern"), 1)), detail=detail)
    expected = json.dumps(detail, ensure_ascii=False, separators=(",", ":"))
    assert encode(event).endswith(f',"detail":{expected}}}')
    assert decode_line(encode(event)) == event


def test_a_file_of_endless_new_names_keeps_the_caches_bounded() -> None:
    from vtrace import codec

    event = json.loads(encode(next(send(SendParams(frames=1), era("modern"), 1))))
    for number in range(codec._CACHE_LIMIT + 10):
        name = f"f{number}"
        read = decode_line(json.dumps({**event, "function": name, "detail": {name: number}}))
        assert isinstance(read, Event) and json.loads(encode(read))["function"] == name
    assert max(len(codec._FIXED), len(codec._KEY_JSON), len(codec._PLACES)) <= codec._CACHE_LIMIT


def test_a_version_1_stream_still_reads_and_captured_sources_round_trip() -> None:
    old = ('{"v":1,"kind":"header","vtrace":"0.1.0","scenario":"send","params":{},"seed":1,'
           '"argv":[],"source":"replay"}')
    assert decode_line(old) == Header("0.1.0", "send", {}, 1)
    for source in Source:
        header = Header("0.1.0", "send", {}, 1, source=source)
        assert decode_line(encode(header)) == header


def test_the_encoding_cache_is_keyed_on_every_field_that_is_not_per_event() -> None:
    import dataclasses

    from vtrace import codec
    from vtrace.model import Kind, Layer, Phase, Place

    names = {field.name for field in dataclasses.fields(Event)}
    assert set(codec.FIXED) | set(codec.PER_EVENT) == names
    place = Place("start_xmit", "start_xmit", "f.c", 1, "linux", "6.1", Phase.XMIT,
                  Layer.GUEST_KERNEL, "virtio_net")
    base = Event(0, 0, place, Kind.CALL, "stack", "virtio_net", 5)
    changed: dict[str, Any] = {
        "place": dataclasses.replace(place, line=2), "kind": Kind.NOTE, "src": "app",
        "dst": "vring", "thread": "qemu-main", "source": Source.GUEST_FTRACE}
    assert set(changed) == set(codec.FIXED)
    encode(base)
    for name, value in changed.items():
        other = dataclasses.replace(base, **{name: value})
        assert decode_line(encode(other)) == other, name
