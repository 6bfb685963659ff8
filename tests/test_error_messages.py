"""Every message names its command; data errors name their file and give the whole reason;
no message shows a temporary file's name; an output never replaces an input or another
output."""

from __future__ import annotations

import errno
import io
import signal
import subprocess
import sys
from pathlib import Path

import click
import pytest
from cli_run import run

from vtrace.cli.app import COMMANDS
from vtrace.cli.errors import report
from vtrace.lab.errors import LabError, PrerequisiteError
from vtrace.stop import Stopped


def test_a_truncated_recording_names_its_file_and_the_whole_reason(tmp_path: Path) -> None:
    recording = tmp_path / "run.jsonl"
    assert run("send", "-n", "2", "--events", str(recording), "--view", "quiet")[0] == 0
    lines = recording.read_text().splitlines(keepends=True)
    truncated = tmp_path / "trunc.jsonl"
    truncated.write_text("".join(lines[:14]) + lines[14][:40])
    status, _, error = run("play", str(truncated), "--view", "quiet")
    assert status == 2
    assert error == (f"vtrace play: error: {truncated}: line 15: not JSON: Unterminated string "
                     "starting at: column 39\n")


def test_a_bad_line_on_standard_input_says_so() -> None:
    done = subprocess.run([sys.executable, "-m", "vtrace", "play", "-", "--view", "quiet"],
                          input="{}\n", capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert done.stderr.startswith("vtrace play: error: standard input: line 1: ")


def test_a_diagram_drawn_from_a_bad_recording_names_it(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\n")
    status, _, error = run("diagram", "--from", str(bad), str(tmp_path / "x.svg"))
    assert status == 2 and error.startswith(f"vtrace diagram: error: {bad}: line 1: not JSON")


def test_an_output_that_cannot_be_made_is_the_users_path_not_a_temporary_one() -> None:
    status, _, error = run("diagram", "/proc/x.svg")
    assert status == 2
    assert error in ("vtrace diagram: error: /proc/x.svg: cannot be written: No such file or "
                     "directory\n",  # root may write in /proc, but it makes no file there
                     "vtrace diagram: error: /proc/x.svg: directory '/proc' is not writable\n")


def test_an_empty_output_name_is_not_a_directory() -> None:
    status, _, error = run("diagram", "")
    assert status == 2
    assert "is a directory" not in error and "an empty name is not a file" in error


@pytest.mark.parametrize("args, command", [
    (("send", "-n"), "vtrace send"),
    (("send", "--backend", "vhost-net", "--no-ioeventfd"), "vtrace send"),
    (("recv", "--frames", "0"), "vtrace recv"),
    (("diagram", "x.gif"), "vtrace diagram"),
    (("play", "missing.jsonl"), "vtrace play"),
    (("explain", "no_such_function"), "vtrace explain"),
    (("steps", "--era", "stone"), "vtrace steps"),
    (("compare", "--frames", "-1"), "vtrace compare"),
    (("lab", "send", "--frames", "0"), "vtrace lab"),
    (("nonesuch",), "vtrace"),
])
def test_every_usage_error_names_its_command(args: tuple[str, ...], command: str) -> None:
    status, _, error = run(*args)
    assert status == 2
    line, = error.splitlines()
    assert line.startswith(f"{command}: error: ")
    if "(see" in line:
        assert line.endswith(f"(see '{command} --help')")


def test_an_import_that_would_overwrite_its_capture_is_refused(tmp_path: Path) -> None:
    capture = tmp_path / "run"
    capture.mkdir()
    trace = capture / "guest-trace.txt"
    trace.write_text("# tracer: nop\n")
    status, _, error = run("import", str(capture), "--events", str(trace))
    assert status == 2
    assert error == (f"vtrace import: error: --events {trace} is a file in {capture}, which "
                     "this command reads; write to another file\n")
    assert trace.read_text() == "# tracer: nop\n"
    status, _, error = run("import", str(trace), "--events", str(trace))
    assert status == 2 and f"--events {trace} is {trace}, which this command reads" in error


def test_two_outputs_naming_one_file_are_refused(tmp_path: Path) -> None:
    target = tmp_path / "run.out"
    alias = tmp_path / "alias.out"
    alias.symlink_to(target)
    status, _, error = run("send", "-n", "1", "--events", str(target), "--pcap", str(alias))
    assert status == 2
    assert error == (f"vtrace send: error: --events {target} and --pcap {alias} are one file; "
                     "give each its own\n")
    assert not target.exists()


def _reported(error: BaseException, command: str) -> tuple[int, str]:
    stream = io.StringIO()
    context = click.Context(click.Group("vtrace"))
    context.invoked_subcommand = command
    return report(error, stream, context), stream.getvalue()


def test_the_labs_exits_are_mapped_where_every_other_is() -> None:
    assert _reported(LabError("QEMU exited (status 1)"), "lab") == (
        1, "vtrace lab: error: QEMU exited (status 1)\n")
    assert _reported(PrerequisiteError(["no gcc: apt-get install gcc",
                                        "no cpio: apt-get install cpio"]), "lab") == (
        1, "vtrace lab: no gcc: apt-get install gcc\nvtrace lab: no cpio: apt-get install cpio\n")
    assert _reported(Stopped(signal.SIGTERM), "lab") == (143, "")
    assert _reported(Stopped(signal.SIGHUP), "send") == (129, "")
    assert _reported(KeyboardInterrupt(), "send") == (130, "")


def test_an_error_on_the_way_out_after_a_signal_counts_as_the_signal() -> None:
    try:
        try:
            raise Stopped(signal.SIGHUP)
        except Stopped:
            raise OSError(errno.EIO, "Input/output error") from None
    except OSError as error:
        assert _reported(error, "send") == (129, "")


def test_a_lab_save_directory_that_cannot_be_made_is_named_not_its_temporary_one() -> None:
    status, _, error = run("lab", "send", "--save", "/proc/run")
    assert status == 2
    assert error.startswith("vtrace lab: error: --save /proc/run: cannot be written: ")
    assert ".vtrace-lab-" not in error


@pytest.mark.parametrize("name", list(COMMANDS))
def test_each_command_names_itself_and_its_help_in_a_usage_error(name: str) -> None:
    status, _, error = run(name, "--no-such-option")
    assert status == 2
    line, = error.splitlines()
    assert line.startswith(f"vtrace {name}: error: No such option")
    assert line.endswith(f"(see 'vtrace {name} --help')")


def test_a_missing_choice_is_one_line() -> None:
    status, _, error = run("lab")
    assert status == 2
    line, = error.splitlines()
    assert line.startswith("vtrace lab: error: Missing argument") and "send" in line
    assert line.endswith("(see 'vtrace lab --help')")
