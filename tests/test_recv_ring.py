"""The receive ring in a replay: every buffer the device takes is named with its address and
length, and the frame the host sent is decoded, at every step."""

from __future__ import annotations

import pytest

from vtrace.renderers.ring_contents import RingContents
from vtrace.renderers.ring_view import frame_lines, ring_lines
from vtrace.session import replayed

#: Every era with the split ring; the packed ring where Linux and QEMU have it; vhost-net
#: (which has no packed ring) with the split ring.
LAYOUTS = [("lesson", "split", "qemu"),
           *((era, ring, "qemu") for era in ("modern", "newest") for ring in ("split", "packed")),
           *((era, "split", "vhost-net") for era in ("lesson", "modern", "newest"))]


@pytest.mark.parametrize(("era", "ring", "backend"), LAYOUTS)
@pytest.mark.parametrize("mergeable", [True, False])
def test_no_question_mark_at_any_step_of_a_receive(era: str, ring: str, backend: str,
                                                   mergeable: bool) -> None:
    session = replayed("recv", {"frames": 3, "ring": ring, "mergeable": mergeable,
                                "backend": backend}, era, 1)
    contents = RingContents(session.header, session.scenario)
    decoded = 0
    for event in session.source:
        contents.update(event)
        for lang in ("en", "zh"):
            lines = ring_lines(contents, lang) + frame_lines(contents, lang)
            assert not [line for line in lines if "?" in line], (event.step, lines)
        decoded += any(line.startswith("  UDP ") for line in frame_lines(contents))
    assert decoded


def test_the_taken_buffer_and_its_frame_are_shown() -> None:
    session = replayed("recv", {"frames": 1}, "modern", 1)
    contents = RingContents(session.header, session.scenario)
    for event in session.source:
        contents.update(event)
        if event.step == "virtqueue_split_pop":
            break
    entry = contents.in_use()[0]
    assert entry.addr is not None and entry.length is not None and entry.state == "device"
    lines = frame_lines(contents)
    assert lines[0] == "frame #0, first bytes"
    assert any("IPv4 src=10.0.2.2 dst=10.0.2.15" in line for line in lines)
