"""ftrace text: every line shape, line-numbered errors, and a million lines in bounded memory."""

from __future__ import annotations

import itertools
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from vtrace.sources import TraceSyntaxError
from vtrace.sources.ftrace import LineKind, fields, parse, read


def one(line: str) -> tuple[object, ...]:
    (record,) = list(parse([line]))
    return record.comm, record.tid, record.cpu, record.ts, record.kind, record.name, \
        record.parent, record.body


def test_a_function_line_with_a_spaced_dashed_comm() -> None:
    assert one(" CPU 0/TCG-my-1234 [001] d.h1. 1000: udp_sendmsg <-inet_sendmsg\r\n") == (
        "CPU 0/TCG-my", 1234, 1, 1000, LineKind.FUNCTION, "udp_sendmsg", "inet_sendmsg", "")


def test_seconds_become_nanoseconds() -> None:
    assert one("  a-1 [000] ..... 12.5: f <-g")[3] == 12_500_000_000


def test_tracepoint_marker_and_system_calls() -> None:
    assert one("  a-1 [000] ..... 5: net_dev_xmit: dev=eth0 len=54 rc=0")[4:6] == (
        LineKind.EVENT, "net_dev_xmit")
    assert one("  a-1 [000] ..... 5: tracing_mark_write: app write() begin seq=1")[7] == \
        "app write() begin seq=1"
    assert one("  a-1 [000] ..... 5: sys_write(fd: 3, buf: 4b2340, count: c)")[4:6] == (
        LineKind.SYSCALL, "sys_write")
    assert one("  a-1 [000] ..... 5: sys_write -> 0xc")[4:] == (
        LineKind.SYSCALL_RETURN, "sys_write", "", "0xc")


def test_uprobes_and_return_probes() -> None:
    hit = one(" qemu-system-x86-9 [001] DBZff 7: virtqueue_pop: (0x55d0) vq=0x1")
    assert hit[4:] == (LineKind.PROBE, "virtqueue_pop", "0x55d0", "vq=0x1")
    back = one(" q-9 [001] DBZff 7: grp/virtqueue_pop__return: (0x55e0 <- 0x55d0) ret=0x0")
    assert back[4:] == (LineKind.PROBE_RETURN, "virtqueue_pop", "0x55d0", "ret=0x0")
    assert fields("iovcnt=2 len0=66 seqch='1' name=\"vtap0\"") == {
        "iovcnt": "2", "len0": "66", "seqch": "1", "name": "vtap0"}


def test_trace_cmd_report_lines() -> None:
    assert one("  tc-12 [000] 1.000001: function:      __dev_queue_xmit <-- ip_output")[4:7] == (
        LineKind.FUNCTION, "__dev_queue_xmit", "ip_output")
    records = list(parse(["  tc-12 [000] 1.0: funcgraph_entry:   |  start_xmit() {",
                          "  tc-12 [000] 1.1: funcgraph_exit:  1.234 us  |  }"]))
    assert [(r.kind, r.name) for r in records] == [(LineKind.ENTRY, "start_xmit"),
                                                   (LineKind.EXIT, "start_xmit")]


def test_function_graph_lines_keep_the_call_stack() -> None:
    records = list(parse([
        "# tracer: function_graph",
        " 1234.567890 |   0)  udpsend-85    |               |  start_xmit [virtio_net]() {",
        " 1234.567891 |   0)  udpsend-85    |   0.123 us    |    virtqueue_add_outbuf();",
        " 1234.567895 |   0)  udpsend-85    | + 15.000 us   |  }",
        " ------------------------------------------",
        " 0)   <idle>-0    =>  udpsend-85",
        " 0)               |  vp_notify() {",
    ]))
    assert [(r.kind, r.name, r.tid) for r in records] == [
        (LineKind.ENTRY, "start_xmit", 85), (LineKind.LEAF, "virtqueue_add_outbuf", 85),
        (LineKind.EXIT, "start_xmit", 85), (LineKind.ENTRY, "vp_notify", -1)]
    assert records[0].ts == 1234_567890_000 and records[3].ts is None


@pytest.mark.parametrize("bad", ["hello world", "  a-1 [000] ..... 5: ???", "  0) | ) ("])
def test_a_malformed_line_names_its_file_and_number(bad: str) -> None:
    lines = ["# tracer: function", "  a-1 [000] ..... 5: f <-g", bad]
    with pytest.raises(TraceSyntaxError, match=r"^t\.txt:3: "):
        list(parse(lines, "t.txt"))


def _million() -> Iterator[str]:
    shapes = ("  udpsend-85 [000] ..... 1000: udp_sendmsg <-inet_sendmsg\n",
              "  udpsend-85 [000] b.... 1001: net_dev_xmit: dev=eth0 len=54 rc=0\n",
              " q-9 [001] DBZff 1002: virtqueue_pop: (0x55d0) vq=0x1\n")
    return itertools.islice(itertools.cycle(shapes), 1_000_000)


def test_a_million_lines_stream_in_bounded_memory() -> None:
    tracemalloc.start()
    try:
        count = sum(1 for _ in parse(_million()))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 1_000_000
    assert peak < 2_000_000  # a list of the records would take hundreds of MB


def test_records_come_lazily() -> None:
    records = parse(itertools.chain(["  a-1 [000] ..... 5: f <-g"], iter(["bad line"])))
    assert next(records).name == "f"
    with pytest.raises(TraceSyntaxError):
        next(records)


def test_a_file_splits_at_newlines_only(tmp_path: Path) -> None:
    trace = tmp_path / "host.txt"
    trace.write_bytes(b" q-9 [001] DBZff 7: tap_read_packet: (0x55d0) c='\r'\r\n"
                      b"  a-1 [000] ..... 8: f <-g")
    records = list(read(trace))
    assert [(r.number, r.name, r.body) for r in records] == [
        (1, "tap_read_packet", "c='\r'"), (2, "f", "")]


def test_every_record_is_right_however_many_shapes_the_trace_has() -> None:
    lines = [f"  t{n % 40}-{n % 40} [00{n % 3}] ..... {n}: f{n % 3000} <-g" for n in range(9000)]
    records = list(parse(lines))
    assert all((r.comm, r.tid, r.cpu, r.ts, r.name) == (f"t{n % 40}", n % 40, n % 3, n,
                                                        f"f{n % 3000}")
               for n, r in enumerate(records))
