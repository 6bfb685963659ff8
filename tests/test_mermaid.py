"""Mermaid sequence diagrams: boxes, numbering, notes, loops, and text that stays text."""

from __future__ import annotations

import io
import re

from diagram_fixtures import (
    HOSTILE,
    assert_snapshot,
    hostile_events,
    hostile_header,
    recorded,
    rounds,
)

from vtrace.model import ACTORS
from vtrace.renderers.escape import mermaid_text
from vtrace.renderers.mermaid import MermaidRenderer, mermaid_lines
from vtrace.session import Session

#: Every statement the writer may produce, one per line.
STATEMENT = re.compile(
    r"%% .*|sequenceDiagram|title [^;#]*(?:#\d+;[^;#]*)*|autonumber|"
    r"box rgb\(\d+, \d+, \d+\) [^()]+|end|"
    r"participant \w+ as [^;#]*(?:#\d+;[^;#]*)*|"
    r"Note (?:right of \w+|over \w+(?:,\w+)?): .+|loop .+|rect rgb\(\d+, \d+, \d+\)|"
    r"\w+(?:->>|-->>|-\))\w+: .+")


def statements(lines: list[str]) -> list[str]:
    return [line.strip() for line in lines]


def test_snapshot_of_three_frames() -> None:
    header, events = recorded()
    out = io.StringIO()
    MermaidRenderer().render(Session(header, events), out)
    assert_snapshot("mermaid-3-frames.mmd", out.getvalue())


def test_boxes_hold_the_lifelines_in_order_and_arrows_are_numbered() -> None:
    header, events = recorded()
    lines = statements(mermaid_lines(Session(header, events)))
    assert lines[1] == "sequenceDiagram" and lines[3] == "autonumber"
    assert lines[2] == "title 3 frames of 128 bytes, Linux 6.1 + QEMU 7.2, EVENT_IDX on, " \
        "ioeventfd on"
    aliases = [line.split(" as ")[1].split("<br/>")[0] for line in lines
               if line.startswith("participant ")]
    assert aliases == [actor for actor in ACTORS if actor != "vhost"]  # QEMU's back end
    assert sum(line.startswith("box ") for line in lines) == 6
    assert all(STATEMENT.fullmatch(line) for line in lines), [
        line for line in lines if not STATEMENT.fullmatch(line)]


def test_a_repeated_frame_is_a_loop_and_crossings_are_tinted() -> None:
    header, events = recorded()
    lines = statements(mermaid_lines(Session(header, events)))
    assert "loop × 2: frames 1–2, the same steps each time" in lines
    assert lines.count("Note over app,host_stack: frame 0") == 1
    exit_line = lines.index("virtio_net->>kvm: VM exit: handle_ept_misconfig")
    assert lines[exit_line - 1].startswith("rect ") and lines[exit_line + 1] == "end"
    assert "kvm-->>virtio_net: VM entry" in lines
    assert "virtio_net-)vring: avail.idx=1" in lines
    assert any(line.startswith("Note right of virtio_net: kick:") for line in lines)
    assert lines.count("loop × 2: frames 1–2, the same steps each time") == 1


def test_summary_keeps_the_crossings_only() -> None:
    header, events = recorded()
    first = list(rounds(header, events, 1))
    full = mermaid_lines(Session(header, first))
    summary = mermaid_lines(Session(header, first), summary=True)
    arrows = [line for line in summary if "->>" in line or "-)" in line]
    assert 0 < len(arrows) < len([line for line in full if "->>" in line]) / 3
    self_call = re.compile(r"^\s*(\w+)(?:->>|-->>|-\))\1:")
    assert any(self_call.search(line) for line in full)  # the full diagram has some
    assert not any(self_call.search(line) for line in arrows)


def test_hostile_text_cannot_break_a_statement() -> None:
    lines = statements(mermaid_lines(Session(hostile_header(), hostile_events())))
    assert all(STATEMENT.fullmatch(line) for line in lines), [
        line for line in lines if not STATEMENT.fullmatch(line)]
    body = "\n".join(lines[1:])
    assert "<script>" not in body and ";" not in re.sub(r"#\d+;", "", body)
    assert mermaid_text(HOSTILE) in body
