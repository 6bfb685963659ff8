"""``vtrace send --proto tcp --ring packed``: one slot for the superframe's indirect table.

The slot and the table are checked byte for byte, against the spec's layout and
against Linux 6.1's own ``virtqueue_add_indirect_packed`` (the harness of
tests/linux_ring); the device's used write, the segments on the wire (tshark) and
every view are checked as for the split ring.
"""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
import typing
import zlib
from pathlib import Path
from typing import Any

import pytest
from cli_run import run
from conftest import program, require
from linux_ring import oracle
from linux_ring.packed import PackedModel
from linux_ring.split import add_line
from test_ring_figure import _screen, _state, _step_of
from test_words_audit import audit

from vtrace.catalog import ERAS, packed_steps
from vtrace.details import PackedDetail, StepDetail
from vtrace.ring import Buffer
from vtrace.ring_packed import (
    VRING_DESC_F_INDIRECT,
    VRING_PACKED_DESC_F_AVAIL,
    VRING_PACKED_DESC_F_USED,
    PackedMemory,
)
from vtrace.scenarios.send import SEND
from vtrace.scenarios.send.guest import run_world
from vtrace.scenarios.send.tso import tcp_send
from vtrace.scenarios.send.world import SendParams

TSHARK = shutil.which("tshark")
TCP = {"frames": 1, "proto": "tcp", "size": 65000, "ring": "packed"}


def _events(*args: str) -> list[dict[str, Any]]:
    code, out, err = run("send", "--proto", "tcp", "--size", "65000", "--ring", "packed",
                         "--events", "-", "--view", "quiet", *args)
    assert code == 0, err
    return [event for line in out.splitlines() if line.startswith("{")
            if (event := json.loads(line)).get("kind") == "call"]


def _scatter() -> list[Buffer]:
    """Frame 0's scatter list as ``xmit_skb`` hands it over, its buffer at 0x10000000."""
    return [Buffer(addr, length) for addr, length in tcp_send(0, 65000).scatter(0x10000000)]


def test_the_superframe_takes_one_slot_for_a_table_of_its_scatter_list() -> None:
    events = _events("--frames", "1")
    added = [event["detail"] for event in events
             if event["step"] == "virtqueue_add_indirect_packed"]
    assert len(added) == 1
    table = added[0]["indirect"]
    assert len(table) >= 3  # header and linear part, then 32 KiB page fragments
    assert added[0]["len"] == 16 * len(table)
    assert added[0]["flags"] == VRING_DESC_F_INDIRECT | VRING_PACKED_DESC_F_AVAIL
    assert added[0]["ring"]["num_free"] == 255 and added[0]["ring"]["next_avail_idx"] == 1
    steps = [event["step"] for event in events]
    assert steps.index("virtqueue_add_packed") < steps.index("virtqueue_add_indirect_packed")
    popped = [event["detail"] for event in events if event["step"] == "virtqueue_packed_pop"]
    assert popped[0]["indirect"] == table
    sent = [event["detail"] for event in events if event["step"] == "qemu_sendv_packet_async"]
    assert sent[0]["iov"] == len(table)
    assert [list(entry) for entry in tcp_send(0, 65000).scatter(table[0][0])] == table


def test_past_the_ring_s_end_the_slot_says_the_other_wrap() -> None:
    events = _events("--frames", "34", "--queue-size", "32", "--batch", "1")
    flags = [event["detail"]["flags"] for event in events
             if event["step"] == "virtqueue_add_indirect_packed"]
    assert flags[:32] == [VRING_DESC_F_INDIRECT | VRING_PACKED_DESC_F_AVAIL] * 32
    assert flags[32:] == [VRING_DESC_F_INDIRECT | VRING_PACKED_DESC_F_USED] * 2


