"""``vtrace recv --ring packed``: the receive path over a packed RX ring, its refusals, the
wrap, the ring detail against guest memory, the packed bodies of the ring functions (on the
send path too) and every view."""

from __future__ import annotations

import json
import re
import struct
from pathlib import Path
from typing import Any

import pytest
from cli_run import run

from vtrace.catalog import CATALOG, ERAS, era, packed_steps
from vtrace.model import Event, Kind
from vtrace.ring_packed import (
    PACKED_FIELDS,
    VRING_PACKED_EVENT_FLAG_DESC,
    PackedDevice,
    PackedDriver,
    packed_ring_at_start,
)
from vtrace.scenarios import replay
from vtrace.scenarios.params import PACKED_ERAS
from vtrace.scenarios.recv import RECV, RecvParams
from vtrace.scenarios.recv.guest import run_world
from vtrace.scenarios.recv.world import RecvWorld
from vtrace.scenarios.ringstate import PACKED_BODIES, RingWorld

#: The packed bodies a receive replay runs through, guest and QEMU.
RX_BODIES = {"virtqueue_add_packed", "virtqueue_packed_pop", "virtqueue_packed_fill",
             "virtqueue_packed_flush", "virtio_packed_should_notify",
             "virtqueue_get_buf_ctx_packed", "detach_buf_packed",
             "virtqueue_disable_cb_packed", "virtqueue_enable_cb_prepare_packed",
             "virtqueue_poll_packed", "virtio_queue_packed_set_notification",
             "virtqueue_kick_prepare_packed"}


def _world(frames: int, era_name: str = "modern", **given: Any) -> tuple[RecvWorld, list[Event]]:
    params = RecvParams(**RECV.settle({"frames": frames, "ring": "packed", **given}))
    world, stream = run_world(params, era(era_name), 1)
    return world, list(stream)


def _shown(events: list[Event], size: int = 256) -> dict[str, int]:
    """The packed ring's values as a view has them after the last event."""
    shown = dict(packed_ring_at_start(size))
    for event in events:
        shown.update(event.detail.get("ring", {}))
    return shown


def _actual(world: RingWorld[Any, Any, Any]) -> dict[str, int]:
    """The same values read from the world: guest memory and both sides' own."""
    driver, device, layout = world.driver, world.device, world.memory.layout
    assert isinstance(driver, PackedDriver) and isinstance(device, PackedDevice)
    areas = struct.unpack_from("<HHHH", world.memory.bytes, layout.driver_event)
    own = (driver.next_avail_idx, driver.avail_wrap_counter, driver.num_added, driver.num_free,
           driver.last_used_idx, driver.used_wrap_counter, device.last_avail_idx,
           int(device.last_avail_wrap_counter), device.inuse, device.used_idx,
           int(device.used_wrap_counter), device.signalled_used, int(device.notification),
           world.slot, world.desc_next(world.slot))
    return dict(zip(PACKED_FIELDS, areas + own, strict=True))


# -- refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize("scenario", ["recv", "setup"])
def test_the_lesson_era_refuses_the_packed_ring_in_one_line(scenario: str) -> None:
    code, out, err = run(scenario, "--ring", "packed", "--era", "lesson")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "Linux 4.19 and QEMU 3.1 have no packed ring" in err


@pytest.mark.parametrize("scenario", ["recv", "setup"])
def test_vhost_net_refuses_the_packed_ring_in_one_line(scenario: str) -> None:
    code, out, err = run(scenario, "--ring", "packed", "--backend", "vhost-net")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "vhost-net has no packed ring" in err


def test_send_recv_and_setup_refuse_in_the_same_words() -> None:
    said = {scenario: run(scenario, "--ring", "packed", "--era", "lesson")[2].split(": ", 1)[1]
            for scenario in ("send", "recv", "setup")}
    assert len(set(said.values())) == 1


# -- the receive path -------------------------------------------------------------------------


@pytest.mark.parametrize("era_name", PACKED_ERAS)
@pytest.mark.parametrize("event_idx", [True, False])
@pytest.mark.parametrize("mergeable", [True, False])
def test_300_frames_arrive_in_order_and_the_ring_detail_is_the_memory(
        era_name: str, event_idx: bool, mergeable: bool) -> None:
    world, events = _world(300, era_name, event_idx=event_idx, mergeable=mergeable)
    assert world.delivered == list(range(300))
    assert _shown(events) == _actual(world)
    steps = {event.step for event in events}
    assert steps >= RX_BODIES
    assert not steps & {"virtqueue_add_split", "virtqueue_split_pop", "virtqueue_split_fill",
                        "virtqueue_split_flush"}
    flags = {event.detail["ring"]["driver_event.flags"] for event in events
             if "driver_event.flags" in event.detail.get("ring", {})}
    assert (VRING_PACKED_EVENT_FLAG_DESC in flags) is event_idx


