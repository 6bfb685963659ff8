"""Hop-by-hop comparison: pure, and what it says holds for any pair of streams."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from vtrace.catalog import CATALOG, ERAS, place
from vtrace.compare import NOT_CAPTURED, NOT_TRACED, UNSEEN_WHY, compare, hops
from vtrace.model import Event, Kind, Layer, Phase, Place, Source

NAMES = ["udp_sendmsg", "start_xmit", "vp_notify", "virtqueue_pop", "tap_write_packet",
         "netif_receive_skb", "vring_interrupt"]


def stream(frames: list[list[str]], step_ns: int = 100) -> list[Event]:
    events: list[Event] = []
    for frame, names in enumerate(frames):
        for name in names:
            place = Place(name, name, None, None, "linux", "6.1", Phase.XMIT,
                          Layer.GUEST_KERNEL, "stack")
            events.append(Event(len(events), frame, place, Kind.CALL, "stack", "stack",
                                len(events) * step_ns, {}, "vcpu0", Source.REPLAY))
    return events


frames_strategy = st.lists(st.lists(st.sampled_from(NAMES), max_size=8), min_size=1,
                           max_size=4)


@given(frames_strategy)
def test_a_stream_agrees_with_itself(frames: list[list[str]]) -> None:
    result = compare(stream(frames), stream(frames, step_ns=7))
    assert result.agreement == 1.0
    assert all(not frame.unseen and not frame.extra and not frame.out_of_order
               for frame in result.frames)


@given(frames_strategy, frames_strategy)
def test_every_replay_hop_is_matched_out_of_order_or_unseen(real: list[list[str]],
                                                            replay: list[list[str]]) -> None:
    result = compare(stream(real), stream(replay))
    assert 0.0 <= result.agreement <= 1.0
    replayed = hops(stream(replay))
    for frame in result.frames:
        names = [hop.function for hop in replayed[frame.replay_frame]]
        matched = [hop.function for hop in frame.matched]
        assert len(matched) + len(frame.out_of_order) + len(frame.unseen) == len(names)
        iterator = iter(names)
        assert all(name in iterator for name in matched)  # in the replay's order


def test_reasons_and_times() -> None:
    replay = stream([["udp_sendmsg", "xmit_skb", "vp_notify", "tap_write_packet",
                      "virtqueue_disable_cb"]])
    real = stream([["write", "udp_sendmsg", "vp_notify"]], step_ns=1000)
    (frame,) = compare(real, replay).frames
    assert [hop.function for hop in frame.matched] == ["udp_sendmsg", "vp_notify"]
    assert [(hop.real_ns, hop.model_ns) for hop in frame.matched] == [(0, 0), (1000, 200)]
    why = dict(frame.unseen)
    assert "inlined" in why["xmit_skb"] and "static" in why["tap_write_packet"]
    assert why["virtqueue_disable_cb"] == NOT_TRACED
    assert frame.extra == ("write",)


def test_a_capture_with_a_warm_up_frame_pairs_its_last_frames() -> None:
    real = stream([["udp_sendmsg"], ["vp_notify"], ["start_xmit"]])
    replay = stream([["vp_notify"], ["start_xmit"]])
    result = compare(real, replay)
    assert [frame.real_frame for frame in result.frames] == [1, 2]
    assert result.agreement == 1.0


def test_a_capture_that_names_no_frame_is_one_frame() -> None:
    loose = [replace(event, frame=None) for event in stream([["udp_sendmsg", "vp_notify"]])]
    assert [hop.function for hop in hops(loose)[0]] == ["udp_sendmsg", "vp_notify"]
    framed = stream([["udp_sendmsg"]])
    assert set(hops([*loose, *framed])) == {0}  # events before a named frame are left out
    assert hops([*loose, *framed])[0][0].function == "udp_sendmsg"


def test_a_replay_standing_for_a_capture_keeps_its_frameless_events() -> None:
    replayed = stream([["udp_sendmsg", "vp_notify"]])
    interrupt = replace(stream([["vring_interrupt"]])[0], seq=2, frame=None, t_ns=300)
    both = [*replayed, interrupt]
    assert compare(both, both, real_is_replay=True).agreement == 1.0
    assert compare(both, both).agreement < 1.0


def test_only_the_lab_names_its_blind_spots() -> None:
    (frame,) = compare(stream([["udp_sendmsg"]]), stream([["udp_sendmsg", "xmit_skb"]]),
                       lab=False).frames
    assert dict(frame.unseen) == {"xmit_skb": NOT_CAPTURED}


def test_every_reason_a_hop_goes_unseen_names_a_step_a_replay_has() -> None:
    functions = {found.function for step in CATALOG.values()
                 for chosen in ERAS.values() for version in chosen.versions.values()
                 if (found := place(step, version)) is not None}
    assert sorted(set(UNSEEN_WHY) - functions) == []
