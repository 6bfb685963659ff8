"""The ring's memory traffic counted from a send stream: split beside packed, by hand.

The per-frame numbers below are derived from the code of Linux 6.1 and QEMU 7.2 one access
at a time (the comments), for a 3-frame send on a 256-entry ring with EVENT_IDX; every
frame of it takes the same path, so each frame counts the same.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest

from vtrace.cli import main
from vtrace.era_diff import measure_rings, ring_diff
from vtrace.model import Kind
from vtrace.ring import DESC_SIZE, RingLayout
from vtrace.ring_packed import PackedLayout
from vtrace.ring_traffic import _DEVICE_RULES, _DRIVER_RULES, Access, RingTraffic, count_stream
from vtrace.scenarios import replay

# Split, per frame. The driver reads used->idx in the empty get_buf of start_xmit, in
# enable_cb_delayed, in vring_interrupt, in the get_buf that finds the buffer, in the empty
# get_buf after it and in virtqueue_poll (6), avail_event in kick_prepare (1), the used id
# and len (2) and the descriptor's flags in detach_buf_split (1): 10 loads, 24 bytes.
# It stores used_event in disable_cb, enable_cb_delayed and enable_cb_prepare (3), the
# descriptor's four fields (4), the avail entry and avail->idx (2): 9 stores, 26 bytes.
# The device loads avail->idx in set_notification twice and at the end of each of the two
# pop loops (4; the pop itself finds QEMU's shadow_avail_idx ahead), the avail entry (1),
# the descriptor in one 16-byte read (1) and used_event (1): 7 loads, 28 bytes; it stores
# the used element (8 bytes), used->idx and avail_event: 3 stores, 12 bytes.
# Lines: the descriptor (0), avail flags/idx/ring (64), used_event (72), the used ring
# (73, after Linux's 64-byte alignment) and avail_event (105): 5, each touched by both.
SPLIT_FRAME = {"driver_reads": 10, "driver_writes": 9, "device_reads": 7, "device_writes": 3,
               "bytes_read": 24 + 28, "bytes_written": 26 + 12, "cache_lines": 5,
               "shared_lines": 5, "driver_descriptors": 1, "device_descriptors": 0}
# Packed, per frame. The driver reads the flags of the slot at last_used_idx where split
# reads used->idx (6), the device area as one 32-bit load in kick_prepare (1), the used
# id and len (2): 9 loads, 2*6 + 4 + 2 + 4 = 22 bytes. It stores the driver area's flags
# in disable_cb (1), off_wrap and flags in enable_cb_delayed and in enable_cb_prepare (4)
# and one 16-byte slot field by field, the head's flags last (4): 9 stores, 26 bytes.
# The device reads its own area (flags, off_wrap) in both set_notification calls (4), the
# slot's flags in the pop's empty check and at the end of both loops (3), the descriptor
# field by field (4) and the driver's area in should_notify (2): 13 loads, 34 bytes; it
# stores its area's flags twice and off_wrap once (3) and the used id, len and flags (3):
# 6 stores, 14 bytes, one descriptor. Lines: the slot (0) and both event areas (64).
PACKED_FRAME = {"driver_reads": 9, "driver_writes": 9, "device_reads": 13, "device_writes": 6,
                "bytes_read": 22 + 34, "bytes_written": 26 + 14, "cache_lines": 2,
                "shared_lines": 2, "driver_descriptors": 1, "device_descriptors": 1}


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as done:
        main(list(args))
    out, err = capsys.readouterr()
    code = done.value.code
    return (code if isinstance(code, int) else 1), out, err


def traffic(ring: str, **params: Any) -> RingTraffic:
    header, events = replay("send", {"frames": 3, "ring": ring, **params}, "modern", 1)
    return count_stream(header.params, events)


@pytest.mark.parametrize(("ring", "frame"), [("split", SPLIT_FRAME), ("packed", PACKED_FRAME)])
def test_each_frame_counts_what_the_code_loads_and_stores(ring: str,
                                                          frame: Mapping[str, int]) -> None:
    counted = traffic(ring)
    assert sorted(counted.frames) == [0, 1, 2]
    for each in counted.frames.values():
        assert each.counts == frame
    assert counted.totals == {name: 3 * value for name, value in frame.items()}


def test_the_packed_ring_touches_two_lines_where_split_touches_five() -> None:
    assert sorted(traffic("split").frames[0].lines) == [0, 64, 72, 73, 105]
    assert sorted(traffic("packed").frames[0].lines) == [0, 64]


def _field_offsets(packed: bool, size: int) -> dict[str, int]:
    if packed:
        layout = PackedLayout(size)
        return {"driver_event.off_wrap": layout.driver_event,
                "driver_event.flags": layout.driver_event + 2,
                "device_event.off_wrap": layout.device_event,
                "device_event.flags": layout.device_event + 2}
    split = RingLayout(size)
    return {"avail.flags": split.avail_flags, "avail.idx": split.avail_idx,
            "used_event": split.used_event, "used.flags": split.used_flags,
            "used.idx": split.used_idx, "avail_event": split.avail_event}


_SLOT_OFFSETS = {"slot.len": 8, "slot.id": 12, "slot.flags": 14}  # struct vring_packed_desc


class _Stores(RingTraffic):
    """The stores each thread's last counted call made (a packed body's state event follows
    the call of the function it is the body of)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.thread = ""
        self.stored: dict[str, set[int]] = {}

    def _touch(self, access: Access) -> None:
        super()._touch(access)
        if access.write:
            self.stored[self.thread].add(access.offset)


