"""Breaking lines for a terminal: never inside a name, Chinese between characters."""

from __future__ import annotations

import io
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.cells import cell_len

from vtrace.i18n import LANGS
from vtrace.renderers.plain import PlainRenderer
from vtrace.renderers.wrapping import wrap
from vtrace.session import replayed

NAMES = st.from_regex(r"[a-z_][a-z0-9_./:=]{0,14}", fullmatch=True)
HAN = st.sampled_from(list("通知落在设备是否需要中断队列"))
MARKS = st.sampled_from(list("，。："))
TEXT = st.lists(st.one_of(NAMES, HAN, MARKS, st.just(" "), st.just("  ")), max_size=60).map(
    "".join)


@given(TEXT, st.integers(24, 100))
def test_no_line_is_wider_and_no_name_is_cut(text: str, width: int) -> None:
    lines = wrap(text, width, "    ")
    assert all(cell_len(line) <= width for line in lines)
    names = re.findall(r"[a-z_][a-z0-9_./:=]*", text)
    kept = re.findall(r"[a-z_][a-z0-9_./:=]*", "\n".join(lines))
    if all(len(name) <= width - 8 for name in names):  # only a name wider than a line is cut
        assert kept == names
        if not re.search(r"\s[，。：]", text):  # a mark after a space may start a line
            assert all(not line.strip().startswith(("，", "。", "：")) or line is lines[0]
                       for line in lines)
    assert "".join("".join(lines).split()) == "".join(text.split())


@pytest.mark.parametrize("lang", LANGS)
def test_the_plain_view_on_a_narrow_terminal(lang: str) -> None:
    session = replayed("recv", {"frames": 1}, "lesson", 1)
    events = list(session.source)
    out = io.StringIO()
    PlainRenderer(lang=lang, width=72).render(session.fed(events), out)
    text = out.getvalue()
    assert all(cell_len(line) <= 72 for line in text.splitlines())
    for event in events:
        assert re.search(rf"(^|\s){re.escape(event.function)}(\s|$)", text, re.M)
    whole = io.StringIO()
    PlainRenderer(lang=lang).render(session.fed(events), whole)
    assert "".join(text.split()) == "".join(whole.getvalue().split())
