"""What a command takes from its ``Environment`` and not from the process: the argv a stream
records, the standard output ``-`` names, and the default language."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from vtrace.cli import main
from vtrace.cli.env import Environment
from vtrace.codec import read_stream
from vtrace.output import atomic_output

LAB = Path(__file__).parent / "data" / "lab" / "send-1"


def _run(args: tuple[str, ...], environ: dict[str, str] | None = None) -> tuple[int, str]:
    out = io.StringIO()
    env = Environment(argv=args, stdout=out, stderr=io.StringIO(), environ=environ or {})
    with pytest.raises(SystemExit) as done:
        main(list(args), env)
    return int(done.value.code or 0), out.getvalue()


def test_import_records_the_argv_it_was_given_and_writes_dash_to_its_stdout(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.argv", ["vtrace", "something", "else"])
    args = ("import", str(LAB), "--events", "-")
    status, written = _run(args)
    assert status == 0
    assert capsys.readouterr().out == ""  # nothing on the process's own standard output
    header, events = read_stream(written.splitlines())
    assert header.argv == args
    assert header.scenario == "send" and any(True for _ in events)


def test_a_replay_writes_dash_to_the_environments_stdout(
        capsys: pytest.CaptureFixture[str]) -> None:
    status, written = _run(("send", "--frames", "1", "--view", "quiet", "--events", "-"))
    assert status == 0
    assert capsys.readouterr().out == ""
    header, events = read_stream(written.splitlines())
    assert header.scenario == "send" and len(list(events)) > 10


def test_atomic_output_leaves_dash_to_the_environment() -> None:
    with pytest.raises(ValueError, match="Environment.output"), atomic_output("-"):
        pass
