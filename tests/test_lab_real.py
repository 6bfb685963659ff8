"""Real lab runs: a Debian guest under QEMU, captured on every layer, and nothing left behind.

One ``send`` and one ``recv`` capture of three frames are shared by the
tests of each mode; more runs are stopped by a signal in each phase (prepare,
boot, send, collect), one of them by a second signal during its clean-up.
While each run goes, what it made is watched (tap, tracefs mount, instance,
uprobes, QEMU, all named after its pid); after it, none of it may be left,
and the host has nothing it had not before.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cli_run import interruptible
from conftest import lab, program
from lab_host import NOTHING, host_state, left_behind, whole_host

from vtrace.lab import Backend, LabError, LabParams, Scenario, capture
from vtrace.lab.prereq import HostView

pytestmark = lab()

LAB = [sys.executable, "-m", "vtrace", "lab"]


@dataclass(frozen=True)
class Capture:
    directory: Path
    manifest: dict[str, Any]
    stderr: str
    seen: set[str]  # the kinds of host state the run was seen to make
    after: dict[str, object]
    pid: int = 0
    stdout: str = ""

    def text(self, key: str) -> str:
        name = self.manifest["files"][key]
        assert isinstance(name, str)
        return (self.directory / name).read_bytes().decode("latin-1")


def watched(run: subprocess.Popen[str], timeout_s: float) -> set[str]:
    """Until ``run`` ends: the kinds of host state it made, looked at every 0.1 s."""
    seen: set[str] = set()
    end = time.monotonic() + timeout_s
    while run.poll() is None:
        seen |= {kind for kind, items in host_state(run.pid).items() if items}
        assert time.monotonic() < end, "the run took too long"
        time.sleep(0.1)
    return seen


def run_capture(scenario: str, directory: Path, *options: str) -> Capture:
    printed = directory.parent / f"{directory.name}-stdout.txt"
    with printed.open("w") as stdout:
        run = subprocess.Popen([*LAB, scenario, "--frames", "3", "--save", str(directory),
                                *options], stdout=stdout, stderr=subprocess.PIPE, text=True)
        try:
            seen = watched(run, 280)
        finally:
            if run.poll() is None:
                run.kill()
    assert run.stderr is not None
    stderr = run.stderr.read()
    assert run.wait() == 0, stderr
    manifest = json.loads((directory / "manifest.json").read_text())
    return Capture(directory, manifest, stderr, seen, host_state(run.pid), run.pid,
                   printed.read_text())


@pytest.fixture(scope="module")
def sent(tmp_path_factory: pytest.TempPathFactory) -> Capture:
    where = tmp_path_factory.mktemp("lab")
    return run_capture("send", where / "send", "--pcap", str(where / "copy.pcap"), "--compare")


@pytest.fixture(scope="module")
def sent_without_ioeventfd(tmp_path_factory: pytest.TempPathFactory) -> Capture:
    return run_capture("send", tmp_path_factory.mktemp("lab") / "send-exit", "--no-ioeventfd")


@pytest.fixture(scope="module")
def received(tmp_path_factory: pytest.TempPathFactory) -> Capture:
    return run_capture("recv", tmp_path_factory.mktemp("lab") / "recv", "--compare")


@pytest.fixture(scope="module")
def sent_packed(tmp_path_factory: pytest.TempPathFactory) -> Capture:
    return run_capture("send", tmp_path_factory.mktemp("lab") / "send-packed", "--ring",
                       "packed", "--compare")


@pytest.fixture(scope="module")
def received_packed(tmp_path_factory: pytest.TempPathFactory) -> Capture:
    return run_capture("recv", tmp_path_factory.mktemp("lab") / "recv-packed", "--ring",
                       "packed", "--compare")


@pytest.fixture(scope="module")
def sent_tcp(tmp_path_factory: pytest.TempPathFactory) -> Capture:
    return run_capture("send", tmp_path_factory.mktemp("lab") / "send-tcp", "--proto", "tcp",
                       "--size", "65000", "--compare")


@pytest.fixture(scope="module")
def received_tcp(tmp_path_factory: pytest.TempPathFactory) -> Capture:
    return run_capture("recv", tmp_path_factory.mktemp("lab") / "recv-tcp", "--proto", "tcp",
                       "--size", "65000", "--compare")


@pytest.fixture(scope="module")
def received_tcp_segments(tmp_path_factory: pytest.TempPathFactory) -> Capture:
    return run_capture("recv", tmp_path_factory.mktemp("lab") / "recv-gro", "--proto", "tcp",
                       "--size", "65000", "--features", "-guest_tso4", "--compare")


@pytest.fixture(scope="module")
def received_big(tmp_path_factory: pytest.TempPathFactory) -> Capture:
    return run_capture("recv", tmp_path_factory.mktemp("lab") / "recv-big", "--features",
                       "-mrg_rxbuf", "--compare")


@pytest.fixture(scope="module")
def received_two_queues(tmp_path_factory: pytest.TempPathFactory) -> Capture:
    return run_capture("recv", tmp_path_factory.mktemp("lab") / "recv-2q", "--queues", "2",
                       "--compare")


@pytest.fixture(scope="module")
def sent_two_queues(tmp_path_factory: pytest.TempPathFactory) -> Capture:
    return run_capture("send", tmp_path_factory.mktemp("lab") / "send-2q", "--queues", "2",
                       "--compare")


#: Every capture of this module, by fixture name, and its parameters other than the defaults.
CAPTURES: dict[str, dict[str, object]] = {
    "sent": {}, "sent_without_ioeventfd": {"ioeventfd": False}, "received": {},
    "sent_packed": {"ring": "packed"}, "received_packed": {"ring": "packed"},
    "sent_tcp": {"size": 65000, "proto": "tcp"}, "sent_two_queues": {"queues": 2},
    "received_tcp": {"size": 65000, "proto": "tcp", "warm": True},
    "received_two_queues": {"queues": 2},
    "received_big": {"features": "-mrg_rxbuf"},
    "received_tcp_segments": {"size": 65000, "proto": "tcp", "warm": True,
                              "features": "-guest_tso4"}}


def lines_with(text: str, pattern: str) -> list[str]:
    return [line for line in text.splitlines() if re.search(pattern, line)]


@pytest.mark.parametrize("scenario", list(CAPTURES))
def test_a_run_leaves_the_host_as_it_found_it(scenario: str,
                                              request: pytest.FixtureRequest) -> None:
    capture: Capture = request.getfixturevalue(scenario)
    assert capture.seen == set(NOTHING)  # each kind was there while it ran
    assert capture.after == NOTHING
    assert not any(name.startswith(".vtrace-lab-") for name in
                   os.listdir(capture.directory.parent))


@pytest.mark.parametrize("scenario", list(CAPTURES))
def test_the_manifest_names_the_versions_clocks_tap_and_files(
        scenario: str, request: pytest.FixtureRequest) -> None:
    capture: Capture = request.getfixturevalue(scenario)
    manifest = capture.manifest
    assert manifest["format"] == "vtrace-lab/1" and manifest["clock"] == "x86-tsc"
    assert manifest["scenario"] == ("recv" if scenario.startswith("received") else "send")
    assert manifest["params"] == {"frames": 3, "size": 54, "ioeventfd": True,
                                  "backend": "qemu", "accel": manifest["params"]["accel"],
                                  "ring": "split", **CAPTURES[scenario]}
    assert ("ring_packed" in manifest["guest"]["features"]) == scenario.endswith("_packed")
    assert ("mq" in manifest["guest"]["features"]) == scenario.endswith("two_queues")
    assert ("rss" in manifest["guest"]["features"]) == (scenario == "received_two_queues")
    assert {"event_idx", "indirect_desc"} <= set(manifest["guest"]["features"])
    assert ("mrg_rxbuf" in manifest["guest"]["features"]) == (scenario != "received_big")
    shown = subprocess.run(["/usr/bin/qemu-system-x86_64", "--version"], capture_output=True,
                           text=True, check=True).stdout
    assert f"version {manifest['qemu']['version']}" in shown
    assert re.fullmatch(r"6\.1\.\d+-\d+-amd64", manifest["guest"]["kernel"])
    assert manifest["host"]["kernel"] == os.uname().release
    assert "CPU 0/TCG" in manifest["qemu"]["threads"].values() or \
        "CPU 0/KVM" in manifest["qemu"]["threads"].values()
    if scenario.endswith("two_queues"):
        assert re.search(r"CPU 1/(TCG|KVM)", " ".join(manifest["qemu"]["threads"].values()))
    calibration = manifest["calibration"]
    assert len(calibration) >= 2
    assert [point["tsc"] for point in calibration] == sorted(p["tsc"] for p in calibration)
    assert manifest["payload"] == "vtrace seq="
    assert set(manifest["timings"]) == {"prepare", "boot", manifest["scenario"], "collect"}
    for name in manifest["files"].values():
        assert (capture.directory / name).stat().st_size > 0
    assert isinstance(manifest["tap"]["fd"], int)
    assert not (Path("/sys/class/net") / manifest["tap"]["name"]).exists()


def test_sending_is_seen_in_the_guest_kernel(sent: Capture) -> None:
    guest = sent.text("guest_trace")
    assert "\r\n" in guest and "# vtrace-guest-trace end" in guest
    for seq in (1, 2, 3):
        assert lines_with(guest, rf"tracing_mark_write: app write\(\) begin seq={seq}$")
    assert lines_with(guest, r" start_xmit <-dev_hard_start_xmit")
    assert len(lines_with(guest, r" vp_notify <-virtqueue_notify")) >= 3
    assert lines_with(guest, r"net_dev_xmit: dev=eth0 .* len=54")
    assert not lines_with(guest, "app write\\(\\) begin seq=0")  # the warm-up is outside


def test_sending_is_seen_by_qemu_and_the_host(sent: Capture) -> None:
    host, tap = sent.text("host_trace"), sent.manifest["tap"]["name"]
    assert len(lines_with(host, r"^ *CPU 0/\w+-\d+ .* event_notifier_set: ")) >= 3
    assert len(lines_with(host, r" virtio_queue_host_notifier_read: ")) >= 3
    for seq in (1, 2, 3):
        assert lines_with(host, rf" qemu_sendv_packet_async: .* len0=66 seqch='{seq}'$")
    assert len(lines_with(host, rf" netif_receive_skb: dev={tap} .*len=40")) >= 4
    assert lines_with(host, rf"sys_writev\(fd: {sent.manifest['tap']['fd']:x},")
    for seq in (0, 1, 2, 3):
        assert lines_with(host, rf"tracing_mark_write: vtrace-host recv\(\) returned seq={seq}$")
    assert lines_with(sent.text("qemu_log"), r"^\d+@\d+\.\d{6}:virtio_queue_notify ")
    assert sent.manifest["datagrams"] == {"sent": [], "received": [0, 1, 2, 3]}


def test_without_ioeventfd_the_vcpu_thread_runs_the_queue_notify(
        sent_without_ioeventfd: Capture) -> None:
    host = sent_without_ioeventfd.text("host_trace")
    notified = lines_with(host, r"^ *CPU 0/\w+-\d+ .* virtio_queue_notify: \(0x[0-9a-f]+\) n=1$")
    assert len(notified) >= 3
    assert not lines_with(host, r" virtio_queue_host_notifier_read: ")
    assert lines_with(sent_without_ioeventfd.text("qemu_log"), r":virtio_pci_notify_write ")
    assert "ioeventfd=off" in sent_without_ioeventfd.text("cmdline")


def test_receiving_is_seen_on_every_layer(received: Capture) -> None:
    host, tap = received.text("host_trace"), received.manifest["tap"]["name"]
    for seq in (1, 2, 3):
        assert lines_with(host, rf"vtrace-host sendto\(\) begin seq={seq}$")
    assert len(lines_with(host, r" tap_read_packet: \(0x[0-9a-f]+\) fd=")) >= 3
    assert len(lines_with(host, rf" net_dev_xmit: dev={tap} ")) >= 3
    assert lines_with(host, r" sys_sendto\(fd: ")
    for seq in (1, 2, 3):
        assert lines_with(host, rf" qemu_send_packet_async: .* size=66 .*seqch='{seq}'")
    guest = received.text("guest_trace")
    assert len(lines_with(guest, r" receive_buf <-virtnet_poll")) >= 3
    assert lines_with(guest, r" udp_rcv <-")
    for seq in (1, 2, 3):
        assert lines_with(guest, rf"tracing_mark_write: app recv\(\) returned seq={seq}$")
    assert lines_with(guest, r"app write\(\) begin seq=0$")  # the clock anchor is inside
    assert "rx seq=3" in received.text("console")
    assert received.manifest["datagrams"] == {"sent": [1, 2, 3], "received": [0]}


#: Where a real 6.1 guest's ring may differ from the replay's, each for the reason printed:
#: on the receive queue, the indices neither side has moved since the ring was filled.
_EXPLAINED = re.compile(r"avail\.idx|avail_event")


@pytest.mark.parametrize(("scenario", "queue"), [("sent", "tx"), ("received", "rx")])
def test_qemus_view_of_the_ring_agrees_with_the_replay(scenario: str, queue: str,
                                                      request: pytest.FixtureRequest) -> None:
    capture: Capture = request.getfixturevalue(scenario)
    rings = json.loads((capture.directory / "ring.json").read_text())
    assert rings["format"] == "vtrace-ring/1" and rings["event_idx"] is True
    ring = rings["queues"][queue]
    assert ring["used.idx"] == ring["used_idx"] == ring["last_avail_idx"]
    assert ring["inuse"] == 0 and ring["used.idx"] >= 4  # seq 1..3 and the guest's own
    lines = capture.stdout.splitlines()
    assert f"ring of the {queue} queue after the last frame" in capture.stdout
    assert re.fullmatch(r"ring: \d+ of \d+ fields agree", lines[-1])
    rows = [re.match(r"  (\S.*?) +(\S+) +(\S+)  (agree|differ|not compared)(: .*)?$", line)
            for line in lines[lines.index(next(line for line in lines if
                                                  line.startswith("ring of the"))) + 3:-1]]
    assert all(rows)
    differ = [row for row in rows if row and row.group(4) == "differ"]
    assert all(row.group(5) for row in differ)  # each difference says why
    assert all(_EXPLAINED.fullmatch(row.group(1)) for row in differ)
    assert not (Path(tempfile.gettempdir()) / f"vtrace-qmp-{capture.pid}").exists()


def test_the_packed_send_ring_agrees_with_the_replay_field_by_field(
        sent_packed: Capture) -> None:
    rings = json.loads((sent_packed.directory / "ring.json").read_text())
    assert rings["layout"] == "packed"
    tx = rings["queues"]["tx"]
    assert tx["used_idx"] == tx["last_avail_idx"] >= 4 and tx["inuse"] == 0
    assert ",packed=on" in sent_packed.text("cmdline")
    lines = sent_packed.stdout.splitlines()
    assert "packed ring of the tx queue after the last frame" in sent_packed.stdout
    agreed = re.fullmatch(r"ring: (\d+) of (\d+) fields agree", lines[-1])
    assert agreed and agreed.group(1) == agreed.group(2) and int(agreed.group(2)) >= 18
    assert any(line.startswith("agreement (modern):") for line in lines)
    guest = sent_packed.text("guest_trace")
    assert lines_with(guest, r" virtqueue_get_buf_ctx_packed <-")
    assert len(lines_with(guest, r" vp_notify <-virtqueue_notify")) >= 3


def test_the_packed_receive_ring_agrees_with_the_replay(received_packed: Capture) -> None:
    rings = json.loads((received_packed.directory / "ring.json").read_text())
    rx = rings["queues"]["rx"]
    assert rings["layout"] == "packed" and rx["used_idx"] >= 4 and rx["inuse"] == 0
    assert [rx["desc"][slot]["len"] for slot in range(rx["used_idx"] - 3, rx["used_idx"])] \
        == [66, 66, 66]  # the 12-byte header and the 54-byte frame, one buffer each
    assert "rx seq=3" in received_packed.text("console")
    lines = received_packed.stdout.splitlines()
    assert "packed ring of the rx queue after the last frame" in received_packed.stdout
    assert re.fullmatch(r"ring: \d+ of \d+ fields agree", lines[-1])
    ring = _rows(received_packed.stdout, "packed ring of the rx queue", "ring:")
    assert ring and all(row.group(5) for row in ring if row.group(4) == "differ")


def _rows(stdout: str, first: str, last: str) -> list[re.Match[str]]:
    """The field rows of a report section of ``--compare`` (from the line starting with
    ``first`` to the line starting with ``last``)."""
    lines = stdout.splitlines()
    start = next(index for index, line in enumerate(lines) if line.startswith(first))
    end = next(index for index, line in enumerate(lines) if line.startswith(last))
    found = [re.match(r"  (\S.*?) +(\S+) +(\S+)  (agree|differ|not compared)(: .*)?$", line)
             for line in lines[start + 2:end]]
    return [row for row in found if row]


def test_a_receive_uses_one_buffer_a_frame_as_the_replay(received: Capture) -> None:
    rows = _rows(received.stdout, "packets of the run's frames as QEMU wrote", "packets:")
    assert [(row.group(1), row.group(2), row.group(3)) for row in rows
            if row.group(4) != "not compared"] == [
        (f"frame {seq} {field}", real, real) for seq in (1, 2, 3)
        for field, real in (("num_buffers", "1"), ("used len", "66"))]
    # the host's header is shown (Linux's UDP leaves the checksum to the guest: NEEDS_CSUM,
    # csum_start 34, csum_offset 6), not compared: the replay's UDP frame names none
    shown = {row.group(1): row.group(2) for row in rows if row.group(4) == "not compared"}
    assert shown["frame 1 csum_start"] == "34" and shown["frame 1 csum_offset"] == "6"
    assert "packets: 6 of 6 fields agree" in received.stdout


def test_a_packed_receive_uses_one_buffer_a_frame_too(received_packed: Capture) -> None:
    assert "packets: 6 of 6 fields agree" in received_packed.stdout


def test_a_tcp_send_carries_the_real_gso_header_of_each_block(sent_tcp: Capture) -> None:
    host = sent_tcp.text("host_trace")
    for seq in (1, 2, 3):
        block, = lines_with(host, rf" qemu_sendv_packet_async: .* iovcnt=[2-9] .* "
                                  rf"seqch='{seq}'$")
        assert re.search(r" flags=1 gso_type=1 hdr_len=66 gso_size=1448 "
                         r"csum_start=34 csum_offset=16 len0=78 ", block), block
    guest = sent_tcp.text("guest_trace")
    assert len(lines_with(guest, r"tracing_mark_write: app write\(\) begin seq=\d$")) == 3
    assert lines_with(guest, r" tcp_sendmsg <-")
    assert lines_with(guest, r"net_dev_start_xmit: dev=eth0 .* gso_size=1448 ")
    assert sent_tcp.manifest["datagrams"] == {"sent": [], "received": [1, 2, 3]}
    rows = _rows(sent_tcp.stdout, "packets of the run's frames", "packets:")
    fields = {row.group(1): row for row in rows}
    for seq in (1, 2, 3):
        for name in ("flags", "gso_type", "hdr_len", "gso_size", "csum_start", "csum_offset"):
            assert fields[f"frame {seq} {name}"].group(4) == "agree"
    assert all(row.group(5) for row in rows if row.group(4) == "differ")  # each says why
    ring = _rows(sent_tcp.stdout, "ring of the tx queue", "ring:")
    assert all(row.group(5) for row in ring if row.group(4) == "differ")
    assert not (Path(tempfile.gettempdir()) / f"vtrace-qmp-{sent_tcp.pid}").exists()


def test_a_tcp_receive_gathers_each_block_from_many_mergeable_buffers(
        received_tcp: Capture) -> None:
    host = received_tcp.text("host_trace")
    assert len(lines_with(host, r"tracing_mark_write: vtrace-host sendto\(\) begin seq=\d$")) == 3
    # each block's first packet reaches QEMU with the seq digit where the probe looks (behind
    # the 12-byte header, Ethernet, IPv4 and TCP with timestamps); whole, it is 65078 bytes
    reads = {seq: lines_with(host, rf" qemu_send_packet_async: .* seqch='{seq}'$")
             for seq in (1, 2, 3)}
    assert all(len(found) == 1 for found in reads.values()), reads
    whole = [seq for seq, (line,) in reads.items() if " size=65078 " in line]
    guest = received_tcp.text("guest_trace")
    assert len(lines_with(guest, r"tracing_mark_write: app recv\(\) returned seq=\d$")) == 3
    for function in ("tcp4_gro_receive", "tcp_v4_rcv", "tcp_recvmsg"):
        assert lines_with(guest, rf" {function} <-"), function
    assert received_tcp.manifest["datagrams"] == {"sent": [1, 2, 3], "received": []}
    # after the warm-up the guest posts page-sized buffers: a whole block (65078 bytes) takes
    # 16, as the replay of recv --warm says, num_buffers and bytes alike; a block the host's
    # TCP cut (a slow, loaded machine) says so
    rows = {row.group(1): row for row in _rows(received_tcp.stdout,
                                                "packets of the run's frames as QEMU wrote",
                                                "packets:")}
    for seq in (1, 2, 3):
        if seq in whole:
            assert [rows[f"frame {seq} {field}"].group(2, 3, 4) for field in
                    ("num_buffers", "used len")] == [("16", "16", "agree"),
                                                    ("65078", "65078", "agree")]
            # the virtio_net_hdr the host's tun_put_user wrote, as the replay writes it
            assert [rows[f"frame {seq} {field}"].group(2, 4) for field in
                    ("flags", "gso_type", "hdr_len", "gso_size", "csum_start",
                     "csum_offset")] == [("1", "agree"), ("1", "agree"), ("66", "agree"),
                                         ("1448", "agree"), ("34", "agree"),
                                         ("16", "agree")]
        else:
            assert "tcp_tso_autosize" in (rows[f"frame {seq} packets"].group(5) or "")
    ring = _rows(received_tcp.stdout, "ring of the rx queue", "ring:")
    if 3 in whole:
        assert [row.group(2) for row in ring if row.group(1).endswith("used len")] == \
            ["4096"] * 15 + ["3638"]
        assert all(row.group(5) for row in ring if row.group(4) == "differ")  # each says why


def test_two_queues_send_each_flow_from_its_vcpu_on_its_queue(
        sent_two_queues: Capture) -> None:
    lines = sent_two_queues.stdout.splitlines()
    start = next(index for index, line in enumerate(lines) if line.startswith("flows over 2"))
    flows = [line.split() for line in lines[start + 2:start + 5]]
    # frame, flow, vCPU, the guest's txq, QEMU's virtqueue: flow f on vCPU f, queue pair f;
    # then the replay's (send --queues 2 --flows 2) the same
    assert flows == [["1", "0", "0", "0", "1", "0", "0", "1", "agree"],
                     ["2", "1", "1", "1", "3", "1", "1", "3", "agree"],
                     ["3", "0", "0", "0", "1", "0", "0", "1", "agree"]]
    assert lines[start + 5] == "queues: 3 of 3 frames on the same queue and vCPU"
    assert "-smp 2" in sent_two_queues.text("cmdline")
    assert "mq=on,vectors=6" in sent_two_queues.text("cmdline")


def _wait_for_line(stream: Iterator[str], text: str, deadline_s: float) -> None:
    end = time.monotonic() + deadline_s
    for line in stream:
        if text in line:
            return
        assert time.monotonic() < end, f"no {text!r} within {deadline_s} s"
    raise AssertionError(f"the run ended before {text!r}")


def _wait_for_qemu(pid: int, deadline_s: float) -> None:
    end = time.monotonic() + deadline_s
    while not host_state(pid)["qemu"]:
        assert time.monotonic() < end, f"no QEMU within {deadline_s} s"
        time.sleep(0.05)


def _made_something(pid: int) -> None:
    """Wait until run ``pid`` has made something on the host (its tracefs mount first)."""
    end = time.monotonic() + 60
    while not any(host_state(pid).values()):
        assert time.monotonic() < end, "the run made nothing within 60 s"
        time.sleep(0.01)


#: (phase, when to signal once its line is shown, the signals, the status): the first signal
#: decides the status; a second one comes while the first one's clean-up runs.
PHASE_SIGNALS = [
    ("prepare", _made_something, (signal.SIGTERM,), 143),
    ("boot", lambda pid: _wait_for_qemu(pid, 30), (signal.SIGTERM,), 143),
    ("send", None, (signal.SIGTERM,), 143),
    ("collect", None, (signal.SIGTERM,), 143),
    ("boot", lambda pid: _wait_for_qemu(pid, 30), (signal.SIGINT,), 130),
    ("send", None, (signal.SIGHUP,), 129),
    ("boot", lambda pid: _wait_for_qemu(pid, 30), (signal.SIGTERM, signal.SIGINT), 143),
]


@pytest.mark.parametrize("phase, ready, numbers, status", PHASE_SIGNALS,
                         ids=[f"{phase}-{'-'.join(signal.Signals(n).name for n in numbers)}"
                              for phase, _, numbers, _ in PHASE_SIGNALS])
def test_a_signal_in_any_phase_leaves_the_host_as_it_was(
        phase: str, ready: Callable[[int], None] | None, numbers: tuple[signal.Signals, ...],
        status: int, tmp_path: Path) -> None:
    target = tmp_path / "run"
    before = whole_host()
    run = subprocess.Popen([*LAB, "send", "--save", str(target)], stderr=subprocess.PIPE,
                           stdout=subprocess.DEVNULL, text=True, preexec_fn=interruptible)
    assert run.stderr is not None
    try:
        _wait_for_line(run.stderr, f"{phase} ...", 180)
        if ready is not None:
            ready(run.pid)
        for number in numbers:
            run.send_signal(number)
            time.sleep(0.05)
        rest = run.stderr.read()
        assert run.wait(60) == status, rest
    finally:
        if run.poll() is None:
            run.kill()
    assert "the host is as it was" in rest
    assert host_state(run.pid) == NOTHING, f"left by run {run.pid}: {host_state(run.pid)}"
    left = left_behind(before, whole_host(), run.pid)
    assert left == {}, f"left on the host after a signal in {phase}: {left}"
    assert os.listdir(tmp_path) == []


def test_a_qemu_that_fails_to_start_is_reported_and_cleaned_up(tmp_path: Path) -> None:
    """vhost=on where /dev/vhost-net is missing: QEMU aborts while the guest boots."""
    pretend = HostView(exists=lambda path: path == "/dev/vhost-net" or os.path.exists(path))
    with pytest.raises(LabError) as failed:
        capture(LabParams(Scenario.SEND, backend=Backend.VHOST_NET), tmp_path, host=pretend)
    message = str(failed.value)
    assert message.startswith("QEMU exited") and "open vhost char device failed" in message
    assert host_state(os.getpid()) == NOTHING


def udp_in_pcap(path: Path) -> list[tuple[str, str]]:
    """(source address, payload text) of each UDP frame in a pcap file, read by tshark, which
    must read it without a warning."""
    done = subprocess.run(["tshark", "-r", str(path), "-Y", "udp", "-T", "fields", "-e",
                           "ip.src", "-e", "data.data"], capture_output=True, text=True,
                          check=True)
    warnings = [line for line in done.stderr.splitlines() if "Running as user" not in line]
    assert warnings == []
    rows = [line.split("\t") for line in done.stdout.splitlines()]
    return [(source, bytes.fromhex(data).decode("latin-1")) for source, data in rows]


@program("tshark", "tshark")
def test_the_frames_that_crossed_the_tap_are_in_a_pcap_tshark_reads(
        sent: Capture, received: Capture) -> None:
    guest = sent.manifest["network"]["guest_ip"]
    assert udp_in_pcap(sent.directory / "tap.pcap") == [
        (guest, f"vtrace seq={seq}") for seq in range(4)]
    copy = sent.directory.parent / "copy.pcap"
    assert copy.read_bytes() == (sent.directory / "tap.pcap").read_bytes()
    guest, host = (received.manifest["network"]["guest_ip"],
                   received.manifest["network"]["host_ip"])
    assert udp_in_pcap(received.directory / "tap.pcap") == [
        (guest, "vtrace seq=0"), *((host, f"vtrace seq={seq}") for seq in (1, 2, 3))]


def test_two_receive_flows_land_where_vtraces_rss_puts_them(
        received_two_queues: Capture) -> None:
    assert "rss key set: 40 bytes, default table of 128 entries" in \
        received_two_queues.text("console")
    assert ",mq=on,vectors=6,rss=on" in received_two_queues.text("cmdline")
    log = received_two_queues.text("qemu_log")
    assert re.search(r":virtio_net_rss_enable hashes 0x3f, table of 128, key of 40$", log,
                     re.MULTILINE)
    lines = received_two_queues.stdout.splitlines()
    start = next(index for index, line in enumerate(lines) if line.startswith("flows over 2"))
    rows = [line.split() for line in lines[start + 2:start + 5]]
    # each frame's hash, as QEMU's software RSS computed it, is vtrace's; flow f on queue
    # pair q = table[hash & 127], taken in by vCPU q, in virtqueue 2q
    assert [row[1] for row in rows] == ["0", "1", "0"]
    for row in rows:
        # hash, receive queue and virtqueue as vtrace's RSS says; the vCPU too, or the
        # reason it is not yet the one virtnet_set_affinity asked for
        assert row[2] == row[6] and row[4:6] == row[8:10], row
        assert row[3] == row[7] and row[10] == "agree" or \
            " ".join(row[10:]).startswith("differ: the same hash and queue"), row
    assert rows[0][4] != rows[1][4]  # ports 40000 and 40001 hash to both queues
    assert lines[start + 5].startswith("queues: ")
    assert re.search(r"^ring: \d+ of \d+ fields agree \(2 queues\)$",
                     received_two_queues.stdout, re.MULTILINE)


def test_without_guest_tso_the_host_cuts_each_block_and_the_guests_gro_merges_it(
        received_tcp_segments: Capture) -> None:
    assert "guest_tso4=off" in received_tcp_segments.text("cmdline")
    assert "guest_tso4" not in received_tcp_segments.manifest["guest"]["features"]
    host = received_tcp_segments.text("host_trace")
    # 65000 bytes at MSS 1448: 44 segments of 1526 bytes as QEMU reads them (12 + 14 + 20 +
    # 32 + 1448) and one of 1366, the first of each block with its seq digit
    reads = lines_with(host, r" qemu_send_packet_async: .* size=1(526|366) .*seqch=")
    assert len(reads) >= 3 * 45
    rows = {row.group(1): row for row in _rows(received_tcp_segments.stdout,
                                                "packets of the run's frames as QEMU wrote",
                                                "packets:")}
    for seq in (1, 2, 3):
        for field, value in (("packets", "45"), ("num_buffers", "45"), ("used len", "68510"),
                             ("GRO packets in", "45"), ("flags", "1"), ("gso_type", "0"),
                             ("csum_start", "34"), ("csum_offset", "16")):
            assert rows[f"frame {seq} {field}"].group(2, 3, 4) == (value, value, "agree")
        # GRO merged them: fewer skbs went up than segments came in
        skbs = rows[f"frame {seq} skbs up"]
        assert 1 <= int(skbs.group(2)) < 45 and skbs.group(4) == "not compared"


def test_without_mergeable_buffers_each_big_buffer_is_one_indirect_descriptor(
        received_big: Capture) -> None:
    """Linux gives a receive queue of big buffers no per-buffer context, so it may go
    indirect (virtnet_find_vqs): each buffer is one descriptor pointing at a table of 19
    entries, 304 bytes, and the 256-entry ring holds 256 buffers, as the replay posts them."""
    assert "mrg_rxbuf=off" in received_big.text("cmdline")
    ring = {row.group(1): row for row in _rows(received_big.stdout, "ring of the rx queue",
                                                "ring:")}
    assert ring["avail.idx"].group(2) == "256"
    for chain in (1, 2, 3):
        assert ring[f"chain {chain} desc 1 len"].group(2, 3, 4) == ("304", "304", "agree")
        assert ring[f"chain {chain} desc 1 flags"].group(2, 3, 4) == ("4", "4", "agree")
    assert all(row.group(5) for row in ring.values() if row.group(4) == "differ")
    assert "packets: 6 of 6 fields agree" in received_big.stdout
