"""Pinned drawing: text measures, wrapping, and the DOT source a canvas makes."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vtrace import scenarios
from vtrace.catalog import ERAS
from vtrace.renderers.canvas import Canvas, text_width, wrap
from vtrace.renderers.sequence import sequence_source
from vtrace.session import Session


def test_wide_characters_count_double() -> None:
    assert text_width("ab", 10) < text_width("中", 10) * 2 <= text_width("中文", 10) + 0.01
    assert text_width("one\nlonger line", 10) == text_width("longer line", 10)


@given(st.text(alphabet=st.sampled_from("ab cd中文 \n"), max_size=80),
       st.floats(min_value=40, max_value=300))
def test_wrapped_lines_fit_and_keep_every_character(text: str, width: float) -> None:
    lines = wrap(text, width, 10)
    assert all(text_width(line, 10) <= width for line in lines if len(line) > 1)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "").replace("\n", "")


@pytest.mark.parametrize("width", [60.0, 80.0, 100.0, 130.0, 160.0, 200.0])
def test_an_interval_is_never_broken(width: float) -> None:
    text = "interrupt: used_event 0 is in [0, 1) and avail_event 12 is not in [3, 9)"
    lines = wrap(text, width, 10)
    assert all(line.count("[") == line.count(")") for line in lines), lines
    assert "[0, 1)" in "\n".join(lines) and "[3, 9)" in "\n".join(lines)


def test_breaks_fall_between_words() -> None:
    assert wrap("kick suppressed: the device is busy", 110, 10) == [
        "kick suppressed:", "the device is", "busy"]


def test_source_pins_every_node_and_flips_y() -> None:
    canvas = Canvas("picture", comment="a\nb")
    node = canvas.box(10, 20, 72, 36, label="<b>not html</b>")
    canvas.line((0, 0), (100, 0), tooltip='say "hi"')
    source = canvas.source()
    assert source.startswith("// a b\n")
    assert f'{node} [label="<b>not html</b>"' in source
    assert 'pos="10.0,-20.0!"' in source and "width=1.000" in source
    assert 'tooltip="say \\"hi\\""' in source
    assert "layout=neato" in source and "inputscale=72" in source and "splines=false" in source


def test_background_nodes_come_before_front_ones() -> None:
    canvas = Canvas("layers")
    front = canvas.text(0, 0, "on top")
    back = canvas.box(0, 0, 10, 10)
    source = canvas.source()
    assert source.index(f"\t{back} ") < source.index(f"\t{front} ")


def test_a_paragraph_does_not_end_on_a_lone_character() -> None:
    sentence = "通知：avail_event 0 落在 [0, 1) 中"
    width = text_width("通知：avail_event 0 落在 [0, 1)", 10)
    assert wrap(sentence, width, 10) == ["通知：avail_event 0 落在", "[0, 1) 中"]
    assert wrap("abc def g", text_width("abc def", 10), 10) == ["abc", "def g"]
    assert wrap("中文", text_width("中", 10), 10) == ["中", "文"]  # nothing left to take along


@pytest.mark.parametrize("name", ["send", "recv", "setup"])
def test_no_chinese_note_ends_on_a_lone_character(name: str) -> None:
    for era in ERAS:
        header, events = scenarios.replay(name, {}, era, 1)
        dot = sequence_source(Session(header, events), lang="zh")
        assert not re.search(r"\\l[^\\\\\"]\\l\"", dot), (era, re.findall(r'"[^"]*\\l.\\l"', dot))
