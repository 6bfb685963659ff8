"""Each lab resource is set up to be undone before it is made: a signal that lands the moment
it has been made (here: raised by a stand-in for the command that makes it) still undoes it.
No root is needed: the host's commands are replaced by recorders."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from vtrace.lab import tap as tap_module
from vtrace.lab import tracefs
from vtrace.lab.qemu import Qemu


def test_a_signal_as_the_tap_is_made_still_deletes_it(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    ran: list[list[str]] = []

    def ip(*args: str) -> str:
        if args[:2] == ("tuntap", "add"):
            (tmp_path / args[3]).mkdir()  # the tap is there, and then the signal comes
            raise KeyboardInterrupt
        return ""

    def run(argv: list[str], **options: Any) -> subprocess.CompletedProcess[str]:
        ran.append(argv)
        return subprocess.CompletedProcess(argv, 0, "", "")

    monkeypatch.setattr(tap_module, "_NET", tmp_path)
    monkeypatch.setattr(tap_module, "_routes", list)
    monkeypatch.setattr(tap_module, "_ip", ip)
    monkeypatch.setattr(subprocess, "run", run)
    with pytest.raises(KeyboardInterrupt), tap_module.tap("vt1", neighbour=False):
        pass
    assert ran == [["ip", "link", "del", "vt1"]]


def test_a_signal_as_a_uprobe_is_added_still_removes_it(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    written: list[str] = []

    def write(path: Path, text: str, *, flags: int = 0) -> None:
        written.append(text)
        if text.startswith("p:"):
            raise KeyboardInterrupt  # the probe is added, and then the signal comes

    monkeypatch.setattr(tracefs, "_write", write)
    with pytest.raises(KeyboardInterrupt), tracefs.uprobes(tmp_path, [
            "p:vtrace_1/virtqueue_pop /usr/bin/qemu-system-x86_64:0x10"]):
        pass
    assert written == ["p:vtrace_1/virtqueue_pop /usr/bin/qemu-system-x86_64:0x10\n",
                       "-:vtrace_1/virtqueue_pop\n"]


def test_a_signal_as_tracefs_is_mounted_still_unmounts_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    ran: list[tuple[str, ...]] = []
    points: list[Path] = []

    def run(*argv: str) -> subprocess.CompletedProcess[str]:
        ran.append(argv)
        if argv[0] == "mount":
            points.append(Path(argv[-1]))
            raise KeyboardInterrupt  # mounted, and then the signal comes
        return subprocess.CompletedProcess(list(argv), 0, "", "")

    monkeypatch.setattr(tracefs, "_run", run)
    monkeypatch.setattr(os.path, "ismount", lambda path: True)
    with pytest.raises(KeyboardInterrupt), tracefs.private_mount():
        pass
    point, = points
    assert ran[-1] == ("umount", str(point))
    assert not point.exists()


def test_a_trace_instance_is_removed_if_made_when_the_signal_comes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "instances").mkdir()

    signals = [KeyboardInterrupt()]

    def interrupted_once(self: tracefs.Instance, relative: str, value: str) -> None:
        if signals:
            raise signals.pop()  # made, and then the signal comes

    monkeypatch.setattr(tracefs.Instance, "set", interrupted_once)
    with pytest.raises(KeyboardInterrupt), tracefs.instance(tmp_path, "vtrace_1"):
        pass
    assert list((tmp_path / "instances").iterdir()) == []


def test_qemu_can_be_stopped_before_it_starts(tmp_path: Path) -> None:
    Qemu(["qemu-system-x86_64"], tmp_path / "stderr.txt").stop()
    assert not (tmp_path / "stderr.txt").exists()
