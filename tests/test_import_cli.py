"""vtrace import and vtrace compare-trace from the command line: outputs and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from vtrace.codec import read_stream

DATA = Path(__file__).parent / "data" / "lab"


def vtrace(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "vtrace", *args], capture_output=True,
                          text=True)


def test_a_lab_directory_imports_to_the_event_stream(tmp_path: Path) -> None:
    out = tmp_path / "real.jsonl"
    done = vtrace("import", str(DATA / "send-1"), "--events", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stderr == "" and done.stdout == ""  # no progress off a terminal
    with open(out, encoding="utf-8") as handle:
        header, events = read_stream(handle)
        assert header.scenario == "send" and len(list(events)) > 300


def test_a_malformed_line_exits_2_with_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "guest.txt"
    bad.write_text("# tracer: function\n  a-1 [000] ..... 5: f <-g\nnot a trace line\n")
    done = vtrace("import", str(bad), "--events", str(tmp_path / "out.jsonl"))
    assert done.returncode == 2
    assert done.stderr.strip() == f"vtrace import: error: {bad}:3: not an ftrace line: " \
                                  "'not a trace line'"
    assert not (tmp_path / "out.jsonl").exists()


def test_several_files_merge_on_time_with_offsets(tmp_path: Path) -> None:
    guest = tmp_path / "guest.txt"
    guest.write_text("  udpsend-7 [000] ..... 1000: start_xmit <-dev_hard_start_xmit\n"
                     "  udpsend-7 [000] ..... 3000: vp_notify <-virtqueue_notify\n")
    log = tmp_path / "qemu.log"
    log.write_text("9@0.000001:virtio_queue_notify vdev 0x1 n 1 vq 0x2\n")
    done = vtrace("import", str(guest), str(log), "--offset-ns", "0", "--offset-ns", "1000",
                  "--linux-version", "6.1.0-56-amd64", "--qemu-version", "7.2.22")
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(e["function"], e["t_ns"], e["source"]) for e in lines[1:]] == [
        ("start_xmit", 0, "guest-ftrace"), ("virtio_queue_notify", 1000, "qemu-log"),
        ("vp_notify", 2000, "guest-ftrace")]
    assert lines[0]["params"]["era"] == "modern" and lines[1]["line"] == 1886


def test_unknown_functions_stay_marked() -> None:
    done = vtrace("import", str(DATA / "hand-send" / "guest-trace.txt"), "--format", "ftrace")
    assert done.returncode == 0, done.stderr
    events = [json.loads(line) for line in done.stdout.splitlines()[1:]]
    assert all(event["detail"]["in_catalog"] is False for event in events)  # no version given
    assert "udp_sendmsg" in {event["function"] for event in events}


def test_usage_errors_exit_2() -> None:
    assert vtrace("import").returncode == 2
    assert vtrace("import", str(DATA / "send-1"), "--offset-ns", "1", "--offset-ns",
                  "2").returncode == 2
    done = vtrace("import", str(DATA / "send-1"), str(DATA / "recv-1"))
    assert done.returncode == 2 and "on its own" in done.stderr


def test_compare_trace_text_and_json(tmp_path: Path) -> None:
    real = tmp_path / "real.jsonl"
    assert vtrace("import", str(DATA / "send-1"), "--events", str(real)).returncode == 0
    text = vtrace("compare-trace", str(real))
    assert text.returncode == 0, text.stderr
    assert "agreement (modern):" in text.stdout and "static in QEMU" in text.stdout
    result = json.loads(vtrace("compare-trace", str(real), "--json").stdout)
    assert 0.3 < result["agreement"] < 1.0
    assert [frame["real_frame"] for frame in result["frames"]] == [1, 2, 3]


def test_compare_trace_replays_a_recv_capture(tmp_path: Path) -> None:
    real = tmp_path / "recv.jsonl"
    assert vtrace("import", str(DATA / "recv-1"), "--events", str(real)).returncode == 0
    done = vtrace("compare-trace", str(real))
    assert done.returncode == 0, done.stderr
    assert "virtio_net_receive_rcu" in done.stdout or "virtqueue_fill" in done.stdout


def test_a_recv_capture_agrees_in_order_layer_by_layer(tmp_path: Path) -> None:
    real = tmp_path / "recv.jsonl"
    assert vtrace("import", str(DATA / "recv-1"), "--events", str(real)).returncode == 0
    result = json.loads(vtrace("compare-trace", str(real), "--json").stdout)
    frame = result["frames"][-1]
    matched = [hop["function"] for hop in frame["matched"]]
    # the guest's socket wake-up is not the tap's, though both are sock_def_readable
    assert "sock_def_readable" not in frame["out_of_order"]
    assert matched.index("udp_queue_rcv_skb") < matched.index("sock_def_readable")
    # the interrupt a replay draws without a frame is the frame's, as in the capture
    assert "vring_interrupt" in matched and "napi_complete_done" in matched
    why = dict(frame["unseen"])
    assert why["tun_put_user"].startswith("host kernel function")
    assert why["virtio_net_receive_rcu"].startswith("static in QEMU")


def test_the_header_records_the_argv_given_with_paths_as_given(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cli_run import run

    monkeypatch.chdir(DATA)
    monkeypatch.setattr(sys, "argv", ["/usr/bin/some-other-program", "--flag"])
    out = tmp_path / "real.jsonl"
    status, _, err = run("import", "send-1", "--events", str(out))
    assert status == 0, err
    with open(out, encoding="utf-8") as handle:
        header, _ = read_stream(handle)
    assert header.argv == ("import", "send-1", "--events", str(out))


def test_unmapped_records_are_summed_up_in_one_line(tmp_path: Path) -> None:
    done = vtrace("import", str(DATA.parent / "traces" / "retis-send.json"), "--events",
                  str(tmp_path / "out.jsonl"))
    assert done.returncode == 0, done.stderr
    assert done.stderr == "vtrace import: 4 records name no step of the catalog (kept under " \
                          "their own names): consume_skb ×4\n"
