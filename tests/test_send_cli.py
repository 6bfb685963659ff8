"""``vtrace send`` as a user meets it: exit codes, files, colour, interruption, the plain view."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from cli_run import run
from diagram_fixtures import assert_snapshot
from fake_terminal import Terminal

from vtrace.cli.app import COMMANDS, cli
from vtrace.terminal import colour_allowed, is_interactive

ANSI = re.compile(r"\x1b\[")



def test_plain_view_of_one_frame_matches_the_snapshot() -> None:
    code, out, err = run("send", "--frames", "1", "--view", "plain", "--lang", "en")
    assert code == 0 and err == ""
    assert_snapshot("send-1-frame.txt", out)


def test_off_a_terminal_nothing_is_coloured_even_when_asked_for_live() -> None:
    for view in ("plain", "live", "quiet"):
        code, out, _ = run("send", "-n", "2", "--view", view, "--speed", "max")
        assert code == 0 and not ANSI.search(out), view


def test_events_file_is_a_header_then_valid_events(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    code, out, _ = run("send", "-n", "5", "--batch", "5", "--events", str(path),
                       "--view", "quiet", "--seed", "9")
    assert code == 0 and "Summary" in out
    records = [json.loads(line) for line in path.read_text().splitlines()]
    header, events = records[0], records[1:]
    assert header["kind"] == "header" and header["params"]["batch"] == 5 and header["seed"] == 9
    assert [e["seq"] for e in events] == list(range(len(events)))
    assert {"function", "file", "line", "version", "layer", "actor", "t_ns"} <= set(events[0])
    assert not list(tmp_path.glob(".*.tmp"))


def test_events_to_stdout_leave_stdout_pure_json_lines() -> None:
    code, out, err = run("send", "-n", "2", "--events", "-")
    assert code == 0 and "Summary" in err
    records = [json.loads(line) for line in out.splitlines()]
    assert records[0]["kind"] == "header" and len(records) > 100


@pytest.mark.parametrize("args", [
    ("--frames", "0"),
    ("--frames", "10000001"),
    ("--size", "20"),
    ("--queue-size", "100"),
    ("--queue-size", "16"),
    ("--speed", "fast"),
    ("--era", "ancient"),
    ("--view", "fancy"),
    ("--events", "-", "--view", "plain"),
    ("--events", "/nonexistent-dir/run.jsonl"),
    ("--bogus",),
])
def test_bad_input_exits_2_with_one_line_and_no_traceback(args: tuple[str, ...]) -> None:
    code, out, err = run("send", *args)
    assert code == 2
    assert "Traceback" not in err + out
    assert len(err.strip().splitlines()) == 1 and "error" in err


def test_an_unwritable_events_path_fails_before_any_output(tmp_path: Path) -> None:
    target = tmp_path / "is-a-dir"
    target.mkdir()
    code, out, err = run("send", "-n", "1", "--events", str(target), "--view", "plain")
    assert code == 2 and out == "" and "is a directory" in err


def test_ctrl_c_prints_the_summary_so_far_and_keeps_only_complete_lines(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from vtrace.scenarios.send import SendScenario

    real_run = SendScenario.run

    def interrupted(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        for count, event in enumerate(real_run(*args, **kwargs)):  # type: ignore[arg-type]
            if count == 100:
                raise KeyboardInterrupt
            yield event

    monkeypatch.setattr(SendScenario, "run", interrupted)
    path = tmp_path / "run.jsonl"
    code, out, _ = run("send", "-n", "50", "--events", str(path), "--view", "plain")
    assert code == 130
    assert "interrupted" in out
    lines = path.read_text().splitlines()
    assert len(lines) == 101 and all(json.loads(line) for line in lines)


@pytest.mark.parametrize("env,interactive,colour", [
    ({"TERM": "xterm"}, True, True),
    ({"TERM": "xterm", "NO_COLOR": "1"}, True, False),
    ({"TERM": "dumb"}, False, False),
])
def test_no_color_and_dumb_terminals_get_plain_text(
        monkeypatch: pytest.MonkeyPatch, env: dict[str, str], interactive: bool,
        colour: bool) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert is_interactive(Terminal()) is interactive
    assert colour_allowed(Terminal()) is colour
    assert not colour_allowed(io.StringIO())  # never off a terminal


def test_version_and_help() -> None:
    code, out, _ = run("--version")
    assert code == 0 and out.startswith("vtrace, version ")
    code, out, _ = run("send", "--help")
    assert code == 0 and "vtrace send --frames 3" in out


def test_vtrace_alone_shows_its_help_and_exits_2() -> None:
    code, out, err = run()
    assert code == 2 and out == ""
    assert err.startswith("Usage: vtrace") and all(name in err for name in COMMANDS)


def test_the_help_listing_matches_each_commands_own_help() -> None:
    for name, (_, _, summary) in COMMANDS.items():
        command = cli.get_command(None, name)  # type: ignore[arg-type]
        assert command is not None and command.get_short_help_str(limit=200) == summary


def test_a_recorded_file_with_unknown_words_still_shows(tmp_path: Path) -> None:
    path = tmp_path / "odd.jsonl"
    code, _, _ = run("send", "-n", "1", "--events", str(path), "--view", "quiet")
    lines = path.read_text().splitlines()
    odd = json.loads(lines[1])  # the first event, a call
    odd["detail"] = {"why": "a reason from another tool"}
    path.write_text("\n".join([lines[0], json.dumps(odd)]) + "\n")
    from vtrace.renderers.plain import format_event
    from vtrace.session import from_file

    session = from_file(path.read_text().splitlines())
    shown = [format_event(event) for event in session.events()]
    assert code == 0 and "a reason from another tool" in shown[0]
