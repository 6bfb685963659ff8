"""Choosing and running the Graphviz program: dot when on PATH, else graphviz-pure."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from vtrace.renderers.base import RenderError
from vtrace.renderers.graphviz_run import Program, cjk_fonts, find_program, render_source
from vtrace.renderers.sequence import SequenceRenderer

SMALL = 'digraph g { a -> b }'


def fake_dot(folder: Path, script: str) -> Path:
    folder.mkdir(exist_ok=True)
    program = folder / "dot"
    program.write_text("#!/bin/sh\n" + script + "\n")
    program.chmod(0o755)
    return program


def test_without_dot_graphviz_pure_is_found_beside_python(monkeypatch: pytest.MonkeyPatch,
                                                          tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    program = find_program()
    assert program.name == "graphviz-pure"
    assert Path(program.path).parent == Path(sys.executable).parent
    assert render_source(SMALL, "svg", program).lstrip().startswith(b"<?xml")


def test_dot_on_path_is_preferred(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    dot = fake_dot(tmp_path / "bin", "cat >/dev/null; echo '<svg/>'")
    monkeypatch.setenv("PATH", str(dot.parent))
    program = find_program("auto")
    assert program == Program("dot", str(dot))
    assert render_source(SMALL, "pdf", program) == b"<svg/>\n"
    assert find_program("graphviz-pure").name == "graphviz-pure"


def test_a_failing_program_reports_its_last_line(monkeypatch: pytest.MonkeyPatch,
                                                 tmp_path: Path) -> None:
    dot = fake_dot(tmp_path / "bin", "echo 'Warning: fonts' >&2; echo 'Error: syntax' >&2; exit 1")
    with pytest.raises(RenderError, match="dot failed: Error: syntax"):
        render_source(SMALL, "svg", Program("dot", str(dot)))


def test_dot_asked_for_but_missing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RenderError, match="apt install graphviz"):
        find_program("dot")


def test_no_program_at_all(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    with pytest.raises(RenderError, match="pip install graphviz-pure"):
        find_program()


def test_graphviz_pure_has_no_pdf() -> None:
    with pytest.raises(RenderError, match="cannot write PDF; install Graphviz"):
        Program("graphviz-pure", "graphviz-pure").check_format("pdf")


def test_unknown_renderer_name() -> None:
    with pytest.raises(RenderError):
        find_program("neato")


def fake_fc_list(folder: Path, families: str) -> None:
    folder.mkdir(exist_ok=True)
    program = folder / "fc-list"
    program.write_text(f"#!/bin/sh\nprintf '{families}'\n")
    program.chmod(0o755)


def test_a_chinese_picture_without_a_chinese_font_names_the_package(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake_fc_list(tmp_path / "bin", "")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    assert cjk_fonts() == []
    with pytest.raises(RenderError, match="apt install fonts-noto-cjk"):
        SequenceRenderer(lang="zh")
    SequenceRenderer(lang="en")  # English needs no Chinese font
    SequenceRenderer(lang="zh", output_format="dot")  # nor does the DOT source


def test_a_chinese_font_or_no_fc_list_lets_it_draw(monkeypatch: pytest.MonkeyPatch,
                                                  tmp_path: Path) -> None:
    fake_fc_list(tmp_path / "bin", "Noto Sans CJK SC\\n")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    assert cjk_fonts() == ["Noto Sans CJK SC"]
    SequenceRenderer(lang="zh")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert cjk_fonts() is None  # fontconfig cannot be asked: no claim either way
    SequenceRenderer(lang="zh")