@pytest.mark.parametrize("ring", ["split", "packed"])
@pytest.mark.parametrize("event_idx", [True, False])
@pytest.mark.parametrize(("era", "frames", "batch", "queue_size"),
                         [("modern", 300, 1, 256), ("modern", 80, 10, 32),
                          ("newest", 80, 4, 32)])
def test_every_write_a_stream_shows_is_a_store_counted(
        ring: str, event_idx: bool, era: str, frames: int, batch: int,
        queue_size: int) -> None:
    """A state event names the shared fields a step changed: each is among the stores the
    count makes for the last counted call of a thread."""
    header, events = replay("send", {"frames": frames, "batch": batch, "ring": ring,
                                     "queue_size": queue_size, "event_idx": event_idx},
                            era, 1)
    counted = _Stores(queue_size, packed=ring == "packed", event_idx=event_idx)
    offsets = _field_offsets(ring == "packed", queue_size)
    seen = 0
    for event in events:
        counted.thread = event.thread
        if event.kind is Kind.CALL and event.step in {**_DRIVER_RULES, **_DEVICE_RULES}:
            counted.stored[event.thread] = set()
        counted.add(event)
        if event.kind is Kind.STATE:
            # The replay shows a write with the next ring step of either thread: the
            # vCPU's disable_cb may land on QEMU's set_notification that runs meanwhile.
            stored = set().union(*counted.stored.values())
            for name in event.detail["writes"]:
                # A packed slot's fields sit in the descriptor the step's "slot" names.
                offset = offsets.get(name, DESC_SIZE * counted.ring.get("slot", 0)
                                     + _SLOT_OFFSETS.get(name, -1))
                assert offset in stored, (event.seq, name)
                seen += 1
    assert seen > frames


def test_the_tally_counts_ride_along() -> None:
    split, packed = measure_rings(3, "modern")
    for measure in (split, packed):
        assert {name: measure.totals[name] for name in
                ("kicks", "kicks_suppressed", "interrupts", "interrupts_suppressed")} == {
            "kicks": 3, "kicks_suppressed": 0, "interrupts": 3, "interrupts_suppressed": 0}
    assert (split.ring, packed.ring, split.frames) == ("split", "packed", 3)


def test_a_ring_diff_marks_what_only_one_ring_runs() -> None:
    diff = ring_diff("send", {"frames": 1}, "modern")
    split = {pair.left.step for pair in diff.pairs if pair.right is None and pair.left}
    packed = {pair.right.step for pair in diff.pairs if pair.left is None and pair.right}
    assert split == {"virtqueue_add_split", "virtqueue_split_pop", "virtqueue_split_fill",
                     "virtqueue_split_flush"}
    assert {"virtqueue_add_packed", "virtqueue_packed_pop", "virtqueue_packed_fill",
            "virtqueue_packed_flush", "virtqueue_kick_prepare_packed",
            "detach_buf_packed"} <= packed
    assert all(pair.changes == ("ring",) for pair in diff.pairs
               if pair.left is None or pair.right is None)


def test_compare_rings_as_a_table_and_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "compare", "--ring", "split", "--ring", "packed")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == ("3 frames, modern era, the split ring beside the packed ring "
                        "(total / per frame)")
    assert lines[2].split() == ["reads", "by", "the", "driver", "30", "/", "10.00", "27", "/",
                                "9.00"]
    code, out, _ = run(capsys, "compare", "--ring", "split", "--ring", "packed", "--json")
    rings = json.loads(out)["rings"]
    assert [ring["per_frame"]["cache_lines"] for ring in rings] == [5.0, 2.0]
    code, out, _ = run(capsys, "compare", "--ring", "split", "--ring", "packed", "--lang", "zh")
    assert out.startswith("3 帧，modern 时代，split 环与 packed 环并排")


def test_diff_rings_ends_with_the_costs_of_a_send(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "diff", "--ring", "split", "--ring", "packed", "--frames", "3")
    assert (code, err) == (0, "")
    assert "- virtqueue_add_split" in out and "only the packed ring has this step" in out
    assert "3 frames, modern era, the split ring beside the packed ring" in out
    code, out, err = run(capsys, "diff", "--ring", "split", "--ring", "packed", "--scenario",
                         "recv")
    assert (code, err) == (0, "") and "virtqueue_packed_fill" in out
    assert "the split ring beside the packed ring" not in out


@pytest.mark.parametrize("args", [
    ("compare", "--ring", "split", "--ring", "packed", "--era", "lesson"),
    ("diff", "--ring", "split", "--ring", "packed", "--era", "lesson"),
    ("compare", "--ring", "packed"),
    ("compare", "--ring", "packed", "--ring", "packed"),
    ("diff", "--ring", "split", "--ring", "packed", "--era", "modern", "--era", "newest"),
])
def test_refusals_are_one_line_and_exit_2(capsys: pytest.CaptureFixture[str],
                                          args: tuple[str, ...]) -> None:
    code, out, err = run(capsys, *args)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1, err
    if "lesson" in args:
        assert "Linux 4.19 and QEMU 3.1 have no packed ring" in err

