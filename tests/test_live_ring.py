"""The ring's contents read off the stream: descriptors, ring entries, headers, --show-ring."""

from __future__ import annotations

import io

import pytest

from vtrace.cli import main
from vtrace.cli.env import Environment
from vtrace.codec import encode, read_stream
from vtrace.model import Header, Source
from vtrace.renderers.ring_contents import RingContents
from vtrace.renderers.ring_view import decode_headers, frame_lines, ring_lines
from vtrace.scenarios.send import SEND
from vtrace.session import replayed


def _run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as exited:
        main(list(args), Environment(argv=args, stdout=out, stderr=err, environ={}))
    return int(exited.value.code or 0), out.getvalue(), err.getvalue()


def test_the_plain_view_prints_the_ring_after_each_descriptor_step() -> None:
    code, out, _ = _run("send", "--frames", "2", "--view", "plain", "--show-ring")
    assert code == 0
    assert out.count("│ descriptor table, entries in use") == 8  # add, take, use, free x 2
    assert "│   [0] addr=0x2000 len=140 flags=0 next=1  #0  taken by the device" in out
    assert "│   idx=1 ring[1]=0 len=0  not taken yet" in out
    assert out.count("frame #1, first bytes") == 1


def test_show_ring_is_refused_outside_the_plain_view() -> None:
    code, _, err = _run("send", "--view", "quiet", "--show-ring")
    assert code == 2 and len(err.splitlines()) == 1 and "--show-ring" in err


def test_a_wrapped_ring_puts_entries_in_their_slots() -> None:
    session = replayed("send", {"frames": 40, "batch": 8, "queue_size": 32,
                                "interval_ns": 0}, "modern", 1)
    contents = RingContents(session.header, session.scenario)
    for event in session.source:
        contents.update(event)
    assert contents.avail_written == 40 and contents.avail_entries()[-1].slot == 39 % 32
    assert contents.values["num_free"] == 32 == 32 - len(contents.in_use())


@pytest.mark.parametrize(("era", "hdr_len"), [("modern", 12), ("newest", 24)])
def test_headers_decode_from_a_rebuilt_frame(era: str, hdr_len: int) -> None:
    # The newest era's Linux 7.2 and QEMU 10.2 agree on UDP tunnel GSO: a 24-byte header.
    session = replayed("send", {"frames": 1, "size": 200}, era, 1)
    contents = RingContents(session.header, session.scenario)
    for event in session.source:
        contents.update(event)
    data = contents.frame_bytes()
    assert data is not None and len(data) == hdr_len + 200 and contents.hdr_len == hdr_len
    lines = decode_headers(data, contents.hdr_len)
    assert lines[0].startswith("virtio_net_hdr flags=0 gso_type=none")
    assert "IPv4 src=10.0.2.15 dst=10.0.2.2 total_len=186" in lines[2]
    assert lines[3].startswith("UDP src_port=40000 dst_port=9 len=166")


def test_a_captured_stream_shows_what_its_events_say_and_no_bytes() -> None:
    session = replayed("send", {"frames": 1}, "modern", 1)
    captured = Header(session.header.vtrace_version, "send", session.header.params, 1,
                      source=Source.TRACE)
    header, events = read_stream([encode(captured), *(encode(e) for e in session.source)])
    contents = RingContents(header, SEND)
    for event in events:
        contents.update(event)
        if event.step == "virtqueue_add_split":
            break
    assert frame_lines(contents) == ["frame #0: 140 bytes, not recorded in the stream"]
    assert "  [0] addr=0x2000 len=140 flags=0 next=1  #0  available" in ring_lines(contents)