def test_both_wrap_counters_flip_when_300_frames_pass_a_256_ring() -> None:
    _, events = _world(300)
    seen = {name: {value} for name, value in packed_ring_at_start(256).items()}
    for event in events:
        for name, value in event.detail.get("ring", {}).items():
            seen.setdefault(name, set()).add(value)
    for name in ("avail_wrap_counter", "used_wrap_counter", "last_avail_wrap_counter",
                 "vq.used_wrap_counter"):
        assert seen[name] == {0, 1}, name
    # The driver keeps the used wrap counter in bit 15 of last_used_idx.
    assert any(value < 0x8000 for value in seen["last_used_idx"])


def test_the_device_writes_the_used_id_and_length_into_the_slot() -> None:
    params = RecvParams(**RECV.settle({"frames": 1, "queue_size": 32, "rx_buffers": 1,
                                       "ring": "packed"}))
    world, stream = run_world(params, era("modern"), 1)
    # The ring as the guest finds it when the interrupt comes: used, not yet taken back.
    flush = next(event for event in stream if event.step == "virtqueue_packed_flush")
    assert flush.detail["ring"]["slot.flags"] == 0x8080  # AVAIL and USED, first lap
    next(event for event in stream if event.step == "vring_interrupt")
    written, buffer_id, flags = struct.unpack_from("<IHH", world.memory.bytes, 8)
    assert (buffer_id, flags) == (0, 0x8080) and written == 12 + 128


def test_a_stall_restarts_with_the_packed_set_notification() -> None:
    _, events = _world(3, rx_buffers=0)
    steps = [event.step for event in events]
    assert "virtio_queue_packed_set_notification" in steps
    assert "virtqueue_kick_prepare_packed" in steps
    assert _tally_kicks(events) >= 1


def _tally_kicks(events: list[Event]) -> int:
    return sum(1 for event in events if event.step == "vp_notify")


def test_each_body_follows_its_function_which_keeps_its_keys() -> None:
    _, events = _world(3, rx_buffers=0)
    calls = [event for event in events if event.kind is Kind.CALL]
    for thread in {event.thread for event in calls}:
        own = [event for event in calls if event.thread == thread]
        for before, body in zip(own, own[1:], strict=False):
            if before.step in PACKED_BODIES:
                assert body.step == PACKED_BODIES[before.step]
                assert "ring" not in before.detail
    kicks = [event for event in calls if event.step == "virtqueue_kick_prepare"]
    assert kicks and all("kick" in event.detail for event in kicks)


# -- the send path's packed bodies ------------------------------------------------------------


def test_send_packed_shows_the_kick_reclaim_and_notify_bodies() -> None:
    _, stream = replay("send", {"frames": 3, "ring": "packed"}, "modern", 1)
    events = list(stream)
    steps = {event.step for event in events}
    assert {"virtqueue_kick_prepare_packed", "virtqueue_get_buf_ctx_packed",
            "detach_buf_packed", "virtio_packed_should_notify"} <= steps
    detached = [event.detail["id"] for event in events if event.step == "detach_buf_packed"]
    taken = [event.detail["head"] for event in events
             if event.step == "virtqueue_get_buf" and "head" in event.detail]
    assert detached == taken and len(taken) == 3


# -- the catalog ------------------------------------------------------------------------------


@pytest.mark.parametrize("step", [item.key for item in packed_steps.STEPS])
def test_every_packed_step_compares_itself_with_the_split_ring(step: str) -> None:
    item = CATALOG[step]
    assert item.text["en"] and item.text["zh"]
    for name in PACKED_ERAS:
        version = ERAS[name].versions[item.project]
        assert version in item.sites
        assert item.notes[version]["en"].startswith("Compared with the split ring:")
        assert item.notes[version]["zh"].startswith("与 split 环相比：")
    assert set(item.sites) <= {"6.1", "7.2", "10.2"}  # no packed ring in 4.19 or 3.1


# -- the views --------------------------------------------------------------------------------


@pytest.mark.parametrize("frames", ["3", "300"])
@pytest.mark.parametrize("view", ["plain", "quiet"])
def test_the_plain_and_quiet_views_run(frames: str, view: str) -> None:
    code, out, err = run("recv", "--ring", "packed", "-n", frames, "--view", view)
    assert code == 0 and err == ""
    assert re.search(rf"frames received +{frames}\n", out)


@pytest.mark.parametrize("frames", [3, 300])
def test_the_jsonl_stream_carries_the_ring_as_memory_holds_it(frames: int,
                                                              tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    code, _, _ = run("recv", "--ring", "packed", "-n", str(frames), "--events", str(path),
                     "--view", "quiet")
    assert code == 0
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert lines[0]["params"]["ring"] == "packed"
    shown = dict(packed_ring_at_start(256))
    for line in lines[1:]:
        shown.update(line["detail"].get("ring", {}))
    world, _ = _world(frames)
    assert shown == _actual(world)


def test_show_ring_runs_on_a_packed_rx_ring() -> None:
    code, out, err = run("recv", "--ring", "packed", "-n", "3", "--view", "plain",
                         "--show-ring")
    assert code == 0 and err == ""
    assert "driver event area" in out
