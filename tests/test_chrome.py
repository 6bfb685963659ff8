"""Chrome Trace Event JSON: tracks per actor, slices per call, flows along each frame."""

from __future__ import annotations

import io
import json
from typing import Any

from diagram_fixtures import HOSTILE, hostile_events, hostile_header, recorded

from vtrace.catalog import CATALOG
from vtrace.model import ACTORS, Event, Header, Kind
from vtrace.renderers.chrome import IDLE_FACTOR, ChromeTraceRenderer
from vtrace.renderers.escape import clean
from vtrace.session import Session


def trace(header: Header, events: list[Event]) -> dict[str, Any]:
    out = io.StringIO()
    ChromeTraceRenderer().render(Session(header, events), out)
    parsed: dict[str, Any] = json.loads(out.getvalue())
    return parsed


def validate(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Check the rules Perfetto and chrome://tracing rely on; return the trace events."""
    events: list[dict[str, Any]] = document["traceEvents"]
    assert document["displayTimeUnit"] == "ns"
    named = {(e["pid"], e["tid"]) for e in events if e["name"] == "thread_name"}
    slices: dict[tuple[int, int], list[tuple[float, float]]] = {}
    for record in events:
        assert record["ph"] in {"M", "X", "i", "s", "f"}
        assert isinstance(record["pid"], int) and isinstance(record["tid"], int)
        if record["ph"] == "M":
            continue
        assert isinstance(record["ts"], (int, float))
        assert (record["pid"], record["tid"]) in named
        if record["ph"] == "X":
            assert isinstance(record["dur"], (int, float)) and record["dur"] >= 0
            slices.setdefault((record["pid"], record["tid"]), []).append(
                (record["ts"], record["ts"] + record["dur"]))
        if record["ph"] == "i":
            assert record["s"] == "t"
    starts = {e["id"]: e for e in events if e["ph"] == "s"}
    finishes = {e["id"]: e for e in events if e["ph"] == "f"}
    assert starts.keys() == finishes.keys()
    assert len(starts) == sum(e["ph"] == "s" for e in events)  # every flow id used once
    for flow_id, start in starts.items():
        finish = finishes[flow_id]
        assert finish["bp"] == "e" and finish["name"] == start["name"]
        assert start["ts"] <= finish["ts"]
        for end in (start, finish):  # each end sits in a slice of its track
            assert any(low <= end["ts"] <= high for low, high in slices[end["pid"], end["tid"]])
    return events


def test_the_trace_validates_and_has_a_track_per_actor() -> None:
    header, events = recorded()
    records = validate(trace(header, events))
    threads = [e["args"]["name"] for e in records if e["name"] == "thread_name"]
    assert threads == list(ACTORS)
    calls = [event for event in events if event.kind is Kind.CALL]
    slices = [e for e in records if e["ph"] == "X"]
    assert sorted(e["args"]["seq"] for e in slices) == [event.seq for event in calls]


def test_slices_use_modelled_time_and_stop_at_idle_waits() -> None:
    header, events = recorded()
    slices = {e["args"]["seq"]: e for e in trace(header, events)["traceEvents"] if e["ph"] == "X"}
    for event in events:
        if event.kind is Kind.CALL:
            record = slices[event.seq]
            assert record["ts"] == event.t_ns / 1000
            assert record["dur"] <= CATALOG[event.step].cost_ns * IDLE_FACTOR / 1000 + 1e-9


def test_flows_follow_each_frame_across_tracks() -> None:
    header, events = recorded()
    records = trace(header, events)["traceEvents"]
    names = {e["name"] for e in records if e["ph"] == "s"}
    assert names == {"frame 0", "frame 1", "frame 2"}
    tracks = {e["args"]["name"]: (e["pid"], e["tid"]) for e in records
              if e["name"] == "thread_name"}
    hops = {(e["pid"], e["tid"]) for e in records if e["ph"] == "f" and e["name"] == "frame 0"}
    assert {tracks["stack"], tracks["virtio_net"], tracks["kvm"], tracks["tun"]} <= hops


def test_the_header_rides_along() -> None:
    header, events = recorded()
    other = trace(header, events)["otherData"]
    assert other["scenario"] == "send" and other["params"]["frames"] == 3


def test_hostile_text_stays_valid_json() -> None:
    document = trace(hostile_header(), hostile_events())
    records = validate(document)
    assert clean(HOSTILE) in {e["name"] for e in records}
    assert clean(HOSTILE) in {e["args"]["name"] for e in records if e["name"] == "thread_name"}
    assert document["otherData"]["scenario"] == clean(HOSTILE)
