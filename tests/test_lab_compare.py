"""``vtrace lab ... --compare``: the capture's hop-by-hop report, on a committed recv capture."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from vtrace.cli import lab as lab_cli
from vtrace.cli.app import cli
from vtrace.cli.lab_ring import compare_lab_ring, compare_lab_rings
from vtrace.lab.params import LabParams
from vtrace.lab.qmp_ring import RING_FILE, rings_of_answers
from vtrace.model import Header, Source

DATA = Path(__file__).parent / "data" / "lab"


def test_compare_prints_the_report_after_the_capture(monkeypatch: pytest.MonkeyPatch) -> None:
    def captured(params: LabParams, directory: Path, progress: Callable[..., None]) -> None:
        shutil.copytree(DATA / "recv-1", directory, dirs_exist_ok=True)

    monkeypatch.setattr(lab_cli, "capture", captured)
    result = CliRunner().invoke(cli, ["lab", "recv", "--compare"])
    assert result.exit_code == 0, result.output
    assert "frame 2 (capture frame 3):" in result.stdout
    lines = result.stdout.splitlines()
    assert any(line.startswith("agreement (modern):") for line in lines)
    assert lines[-1] == "packets: 6 of 6 fields agree"  # num_buffers and used len, 3 frames
    assert "tun_put_user" in result.stdout and "host kernel function" in result.stdout


def test_compare_ends_with_the_ring_when_qemu_s_rings_were_read(
        monkeypatch: pytest.MonkeyPatch) -> None:
    answers = json.loads((DATA / "qmp-recv.json").read_text())

    def captured(params: LabParams, directory: Path, progress: Callable[..., None]) -> None:
        shutil.copytree(DATA / "recv-1", directory, dirs_exist_ok=True)
        (directory / RING_FILE).write_text(json.dumps(rings_of_answers(answers)))

    monkeypatch.setattr(lab_cli, "capture", captured)
    result = CliRunner().invoke(cli, ["lab", "recv", "--compare"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert re.fullmatch(r"ring: 26 of 28 fields agree", lines[-1])
    assert any(line.startswith("agreement (modern):") for line in lines)
    assert "ring of the rx queue after the last frame" in result.stdout


def test_compare_says_when_no_ring_was_read(monkeypatch: pytest.MonkeyPatch) -> None:
    def captured(params: LabParams, directory: Path, progress: Callable[..., None]) -> None:
        shutil.copytree(DATA / "recv-1", directory, dirs_exist_ok=True)

    monkeypatch.setattr(lab_cli, "capture", captured)
    result = CliRunner().invoke(cli, ["lab", "recv", "--compare"])
    assert result.exit_code == 0, result.output
    assert "no ring comparison: QEMU's rings were not read" in result.stderr


def test_compare_trace_reads_the_ring_a_saved_lab_directory_holds(tmp_path: Path) -> None:
    saved = tmp_path / "recv"
    shutil.copytree(DATA / "recv-1", saved)
    answers = json.loads((DATA / "qmp-recv.json").read_text())
    (saved / RING_FILE).write_text(json.dumps(rings_of_answers(answers)))
    shown = CliRunner().invoke(cli, ["compare-trace", str(saved)])
    assert shown.exit_code == 0, shown.output
    assert re.fullmatch(r"ring: 26 of 28 fields agree", shown.stdout.splitlines()[-1])
    as_json = CliRunner().invoke(cli, ["compare-trace", str(saved), "--json"])
    ring = json.loads(as_json.stdout)["ring"]
    assert (ring["queue"], ring["compared"], ring["earlier"]) == ("rx", 28, 1)


def test_each_queue_pair_is_compared_with_the_frames_that_went_through_it(
        tmp_path: Path) -> None:
    answers = json.loads((DATA / "qmp-send.json").read_text())
    rings = rings_of_answers(answers)
    rings["queues"]["tx1"] = rings["queues"]["tx"]
    (tmp_path / RING_FILE).write_text(json.dumps(rings))
    header = Header("0", "send", {"frames": 3, "size": 54, "queues": 2, "era": "modern"}, 0,
                    (), Source.TRACE)
    compared = compare_lab_rings(tmp_path, header, "modern")
    assert [(ring.queue, ring.chains) for ring in compared] == [("tx", 2), ("tx1", 1)]
    assert compare_lab_ring(tmp_path, header, "modern") == compared[0]


def test_a_saved_capture_outlives_a_comparison_that_fails(monkeypatch: pytest.MonkeyPatch,
                                                          tmp_path: Path) -> None:
    """The directory is renamed to --save as soon as the capture is whole: whatever the views
    or the comparison do next, the capture is kept."""
    def captured(params: LabParams, directory: Path, progress: Callable[..., None]) -> None:
        shutil.copytree(DATA / "recv-1", directory, dirs_exist_ok=True)

    def broken(directory: Path, env: object) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(lab_cli, "capture", captured)
    monkeypatch.setattr(lab_cli, "_compare", broken)
    saved = tmp_path / "run"
    result = CliRunner().invoke(cli, ["lab", "recv", "--compare", "--save", str(saved)])
    assert result.exit_code != 0
    assert (saved / "manifest.json").is_file()
    assert not any(name.startswith(".vtrace-lab-") for name in map(str, tmp_path.iterdir()))