def test_the_memory_holds_the_table_and_the_device_s_used_write() -> None:
    world, stream = run_world(SendParams(**SEND.settle(TCP)), ERAS["modern"], 1)
    for _ in stream:  # to the end: the device has used the buffer, the guest taken it back
        pass
    memory = world.memory
    assert isinstance(memory, PackedMemory)
    table = memory.indirect_table(0)
    address = memory.slot_address(0)
    scatter = tcp_send(0, 65000).scatter(address)
    # Header and linear data, then the payload in two 32 KiB page fragments, as in Linux 6.1.
    assert len(scatter) == 3
    entries = [struct.unpack_from("<QIHH", memory.bytes, table + 16 * index)
               for index in range(len(scatter))]
    # Linux fills addr, len and flags (0: the device reads them); the ids stay 0.
    assert entries == [(addr, length, 0, 0) for addr, length in scatter]
    # QEMU's virtqueue_packed_fill_desc: id, len 0 (nothing written), AVAIL = USED = 1.
    slot = struct.unpack_from("<QIHH", memory.bytes, 0)
    assert slot == (table, 0, 0, VRING_PACKED_DESC_F_AVAIL | VRING_PACKED_DESC_F_USED)
    assert world.driver.num_free == 256


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Path:
    reason = oracle.missing()
    require(reason is not None, reason or "")
    return oracle.build(tmp_path_factory.mktemp("linux-6.1"))


@pytest.mark.parametrize("event_idx", [True, False], ids=["event_idx", "no_event_idx"])
def test_linux_writes_the_same_slot_and_table_for_the_scatter_list(harness: Path,
                                                                   event_idx: bool) -> None:
    model = PackedModel(256, event_idx, indirect=True)
    chain = _scatter()
    buffer_id = model.driver.add(chain, 1)
    table = model.memory.indirect_table(buffer_id)
    written = zlib.crc32(memoryview(model.memory.bytes)[table:table + 16 * len(chain)])
    answers = oracle.run(harness, [model.first_line, add_line(1, len(chain), chain)])
    assert answers == [f"ok table {written:08x} {model.crc()}"]


@program("tshark", "tshark")
def test_the_segments_on_the_wire_are_those_of_the_split_ring(tmp_path: Path) -> None:
    assert TSHARK is not None
    rows = {}
    for ring in ("split", "packed"):
        pcap = tmp_path / f"{ring}.pcap"
        code, _, err = run("send", "--proto", "tcp", "--size", "65000", "--frames", "2",
                           "--ring", ring, "--view", "quiet", "--pcap", str(pcap))
        assert code == 0, err
        done = subprocess.run([TSHARK, "-r", str(pcap), "-o", "tcp.check_checksum:TRUE", "-T",
                               "fields", "-e", "frame.len", "-e", "tcp.seq_raw", "-e",
                               "tcp.len", "-e", "tcp.checksum.status"],
                              capture_output=True, text=True, check=True)
        rows[ring] = done.stdout.splitlines()
    assert rows["packed"] == rows["split"] and len(rows["packed"]) == 2 * 46


def test_the_packed_steps_carry_only_keys_vtrace_details_declares() -> None:
    declared = set(typing.get_type_hints(PackedDetail)) | set(typing.get_type_hints(StepDetail))
    ours = {step.key for step in packed_steps.STEPS}
    used = {key for event in _events("--frames", "2") if event["step"] in ours
            for key in event["detail"]}
    assert {"indirect", "sg"} <= used and used <= declared


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_live_view_at_80x24_shows_the_indirect_step_and_the_ring(lang: str) -> None:
    step = _step_of("send", TCP, "virtqueue_add_indirect_packed", 0)
    screen = _screen(_state("send", TCP, step, lang), 80, 24)
    assert len(screen.splitlines()) <= 24
    assert "virtqueue_add_indirect_packed" in screen
    assert "next_avail_idx" in screen and "device_event" in screen


@pytest.mark.parametrize("era", ["modern", "newest"])
def test_the_words_audit_passes(era: str) -> None:
    assert audit("send", {**TCP, "frames": 2}, era) == []


def test_show_ring_shows_the_indirect_slot() -> None:
    code, out, err = run("send", "--proto", "tcp", "--size", "65000", "--ring", "packed",
                         "--frames", "1", "--view", "plain", "--show-ring", "--lang", "en")
    assert code == 0, err
    assert "len=48 id=0 flags=INDIRECT|AVAIL  avail=1 used=0" in out
