"""vtrace diff: two eras' first frames lined up, each change named and explained."""

from __future__ import annotations

import pytest

from vtrace.cli import main
from vtrace.era_diff import era_diff


def changes(left: str, right: str, **params: object) -> dict[str, set[str]]:
    """function -> the changes it is marked with."""
    found: dict[str, set[str]] = {}
    for pair in era_diff("send", {"frames": 1, **params}, left, right).pairs:
        place = pair.left or pair.right
        assert place is not None
        found.setdefault((pair.right or pair.left or place).function, set()).update(pair.changes)
    return found


def test_lesson_against_modern_names_each_kind_of_change() -> None:
    found = changes("lesson", "modern")
    assert found["handle_ept_misconfig"] == {"moved"}  # vmx.c -> vmx/vmx.c
    assert found["virtqueue_add_split"] == {"absent"}  # no split ring code in 4.19
    assert found["virtqueue_split_pop"] == {"absent"}  # nor in QEMU 3.1
    assert "switch" in found["virtnet_poll_tx"]  # exists in 4.19, napi_tx off by default
    assert found["start_xmit"] == {"line"}
    diff = era_diff("send", {"frames": 1}, "lesson", "modern")
    assert ("napi_tx", False, True) in diff.switches


def test_modern_against_newest_sees_the_rename() -> None:
    assert "renamed" in changes("modern", "newest")["free_old_xmit"]


def test_the_same_era_twice_changes_nothing() -> None:
    diff = era_diff("send", {"frames": 1}, "modern", "modern")
    assert {change for pair in diff.pairs for change in pair.changes} == {"same"}
    assert diff.switches == ()


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as done:
        main(["diff", *args])
    out, err = capsys.readouterr()
    code = done.value.code
    return (code if isinstance(code, int) else 1), out, err


def test_the_command_in_english_and_chinese(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--era", "lesson", "--era", "modern")
    assert code == 0
    assert "lesson: Linux 4.19 + QEMU 3.1" in out and "modern: Linux 6.1 + QEMU 7.2" in out
    assert "moved file" in out and "absent: no such function in lesson" in out
    assert "Network virtualization: how to found an independent cooperative" in out
    code, out, _ = run(capsys, "--era", "lesson", "--era", "modern", "--lang", "zh")
    assert code == 0 and "换了文件" in out and "不同的行为开关" in out


def test_bad_input_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--era", "lesson")
    assert code == 2 and len(err.strip().splitlines()) == 1
    code, _, err = run(capsys, "--scenario", "setup", "--no-ioeventfd")
    assert code == 2 and "not a parameter of the setup scenario" in err
