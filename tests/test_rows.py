"""The rows of a sequence diagram: separators, arrows, notes, loops, the elision note."""

from __future__ import annotations

import pytest
from diagram_fixtures import recorded

from vtrace.renderers.base import RenderError
from vtrace.renderers.folding import fold
from vtrace.renderers.rows import Arrow, Loop, Note, Separator, is_summary, items, rows_of


def test_rounds_become_a_separator_then_a_loop() -> None:
    _, events = recorded()
    drawn = items(fold(events))
    assert isinstance(drawn[0], Separator) and drawn[0].title == "frame 0"
    loop = drawn[-1]
    assert isinstance(loop, Loop) and loop.times == 2
    assert loop.title == "× 2: frames 1–2, the same steps each time"
    assert any(isinstance(row, Note) and row.actor == "virtio_net" for row in loop.rows)


def test_arrows_name_their_frame_when_a_round_holds_several() -> None:
    _, events = recorded()
    batch = [event for event in events if event.frame in (0, 1)]
    labels = [row.label for row in rows_of(items(fold(batch, batch=2)))
              if isinstance(row, Arrow)]
    assert "start_xmit  #0" in labels and "start_xmit  #1" in labels


def test_summary_keeps_notes_of_calls_it_does_not_draw() -> None:
    _, events = recorded()
    rows = list(rows_of(items(fold(events, summary=True), summary=True)))
    assert not any(isinstance(row, Arrow) and row.event.step == "virtqueue_kick_prepare"
                   for row in rows)
    assert any(isinstance(row, Note) and row.text.startswith("kick:") for row in rows)


def test_what_was_not_drawn_is_said_at_the_end() -> None:
    _, events = recorded()
    last = items(fold(events, max_steps=10))[-1]
    assert isinstance(last, Note) and last.actor == "" and "not drawn" in last.text


def test_detail_names() -> None:
    assert is_summary("summary") and not is_summary("full")
    with pytest.raises(RenderError):
        is_summary("brief")
