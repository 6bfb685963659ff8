"""SIGTERM and SIGHUP end a run as Ctrl-C does, sent for real to a running ``vtrace``.

Each run writes a long stream; the signal comes once the stream's temporary
file has data. Afterwards there is no temporary file, the stream holds only
complete lines, the summary says the run was interrupted, the cursor is shown
again, and the status is 128 plus the signal's number.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import select
import signal
import subprocess
import sys
import tempfile
import termios
import threading
import time
from pathlib import Path

import pytest
from cli_run import interruptible

from vtrace.stop import Stopped, guarded, stoppable

VTRACE = [sys.executable, "-m", "vtrace"]
SIGNALS = [(signal.SIGTERM, 143), (signal.SIGHUP, 129), (signal.SIGINT, 130)]


def _wait_for_data(folder: Path, run: subprocess.Popen[bytes], deadline_s: float = 60) -> None:
    """Until a temporary file in ``folder`` holds some data."""
    end = time.monotonic() + deadline_s
    while not any(path.stat().st_size > 100_000 for path in folder.glob(".*.tmp")):
        assert run.poll() is None, "the run ended before the signal"
        assert time.monotonic() < end, "no data written"
        time.sleep(0.02)


def _stopped(folder: Path, args: list[str], number: int) -> subprocess.CompletedProcess[bytes]:
    """``vtrace ARGS`` run in ``folder`` and sent signal ``number`` while it writes; its
    standard output and error go to files (a pipe nobody reads would stop it)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        run = subprocess.Popen([*VTRACE, *args], cwd=folder, stdin=subprocess.DEVNULL,
                               stdout=out, stderr=err, preexec_fn=interruptible)
        try:
            _wait_for_data(folder, run)
            run.send_signal(number)
            run.wait(60)
        finally:
            if run.poll() is None:
                run.kill()
        out.seek(0)
        err.seek(0)
        return subprocess.CompletedProcess(args, run.returncode, out.read(), err.read())


def _complete_lines(path: Path) -> int:
    data = path.read_bytes()
    assert data.endswith(b"\n")
    lines = data.decode().splitlines()
    for line in lines:
        json.loads(line)
    return len(lines)


@pytest.mark.parametrize("number, status, view", [*((number, status, ("--view", "quiet"))
                                                    for number, status in SIGNALS),
                                                  (signal.SIGTERM, 143, ())])
def test_a_signal_keeps_the_complete_lines_and_says_interrupted(
        number: signal.Signals, status: int, view: tuple[str, ...], tmp_path: Path) -> None:
    done = _stopped(tmp_path, ["send", "-n", "100000", "--events", "out.jsonl", *view], number)
    assert done.returncode == status, done.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == ["out.jsonl"]
    assert _complete_lines(tmp_path / "out.jsonl") > 1
    assert "interrupted: summary so far" in done.stdout.decode()
    assert done.stderr == b""


@pytest.mark.parametrize("number, status", SIGNALS[:2])
def test_a_signal_with_events_on_stdout_puts_the_summary_on_stderr(
        number: signal.Signals, status: int, tmp_path: Path) -> None:
    done = _stopped(tmp_path, ["send", "-n", "100000", "--events", "-", "--pcap", "run.pcap"],
                    number)
    assert done.returncode == status
    assert done.stdout.endswith(b"\n")
    assert "interrupted: summary so far" in done.stderr.decode()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["run.pcap"]


