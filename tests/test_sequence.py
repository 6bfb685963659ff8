"""Sequence diagrams with Graphviz: what the picture holds, in which order, and its size."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ElementTree

import pytest
from diagram_fixtures import (
    HOSTILE,
    assert_snapshot,
    hostile_events,
    hostile_header,
    recorded,
    rounds,
)

from vtrace.catalog import era
from vtrace.model import ACTORS, Event, Header, Kind
from vtrace.renderers.base import RenderError
from vtrace.renderers.escape import clean
from vtrace.renderers.sequence import SequenceRenderer, sequence_source
from vtrace.scenarios.send import SendParams, send
from vtrace.session import Session


def render(header: Header, events: list[Event] | object, output_format: str = "svg",
           **options: str) -> bytes:
    out = io.BytesIO()
    SequenceRenderer(output_format=output_format, **options).render(  # type: ignore[arg-type]
        Session(header, events), out)  # type: ignore[arg-type]
    return out.getvalue()


def texts(svg: bytes) -> list[tuple[float, str]]:
    """(y, text) of every text element, top to bottom as drawn."""
    root = ElementTree.fromstring(svg)
    found = [(float(element.get("y", "0")), element.text or "")
             for element in root.iter() if element.tag.endswith("}text")]
    return sorted(found)


def one_frame() -> tuple[Header, list[Event]]:
    header, events = recorded()
    return header, list(rounds(header, events, 1))


def test_the_svg_holds_every_lifeline_and_the_chain_top_to_bottom() -> None:
    header, events = one_frame()
    drawn = texts(render(header, events))
    words = [text for _, text in drawn]
    for actor in ACTORS:  # the head and the foot of each lifeline, none for the vhost worker
        assert words.count(actor) == (0 if actor == "vhost" else 2), actor
    title = "3 frames of 128 bytes, Linux 6.1 + QEMU 7.2, EVENT_IDX on, ioeventfd on"
    assert title in words
    numbered = [(y, text) for y, text in drawn if re.match(r"\d+ ", text) and text != title]
    numbers = [int(text.split(" ", 1)[0]) for _, text in numbered]
    assert numbers == list(range(1, len(numbered) + 1))  # numbered top to bottom
    chain = [event.function for event in events if event.kind is Kind.CALL]
    labels = iter(text for _, text in numbered)
    for function in chain:  # each call, in stream order, on its own lower row
        assert any(label.endswith(f" {function}") or f": {function}" in label
                   for label in labels), function


def test_the_boundary_crossings_are_named() -> None:
    header, events = one_frame()
    words = " ".join(text for _, text in texts(render(header, events)))
    assert "VM exit: handle_ept_misconfig" in words
    assert "VM entry" in words
    assert "interrupt: vring_interrupt" in words
    assert "guest | host" in words


def test_dot_snapshot_of_three_frames() -> None:
    header, events = recorded()
    assert_snapshot("sequence-3-frames.dot", render(header, events, "dot").decode("utf-8"))


def test_summary_draws_one_arrow_per_layer_crossing() -> None:
    header, events = one_frame()
    full = sequence_source(Session(header, events))
    summary = sequence_source(Session(header, events), summary=True)
    assert summary.count(" -> ") < full.count(" -> ") / 3
    assert "VM exit: handle_ept_misconfig" in summary
    assert "virtqueue_add_outbuf" not in summary.split("tooltip")[0]


def test_identical_frames_fold_into_a_loop() -> None:
    header, events = recorded()
    words = " ".join(text for _, text in texts(render(header, events)))
    assert "× 2: frames 1–2, the same steps each time" in words
    assert "frame 0" in words


def test_ten_thousand_identical_frames_draw_within_three_times_one_frame() -> None:
    header, events = recorded()
    one = render(header, list(rounds(header, events, 1)))
    many = render(header, rounds(header, events, 10_000))
    assert len(many) < 3 * len(one)
    assert "× 9,999" in many.decode("utf-8")


def test_a_replay_without_repeats_is_cut_short_with_a_note() -> None:
    events = send(SendParams(frames=400, batch=32), era("modern"), 1)
    source = sequence_source(Session(Header("0", "send", {"batch": 32}, 1), events), max_steps=300)
    assert "not drawn" in source
    assert source.count("shape=point") < 300 * 8


def test_chinese_words_and_a_cjk_capable_font() -> None:
    header, events = one_frame()
    source = sequence_source(Session(header, events), lang="zh")
    assert "客户机内核" in source and "Noto Sans CJK SC" in source


def test_hostile_labels_stay_text_in_dot_and_svg() -> None:
    svg = render(hostile_header(), hostile_events())
    root = ElementTree.fromstring(svg)  # well-formed despite the quotes, tags and controls
    assert not [element for element in root.iter() if element.tag.endswith("script")]
    shown = " ".join(element.text or "" for element in root.iter()
                     if element.tag.endswith("}text"))
    assert "<script>alert(1)</script>" in shown
    assert "&amp;" in shown and "\\N\\l" in shown
    assert clean(HOSTILE).split("\n")[0] in shown


def test_formats_a_graphviz_diagram_cannot_have() -> None:
    with pytest.raises(RenderError):
        SequenceRenderer(output_format="gif")
    with pytest.raises(RenderError):
        SequenceRenderer(detail="some")
