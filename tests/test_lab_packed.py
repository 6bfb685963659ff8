"""``vtrace lab send|recv --ring packed`` without a guest: the device property, the feature
check, the packed ring read through QMP (recorded answers of real runs) and its comparison."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from vtrace.cli import lab as lab_cli
from vtrace.cli.app import cli
from vtrace.cli.lab_ring import compare_lab_ring
from vtrace.lab.errors import LabError
from vtrace.lab.features import check_negotiated, negotiated
from vtrace.lab.params import Accel, LabParams, Ring, Scenario
from vtrace.lab.qemu import Files, GuestNet, qemu_command
from vtrace.lab.qmp_ring import RING_FILE, ring_bytes, rings_of_answers
from vtrace.model import Header, Source
from vtrace.netfeatures import Feature
from vtrace.ring_compare import packed_ring_alone, report_lines

DATA = Path(__file__).parent / "data" / "lab"
#: A 6.1 guest's sysfs ``features`` under QEMU 7.2 with packed=on (bit 34 set), and without.
PACKED_BITS = "1110010111111111111101010000110010100000100000000000000000000000"
SPLIT_BITS = "1110010111111111111101010000110010000000100000000000000000000000"


def answers(scenario: str) -> dict[str, Any]:
    found: dict[str, Any] = json.loads((DATA / f"qmp-{scenario}-packed.json").read_text())
    return found


def header(scenario: str, **params: object) -> Header:
    return Header("0", scenario, {"frames": 3, "size": 54, "ioeventfd": True,
                                  "backend": "qemu", "ring": "packed", "era": "modern",
                                  **params}, 0, (), Source.TRACE)


def test_the_device_gets_packed_on() -> None:
    files = Files(Path("c"), Path("g"), Path("l"), Path("e"))
    net = GuestNet("vt1", "192.168.77.1", "192.168.77.2", 4000, 47001)
    argv = qemu_command(LabParams(Scenario.SEND, ring=Ring.PACKED), Accel.TCG, Path("k"),
                        Path("i"), files, net)
    device = argv[argv.index("-device") + 1]
    assert device.endswith(",packed=on") and device.startswith("virtio-net-pci,")
    split = qemu_command(LabParams(Scenario.SEND), Accel.TCG, Path("k"), Path("i"), files, net)
    assert "packed" not in split[split.index("-device") + 1]


def test_the_guests_features_are_read_bit_by_bit() -> None:
    assert Feature.RING_PACKED in negotiated(PACKED_BITS)
    assert Feature.RING_PACKED not in negotiated(SPLIT_BITS)
    names = check_negotiated(f"eth0: up 192.168.77.2 features={PACKED_BITS}",
                             {Feature.RING_PACKED: "--ring packed"})
    assert {"ring_packed", "event_idx", "indirect_desc", "mrg_rxbuf", "version_1"} <= set(names)


def test_a_packed_ring_not_negotiated_is_one_line() -> None:
    with pytest.raises(LabError) as failed:
        check_negotiated(f"eth0: up 192.168.77.2 features={SPLIT_BITS}",
                         {Feature.RING_PACKED: "--ring packed"})
    message = str(failed.value)
    assert "\n" not in message
    assert message.startswith("--ring packed: the guest's driver and QEMU did not negotiate "
                              "VIRTIO_F_RING_PACKED (bit 34)")


def test_packed_with_vhost_net_is_refused_in_one_line() -> None:
    result = CliRunner().invoke(cli, ["lab", "send", "--ring", "packed", "--backend",
                                      "vhost-net"])
    assert result.exit_code == 2
    assert "Linux's vhost-net has no packed ring" in result.stderr
    assert "Traceback" not in result.output


def test_a_packed_ring_is_read_as_slots_and_event_areas() -> None:
    status = answers("send")["queues"]["tx"]["status"]
    assert ring_bytes(status, packed=True) == {"desc": (status["vring-desc"], 8 * 256),
                                               "avail": (status["vring-avail"], 2),
                                               "used": (status["vring-used"], 2)}
    rings = rings_of_answers(answers("send"))
    assert rings["layout"] == "packed" and rings["event_idx"] is True
    tx = rings["queues"]["tx"]
    assert tx["used_idx"] == tx["last_avail_idx"] == 5 and tx["inuse"] == 0
    assert tx["driver_event.flags"] == tx["device_event.flags"] == 2  # DESC: event_idx
    # the five buffers the device used: AVAIL and USED both set to its wrap counter (1)
    assert [slot["flags"] for slot in tx["desc"][:6]] == [0x8080] * 5 + [0]
    rx = rings_of_answers(answers("recv"))["queues"]["rx"]
    assert rx["device_event.flags"] == 1  # DISABLE: QEMU takes no kicks while it has buffers
    assert [slot["len"] for slot in rx["desc"][1:4]] == [66, 66, 66]


def test_the_real_packed_send_ring_agrees_with_the_replay(tmp_path: Path) -> None:
    (tmp_path / RING_FILE).write_text(json.dumps(rings_of_answers(answers("send"))))
    result = compare_lab_ring(tmp_path, header("send"), "modern")
    assert result is not None
    assert (result.layout, result.earlier, result.chains) == ("packed", 2, 3)
    assert result.agreeing == result.compared == 18
    lines = report_lines(result)
    assert lines[0].startswith("packed ring of the tx queue after the last frame")
    assert lines[-1] == "ring: 18 of 18 fields agree"


def test_a_packed_difference_is_counted(tmp_path: Path) -> None:
    rings = rings_of_answers(answers("send"))
    rings["queues"]["tx"]["desc"][4]["flags"] = 0x0080  # AVAIL alone: not used
    (tmp_path / RING_FILE).write_text(json.dumps(rings))
    result = compare_lab_ring(tmp_path, header("send"), "modern")
    assert result is not None and result.compared - result.agreeing == 1
    assert [row.field for row in result.rows if row.agree is False] == ["slot 3 flags"]


def test_the_real_packed_receive_ring_agrees_with_the_replay(tmp_path: Path) -> None:
    (tmp_path / RING_FILE).write_text(json.dumps(rings_of_answers(answers("recv"))))
    result = compare_lab_ring(tmp_path, header("recv"), "modern")
    assert result is not None and not result.alone
    assert (result.layout, result.earlier, result.chains) == ("packed", 1, 3)  # the ARP reply
    assert (result.agreeing, result.compared) == (17, 18)
    differ, = (row for row in result.rows if row.agree is False)
    assert differ.field == "device_event.off_wrap" and differ.real == differ.replay == 0
    assert "virtio_queue_packed_set_notification" in differ.why
    assert result.unexplained == ()
    assert report_lines(result)[-1] == "ring: 17 of 18 fields agree"


def test_a_real_packed_ring_without_a_packed_replay_is_shown_alone() -> None:
    real = rings_of_answers(answers("recv"))["queues"]["rx"]
    result = packed_ring_alone("rx", {**real, "event_idx": True}, 3, "no packed replay")
    assert result.alone and result.compared == 0
    lines = report_lines(result)
    assert lines[0].startswith("packed ring of the rx queue after the last frame")
    assert lines[-1] == "ring: not compared: no packed replay"
    shown = {line.split()[0]: line.split()[-1] for line in lines[2:-1]}
    assert shown["used_idx"] == "4" and shown["device_event.flags"] == "1"


def test_lab_send_packed_compare_ends_with_the_packed_ring(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def captured(params: LabParams, directory: Path, progress: Callable[..., None]) -> None:
        assert params.ring is Ring.PACKED
        shutil.copytree(DATA / "send-1", directory, dirs_exist_ok=True)
        manifest = json.loads((directory / "manifest.json").read_text())
        manifest["params"]["ring"] = "packed"
        (directory / "manifest.json").write_text(json.dumps(manifest))
        (directory / RING_FILE).write_text(json.dumps(rings_of_answers(answers("send"))))

    monkeypatch.setattr(lab_cli, "capture", captured)
    result = CliRunner().invoke(cli, ["lab", "send", "--ring", "packed", "--compare"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert any(line.startswith("agreement (modern):") for line in lines)
    assert re.fullmatch(r"ring: 18 of 18 fields agree", lines[-1])