@pytest.mark.parametrize("number, status", SIGNALS[:2])
def test_a_picture_cut_short_by_a_signal_leaves_no_file(
        number: signal.Signals, status: int, tmp_path: Path) -> None:
    run = subprocess.Popen([*VTRACE, "diagram", "-n", "2000", "run.json"], cwd=tmp_path,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_for_data(tmp_path, run)
        run.send_signal(number)
        assert run.wait(60) == status
    finally:
        if run.poll() is None:
            run.kill()
    assert list(tmp_path.iterdir()) == []


def _read_until(controller: int, wanted: bytes | None, run: subprocess.Popen[bytes]) -> bytes:
    """What the run shows on its terminal until ``wanted`` (None: until it ends)."""
    seen = b""
    end = time.monotonic() + 60
    while (wanted is None or wanted not in seen) and time.monotonic() < end:
        if select.select([controller], [], [], 0.5)[0]:
            try:
                seen += os.read(controller, 65536)
            except OSError:  # the run closed its end
                break
        elif run.poll() is not None:
            break
    return seen


def test_sigterm_in_the_live_view_shows_the_cursor_again(tmp_path: Path) -> None:
    controller, device = pty.openpty()
    env = {**os.environ, "COLUMNS": "120", "LINES": "40", "TERM": "xterm"}
    run = subprocess.Popen([*VTRACE, "send", "-n", "100000", "--view", "live", "--speed",
                            "200"], stdin=device, stdout=device, stderr=device, env=env,
                           cwd=tmp_path)
    os.close(device)
    try:
        shown = _read_until(controller, b"\x1b[?25l", run)  # the live view hid the cursor
        assert b"\x1b[?25l" in shown
        run.send_signal(signal.SIGTERM)
        rest = _read_until(controller, None, run)
        assert run.wait(60) == 143
    finally:
        if run.poll() is None:
            run.kill()
        os.close(controller)
    assert b"\x1b[?25h" in rest
    assert b"interrupted: summary so far" in rest


def test_a_signal_during_clean_up_comes_after_it() -> None:
    steps: list[str] = []

    def clean_up() -> None:
        os.kill(os.getpid(), signal.SIGTERM)
        steps.append("clean-up ran to its end")

    with pytest.raises(Stopped) as stopped, guarded(clean_up):
        steps.append("work")
    assert steps == ["work", "clean-up ran to its end"]
    assert stopped.value.status == 143


def test_a_second_signal_after_the_first_waits_for_the_clean_up() -> None:
    steps: list[str] = []

    def clean_up() -> None:
        os.kill(os.getpid(), signal.SIGHUP)
        steps.append("cleaned")

    with pytest.raises(Stopped) as stopped, guarded(clean_up):
        os.kill(os.getpid(), signal.SIGTERM)
        steps.append("not reached")
    assert steps == ["cleaned"]
    assert stopped.value.number == signal.SIGTERM  # the first signal is the one that ends it


def test_an_error_meets_a_signal_during_its_clean_up_and_the_signal_wins() -> None:
    def clean_up() -> None:
        os.kill(os.getpid(), signal.SIGTERM)

    with pytest.raises(Stopped), guarded(clean_up):
        raise RuntimeError("the run failed")


def _own_terminal() -> None:
    """In the child: a session whose controlling terminal is its standard input, so that
    closing the other end hangs it up (SIGHUP) as closing a terminal window does."""
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


@pytest.mark.parametrize("view", ["live", "plain"])
def test_a_closed_terminal_keeps_the_stream_and_exits_129(view: str, tmp_path: Path) -> None:
    controller, device = pty.openpty()
    env = {**os.environ, "COLUMNS": "120", "LINES": "40", "TERM": "xterm"}
    run = subprocess.Popen([*VTRACE, "send", "-n", "100000", "--view", view, "--speed",
                            "2000", "--events", "out.jsonl"], stdin=device, stdout=device,
                           stderr=device, env=env, cwd=tmp_path, preexec_fn=_own_terminal)
    os.close(device)
    try:
        while not any(path.stat().st_size > 100_000 for path in tmp_path.glob(".*.tmp")):
            assert run.poll() is None, "the run ended before its terminal closed"
            _read_until(controller, b"\n", run)  # the terminal shows what comes
        os.close(controller)
        assert run.wait(60) == 129
    finally:
        if run.poll() is None:
            run.kill()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["out.jsonl"]
    assert _complete_lines(tmp_path / "out.jsonl") > 1


def test_a_run_off_the_main_thread_leaves_the_signals_alone() -> None:
    before = signal.getsignal(signal.SIGTERM)
    seen: list[object] = []

    def inside() -> None:
        with stoppable():
            seen.append(signal.getsignal(signal.SIGTERM))

    worker = threading.Thread(target=inside)
    worker.start()
    worker.join()
    assert seen == [before]
