"""``vtrace recv`` as a user meets it: the views, the events file, Chinese, exit codes."""

from __future__ import annotations

import json
import re
from pathlib import Path

from cli_run import run

ANSI = re.compile(r"\x1b\[")



def test_the_plain_view_walks_each_frame_into_the_guest() -> None:
    code, out, err = run("recv", "--frames", "3", "--view", "plain")
    assert code == 0 and err == "" and not ANSI.search(out)
    for function in ("tun_net_xmit", "tap_send", "virtio_net_receive_rcu", "virtqueue_fill",
                     "vring_interrupt", "virtnet_poll", "napi_gro_receive", "udp_recvmsg"):
        assert function in out, function
    assert "frames received" in out and re.search(r"frames received\s+3\b", out)


def test_quiet_prints_the_summary_with_every_counter() -> None:
    code, out, _ = run("recv", "--frames", "3", "--view", "quiet", "--rx-buffers", "0")
    assert code == 0
    for label in ("frames received", "interrupts suppressed", "kicks (refill notifications)",
                  "buffers posted", "buffers used", "bytes copied into guest buffers",
                  "stalls", "packets queued in QEMU", "NAPI polls", "VM exits"):
        assert label in out, label
    assert re.search(r"stalls \(no buffer posted\)\s+1\b", out)


def test_the_events_file_records_the_scenario_and_its_parameters(tmp_path: Path) -> None:
    path = tmp_path / "recv.jsonl"
    code, _, _ = run("recv", "--frames", "3", "--backend", "vhost-net", "--events", str(path),
                     "--view", "quiet")
    assert code == 0
    records = [json.loads(line) for line in path.read_text().splitlines()]
    header, events = records[0], records[1:]
    assert header["scenario"] == "recv" and header["params"]["backend"] == "vhost-net"
    assert [e["seq"] for e in events] == list(range(len(events)))
    assert "vhost" in {e["actor"] for e in events}
    assert not {"tap", "net-queue", "virtio-net"} & {e["actor"] for e in events}
    code, out, _ = run("play", str(path), "--view", "quiet")
    assert code == 0 and re.search(r"frames received\s+3\b", out)


def test_chinese_labels_and_the_rx_ring_panel() -> None:
    code, out, _ = run("recv", "--frames", "3", "--view", "quiet", "--lang", "zh")
    assert code == 0 and "已接收的帧" in out and "NAPI 轮询" in out
    code, out, _ = run("recv", "--frames", "1", "--view", "live", "--speed", "max",
                       "--lang", "zh")
    assert code == 0 and "RX 虚拟队列" in out


def test_the_live_view_shows_the_rx_ring() -> None:
    code, out, _ = run("recv", "--frames", "1", "--view", "live", "--speed", "max")
    assert code == 0 and "RX virtqueue" in out


def test_bad_values_exit_2_with_one_line() -> None:
    for args in (("--backend", "dpdk"), ("--rx-buffers", "-1"), ("--napi-budget", "0"),
                 ("--queue-size", "100"), ("--frames", "0")):
        code, out, err = run("recv", *args)
        assert code == 2 and len(err.strip().splitlines()) == 1, (args, err)
        assert "Traceback" not in err


def test_small_buffers_are_refused_in_one_line() -> None:
    """Without MRG_RXBUF and guest GSO Linux posts small buffers, which are not replayed."""
    for args in (("--no-offload", "--no-mergeable"),
                 ("--features", "-mrg_rxbuf,-guest_tso4,-guest_tso6,-guest_ecn,-guest_ufo")):
        code, _, err = run("recv", *args)
        assert code == 2 and len(err.strip().splitlines()) == 1, (args, err)
        assert "add_recvbuf_small" in err
    code, _, err = run("recv", "--no-mergeable", "-n", "1", "--view", "quiet")
    assert code == 0, err
