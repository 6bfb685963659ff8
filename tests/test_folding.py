"""Cutting a stream into rounds and folding the rounds that repeat."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from vtrace.catalog import era
from vtrace.cli import main
from vtrace.model import ACTORS, Event, Kind, Layer, Phase, Place
from vtrace.renderers.folding import MAX_STEPS, batch_of, fold, in_summary
from vtrace.renderers.repeats import Repeat
from vtrace.scenarios.send import SendParams, send
from vtrace.session import replayed


def make(seq: int, frame: int | None, step: str = "start_xmit", src: str = "virtio_net",
         dst: str = "virtio_net", kind: Kind = Kind.CALL, **detail: Any) -> Event:
    place = Place(step=step, function=step, file=None, line=None, project="linux",
                  version="6.1", phase=Phase.XMIT, layer=Layer.GUEST_KERNEL, actor=dst)
    return Event(seq=seq, frame=frame, place=place, kind=kind, src=src, dst=dst,
                 t_ns=seq * 100, detail=detail)


def frames(count: int, **detail: Any) -> Iterator[Event]:
    """``count`` frames of three events each, the same but for their counters."""
    seq = 0
    for frame in range(count):
        for step in ("sendto", "start_xmit", "virtqueue_add_split"):
            yield make(seq, frame, step, avail_idx=frame, **detail)
            seq += 1


def test_one_frame_is_one_round() -> None:
    outline = fold(frames(1))
    assert [(r.first, r.last, r.times, len(r.events)) for r in outline.rounds] == [(0, 0, 1, 3)]
    assert outline.steps == 3 and outline.hidden_steps == 0


def test_frames_that_differ_only_in_counters_fold() -> None:
    outline = fold(frames(10_000))
    assert [(r.first, r.times, r.frames()) for r in outline.rounds] == [(0, 10_000, (0, 9999))]
    assert outline.steps == 3


def test_a_different_decision_stops_the_fold() -> None:
    stream = [*frames(3, why="xmit_more")]
    stream += [make(9, 3, "sendto", why="avail_event_in_window"),
               make(10, 4, "sendto", why="avail_event_in_window")]
    outline = fold(stream)
    assert [(r.first, r.times) for r in outline.rounds] == [(0, 3), (3, 2)]


def test_a_round_holds_a_batch_and_what_follows_it() -> None:
    stream = [make(0, 0), make(1, 1), make(2, None, "virtio_net_flush_tx", "kvm", "virtio-net"),
              make(3, 0, "virtqueue_pop", "virtio-net", "virtio-net"), make(4, 2), make(5, 3)]
    outline = fold(stream, batch=2)
    assert [(r.first, r.last, len(r.events)) for r in outline.rounds] == [(0, 1, 4), (2, 3, 2)]


def test_events_before_the_first_frame_are_a_round_of_their_own() -> None:
    outline = fold([make(0, None, "probe"), *frames(1)])
    assert [(r.first, len(r.events)) for r in outline.rounds] == [(None, 1), (0, 3)]


def test_the_replay_folds_every_frame_after_the_first() -> None:
    stream = send(SendParams(frames=40), era("modern"), 1)
    outline = fold(stream)
    assert [(r.first, r.times, r.frames()[1]) for r in outline.rounds] == [(0, 1, 0), (1, 39, 39)]


def test_what_is_drawn_is_capped_at_a_round_boundary_and_the_rest_counted() -> None:
    details: list[dict[str, Any]] = [{f"k{seq // 3}": "x"} for seq in range(600)]
    stream = [make(seq, seq // 3, "sendto", **detail) for seq, detail in enumerate(details)]
    outline = fold(stream, max_steps=50)  # 200 rounds of 3 steps, no two alike
    assert [len(done.events) for done in outline.rounds] == [3] * 16  # 48 rows: whole rounds
    assert outline.steps == 48 and outline.hidden_steps == 600 - 48
    assert (outline.hidden_first, outline.hidden_last, outline.hidden_rounds) == (16, 199, 184)
    assert outline.hidden_alike == 0


def test_a_first_round_larger_than_the_cap_is_cut_and_says_so() -> None:
    stream = [make(seq, 0 if seq < 90 else 1, "sendto", n=seq) for seq in range(93)]
    outline = fold(stream, max_steps=40)
    (drawn,) = outline.rounds
    assert len(drawn.events) == 40 and drawn.cut == 50
    assert outline.hidden_rounds == 1 and outline.hidden_steps == 50 + 3


def test_a_stream_without_frames_stays_bounded() -> None:
    outline = fold((make(seq, None, "probe") for seq in range(20_000)), max_steps=100,
                   loops=False)
    assert outline.steps == 100 and outline.hidden_steps == 20_000 - 100
    assert sum(len(r.events) for r in outline.rounds) == 100
    assert outline.rounds[0].cut == 20_000 - 100


def test_a_loop_of_steps_of_no_frame_is_drawn_once_with_a_count() -> None:
    outline = fold((make(seq, None, "probe") for seq in range(20_000)), max_steps=100)
    first, repeat = outline.rounds[0].events
    assert isinstance(first, Event) and isinstance(repeat, Repeat)
    assert (repeat.block, repeat.times) == (1, 19_999) and outline.hidden_steps == 0


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_stalled_receive_draws_its_refill_once(tmp_path: Path, lang: str) -> None:
    """The refill posts 256 buffers: one pass and a count, not 1,382 steps cut at the cap;
    --no-fold draws every pass again."""
    folded, every = tmp_path / "folded.mmd", tmp_path / "every.mmd"
    for out, flags in ((folded, []), (every, ["--no-fold"])):
        with pytest.raises(SystemExit) as done:
            main(["diagram", "--scenario", "recv", "--rx-buffers", "0", "--lang", lang,
                  *flags, str(out)])
        assert done.value.code == 0
    drawn = folded.read_text(encoding="utf-8")
    assert drawn.count("add_recvbuf_mergeable") == 1
    assert ("ran 255 more times" if lang == "en" else "又重复了 255 次") in drawn
    assert "only the first" not in drawn and "qemu_flush_queued_packets" in drawn
    assert every.read_text(encoding="utf-8").count("add_recvbuf_mergeable") > 100


def two_threads(frame: int, vcpu_first: bool) -> list[Event]:
    """One frame's steps on the vCPU and in QEMU, the threads interleaved either way."""
    vcpu = [dataclasses.replace(make(0, frame, step), thread="vcpu0")
            for step in ("start_xmit", "vp_notify")]
    qemu = [dataclasses.replace(make(0, frame, step, "virtio-net", "virtio-net"),
                                thread="qemu-main") for step in ("virtqueue_pop", "tap_send")]
    order = [vcpu[0], qemu[0], vcpu[1], qemu[1]] if vcpu_first else \
        [qemu[0], vcpu[0], qemu[1], vcpu[1]]
    return order


