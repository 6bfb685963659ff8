"""English and Chinese: complete translations, Chinese output for every step, aligned columns."""

from __future__ import annotations

import io
import re
import string

import pytest
from click.testing import CliRunner
from rich.cells import cell_len

from vtrace.catalog import CATALOG, ERAS
from vtrace.cli import cli, main
from vtrace.cli.env import Environment
from vtrace.i18n import (
    LANGS,
    default_lang,
    era_label,
    message_keys,
    say,
    step_lesson,
    step_note,
    step_text,
)

CJK = re.compile(r"[\u4e00-\u9fff]")


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_message_exists_in_both_languages() -> None:
    assert message_keys("en") == message_keys("zh")
    assert LANGS == ("en", "zh")


@pytest.mark.parametrize("key", sorted(message_keys("en")))
def test_translations_keep_the_placeholders(key: str) -> None:
    english, chinese = say(key, "en"), say(key, "zh")
    assert _fields(english) == _fields(chinese)
    assert chinese != english or key == "era.newest", key


@pytest.mark.parametrize("key", sorted(CATALOG))
def test_every_step_text_and_note_has_chinese(key: str) -> None:
    step = CATALOG[key]
    assert CJK.search(step.text["zh"])
    assert set(step.lesson) == ({"en", "zh"} if step.lesson else set())
    if step.lesson:
        assert CJK.search(step.lesson["zh"])
    for note in step.notes.values():
        assert set(note) == {"en", "zh"} and CJK.search(note["zh"])


def test_step_texts_fall_back_to_english() -> None:
    step = CATALOG["virtqueue_add"]
    assert step_text(step, "zh") == step.text["zh"]
    assert step_text(step, "fr") == step.text["en"]
    assert step_note(step, "4.19", "zh") == step.notes["4.19"]["zh"]
    assert step_note(step, "9.9") == ""
    assert step_lesson(CATALOG["vp_notify"]) == ""


def test_era_labels() -> None:
    for chosen in ERAS.values():
        assert era_label(chosen, "en").startswith(f"Linux {chosen.linux} + QEMU {chosen.qemu}")
        assert "Linux" in era_label(chosen, "zh")


@pytest.mark.parametrize(("environment", "expected"), [
    ({"VTRACE_LANG": "zh"}, "zh"),
    ({"VTRACE_LANG": "zh", "LANG": "en_US.UTF-8"}, "zh"),
    ({"LANG": "zh_CN.UTF-8"}, "zh"),
    ({"LC_ALL": "en_GB.UTF-8", "LANG": "zh_CN.UTF-8"}, "en"),
    ({"VTRACE_LANG": "klingon"}, "en"),
    ({}, "en"),
])
def test_default_language(environment: dict[str, str], expected: str) -> None:
    assert default_lang(environment) == expected


def test_the_default_language_is_the_environments_not_the_process(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("VTRACE_LANG", "en")
    out = io.StringIO()
    env = Environment(argv=("steps",), stdout=out, stderr=io.StringIO(),
                      environ={"VTRACE_LANG": "zh"})
    with pytest.raises(SystemExit) as done:
        main(["steps"], env)
    assert done.value.code in (0, None)
    written = out.getvalue() + capsys.readouterr().out
    assert say("steps.title", "zh", era=era_label(ERAS["modern"], "zh")) in written


def _plain(*args: str) -> list[str]:
    result = CliRunner().invoke(cli, ["send", "--view", "plain", "--lang", "zh", *args])
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


@pytest.mark.parametrize("name", sorted(ERAS))
def test_chinese_output_explains_every_step(name: str) -> None:
    lines = _plain("--era", name, "-n", "4", "-b", "2")
    calls = [line for line in lines if " — " in line]
    assert calls
    for line in calls:
        explanation = line.split(" — ", 1)[1]
        assert CJK.search(explanation), line
    assert any(line.lstrip().startswith("↳") and CJK.search(line) for line in lines)
    assert any("暂不通知" in line for line in lines)


def test_chinese_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VTRACE_LANG", "zh")
    result = CliRunner().invoke(cli, ["send", "--view", "quiet", "-n", "1"])
    assert result.exit_code == 0
    assert "小结" in result.output


def test_chinese_summary_lines_up_in_the_terminal() -> None:
    result = CliRunner().invoke(cli, ["send", "--view", "quiet", "--lang", "zh", "-n", "2"])
    rows = [line for line in result.output.splitlines()[1:] if line.strip()]
    assert len(rows) == 15 and CJK.search(rows[0])
    # Each total ends in one column; a row with a per-frame figure goes 14 columns further.
    widths = {cell_len(line) for line in rows}
    assert len(widths) == 2 and max(widths) - min(widths) == 14, rows
