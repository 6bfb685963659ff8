"""Cutting a stream into rounds and folding the rounds that repeat."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from vtrace.catalog import era
from vtrace.model import ACTORS, Event, Kind, Layer, Phase, Place
from vtrace.renderers.folding import batch_of, fold, in_summary
from vtrace.scenarios.send import SendParams, send


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


def test_what_is_drawn_is_capped_and_the_rest_counted() -> None:
    stream = [make(seq, seq, "sendto", **{f"k{seq % 7}": "x" * (seq % 5)}) for seq in range(500)]
    outline = fold(stream, max_steps=50)
    assert outline.steps == 50
    assert outline.hidden_steps == 500 - 50
    assert outline.hidden_frames > 0


def test_a_stream_without_frames_stays_bounded() -> None:
    outline = fold((make(seq, None, "probe") for seq in range(20_000)), max_steps=100)
    assert outline.steps == 100 and outline.hidden_steps == 20_000 - 100
    assert sum(len(r.events) for r in outline.rounds) == 100


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
    assert [e.step for e in outline.rounds[0].events] == ["handle_ept_misconfig",
                                                          "virtqueue_kick_prepare"]


def test_batch_comes_from_the_header_when_it_is_sane() -> None:
    assert batch_of({"batch": 5}) == 5
    assert [batch_of(params) for params in ({}, {"batch": 0}, {"batch": "5"},
                                            {"batch": True})] == [1, 1, 1, 1]
