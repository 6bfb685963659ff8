"""What the diagram tests share: a recorded stream, a hostile one, and snapshot files.

``VTRACE_UPDATE_SNAPSHOTS=1 pytest`` rewrites the files under
tests/snapshots/ instead of comparing, after a change to the output that
was meant; review the diff before committing it.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from pathlib import Path

from vtrace.model import Event, Header, Kind, Layer, Phase, Place
from vtrace.session import from_file

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
#: ``vtrace send -n 3 --events tests/data/send-3-frames.jsonl``: frame 0, then two alike.
RECORDED = Path(__file__).resolve().parent / "data" / "send-3-frames.jsonl"

#: Text no output may pass through unescaped.
HOSTILE = '"><script>alert(1)</script> &amp; \\N\\l; #35; %%{init}%% `x` \n next\x07 \ud800 中文'


def assert_snapshot(name: str, text: str) -> None:
    path = SNAPSHOTS / name
    if os.environ.get("VTRACE_UPDATE_SNAPSHOTS") == "1":
        path.write_text(text, encoding="utf-8")
        return
    assert path.exists(), f"no snapshot {name}; run with VTRACE_UPDATE_SNAPSHOTS=1 to make it"
    assert text == path.read_text(encoding="utf-8"), (
        f"{name} changed; if that was meant, run with VTRACE_UPDATE_SNAPSHOTS=1")


def recorded() -> tuple[Header, list[Event]]:
    """The header and events of the recorded three frames."""
    with RECORDED.open(encoding="utf-8") as lines:
        session = from_file(lines)
        return session.header, list(session.events())


def rounds(header: Header, events: list[Event], count: int) -> Iterator[Event]:
    """The recorded stream stretched to ``count`` frames: frame 0, then frame 1's round
    again and again, renumbered, as a long replay of identical frames would be."""
    first = [event for event in events if event.seq < _start_of(events, 1)]
    second = [event for event in events if _start_of(events, 1) <= event.seq
              < _start_of(events, 2)]
    yield from first
    span = second[-1].t_ns - second[0].t_ns + 1000
    for frame in range(1, count):
        for event in second:
            yield dataclasses.replace(
                event, frame=None if event.frame is None else event.frame + frame - 1,
                t_ns=event.t_ns + (frame - 1) * span)


def _start_of(events: list[Event], frame: int) -> int:
    return next(event.seq for event in events if event.frame == frame)


def hostile_header() -> Header:
    return Header(HOSTILE, HOSTILE, {HOSTILE: HOSTILE, "batch": 1}, 7, (HOSTILE,))


def hostile_events() -> list[Event]:
    """A frame whose every free-text field is hostile, between known and unknown actors."""
    def event(seq: int, kind: Kind, src: str, dst: str, **detail: object) -> Event:
        place = Place(step=HOSTILE, function=HOSTILE, file=HOSTILE, line=1, project=HOSTILE,
                      version=HOSTILE, phase=Phase.XMIT, layer=Layer.GUEST_KERNEL, actor=dst)
        return Event(seq=seq, frame=0, place=place, kind=kind, src=src, dst=dst,
                     t_ns=seq * 1000, detail=detail, thread=HOSTILE)

    return [event(0, Kind.CALL, "app", HOSTILE),
            event(1, Kind.CALL, HOSTILE, HOSTILE, why=HOSTILE),
            event(2, Kind.STATE, HOSTILE, "vring", writes={HOSTILE: HOSTILE}),
            event(3, Kind.NOTE, "virtio_net", "virtio_net", queue="stopped", num_free=HOSTILE),
            event(4, Kind.RETURN, HOSTILE, "app")]
