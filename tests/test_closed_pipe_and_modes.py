"""A reader that stops early ends vtrace quietly, and kept files follow the umask."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from vtrace.output import atomic_output


@pytest.mark.parametrize("args", [
    ["send", "--frames", "2000", "--events", "-"],
    ["send", "--frames", "2000", "--view", "plain"],
])
def test_a_closed_pipe_ends_the_run_quietly_with_status_0(args: list[str]) -> None:
    """As in ``vtrace ... | head -1``: read one line, close the pipe, keep the status. The
    runs write megabytes, far more than a pipe holds, so they do meet the closed pipe."""
    child = subprocess.Popen([sys.executable, "-m", "vtrace", *args], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
    assert child.stdout is not None and child.stderr is not None
    assert child.stdout.readline()
    child.stdout.close()
    errors = child.stderr.read()
    assert child.wait(timeout=120) == 0
    assert errors == b""


@pytest.fixture
def umask() -> Iterator[int]:
    chosen = 0o027
    previous = os.umask(chosen)
    try:
        yield chosen
    finally:
        os.umask(previous)


def test_a_finished_file_follows_the_umask(tmp_path: Path, umask: int) -> None:
    path = tmp_path / "run.jsonl"
    with atomic_output(str(path)) as out:
        out.write("{}\n")
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


def test_a_file_kept_after_ctrl_c_follows_the_umask_like_a_finished_one(
        tmp_path: Path, umask: int) -> None:
    path = tmp_path / "run.jsonl"
    with pytest.raises(KeyboardInterrupt), \
            atomic_output(str(path), keep_on_interrupt=True) as out:
        out.write("{}\n")
        raise KeyboardInterrupt
    assert path.read_text() == "{}\n"
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask
