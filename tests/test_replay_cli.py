"""Commands built from scenarios: the same streams as before, the argv given, bad values."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shlex
from pathlib import Path

import pytest

from vtrace.cli import main
from vtrace.cli.env import Environment

DIGESTS = Path(__file__).parent / "data" / "replay-digests.tsv"


def _run(args: list[str], env: Environment | None = None) -> int:
    with pytest.raises(SystemExit) as exited:
        main(args, env)
    return int(exited.value.code or 0)


def _cases() -> list[tuple[str, str]]:
    rows = [line.split("\t") for line in DIGESTS.read_text().splitlines()
            if line and not line.startswith("#")]
    return [(row[0], row[1]) for row in rows]


@pytest.mark.parametrize("command,digest", _cases(), ids=[c for c, _ in _cases()])
def test_replays_are_byte_identical_to_the_recorded_digests(
        command: str, digest: str, tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    env = Environment(argv=(), stdout=io.StringIO())
    assert _run([*shlex.split(command), "--events", str(path), "--view", "quiet"], env) == 0
    found = hashlib.sha256(path.read_bytes()).hexdigest()
    if os.environ.get("VTRACE_UPDATE_SNAPSHOTS") == "1":
        DIGESTS.write_text(DIGESTS.read_text().replace(f"{command}\t{digest}",
                                                       f"{command}\t{found}"))
        return
    assert found == digest


def test_the_header_records_the_argv_main_was_given(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    args = ["send", "-n", "1", "--events", str(path), "--view", "quiet"]
    assert _run(args, Environment(argv=tuple(args), stdout=io.StringIO())) == 0
    assert json.loads(path.read_text().splitlines()[0])["argv"] == args
    assert _run(["setup", "--events", str(path), "--view", "quiet"]) == 0
    header = json.loads(path.read_text().splitlines()[0])
    assert header["argv"] == ["setup", "--events", str(path), "--view", "quiet"]


@pytest.mark.parametrize("args,message", [
    (["send", "--interval-us", "nan"], "nan is not a finite number"),
    (["send", "--interval-us", "inf"], "inf is not a finite number"),
    (["send", "--queue-size", "100"], "100 is not one of 32, 64, ... 32768"),
    (["send", "--size", "20"], "20 is not in the range 42 to 65483"),
    (["send", "--frames", "0"], "0 is not in the range 1 to 1e+07"),
])
def test_every_bad_value_exits_2_with_one_line(
        args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0] and err[0].startswith("vtrace send: error:")


def test_a_new_scenario_gets_its_command_from_the_registry() -> None:
    from vtrace.cli.app import COMMANDS
    from vtrace.cli.replay import replay_command
    from vtrace.scenarios import REGISTERED

    for name, scenario in REGISTERED.items():
        command = replay_command(scenario)
        assert COMMANDS[name][1] == f"{name}_command"
        assert {param.name for param in scenario.params} <= {p.name for p in command.params}


def test_a_word_parameter_takes_only_its_choices() -> None:
    from vtrace.scenarios import Param, ParamError

    backend = Param("backend", "qemu", "Who moves the packets.", choices=("qemu", "vhost-net"))
    assert backend.check("vhost-net") == "vhost-net" and backend.shown_default == "qemu"
    with pytest.raises(ParamError, match="'dpdk' is not one of qemu, vhost-net"):
        backend.check("dpdk")
