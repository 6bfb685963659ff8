"""Real lab captures (trimmed, committed): one clock, frames by datagram, catalog places."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from vtrace.model import Event, Kind, Source
from vtrace.sources.lab import LabError, LogFit, clock_offset, load, log_fit

DATA = Path(__file__).parent / "data" / "lab"


def events_of(name: str) -> list[Event]:
    return list(load(DATA / name)[1])


def test_the_header_says_what_ran() -> None:
    header, _ = load(DATA / "send-1")
    assert header.scenario == "send" and header.source is Source.TRACE
    assert header.params["era"] == "modern" and header.params["frames"] == 3
    assert header.params["alignment"]["spread_ns"] < 20_000


def test_events_are_numbered_in_time_order_from_zero() -> None:
    events = events_of("send-1")
    assert [event.seq for event in events] == list(range(len(events)))
    assert events[0].t_ns == 0
    assert all(a.t_ns <= b.t_ns for a, b in zip(events, events[1:], strict=False))
    assert {event.source for event in events} == {Source.GUEST_FTRACE, Source.QEMU_LOG,
                                                  Source.HOST_UPROBE, Source.HOST_TRACEPOINT}


def first(events: list[Event], function: str, frame: int, source: Source) -> Event:
    return next(e for e in events
                if e.function == function and e.frame == frame and e.source is source)


@pytest.mark.parametrize("frame", [1, 2, 3])
def test_a_guest_kick_lies_between_the_host_events_that_bracket_it(frame: int) -> None:
    events = events_of("send-1")
    kick = first(events, "vp_notify", frame, Source.GUEST_FTRACE)
    before = [e for e in events if e.source is Source.HOST_UPROBE and e.t_ns < kick.t_ns
              and e.function == "qemu_sendv_packet_async"]
    read = first(events, "virtio_queue_host_notifier_read", frame, Source.HOST_UPROBE)
    sent = first(events, "qemu_sendv_packet_async", frame, Source.HOST_UPROBE)
    irq = first(events, "vring_interrupt", frame, Source.GUEST_FTRACE)
    assert before and before[-1].frame == frame - 1  # the previous datagram left earlier
    assert kick.t_ns < read.t_ns < sent.t_ns < irq.t_ns
    assert read.t_ns - kick.t_ns < 500_000


def test_frames_are_told_by_the_datagram() -> None:
    events = events_of("send-1")
    probes = [e for e in events if e.function == "qemu_sendv_packet_async"
              and e.detail.get("seqch", "").isdigit()]
    assert all(e.frame == int(e.detail["seqch"]) for e in probes)
    markers = [e for e in events if e.detail.get("text", "").startswith("app write()")]
    assert [e.frame for e in markers] == [1, 1, 2, 2, 3, 3]


def test_recv_host_send_comes_before_the_guest_receive() -> None:
    events = events_of("recv-1")
    for frame in (1, 2, 3):
        sent = first(events, "sys_sendto", frame, Source.HOST_TRACEPOINT)
        read = first(events, "tap_read_packet", frame, Source.HOST_UPROBE)
        got = first(events, "receive_buf", frame, Source.GUEST_FTRACE)
        assert sent.t_ns < read.t_ns < got.t_ns


def test_catalog_places_for_the_reported_versions_and_marked_strangers() -> None:
    events = events_of("send-1")
    start = next(e for e in events if e.function == "start_xmit")
    assert (start.version, start.line, start.file) == ("6.1", 1886, "drivers/net/virtio_net.c")
    pop = next(e for e in events if e.function == "virtqueue_pop")
    assert (pop.project, pop.version, pop.line) == ("qemu", "7.2", 2230)
    stranger = next(e for e in events if e.function == "net_dev_queue")
    assert stranger.detail["in_catalog"] is False and stranger.line is None
    assert stranger.step == "net_dev_queue" and stranger.actor == "stack"


def test_an_unknown_kernel_version_keeps_every_place_outside_the_catalog(tmp_path: Path) -> None:
    copy = tmp_path / "cap"
    shutil.copytree(DATA / "send-1", copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["guest"]["kernel"] = "5.10.0-1-amd64"
    (copy / "manifest.json").write_text(json.dumps(manifest))
    header, events = load(copy)
    guest = [e for e in events if e.source is Source.GUEST_FTRACE]
    assert "era" not in header.params
    assert all(e.detail.get("in_catalog") is False for e in guest)
    assert next(e for e in guest if e.function == "start_xmit").version == "5.10.0-1-amd64"


def test_a_missing_manifest_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(LabError, match="no manifest.json"):
        load(tmp_path)


def test_the_clock_offset_is_the_smallest_latency_of_a_consistent_pairing() -> None:
    guest = [100, 200, 300]
    host = [5, 1103, 1150, 1201, 1304, 9000]
    assert clock_offset(guest, host) == (1001, 3)
    with pytest.raises(LabError):
        clock_offset([], host)


@pytest.mark.parametrize("capture", ["send-1", "recv-1"])
def test_qemu_log_events_sit_just_after_their_uprobe_twins(capture: str) -> None:
    events = events_of(capture)
    checked = 0
    for name in ("virtqueue_fill", "virtqueue_flush", "virtio_notify"):
        probes = [e.t_ns for e in events if e.function == name
                  and e.source is Source.HOST_UPROBE and e.kind is Kind.CALL]
        if not probes:
            continue  # send probes no virtqueue_fill
        for logged in (e for e in events if e.function == name and e.source is Source.QEMU_LOG):
            before = [t for t in probes if t <= logged.t_ns]
            assert before and logged.t_ns - before[-1] < 3_000, (name, logged.seq)
            checked += 1
    assert checked >= 19


def test_without_shared_functions_the_log_keeps_its_calibrated_clock() -> None:
    assert log_fit({"virtqueue_flush": [1_000]}, {"virtio_notify": [900]}) == LogFit()
    fit = log_fit({"virtqueue_flush": [1_000, 2_001_000]},
                  {"virtqueue_flush": [1_500, 2_001_520]})
    assert fit.ns(1_000) == 1_500 and 2_001_520 <= fit.ns(2_001_000) <= 2_001_522
