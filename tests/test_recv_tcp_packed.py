"""``vtrace recv --proto tcp --ring packed``: one packed slot per mergeable buffer.

The superframe fills as many buffers as on the split ring, the header says how
many (num_buffers), and QEMU writes each used buffer's id and length into a slot.
"""

from __future__ import annotations

import struct
from typing import Any

import pytest
from cli_run import run
from test_words_audit import audit

from vtrace.catalog import era
from vtrace.ring_packed import VRING_PACKED_DESC_F_AVAIL, VRING_PACKED_DESC_F_USED
from vtrace.scenarios.recv import RECV
from vtrace.scenarios.recv.guest import run_world
from vtrace.scenarios.recv.tcp import host_superframe
from vtrace.scenarios.recv.world import RecvParams

TCP = {"frames": 1, "proto": "tcp", "size": 65000, "ring": "packed"}
FRAME = 14 + 20 + 32 + 65000  # Ethernet, IPv4, TCP with timestamps, payload


def _details(events: list[Any], step: str) -> list[dict[str, Any]]:
    return [dict(event.detail) for event in events if event.step == step]


def test_the_superframe_fills_one_slot_per_buffer_as_many_as_on_the_split_ring() -> None:
    counts = {}
    for ring in ("split", "packed"):
        _, stream = run_world(RecvParams(**RECV.settle({**TCP, "ring": ring})), era("modern"), 1)
        events = list(stream)
        counts[ring] = _details(events, "receive_mergeable")[0]["num_buffers"]
        assert _details(events, "tcp_recvmsg")[0]["bytes"] == 65000
    assert counts == {"split": 42, "packed": 42}


def test_the_device_writes_each_buffer_s_id_and_length_into_its_slot() -> None:
    world, stream = run_world(RecvParams(**RECV.settle(TCP)), era("modern"), 1)
    # The ring as the guest finds it when the interrupt comes: used, not yet taken back.
    events = []
    for event in stream:
        events.append(event)
        if event.step == "vring_interrupt":
            break
    memory = world.memory.bytes
    slots = [struct.unpack_from("<IHH", memory, 16 * slot + 8) for slot in range(42)]
    lengths = [length for length, _, _ in slots]
    assert lengths[:21] == [1536] * 20 + [2048] and sum(lengths) == FRAME + 12
    assert [buffer_id for _, buffer_id, _ in slots] == list(range(42))
    assert {flags for _, _, flags in slots} == {VRING_PACKED_DESC_F_AVAIL
                                                | VRING_PACKED_DESC_F_USED}
    # The header and the frame's first bytes sit in the first buffer, num_buffers filled in.
    sizing = world.sizing
    assert sizing is not None
    first = sizing.base
    assert struct.unpack_from("<H", memory, first + 10) == (42,)
    assert bytes(memory[first + 12:first + 1536]) == host_superframe(0, 65000).frame[:1524]
    assert len(_details(events, "virtqueue_packed_fill")) == 42


@pytest.mark.parametrize("name", ["modern", "newest"])
def test_the_words_audit_passes(name: str) -> None:
    assert audit("recv", {**TCP, "frames": 2}, name) == []


def test_big_buffers_on_the_packed_ring_are_still_refused_in_one_line() -> None:
    code, out, err = run("recv", "--proto", "tcp", "--ring", "packed", "--no-mergeable")
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert "--ring packed" in err and "split" in err
