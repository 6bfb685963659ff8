"""Trace files as tracers write them (tests/data/traces, see its README): every record kept,
interleaved events as events, markers, lost records, CPU banners, trace-cmd, retis and pwru."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from conftest import program

from vtrace.model import Kind
from vtrace.sources import TraceError, TraceSyntaxError
from vtrace.sources.files import Imported, open_traces
from vtrace.sources.ftrace import LineKind, parse, read
from vtrace.sources.registry import detect, formats

TRACES = Path(__file__).parent / "data" / "traces"
needs_trace_cmd = program("trace-cmd", "trace-cmd")


def kinds(name: str) -> Counter[LineKind]:
    return Counter(record.kind for record in read(TRACES / name))


def test_function_graph_keeps_its_interleaved_events_and_markers() -> None:
    records = list(read(TRACES / "fgraph-events.txt"))
    comments = [(record.kind, record.name, record.body) for record in records
                if record.kind in (LineKind.SYSCALL, LineKind.SYSCALL_RETURN, LineKind.EVENT,
                                   LineKind.PRINT)]
    assert (LineKind.SYSCALL, "sys_write", "fd: 4, buf: 7ffd711ee150, count: 18") in comments
    assert (LineKind.PRINT, "tracing_mark_write", "app write() begin seq=1") in comments
    assert (LineKind.SYSCALL_RETURN, "sys_write", "0x18") in comments
    assert (LineKind.EVENT, "net_dev_xmit",
            "dev=eth0 skbaddr=(____ptrval____) len=54 rc=0") in comments
    calls = [record.name for record in records if record.kind is LineKind.ENTRY]
    assert calls[:3] == ["start_xmit", "free_old_xmit_skbs", "virtqueue_get_buf"]
    assert all(record.ts is not None for record in records)  # funcgraph-abstime


def test_function_graph_without_times_nests_an_interrupt_and_keeps_its_event() -> None:
    records = list(read(TRACES / "fgraph-irq.txt"))
    assert any(record.kind is LineKind.EVENT and record.name == "irq_handler_entry"
               and record.cpu == 0 for record in records)
    entries = sum(record.kind is LineKind.ENTRY for record in records)
    exits = sum(record.kind is LineKind.EXIT for record in records)
    assert entries and abs(entries - exits) <= 2  # the capture ends inside a call


def test_lost_records_are_kept_as_notes_of_no_frame() -> None:
    lost = [record for record in read(TRACES / "lost-events.txt")
            if record.kind is LineKind.LOST]
    assert [(record.cpu, record.body) for record in lost] == [(1, "344"), (0, "934")]
    header, events = open_traces([TRACES / "lost-events.txt"])
    notes = [event for event in events if event.function == "lost_events"]
    assert [event.detail["lost"] for event in notes] == [344, 934]
    assert all(event.kind is Kind.NOTE and event.frame is None for event in notes)


def test_a_cpu_buffer_banner_is_skipped() -> None:
    assert "##### CPU 1 buffer started ####" in (TRACES / "cpu-buffer-started.txt").read_text()
    counted = kinds("cpu-buffer-started.txt")
    assert counted[LineKind.FUNCTION] > 0 and counted[LineKind.PRINT] == 6


@pytest.mark.parametrize("line", [
    " 1)               |  /* sys_write(fd: 4, buf: 7fff2a015a10, count: 18) */",
    "   20.091539 |   1)  udpsend-101   |               |  /* sys_write -> 0x18 */",
    " 0)               |  /* irq_handler_entry: irq=26 name=virtio0-output.0 */",
    " 1)               |  /* app write() end seq=1 */",
])
def test_every_function_graph_comment_is_an_event(line: str) -> None:
    (record,) = list(parse([line]))
    assert record.kind in (LineKind.SYSCALL, LineKind.SYSCALL_RETURN, LineKind.EVENT,
                           LineKind.PRINT)


def test_trace_cmd_report_text_imports_with_its_frames() -> None:
    records = list(read(TRACES / "send-function.report.txt"))
    markers = [record.body for record in records if record.kind is LineKind.PRINT]
    # trace-cmd prints the writer's nearest symbol first; the text is what was written
    assert markers[0] == "app write() begin seq=1"
    _, events = open_traces([TRACES / "send-function.report.txt"])
    assert {event.frame for event in events} >= {1, 2, 3}


@needs_trace_cmd
def test_a_dat_file_reads_through_trace_cmd_report() -> None:
    assert detect(TRACES / "send-function.dat").name == "trace-cmd"
    header, events = open_traces([TRACES / "send-function.dat"])
    names = [event.function for event in events]
    assert header.params["kernels"] == {"send-function.dat": "6.1.0-57-amd64"}
    assert names.count("vp_notify") == 3 and "udp_sendmsg" in names


@needs_trace_cmd
def test_two_dat_files_merge_through_one_report() -> None:
    header, events = open_traces([TRACES / "send-graph.dat", TRACES / "send-function.dat"])
    times = [event.t_ns for event in events]
    assert times == sorted(times) and len(times) > 1000


def test_without_trace_cmd_a_dat_file_names_the_package(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from vtrace.sources.tracecmd import TraceCmdMissing

    monkeypatch.setattr("vtrace.sources.tracecmd.shutil.which", lambda name: None)
    with pytest.raises(TraceCmdMissing, match="apt-get install trace-cmd"):
        open_traces([TRACES / "send-function.dat"])


def test_retis_events_map_frames_by_payload_and_report_the_unmapped() -> None:
    imported = Imported()
    header, events = open_traces([TRACES / "retis-send.json"], imported=imported)
    seen = list(events)
    assert header.params["formats"] == ["retis"]
    framed = Counter(event.frame for event in seen)
    assert framed[None] == 3 and framed[1] == framed[2] == framed[3] == 6  # the ARP: no frame
    kinds_of = {(event.function, event.kind) for event in seen}
    assert ("tun_rx_batched", Kind.RETURN) in kinds_of
    assert ("netif_receive_skb", Kind.NOTE) in kinds_of
    assert imported.unmapped == {"consume_skb": 4}


def test_pwru_events_number_frames_by_skb() -> None:
    imported = Imported()
    _, events = open_traces([TRACES / "pwru-send.json"], imported=imported)
    seen = list(events)
    assert [event.frame for event in seen[:2]] == [None, 0]
    assert {event.frame for event in seen[1:]} == {0, 1, 2}
    assert "__netif_receive_skb_core" in imported.unmapped  # a compiler clone, by its name
    assert imported.unmapped["kfree_skb_reason"] == 1


def test_a_bad_json_line_is_refused_with_its_number(tmp_path: Path) -> None:
    bad = tmp_path / "retis.json"
    lines = (TRACES / "retis-send.json").read_text().splitlines()
    bad.write_text("\n".join([*lines[:3], "{not json", *lines[3:]]) + "\n")
    with pytest.raises(TraceSyntaxError, match=r"retis.json:4: not JSON"):
        list(open_traces([bad])[1])


def test_each_format_is_registered_by_its_own_module() -> None:
    registered = formats()
    assert list(registered) == ["lab", "trace-cmd", "retis", "pwru", "qemu-log", "ftrace"]
    assert {fmt.name: fmt.sniff.__module__ for fmt in registered.values()} == {
        "lab": "vtrace.sources.lab", "trace-cmd": "vtrace.sources.tracecmd",
        "retis": "vtrace.sources.retis", "pwru": "vtrace.sources.pwru",
        "qemu-log": "vtrace.sources.qemu_log", "ftrace": "vtrace.sources.ftrace"}
    for name, path in [("ftrace", "fgraph-events.txt"), ("retis", "retis-send.json"),
                       ("pwru", "pwru-send.json"), ("trace-cmd", "send-function.dat")]:
        assert detect(TRACES / path).name == name


@needs_trace_cmd
def test_merged_dat_files_need_different_names(tmp_path: Path) -> None:
    for side in ("host", "guest"):
        (tmp_path / side).mkdir()
        (tmp_path / side / "trace.dat").write_bytes((TRACES / "send-function.dat").read_bytes())
    with pytest.raises(TraceError, match="different names"):
        open_traces([tmp_path / "host" / "trace.dat", tmp_path / "guest" / "trace.dat"])


def test_pwru_times_absolute_relative_and_none(tmp_path: Path) -> None:
    lines = ['{"skb":"0x1","process":"/bin/a:7","func":"ip_rcv","time":"10:00:01.250"}',
             '{"skb":"0x1","process":"/bin/a:7","func":"udp_rcv","time":3000}',
             '{"skb":"0x1","process":"/bin/a:7","func":"udp_queue_rcv_skb"}',
             '{"skb":"0x1","process":"/bin/a:7","func":"sock_def_readable","time":"10:00:01.5"}']
    path = tmp_path / "pwru.json"
    path.write_text("\n".join(lines) + "\n")
    _, events = open_traces([path])
    # a relative delta and a missing time keep the time before them
    assert [(event.function, event.t_ns, event.thread) for event in events] == [
        ("ip_rcv", 0, "a"), ("udp_rcv", 0, "a"), ("udp_queue_rcv_skb", 0, "a"),
        ("sock_def_readable", 250_000_000, "a")]
    assert detect(path).name == "pwru"


@pytest.mark.parametrize(("line", "count"), [("CPU:1 [LOST 344 EVENTS]", "344"),
                                             ("CPU:7 [204600 EVENTS DROPPED]", "204600"),
                                             ("CPU:0 [EVENTS DROPPED]", "")])
def test_every_lost_records_line(line: str, count: str) -> None:
    (record,) = list(parse([line]))
    assert record.kind is LineKind.LOST and record.body == count


def test_trace_cmd_reports_chatter_is_skipped() -> None:
    assert list(parse(["version = 7", "cpus=2", "CPU 1 is empty"])) == []
