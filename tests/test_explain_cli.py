"""``vtrace explain``: location per version, callers and callees, changes, suggestions."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from vtrace.cli import cli, main


def _explain(*args: str) -> str:
    result = CliRunner().invoke(cli, ["explain", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_explain_gives_every_location_and_the_neighbours() -> None:
    output = _explain("virtio_net_flush_tx")
    for location in ("hw/net/virtio-net.c:1325", "hw/net/virtio-net.c:2628   ← this era",
                     "hw/net/virtio-net.c:2716"):
        assert location in output
    assert "Runs after  virtio_net_tx_bh, virtio_queue_set_notification" in output
    assert "Runs next   virtqueue_pop\n" in output


def test_explain_shows_what_every_replay_runs_before_the_bottom_half() -> None:
    assert "Runs after  qemu_bh_schedule" in _explain("virtio_net_tx_bh")


def test_explain_follows_the_chosen_era() -> None:
    lesson = _explain("virtqueue_add", "--era", "lesson")
    modern = _explain("virtqueue_add")
    assert "Runs next   virtqueue_kick_prepare" in lesson
    assert "Runs next   virtqueue_add_split" in modern
    assert "Linux 4.19 has one implementation" in lesson and "VIRTQUEUE_CALL" in lesson


def test_explain_marks_absent_and_renamed_functions() -> None:
    output = _explain("virtqueue_add_split", "--era", "lesson")
    assert "Linux 4.19  not in this version   ← this era" in output
    renamed = _explain("free_old_xmit", "--era", "newest")
    assert "free_old_xmit  drivers/net/virtio_net.c:953" in renamed


def test_explain_shows_what_the_lesson_simplifies() -> None:
    output = _explain("ioeventfd_write")
    assert "Compared with the lesson:" in output and "--no-ioeventfd" in output


def test_explain_in_chinese() -> None:
    output = _explain("tun_rx_batched", "--lang", "zh")
    assert "与课程对照" in output and "在它之前运行" in output and "tun_rx_batched" in output


def test_unknown_name_exits_2_and_suggests_the_nearest(
        capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["explain", "virtio_net_flush"])
    assert exited.value.code == 2
    error = capsys.readouterr().err
    assert "did you mean virtio_net_flush_tx" in error


def test_unknown_name_from_the_console_script_is_one_line() -> None:
    completed = subprocess.run([sys.executable, "-m", "vtrace", "explain", "tun_recv"],
                               capture_output=True, text=True, check=False)
    assert completed.returncode == 2
    assert completed.stdout == ""
    assert completed.stderr.count("\n") == 1 and "Traceback" not in completed.stderr
    assert completed.stderr.startswith(
        "vtrace explain: error: no step or function named 'tun_recv'")
