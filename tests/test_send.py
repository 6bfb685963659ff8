"""The send scenario: invariants for any parameters, kick and interrupt rules, determinism."""

from __future__ import annotations

import math
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vtrace.catalog import era
from vtrace.model import Event, Kind
from vtrace.scenarios.send import SEND, SendParams, send
from vtrace.scenarios.send.eras import SWITCHES
from vtrace.tally import Tally


def replay(era_name: str = "modern", seed: int = 1, **params: int | bool) -> list[Event]:
    return list(send(SendParams(**params), era(era_name), seed))  # type: ignore[arg-type]


def tally_of(events: list[Event]) -> Tally:
    tally = Tally(SEND.calls, SEND.notes)
    for event in events:
        tally.add(event)
    return tally


@settings(max_examples=25, deadline=None)
@given(frames=st.integers(1, 150), batch=st.integers(1, 40),
       queue_size=st.sampled_from([32, 64, 256]), event_idx=st.booleans(),
       ioeventfd=st.booleans(), era_name=st.sampled_from(["lesson", "modern", "newest"]),
       interval_ns=st.sampled_from([0, 3_000, 50_000]))
def test_every_frame_reaches_the_host_once_and_no_descriptor_leaks(
        frames: int, batch: int, queue_size: int, event_idx: bool, ioeventfd: bool,
        era_name: str, interval_ns: int) -> None:
    events = replay(era_name, frames=frames, batch=batch, queue_size=queue_size,
                    event_idx=event_idx, ioeventfd=ioeventfd, interval_ns=interval_ns)
    calls = Counter((e.step, e.frame) for e in events if e.kind is Kind.CALL)
    for frame in range(frames):
        assert calls[("tun_get_user", frame)] == 1
        assert calls[("virtqueue_push", frame)] == 1
        assert calls[("virtqueue_get_buf", frame)] <= 1
    ring = {"last_used_idx": 0, "num_free": queue_size, **tally_of(events).ring}
    assert ring["avail.idx"] == ring["used.idx"] == frames & 0xFFFF
    assert ring["inuse"] == 0
    unreaped = (ring["used.idx"] - ring["last_used_idx"]) & 0xFFFF
    assert ring["num_free"] + unreaped == queue_size
    if SWITCHES[era_name].napi_tx:
        assert ring["num_free"] == queue_size  # NAPI TX reaps everything by itself
    assert [e.seq for e in events] == list(range(len(events)))
    assert all(a.t_ns <= b.t_ns for a, b in zip(events, events[1:], strict=False))


@pytest.mark.parametrize("frames,batch", [(1, 1), (10, 3), (64, 8), (100, 32)])
def test_batching_with_event_idx_kicks_at_most_once_per_batch(frames: int, batch: int) -> None:
    tally = tally_of(replay(frames=frames, batch=batch))
    assert 1 <= tally["kicks"] <= math.ceil(frames / batch)
    assert tally["kicks_deferred"] == frames - math.ceil(frames / batch)


def test_an_idle_sender_kicks_and_is_interrupted_for_every_frame() -> None:
    tally = tally_of(replay(frames=20, interval_ns=100_000))
    assert (tally["kicks"], tally["vm_exits"], tally["interrupts"]) == (20, 20, 20)


def test_a_busy_device_suppresses_kicks_through_avail_event() -> None:
    events = replay(frames=200, interval_ns=0)
    tally = tally_of(events)
    assert tally["kicks"] < 20 and tally["kicks_suppressed"] > 100
    suppressed = [e for e in events if e.step == "virtqueue_kick_prepare"
                  and e.kind is Kind.CALL and not e.detail["kick"]]
    assert all(e.detail["why"] == "avail_event_outside_window" for e in suppressed)


def test_without_event_idx_the_flags_decide() -> None:
    events = replay(frames=200, interval_ns=0, event_idx=False)
    decisions = {e.detail["why"] for e in events
                 if e.step == "virtqueue_kick_prepare" and e.kind is Kind.CALL}
    assert decisions <= {"no_notify_set", "no_notify_clear"} and "no_notify_set" in decisions
    assert all(e.detail["used_event"] is None for e in events
               if e.step == "virtio_notify" and e.kind is Kind.CALL)


def test_with_ioeventfd_the_vcpu_never_enters_qemu() -> None:
    events = replay(frames=3)
    assert not any(e.step == "kvm_cpu_exec" for e in events)
    assert {e.thread for e in events if e.project == "qemu"} == {"qemu-main"}


def test_without_ioeventfd_the_kick_exits_to_qemus_vcpu_thread() -> None:
    events = replay(frames=1, ioeventfd=False)
    path = [e.step for e in events if e.kind is Kind.CALL and e.thread == "vcpu0"]
    start = path.index("vp_notify")
    assert path[start:start + 8] == [
        "vp_notify", "handle_ept_misconfig", "kvm_io_bus_write", "vcpu_mmio_write",
        "kvm_cpu_exec", "virtio_pci_notify_write", "virtio_queue_notify",
        "virtio_net_handle_tx_bh",
    ]
    assert tally_of(events)["exits_to_qemu"] == 1


def test_the_same_seed_gives_the_same_stream_and_another_seed_other_times() -> None:
    first, again, other = replay(frames=5, seed=7), replay(frames=5, seed=7), replay(frames=5,
                                                                                     seed=8)
    assert first == again
    assert [e.t_ns for e in first] != [e.t_ns for e in other]
    assert [e.step for e in first] == [e.step for e in other]


