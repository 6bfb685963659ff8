"""``vtrace send --ring packed``: the refusals, the wrap, the ring detail, every view."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cli_run import run

from vtrace.renderers.live import LiveState
from vtrace.renderers.ring_contents import RingContents
from vtrace.ring import Buffer
from vtrace.ring_packed import (
    PackedDevice,
    PackedDriver,
    PackedLayout,
    PackedMemory,
    packed_ring_at_start,
)
from vtrace.scenarios import replay
from vtrace.scenarios.send import SEND
from vtrace.session import replayed


def _ring_events(frames: int, era: str = "modern") -> list[tuple[str, dict[str, Any]]]:
    """(step, ring detail) of every call event of a packed replay that carries one."""
    _, events = replay("send", {"frames": frames, "ring": "packed"}, era, 1)
    return [(event.step, event.detail["ring"]) for event in events
            if event.kind.value == "call" and "ring" in event.detail]


def test_the_lesson_era_refuses_the_packed_ring_in_one_line() -> None:
    code, out, err = run("send", "--ring", "packed", "--era", "lesson")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "Linux 4.19 and QEMU 3.1 have no packed ring" in err


def test_vhost_net_refuses_the_packed_ring_in_one_line() -> None:
    code, out, err = run("send", "--ring", "packed", "--backend", "vhost-net")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "vhost-net has no packed ring" in err
    assert "fall back to the split ring" in err


@pytest.mark.parametrize("era", ["modern", "newest"])
def test_the_packed_steps_replace_the_split_ones(era: str) -> None:
    steps = {step for step, _ in _ring_events(3, era)}
    assert {"virtqueue_add_packed", "virtqueue_packed_pop", "virtqueue_packed_flush"} <= steps
    assert not steps & {"virtqueue_add_split", "virtqueue_split_pop", "virtqueue_split_flush"}


def test_avail_wrap_counter_flips_after_256_descriptors() -> None:
    adds = [ring for step, ring in _ring_events(300) if step == "virtqueue_add_packed"]
    assert len(adds) == 300
    flips = [number for number, ring in enumerate(adds) if "avail_wrap_counter" in ring]
    assert flips == [255]  # the 256th add fills the last slot: next_avail_idx wraps to 0
    assert adds[255]["avail_wrap_counter"] == 0 and adds[255]["next_avail_idx"] == 0
    # In the second lap the driver writes AVAIL clear, USED set: 0x8000.
    assert adds[256]["slot.flags"] == 0x8000 and adds[0]["slot.flags"] == 0x80


def test_the_ring_detail_matches_a_packed_driver_run_alongside() -> None:
    """The same adds and completions done by hand give the values the events carry."""
    memory = PackedMemory(PackedLayout(256), slot_size=140)
    driver = PackedDriver(memory, event_idx=True)
    device = PackedDevice(memory, event_idx=True)
    wraps: list[tuple[int, int]] = []
    for frame in range(300):
        driver.add([Buffer(memory.slot_address(driver.free_head), 140)], frame)
        wraps.append((driver.next_avail_idx, driver.avail_wrap_counter))
        element = device.pop()
        assert element is not None
        device.fill(element, 0, 0)
        device.flush(1)
        assert driver.get_buf() is not None
    shown = packed_ring_at_start(256)
    replayed_wraps = []
    for step, ring in _ring_events(300):
        shown.update(ring)
        if step == "virtqueue_add_packed":
            replayed_wraps.append((shown["next_avail_idx"], shown["avail_wrap_counter"]))
    assert replayed_wraps == wraps
    assert shown["used_wrap_counter"] == driver.used_wrap_counter == 0
    assert shown["vq.used_wrap_counter"] == int(device.used_wrap_counter) == 0
    assert shown["last_used_idx"] == driver.last_used_idx


def test_the_event_areas_are_in_the_ring_detail() -> None:
    fields = {name for _, ring in _ring_events(3) for name in ring}
    assert {"driver_event.flags", "driver_event.off_wrap", "device_event.flags"} <= fields


def test_the_slot_writes_are_shown_as_the_split_rings_index_writes_are() -> None:
    # The driver's add makes slot 0 available: len 12 + 128 bytes, flags AVAIL (bit 7) as
    # the wrap counter 1 wants; id 0 is already there. The device's flush marks it used:
    # len 0 (nothing written into a TX buffer), flags AVAIL|USED (bits 7 and 15).
    _, events = replay("send", {"frames": 1, "ring": "packed"}, "modern", 1)
    writes = {event.step: event.detail["writes"] for event in events
              if event.kind.value == "state" and "slot.flags" in event.detail["writes"]}
    assert writes == {"virtqueue_add_packed": {"slot.len": 140, "slot.flags": 0x80},
                      "virtqueue_packed_flush": {"slot.len": 0, "slot.flags": 0x8080}}


@pytest.mark.parametrize("view", ["plain", "quiet"])
def test_300_frames_wrap_the_ring_in_the_plain_and_quiet_views(view: str) -> None:
    code, out, err = run("send", "--ring", "packed", "-n", "300", "--view", view)
    assert code == 0 and err == ""
    assert "300" in out


def test_the_jsonl_stream_and_its_title_say_packed(tmp_path: Any) -> None:
    path = tmp_path / "run.jsonl"
    code, _, _ = run("send", "--ring", "packed", "-n", "3", "--events", str(path),
                     "--view", "quiet")
    assert code == 0
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert lines[0]["params"]["ring"] == "packed"
    assert "Linux 6.1 + QEMU 7.2, packed ring," in SEND.describe(lines[0]["params"])
    assert "packed 环" in SEND.describe(lines[0]["params"], "zh")
    assert "packed" not in SEND.describe({**lines[0]["params"], "ring": "split"})


def test_the_ring_views_start_from_a_packed_ring() -> None:
    session = replayed("send", {"frames": 1, "ring": "packed"}, "modern", 1)
    contents = RingContents(session.header, SEND)
    assert contents.values["avail_wrap_counter"] == 1
    assert contents.values["last_used_idx"] == 0x8000
    split = replayed("send", {"frames": 1}, "modern", 1)
    assert "avail_wrap_counter" not in RingContents(split.header, SEND).values


def _ring_panel(frames: int, lang: str = "en") -> str:
    code, out, err = run("send", "--ring", "packed", "-n", str(frames), "--view", "plain",
                         "--show-ring", "--lang", lang)
    assert code == 0 and err == ""
    return "\n".join(line for line in out.splitlines() if "│" in line)


def test_show_ring_on_a_packed_ring_shows_the_slots_not_the_split_rings() -> None:
    panel = _ring_panel(3)
    assert "avail ring" not in panel and "used ring" not in panel
    assert "[0] addr=0x2000 len=140 id=0 flags=AVAIL  avail=1 used=0 → available to the device" \
        in panel
    assert "flags=AVAIL|USED  avail=1 used=1 → used, reclaimed by the driver  #2" in panel
    assert "driver event area" in panel and "device event area" in panel
    assert "flags=DESC" in panel and "flags=DISABLE" in panel and "off_wrap=0x8003" in panel
    assert "avail_wrap_counter=1" in panel and "vq.used_wrap_counter=1" in panel


def test_show_ring_on_a_packed_ring_shows_the_wrap() -> None:
    panel = _ring_panel(300)
    # The second lap: the driver writes AVAIL clear and USED set, the device both clear.
    assert "flags=USED  avail=0 used=1 → available to the device  #299" in panel
    last = panel.splitlines()[-8:]
    assert "flags=0  avail=0 used=0 → used, reclaimed by the driver  #299" in last[3]
    assert "avail_wrap_counter=0" in last[6] and "used_wrap_counter=0" in last[6]
    assert "last_avail_wrap_counter=0" in last[7] and "vq.used_wrap_counter=0" in last[7]
    assert "(off=43 wrap=0)" in last[4]


def test_show_ring_on_a_packed_ring_in_chinese() -> None:
    panel = _ring_panel(1, "zh")
    assert "packed 环" in panel and "可供设备取用" in panel and "驱动的事件区" in panel
    assert "avail ring" not in panel and "avail 环" not in panel


@pytest.mark.parametrize(("lang", "said"), [("en", "packed ring"), ("zh", "packed 环")])
def test_the_live_ring_panel_is_titled_packed(lang: str, said: str) -> None:
    packed = replayed("send", {"frames": 1, "ring": "packed"}, "modern", 1)
    assert LiveState(packed, lang).ring_title.endswith(f" · {said}")
    split = replayed("send", {"frames": 1}, "modern", 1)
    assert said not in LiveState(split, lang).ring_title
