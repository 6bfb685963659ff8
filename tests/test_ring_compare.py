"""A real guest's ring beside the replay's: QEMU's recorded QMP answers, parsed and compared.

``tests/data/lab/qmp-send.json`` and ``qmp-recv.json`` are what QEMU 7.2.22
answered (``x-query-virtio-queue-status`` and ``xp`` of the ring) after the
last of 3 frames of a real lab run of a Debian 6.1 guest, cut down to the
queue the frames went through. No QEMU runs here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from vtrace import __version__
from vtrace.cli.lab_ring import replay_ring
from vtrace.lab.qmp_ring import (
    load_ring,
    parse_xp,
    ring_bytes,
    ring_fields,
    rings_of_answers,
)
from vtrace.model import Header, Source
from vtrace.ring_compare import compare_packed_rings, compare_rings, report_lines

DATA = Path(__file__).parent / "data" / "lab"


def load_ring_file(path: Path) -> dict[str, Any]:
    rings: dict[str, Any] = json.loads(path.read_text())
    return rings


def answers(scenario: str) -> dict[str, Any]:
    recorded: dict[str, Any] = json.loads((DATA / f"qmp-{scenario}.json").read_text())
    return recorded


def header(scenario: str) -> Header:
    return Header(__version__, scenario, {"frames": 3, "size": 54, "ioeventfd": True,
                                          "backend": "qemu", "era": "modern"}, 0, (),
                  Source.TRACE)


def test_xp_lines_give_their_halfwords_in_order() -> None:
    text = ("0000000006294000: 0x0042 0x0000 0x0000 0x0000\r\n"
            "0000000006294008: 0x0001 0xffff\r\n")
    assert parse_xp(text) == [0x42, 0, 0, 0, 1, 0xFFFF]
    with pytest.raises(ValueError, match="not an xp line"):
        parse_xp("0000000006294000: 0xzz")


def test_the_dumps_cover_the_split_ring_of_the_queue_size() -> None:
    status = {"vring-num": 256, "vring-desc": 0x1000, "vring-avail": 0x2000,
              "vring-used": 0x3000}
    assert ring_bytes(status) == {"desc": (0x1000, 2048), "avail": (0x2000, 259),
                                  "used": (0x3000, 1027)}


def test_qemus_answers_read_as_the_replays_field_names() -> None:
    rings = rings_of_answers(answers("send"))
    assert rings["event_idx"] is True
    tx = rings["queues"]["tx"]
    # the warm-up datagram, one ARP request and the 3 frames, each in descriptor 0
    assert {name: tx[name] for name in ("avail.idx", "used.idx", "used_event", "avail_event",
                                        "last_avail_idx", "used_idx", "signalled_used",
                                        "inuse", "avail.flags", "used.flags")} == {
        "avail.idx": 5, "used.idx": 5, "used_event": 5, "avail_event": 5,
        "last_avail_idx": 5, "used_idx": 5, "signalled_used": 5, "inuse": 0,
        "avail.flags": 0, "used.flags": 0}
    assert tx["avail"][:5] == [0] * 5
    first = tx["desc"][0]
    assert (first["len"], first["flags"], first["next"]) == (66, 0, 1)  # Linux's free list
    assert first["addr"] > 0
    assert tx["used"][4] == {"id": 0, "len": 0}


def test_a_short_dump_is_refused() -> None:
    queue = answers("send")["queues"]["tx"]
    with pytest.raises(ValueError, match="the used dump has"):
        ring_fields(queue["status"], {**queue["xp"], "used": queue["xp"]["used"][:200]})


def test_a_ring_agrees_with_itself_on_every_field() -> None:
    ring = replay_ring(header("send"), "modern")
    result = compare_rings("tx", ring, ring, 3)
    assert result.earlier == 0 and result.chains == 3
    assert result.agreeing == result.compared and not result.unexplained
    assert report_lines(result)[-1] == f"ring: {result.compared} of {result.compared} " \
                                       "fields agree"


@pytest.mark.parametrize(("scenario", "queue", "agreeing", "explained"), [
    ("send", "tx", 28, set()),
    ("recv", "rx", 26, {"avail.idx", "avail_event"}),
])
def test_the_real_ring_beside_the_replay(scenario: str, queue: str, agreeing: int,
                                         explained: set[str]) -> None:
    rings = rings_of_answers(answers(scenario))
    real = {**rings["queues"][queue], "event_idx": rings["event_idx"]}
    result = compare_rings(queue, real, replay_ring(header(scenario), "modern"), 3)
    assert (result.agreeing, result.compared) == (agreeing, 28)
    assert result.earlier == (2 if scenario == "send" else 1)  # warm-up and ARP; ARP reply
    assert not result.unexplained
    assert {row.field for row in result.rows if row.agree is False} == explained
    lines = report_lines(result)
    assert lines[-1] == f"ring: {agreeing} of 28 fields agree"
    assert any("addresses differ by nature" in line for line in lines)
    assert all(": " in line for line in lines if line.rstrip().endswith("differ"))


def test_next_is_compared_as_linux_writes_it() -> None:
    """Linux 6.1 leaves its free list's successor in the last descriptor's next; so does the
    replay, and a ring that wrote 0 there would differ, with no excuse."""
    rings = rings_of_answers(answers("send"))
    real = {**rings["queues"]["tx"], "event_idx": rings["event_idx"]}
    replay = replay_ring(header("send"), "modern")
    assert replay["desc"][0]["next"] == real["desc"][0]["next"] == 1
    zeroed = {**replay, "desc": [{**desc, "next": 0} for desc in replay["desc"]]}
    result = compare_rings("tx", real, zeroed, 3)
    assert [row.field for row in result.unexplained] == [
        f"chain {k} desc 1 next" for k in (1, 2, 3)]


def test_a_difference_without_a_known_reason_is_shown_as_such() -> None:
    ring = replay_ring(header("send"), "modern")
    changed = {**ring, "inuse": 1}
    result = compare_rings("tx", changed, ring, 3)
    assert [row.field for row in result.unexplained] == ["inuse"]
    assert "  inuse" in "\n".join(report_lines(result))


def test_a_lab_directory_without_rings_has_none_and_a_foreign_file_is_refused(
        tmp_path: Path) -> None:
    assert load_ring(tmp_path) is None
    (tmp_path / "ring.json").write_text('{"format": "other/1"}')
    with pytest.raises(ValueError, match="ring.json is not vtrace-ring/1"):
        load_ring(tmp_path)


def test_a_tcp_receive_compares_the_last_frames_buffers_but_not_their_numbers() -> None:
    """``ring-recv-tcp.json``: the receive queue QEMU 7.2 showed after a real run's three
    65,000-byte TCP blocks (``vtrace lab recv --proto tcp``), 16 page-sized buffers each."""
    rings = load_ring_file(DATA / "ring-recv-tcp.json")
    real = {**rings["queues"]["rx"], "event_idx": rings["event_idx"]}
    params = {"frames": 3, "size": 65000, "proto": "tcp", "warm": True, "ioeventfd": True,
              "backend": "qemu", "era": "modern"}
    replay = replay_ring(Header(__version__, "recv", params, 0, (), Source.TRACE), "modern")
    result = compare_rings("rx", real, replay, 16, numbered=False)
    assert not result.unexplained
    rows = {row.field: row for row in result.rows}
    assert [rows[f"chain {k} used len"].real for k in range(1, 17)] == [4096] * 15 + [3638]
    assert all(rows[f"chain {k} used len"].agree for k in range(1, 17))
    assert all(rows[f"chain {k} desc 1 len"].agree for k in range(1, 17))
    numbers = [row for row in result.rows if row.field.endswith(("used id", "next"))]
    assert numbers and all(row.agree is None and "free list" in row.why for row in numbers)
    # the replay refilled its 48 free buffers after the third frame, over the avail entries
    # of the frames' buffers; the real guest, which came in with 32 free, had not yet
    assert replay["avail.idx"] == 304 and real["avail.idx"] - real["used.idx"] == 224
    assert "224 buffers are left posted against the replay's 256" in rows["avail.idx"].why
    assert all(rows[f"chain {k} avail head"].agree is None for k in range(1, 17))
    assert rows["chain 1 avail head"].replay is None
    assert "posted a new buffer over this avail entry" in rows["chain 1 avail head"].why


def test_with_numbers_compared_a_reordered_chain_differs() -> None:
    ring = replay_ring(header("send"), "modern")
    moved = {**ring, "used": [{**element, "id": (element["id"] + 1) % ring["size"]}
                              if index == 1 else element
                              for index, element in enumerate(ring["used"])]}
    numbered = compare_rings("tx", moved, ring, 3).unexplained
    assert "chain 2 used id" in [row.field for row in numbered]
    shown = compare_rings("tx", moved, ring, 3, numbered=False)
    assert "chain 2 used id" not in [row.field for row in shown.unexplained]


def test_a_packed_tcp_receive_excuses_the_slots_the_replay_made_available_again() -> None:
    """``ring-recv-tcp-packed.json``: the packed receive queue after a real run's three TCP
    blocks. The replay refilled its 48 free buffers after the third frame, over the slots
    the frames used; the real guest, which came in with buffers free, had not yet."""
    rings = load_ring_file(DATA / "ring-recv-tcp-packed.json")
    real = {**rings["queues"]["rx"], "event_idx": rings["event_idx"]}
    params = {"frames": 3, "size": 65000, "proto": "tcp", "warm": True, "ioeventfd": True,
              "backend": "qemu", "era": "modern", "ring": "packed"}
    replay = replay_ring(Header(__version__, "recv", params, 0, (), Source.TRACE), "modern")
    result = compare_packed_rings("rx", real, replay, 16, numbered=False)
    assert not result.unexplained
    rows = {row.field: row for row in result.rows}
    assert rows["slot 16 used len"].real == 3638 and rows["slot 16 used len"].agree is None
    assert "made this slot available again" in rows["slot 16 flags"].why
    assert "wrap bit counts laps" in rows["driver_event.off_wrap"].why
