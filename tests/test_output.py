"""Atomic output: a whole file or none, and devices, pipes and links left as they are."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from vtrace.output import OutputError, atomic_output, check_apart, check_writable


def test_the_target_appears_whole_and_no_temporary_file_stays(tmp_path: Path) -> None:
    target = tmp_path / "run.jsonl"
    with atomic_output(str(target)) as sink:
        sink.write("one\n")
        assert not target.exists()  # nothing is visible until the writer finishes
        sink.write("two\n")
    assert target.read_text() == "one\ntwo\n"
    assert [path.name for path in tmp_path.iterdir()] == ["run.jsonl"]


def test_a_failure_leaves_the_old_file_untouched(tmp_path: Path) -> None:
    target = tmp_path / "run.jsonl"
    target.write_text("old\n")
    with pytest.raises(RuntimeError), atomic_output(str(target)) as sink:
        sink.write("half")
        raise RuntimeError("the renderer failed")
    assert target.read_text() == "old\n"
    assert [path.name for path in tmp_path.iterdir()] == ["run.jsonl"]


def test_a_named_pipe_is_written_to_and_stays_a_pipe(tmp_path: Path) -> None:
    pipe = tmp_path / "events"
    os.mkfifo(pipe)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(pipe.read_text()), daemon=True)
    reader.start()
    with atomic_output(str(pipe)) as sink:
        sink.write("line\n")
    reader.join(timeout=10)
    assert received == ["line\n"]
    assert stat.S_ISFIFO(os.stat(pipe).st_mode)
    assert [path.name for path in tmp_path.iterdir()] == ["events"]


def test_a_link_stays_a_link_to_the_new_file(tmp_path: Path) -> None:
    real = tmp_path / "real.svg"
    real.write_text("old")
    link = tmp_path / "latest.svg"
    link.symlink_to(real)
    with atomic_output(str(link)) as sink:
        sink.write("new")
    assert link.is_symlink() and real.read_text() == "new"


def test_unwritable_places_are_refused_before_any_work(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="is a directory"):
        check_writable(str(tmp_path))
    with pytest.raises(OutputError, match="does not exist"):
        check_writable(str(tmp_path / "missing" / "run.jsonl"))


def test_outputs_apart_from_inputs_and_from_each_other(tmp_path: Path) -> None:
    source = tmp_path / "capture"
    source.mkdir()
    (source / "trace.txt").write_text("kept")
    check_apart([("--events", "-"), ("--pcap", "-")])  # refused elsewhere, not here
    check_apart([("--events", os.devnull), ("--pcap", os.devnull)])  # a device takes both
    check_apart([("--events", str(source / "new.jsonl"))], [str(source)])
    with pytest.raises(OutputError, match="is a file in"):
        check_apart([("--events", str(source / "trace.txt"))], [str(source)])
    with pytest.raises(OutputError, match="are one file"):
        check_apart([("--events", str(tmp_path / "a")), ("--pcap", f"{tmp_path}/./a")])


def test_an_output_that_cannot_be_made_names_the_users_path() -> None:
    with pytest.raises(OutputError, match="empty name"):
        check_writable("")
    with pytest.raises(OutputError, match="^/proc/x.svg: ") as failed, \
            atomic_output("/proc/x.svg"):
        pass
    assert ".tmp" not in str(failed.value)


@pytest.mark.parametrize("keep", [False, True])
def test_a_signal_as_the_temporary_file_is_made_leaves_nothing_behind(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, keep: bool) -> None:
    """The signal comes once the file exists and before Python holds its descriptor."""
    real_open = os.open

    def open_then_interrupted(*args: object, **options: object) -> int:
        os.close(real_open(*args, **options))  # type: ignore[arg-type]
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "open", open_then_interrupted)
    with pytest.raises(KeyboardInterrupt), \
            atomic_output(str(tmp_path / "run.jsonl"), keep_on_interrupt=keep):
        pass
    monkeypatch.undo()
    assert sorted(path.name for path in tmp_path.iterdir()) == (["run.jsonl"] if keep else [])
