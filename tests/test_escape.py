"""Escaping text for DOT (and the SVG drawn from it) and Mermaid."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree

from hypothesis import given
from hypothesis import strategies as st

from vtrace.renderers.escape import (
    REPLACEMENT,
    clean,
    dot_text,
    mermaid_box_title,
    mermaid_text,
)
from vtrace.renderers.graphviz_run import find_program, render_source

HOSTILE = [
    '"><script>alert(1)</script>',
    "a\\\"b\\",
    "\\N \\G \\l \\n \\E",
    "&amp; &lt; & <b>bold</b>",
    "line one\nline two\r\nthree\rfour",
    "semi;colon #hash %%{init: {}}%% wrap:me",
    "tab\there\x00nul\x07bell\x1bescape",
    "lone \ud800 surrogate \ufffe",
    "中文 标签",
]


@given(st.text())
def test_clean_leaves_nothing_xml_cannot_hold(text: str) -> None:
    cleaned = clean(text)
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]", cleaned)
    cleaned.encode("utf-8")


@given(st.text())
def test_dot_text_is_one_closed_string(text: str) -> None:
    escaped = dot_text(text)
    assert "\n" not in escaped and "\r" not in escaped
    # Every quote is escaped: removing escaped pairs leaves no quote and no lone backslash.
    rest = re.sub(r"\\.", "", escaped)
    assert '"' not in rest and "\\" not in rest


@given(st.text())
def test_left_justified_dot_text_ends_every_line_left(text: str) -> None:
    tokens = re.findall(r"\\.|[^\\]", dot_text(text, left=True))  # escapes read as one
    assert tokens[-1] == "\\l"
    assert tokens.count("\\l") == clean(text).count("\n") + 1


@given(st.text())
def test_mermaid_text_cannot_end_a_statement_or_open_html(text: str) -> None:
    # Mermaid turns #NN; codes into characters before it parses, so only the rest counts.
    rest = re.sub(r"#\d+;", "", mermaid_text(text)).replace("<br/>", "")
    assert not set(rest) & set(';#&"<>%\n\r')


def test_mermaid_keeps_readable_text_readable() -> None:
    assert mermaid_text("kick: avail_event 0 is in [0, 1)") == "kick: avail_event 0 is in [0, 1)"
    assert mermaid_text("a;b#c") == "a#59;b#35;c"
    assert mermaid_text("one\ntwo") == "one<br/>two"


def test_mermaid_box_titles_have_no_parentheses() -> None:
    assert mermaid_box_title("QEMU (host user space)") == "QEMU #40;host user space#41;"


def test_dot_text_spells_out_what_graphviz_would_interpret() -> None:
    assert dot_text('say "hi"') == 'say \\"hi\\"'
    assert dot_text("\\N") == "\\\\N"
    assert dot_text("&lt;") == "&amp;lt;"
    assert dot_text("a\nb") == "a\\nb"
    assert dot_text("a\nb", left=True) == "a\\lb\\l"
    assert dot_text("x\x00y") == f"x{REPLACEMENT}y"


def test_hostile_labels_come_out_of_graphviz_as_written() -> None:
    """Each label, drawn by a real Graphviz program, is well-formed SVG showing the text."""
    nodes = "\n".join(f'n{index} [shape=plaintext label="{dot_text(label)}"]'
                      for index, label in enumerate(HOSTILE))
    svg = render_source(f"digraph hostile {{\n{nodes}\n}}\n", "svg", find_program())
    root = ElementTree.fromstring(svg)
    shown = {" ".join(element.text or "" for element in group.iter()
                      if element.tag.endswith("text")).strip()
             for group in root.iter() if group.get("class") == "node"}
    for label in HOSTILE:
        expected = " ".join(line.strip() for line in clean(label).split("\n"))
        assert " ".join(expected.split()) in {" ".join(text.split()) for text in shown}