def test_rounds_whose_threads_only_interleave_differently_fold_and_say_so() -> None:
    same = fold([*two_threads(0, True), *two_threads(1, True)]).rounds
    assert [(r.times, r.interleaved) for r in same] == [(2, False)]
    mixed = fold([*two_threads(0, True), *two_threads(1, False), *two_threads(2, True)]).rounds
    assert [(r.times, r.interleaved) for r in mixed] == [(3, True)]
    drawn = [e.step for e in mixed[0].events if isinstance(e, Event)]
    assert drawn == ["start_xmit", "virtqueue_pop", "vp_notify", "tap_send"]  # the first round


def test_a_round_like_an_earlier_one_is_a_reference_not_drawn_again() -> None:
    a = [make(0, 0, "sendto"), make(1, 0, "start_xmit")]
    b = [make(2, 1, "sendto"), make(3, 1, "virtqueue_add_split", why="full")]

    def again(events: list[Event], frame: int) -> list[Event]:
        return [dataclasses.replace(event, frame=frame) for event in events]

    stream = [*a, *b, *again(a, 2), *again(b, 3), *again(b, 4), *again(a, 5), *again(a, 6)]
    outline = fold(stream)
    shape = [(r.first, r.times, r.until, r.like.first if r.like else None, len(r.events))
             for r in outline.rounds]
    assert shape == [(0, 1, None, None, 2), (1, 1, None, None, 2), (2, 1, 2, 0, 0),
                     (3, 2, 4, 1, 0), (5, 2, 6, 0, 0)]
    assert outline.steps == 2 + 2 + 3  # the references take a row each


def test_a_recording_of_interleaved_threads_folds_and_stops_between_rounds() -> None:
    session = replayed("recv", {"frames": 60, "batch": 7}, "modern", 1)
    events = list(session.events())
    whole = fold(events, batch=7, max_steps=10**9)
    outline = fold(events, batch=7)
    assert outline.steps <= MAX_STEPS
    sizes = {done.first: len(done.events) for done in whole.rounds}
    for done in outline.rounds:  # every round drawn is drawn whole
        assert done.like is not None or len(done.events) == sizes[done.first]
        assert not done.cut
    drawn = sum(done.times for done in outline.rounds)
    assert drawn + outline.hidden_rounds == sum(done.times for done in whole.rounds)


def test_unknown_actors_join_the_lifelines_after_the_known_ones() -> None:
    outline = fold([make(0, 0, "x", "sniffer", "virtio_net"), make(1, 0, "y", "tun", "app")])
    assert outline.actors == ["app", "virtio_net", "tun", "sniffer"]


def test_only_the_lifelines_the_stream_uses_are_drawn() -> None:
    qemu = fold(send(SendParams(frames=2), era("modern"), 1)).actors
    assert "vhost" not in qemu and qemu == [actor for actor in ACTORS if actor != "vhost"]
    vhost = fold(send(SendParams(frames=2, backend="vhost-net"), era("modern"), 1)).actors
    assert vhost == ["app", "stack", "virtio_net", "vring", "kvm", "vhost", "tun", "host-stack"]
    assert fold([]).actors == list(ACTORS)


def test_summary_keeps_only_crossings_and_decisions() -> None:
    inside = make(0, 0, "xmit_skb")
    crossing = make(1, 0, "handle_ept_misconfig", "virtio_net", "kvm")
    noted = make(2, 0, "virtqueue_kick_prepare", kind=Kind.NOTE, kick=False, why="xmit_more")
    assert [in_summary(e) for e in (inside, crossing, noted)] == [False, True, True]
    outline = fold([inside, crossing, noted], summary=True)
    assert [e.step for e in outline.rounds[0].events if isinstance(e, Event)] == [
        "handle_ept_misconfig",
                                                          "virtqueue_kick_prepare"]


def test_batch_comes_from_the_header_when_it_is_sane() -> None:
    assert batch_of({"batch": 5}) == 5
    assert [batch_of(params) for params in ({}, {"batch": 0}, {"batch": "5"},
                                            {"batch": True})] == [1, 1, 1, 1]
