"""vtrace compare-trace at its edges: a replay against itself, streams with nothing to compare,
and trace files taken directly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_run import run

DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize("command", [
    ["send", "-n", "3"], ["recv", "-n", "3"], ["send", "-n", "2", "--backend", "vhost-net"],
    ["send", "-n", "2", "--era", "lesson", "--no-ioeventfd"],
])
def test_a_replay_compared_with_itself_agrees_fully(tmp_path: Path, command: list[str]) -> None:
    stream = tmp_path / "run.jsonl"
    status, _, err = run(*command, "--view", "quiet", "--events", str(stream))
    assert status == 0, err
    status, out, err = run("compare-trace", str(stream), "--json")
    assert status == 0, err
    result = json.loads(out)
    assert result["agreement"] == 1.0 and result["replay_hops"] > 0
    assert all(not frame["unseen"] and not frame["out_of_order"] and not frame["extra"]
               for frame in result["frames"])


def test_a_setup_stream_is_refused_in_one_line(tmp_path: Path) -> None:
    stream = tmp_path / "setup.jsonl"
    assert run("setup", "--view", "quiet", "--events", str(stream))[0] == 0
    status, out, err = run("compare-trace", str(stream))
    assert status == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "moves no frame" in err


def test_a_trace_file_needs_its_scenario_named(tmp_path: Path) -> None:
    status, _, err = run("compare-trace", str(DATA / "traces" / "fgraph-events.txt"))
    assert status == 2 and "--scenario send|recv" in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("path", [
    "lab/send-1", "lab/send-1/guest-trace.txt", "lab/send-1/qemu.log",
    "traces/send-function.report.txt", "traces/retis-send.json",
])
def test_trace_files_are_compared_directly(path: str) -> None:
    status, out, err = run("compare-trace", str(DATA / path), "--scenario", "send",
                           "--era", "modern", "--json")
    assert status == 0, err
    result = json.loads(out)
    assert result["in_order"] > 0 and result["frames"]


def test_a_lab_directory_compares_as_its_import_does(tmp_path: Path) -> None:
    stream = tmp_path / "real.jsonl"
    assert run("import", str(DATA / "lab" / "send-1"), "--events", str(stream))[0] == 0
    direct = json.loads(run("compare-trace", str(DATA / "lab" / "send-1"), "--json")[1])
    imported = json.loads(run("compare-trace", str(stream), "--json")[1])
    assert direct == imported
