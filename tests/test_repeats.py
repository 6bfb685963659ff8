"""Folding a loop's repeated passes: nothing lost, nothing reordered, the refill told once."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Sequence

import pytest
from cli_run import run
from hypothesis import given
from hypothesis import strategies as st

from vtrace.model import Event
from vtrace.renderers.repeats import Alike, Repeat, _signature, fold_alike, fold_repeats
from vtrace.session import replayed

TEMPLATE = list(replayed("send", {"frames": 1}, "modern", 1).source)
PLACES = [event.place for event in TEMPLATE[:6]]


def _stream(codes: list[tuple[int, int]]) -> list[Event]:
    return [dataclasses.replace(TEMPLATE[0], seq=seq, place=PLACES[place], thread=f"t{thread}",
                                detail={})
            for seq, (place, thread) in enumerate(codes)]


def _expanded(items: Sequence[Event | Repeat | Alike]) -> dict[str, list[object]]:
    """Each thread's signatures with every folded pass put back: a repeat names the last lines
    of its thread that were printed."""
    printed: dict[str, list[object]] = defaultdict(list)
    threads: dict[str, list[object]] = defaultdict(list)
    for item in items:
        if isinstance(item, Repeat):
            thread = item.last.thread
            threads[thread].extend(printed[thread][-item.block:] * item.times)
        elif isinstance(item, Event):
            printed[item.thread].append(_signature(item))
            threads[item.thread].append(_signature(item))
    return dict(threads)


streams = st.lists(st.tuples(st.integers(0, 2), st.integers(0, 1)), max_size=120).map(_stream)


@given(streams)
def test_folding_loses_nothing_and_keeps_the_order(events: list[Event]) -> None:
    items = list(fold_repeats(events, longest=8))
    kept = [item for item in items if isinstance(item, Event)]
    assert [event.seq for event in kept] == sorted(event.seq for event in kept)
    threads: dict[str, list[object]] = defaultdict(list)
    for event in events:
        threads[event.thread].append(_signature(event))
    assert _expanded(items) == dict(threads)
    for item in items:
        if isinstance(item, Repeat):
            assert item.times >= (2 if item.block == 1 else 1) and 1 <= item.block <= 8


def test_a_loop_that_runs_on_is_one_pass_and_a_count() -> None:
    loop = [(0, 0), (1, 0), (2, 0)] * 50
    items = list(fold_repeats(_stream(loop)))
    repeat = items[3]
    assert len(items) == 4 and isinstance(repeat, Repeat)
    assert (repeat.block, repeat.times, repeat.last.seq) == (3, 49, len(loop) - 1)


def test_the_stalled_receive_tells_the_refill_once() -> None:
    code, folded, _ = run("recv", "--rx-buffers", "0", "--view", "plain")
    code_all, every, _ = run("recv", "--rx-buffers", "0", "--view", "plain", "--no-fold")
    assert code == code_all == 0
    assert every.count("add_recvbuf_mergeable") == 256
    assert folded.count("add_recvbuf_mergeable") < 10
    assert "↻ the last 5 lines of vcpu0 ran" in folded
    assert len(folded.splitlines()) < len(every.splitlines()) / 4
    assert folded.splitlines()[-8:] == every.splitlines()[-8:]  # the same summary


def test_frames_that_take_the_same_steps_fold_in_both_languages() -> None:
    code, out, _ = run("send", "--frames", "20", "--view", "plain")
    assert code == 0 and len(out.splitlines()) < 250
    assert "frames #2 to #19 each took 33 steps of vcpu0 as the frame before" in out
    code, out, _ = run("send", "--frames", "20", "--view", "plain", "--lang", "zh")
    assert code == 0 and "每帧在 vcpu0 中走过与前一帧相同的 33 步" in out


framed = st.lists(st.tuples(st.integers(0, 2), st.integers(0, 1), st.integers(0, 3)),
                  max_size=120)


@given(framed)
def test_frames_alike_lose_nothing_and_keep_the_order(codes: list[tuple[int, int, int]]) -> None:
    events = [dataclasses.replace(event, frame=frame or None)
              for event, (_, _, frame) in zip(_stream([(p, t) for p, t, _ in codes]), codes,
                                               strict=True)]
    items = list(fold_alike(events))
    kept = [item for item in items if isinstance(item, Event)]
    assert [event.seq for event in kept] == sorted(event.seq for event in kept)
    held = sum(item.steps * item.frames for item in items if isinstance(item, Alike))
    assert len(kept) + held == len(events)


@pytest.mark.parametrize("era", ["modern", "lesson"])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_stall_and_the_restart_fit_in_two_hundred_lines(era: str, lang: str) -> None:
    code, out, _ = run("recv", "--rx-buffers", "0", "--view", "plain", "--era", era,
                       "--lang", lang)
    assert code == 0 and len(out.splitlines()) < 200
    for step in ("qemu_net_queue_append", "tap_read_poll", "try_fill_recv", "vp_notify",
                 "qemu_flush_queued_packets", "qemu_net_queue_flush", "virtio_notify"):
        assert step in out
    said = "as frame #1 took them" if lang == "en" else "与帧 #1 走过的相同"
    assert said in out
    # the lesson's flush chain, told where the replay flushes what waited
    assert ("the path of packets queued earlier" if lang == "en" else "先前排队的包走的路") in out
