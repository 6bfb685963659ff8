"""The lab's QMP client against a stand-in QEMU that answers with recorded QMP answers."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from vtrace.lab.capture import _save_rings
from vtrace.lab.errors import LabError
from vtrace.lab.qmp import Qmp, read_rings, socket_directory
from vtrace.lab.qmp_ring import QUEUES, rings_of_answers

DATA = Path(__file__).parent / "data" / "lab"


def recorded() -> dict[str, Any]:
    """The send run's answers with the recv run's receive queue beside its transmit queue."""
    sent = json.loads((DATA / "qmp-send.json").read_text())
    received = json.loads((DATA / "qmp-recv.json").read_text())
    sent["queues"] = {"rx": received["queues"]["rx"], "tx": sent["queues"]["tx"]}
    found: dict[str, Any] = sent
    return found


class StandIn:
    """A QMP server on ``path``: greets, answers from ``answers``, notes every command."""

    def __init__(self, path: Path, answers: dict[str, Any]) -> None:
        self.answers = answers
        self.commands: list[str] = []
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(str(path))
        self.listener.listen(1)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _answer(self, request: dict[str, Any]) -> dict[str, Any]:
        command, arguments = request["execute"], request.get("arguments", {})
        self.commands.append(command)
        queues = {queue["status"]["queue-index"]: queue
                  for queue in self.answers["queues"].values()}
        if command == "x-query-virtio":
            return {"return": [{"name": "virtio-net", "path": self.answers["path"]}]}
        if command == "x-query-virtio-status":
            return {"return": self.answers["status"]}
        if command == "x-query-virtio-queue-status":
            return {"return": queues[arguments["queue"]]["status"]}
        if command == "human-monitor-command":
            wanted = arguments["command-line"]
            for queue in queues.values():
                for part, text in queue["xp"].items():
                    address = queue["status"][f"vring-{part}"]
                    if wanted.endswith(f" {address:#x}"):
                        return {"return": text}
            return {"error": {"class": "GenericError", "desc": f"no dump for {wanted}"}}
        if command == "x-no-such":
            return {"error": {"class": "CommandNotFound", "desc": "no such command"}}
        return {"return": {}}

    def _serve(self) -> None:
        connection, _ = self.listener.accept()
        with connection, connection.makefile("rwb") as stream:
            greeting = {"QMP": {"version": self.answers["qemu"], "capabilities": ["oob"]}}
            stream.write(json.dumps(greeting).encode() + b"\r\n")
            stream.flush()
            for line in stream:
                answer = self._answer(json.loads(line))
                if self.commands[-1] == "stop":
                    stream.write(b'{"event": "STOP", "data": {}}\r\n')
                stream.write(json.dumps(answer).encode() + b"\r\n")
                stream.flush()

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def stand_in(tmp_path: Path) -> Iterator[StandIn]:
    server = StandIn(tmp_path / "qmp.sock", recorded())
    yield server
    server.close()


def test_the_rings_are_read_with_the_guest_stopped(tmp_path: Path, stand_in: StandIn) -> None:
    qmp = Qmp(tmp_path / "qmp.sock")
    try:
        answers = read_rings(qmp)
    finally:
        qmp.close()
    assert stand_in.commands[:3] == ["qmp_capabilities", "x-query-virtio", "stop"]
    assert stand_in.commands[-1] == "cont"
    assert stand_in.commands.count("human-monitor-command") == 3 * len(QUEUES)
    assert answers == recorded()
    rings = rings_of_answers(answers)
    assert rings["queues"]["tx"]["used.idx"] == 5 and rings["queues"]["rx"]["used.idx"] == 4


def test_an_error_answer_is_a_lab_error(tmp_path: Path, stand_in: StandIn) -> None:
    qmp = Qmp(tmp_path / "qmp.sock")
    try:
        with pytest.raises(LabError, match="QMP x-no-such: no such command"):
            qmp.execute("x-no-such")
    finally:
        qmp.close()


def test_a_run_without_qmp_keeps_its_capture_and_says_why(tmp_path: Path) -> None:
    target = tmp_path / "ring.json"
    said = _save_rings(tmp_path / "absent.sock", target, connect_s=0.05)
    assert said.startswith("no ring read through QMP: no QMP on absent.sock")
    assert not target.exists()


def test_the_rings_read_are_saved_whole(tmp_path: Path, stand_in: StandIn) -> None:
    target = tmp_path / "ring.json"
    assert _save_rings(tmp_path / "qmp.sock", target) == ""
    saved = json.loads(target.read_text())
    assert saved == json.loads(json.dumps(rings_of_answers(recorded())))


def test_the_socket_directory_is_gone_on_every_way_out() -> None:
    with pytest.raises(KeyboardInterrupt), socket_directory() as directory:
        assert directory.is_dir() and directory.stat().st_mode & 0o777 == 0o700
        raise KeyboardInterrupt
    assert not directory.exists()