def test_the_host_receives_real_frames_with_good_checksums() -> None:
    events = replay(frames=3, size=300)
    received = [e for e in events if e.step == "tun_get_user"]
    assert [e.detail["bytes"] for e in received] == [300, 300, 300]
    assert all(e.detail["checksums_ok"] for e in received)


def test_ring_writes_show_as_state_events_towards_the_vring() -> None:
    events = replay(frames=1)
    writes = [e for e in events if e.kind is Kind.STATE]
    assert all(e.dst == "vring" for e in writes)
    assert {"avail.idx", "used.idx"} <= {name for e in writes for name in e.detail["writes"]}


def test_the_stream_is_lazy() -> None:
    stream = send(SendParams(frames=10_000_000), era("modern"), 1)
    assert next(stream).step in ("sendto", "__sys_sendto")


DRIVER_FIELDS = {"avail.flags", "avail.idx", "used_event", "avail_idx_shadow", "num_added",
                 "num_free", "last_used_idx"}
DEVICE_FIELDS = {"used.flags", "used.idx", "avail_event", "last_avail_idx", "inuse",
                 "signalled_used", "notification"}


@pytest.mark.parametrize("era_name", ["lesson", "modern", "newest"])
@pytest.mark.parametrize("ioeventfd", [True, False])
def test_each_side_writes_only_its_own_ring_fields(era_name: str, ioeventfd: bool) -> None:
    events = replay(era_name, frames=120, batch=4, queue_size=32, interval_ns=2_000,
                    ioeventfd=ioeventfd)
    for event in events:
        changed = set(event.detail.get("ring", {})) | set(event.detail.get("writes", {}))
        if event.layer.value == "guest-kernel":
            assert not changed & DEVICE_FIELDS, event
        elif event.layer.value == "qemu":
            assert not changed & DRIVER_FIELDS, event
        else:
            assert not changed, event


@pytest.mark.parametrize("era_name", ["lesson", "modern", "newest"])
def test_virtqueue_push_fills_then_flushes_and_only_the_flush_publishes_used_idx(
        era_name: str) -> None:
    events = replay(era_name, frames=20, batch=4, queue_size=32)
    split = era_name != "lesson"  # QEMU 7.2 and 10.2 dispatch to the split-ring bodies
    fills = ["virtqueue_fill", "virtqueue_split_fill"] if split else ["virtqueue_fill"]
    flushes = ["virtqueue_flush", "virtqueue_split_flush"] if split else ["virtqueue_flush"]
    # QEMU's main loop only: the guest's vCPU runs meanwhile.
    calls = [e for e in events if e.kind is Kind.CALL and e.thread == "qemu-main"]
    pushes = [index for index, e in enumerate(calls) if e.step == "virtqueue_push"]
    assert len(pushes) == 20
    for index in pushes:
        push = calls[index]
        following = calls[index + 1:index + 1 + len(fills) + len(flushes)]
        assert [e.step for e in following] == fills + flushes
        assert {e.frame for e in following} == {push.frame}
        assert following[len(fills) - 1].detail["head"] == push.detail["head"]
        assert following[-1].detail["count"] == 1
    publishers = {e.step for e in events if "used.idx" in e.detail.get("ring", {})}
    assert publishers == {flushes[-1]}


@pytest.mark.parametrize("era_name", ["lesson", "modern", "newest"])
def test_free_old_xmit_skbs_ends_on_an_empty_virtqueue_get_buf(era_name: str) -> None:
    events = [e for e in replay(era_name, frames=12, batch=3)
              if e.kind is Kind.CALL and e.thread == "vcpu0"]
    reaps = [index for index, e in enumerate(events) if e.step == "free_old_xmit_skbs"]
    assert reaps
    for index in reaps:
        after = index + 1
        while events[after].step == "virtqueue_get_buf" and events[after].frame is not None:
            after += 1
        assert events[after].step == "virtqueue_get_buf"
        assert events[after].frame is None and events[after].detail == {"empty": True}
    empties = sum(1 for e in events if e.detail.get("empty"))
    assert empties == len(reaps)
    reclaimed = sum(1 for e in events if e.step == "virtqueue_get_buf" and e.frame is not None)
    assert tally_of(replay(era_name, frames=12, batch=3))["completed"] == reclaimed


@pytest.mark.parametrize("era_name", ["lesson", "modern", "newest"])
def test_a_full_tx_burst_reschedules_without_touching_notifications(era_name: str) -> None:
    events = replay(era_name, frames=600, batch=600, queue_size=1024, interval_ns=0)
    flushes = Counter(event.frame for event in events if event.step == "tun_get_user")
    assert len(flushes) == 600
    switches = [event.detail["enable"] for event in events
                if event.step == "virtio_queue_set_notification" and event.kind is Kind.CALL]
    assert switches.count(False) >= 1
    # virtio_net_tx_bh only reschedules after a full burst: off and on strictly alternate.
    assert all(before != after for before, after in zip(switches, switches[1:], strict=False))
    bursts = [event for event in events if event.step == "virtio_net_tx_bh"]
    assert len(bursts) >= 3  # 600 frames need at least three bottom halves of 256
