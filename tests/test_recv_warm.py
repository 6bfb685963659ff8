"""``vtrace recv --warm``: the receive queue as a long TCP stream leaves it.

``receive_mergeable`` feeds each packet's length to ``rq->mrg_avg_pkt_len``, and
``get_mergeable_buf_len`` sizes the next buffers by it, up to a page. After a
stream of 64 KiB superframes every posted buffer is page-sized, so a 65,000-byte
block takes 16 buffers from the first frame on, as the lab's real guest shows
after its warm-up.
"""

from __future__ import annotations

import math

import pytest
from cli_run import run

from vtrace.catalog import ERAS, era
from vtrace.model import Event
from vtrace.rxbuffers import PAGE_SIZE
from vtrace.scenarios import REGISTERED
from vtrace.scenarios.recv.guest import run_world
from vtrace.scenarios.recv.world import RecvParams

FRAME = 14 + 20 + 32 + 65000  # Ethernet, IPv4, TCP with timestamps, payload


def _events(name: str, **given: object) -> list[Event]:
    params = RecvParams(**{"frames": 3, "size": 65000, "proto": "tcp", **given})  # type: ignore[arg-type]
    _, events = run_world(params, era(name), 1)
    return list(events)


def _num_buffers(events: list[Event]) -> list[int]:
    return [int(str(event.detail["num_buffers"])) for event in events
            if event.step == "receive_mergeable" and "num_buffers" in event.detail]


@pytest.mark.parametrize("name", list(ERAS))
def test_a_warm_queue_takes_page_sized_buffers_from_the_first_frame(name: str) -> None:
    events = _events(name, warm=True)
    hdr_len = {"lesson": 12, "modern": 12, "newest": 24}[name]
    assert _num_buffers(events) == [math.ceil((FRAME + hdr_len) / PAGE_SIZE)] * 3
    posted = {event.detail["len"] for event in events if event.step == "virtqueue_fill"
              or event.step == "virtqueue_split_fill"}
    assert max(posted) == PAGE_SIZE


def test_a_fresh_queue_starts_from_the_minimum_and_a_warm_one_says_so() -> None:
    assert _num_buffers(_events("modern"))[0] == 42
    code, out, err = run("recv", "--proto", "tcp", "--size", "65000", "-n", "1", "--warm",
                         "--view", "plain")
    assert code == 0, err
    assert "the frame fills 16 buffers (num_buffers 16)" in out
    recv = REGISTERED["recv"]
    given = {"frames": 1, "size": 65000, "proto": "tcp", "warm": True}
    assert "buffers sized for a long stream" in recv.describe(given, "en")
    assert "缓冲区已按长数据流定好大小" in recv.describe(given, "zh")
    assert "long stream" not in recv.describe({**given, "warm": False}, "en")


@pytest.mark.parametrize("name", list(ERAS))
def test_warm_changes_nothing_for_datagrams(name: str) -> None:
    """A UDP frame never passes the buffers' minimum, so the events are the same."""
    plain = _events(name, proto="udp", size=128)
    warm = _events(name, proto="udp", size=128, warm=True)
    assert [(event.step, dict(event.detail)) for event in warm] == \
        [(event.step, dict(event.detail)) for event in plain]


def test_a_warm_queue_whose_host_cuts_the_blocks_settles_at_a_segment() -> None:
    """Without guest TSO each packet is one MSS segment (1514 bytes from Ethernet on): the
    average stays under the floor, so a warm queue posts the buffers a fresh one does."""
    for name in ERAS:
        warm = _events(name, warm=True, features="-guest_tso4")
        fresh = _events(name, features="-guest_tso4")
        assert [(event.step, dict(event.detail)) for event in warm] == \
            [(event.step, dict(event.detail)) for event in fresh]
