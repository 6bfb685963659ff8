"""The native Perfetto trace, decoded with the perfetto package's own protos and checked
against the event stream it was written from."""

from __future__ import annotations

import io
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from vtrace.cli import main
from vtrace.cli.env import Environment
from vtrace.model import Event, Header, Kind
from vtrace.renderers.perfetto import GUEST_PID, HOST_PID, MISSING, PerfettoRenderer, side_of
from vtrace.session import Session, replayed
from vtrace.sources.lab import load

pb2 = pytest.importorskip("perfetto.protos.perfetto.trace.perfetto_trace_pb2",
                          reason="needs the perfetto package (pip install 'vtrace[perfetto]')")
LAB = Path(__file__).parent / "data" / "lab" / "recv-2"


def decoded(header: Header, events: list[Event]) -> list[Any]:
    out = io.BytesIO()
    PerfettoRenderer().render(Session(header, events), out)
    return list(pb2.Trace.FromString(out.getvalue()).packet)


class Structure:
    """What the decoded packets say: processes, threads, slices, flows, counters."""

    def __init__(self, packets: list[Any]) -> None:
        self.processes: dict[int, str] = {}
        self.threads: dict[int, tuple[int, str]] = {}  # uuid -> (pid, name)
        self.counters: dict[int, tuple[int, str]] = {}
        self.slices: list[tuple[int, int, str, dict[str, Any], list[int], list[str]]] = []
        self.values: dict[tuple[int, str], list[int]] = defaultdict(list)
        depth: dict[int, int] = defaultdict(int)
        for packet in sorted(packets, key=lambda p: p.timestamp):  # as the trace processor
            if packet.HasField("track_descriptor"):
                track = packet.track_descriptor
                if track.HasField("process"):
                    self.processes[track.process.pid] = track.process.process_name
                elif track.HasField("thread"):
                    self.threads[track.uuid] = (track.thread.pid, track.thread.thread_name)
                else:
                    assert track.HasField("counter")
                    self.counters[track.uuid] = (track.parent_uuid, track.name)
                continue
            event = packet.track_event
            if event.type == event.TYPE_SLICE_BEGIN:
                depth[event.track_uuid] += 1
                assert depth[event.track_uuid] == 1  # slices on a thread never overlap
                notes = {note.name: note.string_value or note.int_value
                         for note in event.debug_annotations}
                self.slices.append((packet.timestamp, event.track_uuid, event.name, notes,
                                    list(event.flow_ids), list(event.categories)))
            elif event.type == event.TYPE_SLICE_END:
                depth[event.track_uuid] -= 1
                assert depth[event.track_uuid] == 0
            else:
                assert event.type == event.TYPE_COUNTER
                self.values[self.counters[event.track_uuid]].append(event.counter_value)
        assert all(value == 0 for value in depth.values())


@pytest.mark.parametrize("backend", ["qemu", "vhost-net"])
def test_every_call_is_a_slice_on_its_side_and_thread(backend: str) -> None:
    session = replayed("send", {"frames": 3, "backend": backend}, "modern", 1)
    events = list(session.events())
    found = Structure(decoded(session.header, events))
    assert found.processes == {GUEST_PID: "guest", HOST_PID: "host"}
    threads = set(found.threads.values())
    worker = "qemu-main" if backend == "qemu" else "vhost-worker"
    assert {(GUEST_PID, "vcpu0"), (HOST_PID, "vcpu0"), (HOST_PID, worker)} <= threads
    calls = [event for event in events if event.kind is Kind.CALL]
    assert len(found.slices) == len(calls)
    by_seq = {notes["seq"]: (t_ns, track, name, flows, categories)
              for t_ns, track, name, notes, flows, categories in found.slices}
    for event in calls:
        t_ns, track, name, flows, categories = by_seq[event.seq]
        assert (t_ns, name, categories) == (event.t_ns, event.function, ["modelled"])
        assert found.threads[track] == (side_of(event.layer), event.thread)
        assert flows == ([] if event.frame is None else [event.frame + 1])


def test_each_frame_flows_across_the_guest_host_boundary() -> None:
    session = replayed("recv", {"frames": 3}, "modern", 1)
    found = Structure(decoded(session.header, list(session.events())))
    sides: dict[int, set[int]] = defaultdict(set)
    for _, track, _, _, flows, _ in found.slices:
        for flow in flows:
            sides[flow].add(found.threads[track][0])
    assert sides == {frame + 1: {GUEST_PID, HOST_PID} for frame in range(3)}


def test_the_ring_indices_are_counter_tracks_of_the_side_that_writes_them() -> None:
    session = replayed("send", {"frames": 3}, "modern", 1)
    events = list(session.events())
    found = Structure(decoded(session.header, events))
    expected: dict[tuple[int, str], list[int]] = defaultdict(list)
    for event in events:
        if event.kind is Kind.STATE:
            for name, value in event.detail["writes"].items():
                expected[side_of(event.layer), name].append(value)
    assert found.values == expected
    assert found.values[GUEST_PID, "avail.idx"] == [1, 2, 3]
    assert found.values[HOST_PID, "used.idx"] == [1, 2, 3]


def test_a_capture_is_marked_captured() -> None:
    header, events = load(LAB)
    found = Structure(decoded(header, list(events)))
    assert found.processes == {GUEST_PID: "guest (captured)", HOST_PID: "host (captured)"}
    assert found.slices and {tuple(categories) for *_, categories in found.slices} == {
        ("captured",)}
    assert {notes["source"] for _, _, _, notes, _, _ in found.slices} >= {
        "guest-ftrace", "host-uprobe"}


def test_vtrace_diagram_writes_it_by_extension(tmp_path: Path) -> None:
    path = tmp_path / "run.perfetto-trace"
    with pytest.raises(SystemExit) as exited:
        main(["diagram", str(path), "-n", "2"])
    assert exited.value.code == 0
    assert Structure(list(pb2.Trace.FromString(path.read_bytes()).packet)).slices


def test_without_the_package_one_line_names_the_extra(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "perfetto.protos.perfetto.trace.perfetto_trace_pb2", None)
    path, stderr = tmp_path / "run.perfetto-trace", io.StringIO()
    args = ["diagram", str(path)]
    with pytest.raises(SystemExit) as exited:
        main(args, Environment(argv=tuple(args), stdout=io.StringIO(), stderr=stderr))
    assert exited.value.code == 1
    assert stderr.getvalue() == f"vtrace diagram: error: {MISSING}\n"
    assert not path.exists()
