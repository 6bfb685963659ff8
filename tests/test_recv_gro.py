"""``vtrace recv --proto tcp`` without guest TSO: the host cuts each write before the tap, the
guest's GRO merges the segments again.

By hand: 65,000 bytes at an MSS of 1,448 (1,500 less 20 of IPv4, 20 of TCP and 12 of
timestamps) are 44 full segments and one of 1,288 bytes: 45. Each is a 1,514-byte frame
behind a 12-byte header, 1,526 bytes, which fits one 1,536-byte mergeable buffer. Merged
whole, the skb's IP length is 52 + 65,000 = 65,052 bytes, under gro_max_size (65,536).
"""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from cli_run import run
from conftest import program
from hypothesis import given, settings
from hypothesis import strategies as st
from test_words_audit import audit

from vtrace.catalog import CATALOG, ERAS, era
from vtrace.frames import VNET_HDR_F_NEEDS_CSUM, VnetHeader
from vtrace.model import Event, Kind
from vtrace.pcap import read_packets
from vtrace.scenarios.recv import RECV
from vtrace.scenarios.recv.gro import (
    GRO_MAX_SIZE,
    GroState,
    Held,
    Segment,
    decide,
    segment_packets,
    tap_frames,
)
from vtrace.scenarios.recv.guest import run_world
from vtrace.scenarios.recv.qemu import NUM_BUFFERS_AT
from vtrace.scenarios.recv.tcp import host_superframe
from vtrace.scenarios.recv.world import RecvParams, RecvWorld
from vtrace.scenarios.send.tso import MSS
from vtrace.tally import Tally

SEGMENTS = 45  # ceil(65000 / 1448)
LAST = 65000 - 44 * MSS  # 1288
GRO_STEPS = ("receive_mergeable", "page_to_skb", "guest_virtio_net_hdr_to_skb",
             "napi_gro_receive", "dev_gro_receive", "inet_gro_receive", "tcp4_gro_receive",
             "tcp_gro_receive", "skb_gro_receive")


def _replay(name: str = "modern", **given: object) -> tuple[RecvWorld, list[Event]]:
    params = RecvParams(**{"frames": 1, "size": 65000, "proto": "tcp",  # type: ignore[arg-type]
                           "features": "-guest_tso4", **given})
    world, events = run_world(params, era(name), 1)
    return world, list(events)


def _skbs(events: list[Event]) -> list[tuple[int, int, str]]:
    """(segments, payload bytes, why) of every skb GRO passed up, in order."""
    found = []
    for event in events:
        if event.step == "napi_gro_complete":
            found.append((event.detail["segs"], event.detail["bytes"], event.detail["why"]))
        elif event.step == "dev_gro_receive" and event.detail.get("result") == "GRO_NORMAL":
            found.append((1, -1, "alone"))
    return found


def test_the_arithmetic_by_hand() -> None:
    packets = segment_packets(0, 65000, 12, csum=True)
    assert len(packets) == SEGMENTS and MSS == 1448 and LAST == 1288
    assert {len(packet) for packet in packets[:-1]} == {12 + 1514}
    assert len(packets[-1]) == 12 + 14 + 20 + 32 + LAST
    header = VnetHeader.unpack(packets[0][:12])
    assert (header.flags, header.gso_type, header.gso_size) == (VNET_HDR_F_NEEDS_CSUM, 0, 0)
    assert (header.csum_start, header.csum_offset) == (34, 16)
    # The payloads, in order, are the write's bytes.
    payload = b"".join(packet[12 + 66:] for packet in packets)
    assert payload == host_superframe(0, 65000).frame[66:]


def test_gro_merges_one_write_into_one_skb_when_nothing_else_flushes() -> None:
    held: Held | None = None
    merged, completed = 0, []
    for packet in segment_packets(0, 65000, 12, csum=True):
        segment = Segment.of(packet[12:])
        decision = decide(held, segment)
        if decision.merge:
            assert held is not None
            held.append(segment)
            merged += 1
        if decision.complete_held:
            completed.append((held.segs, held.length, held.ip_len, decision.why))  # type: ignore[union-attr]
            held = None
        if decision.hold:
            held = Held(0, segment, segment.seq + segment.length, segment.length)
    assert merged == SEGMENTS - 1
    assert completed == [(SEGMENTS, 65000, 52 + 65000, "gro_psh")]
    assert GRO_MAX_SIZE > 52 + 65000


def test_gro_max_size_and_a_new_write_flush_the_held_skb() -> None:
    first, second = (Segment.of(packet[12:])
                     for packet in segment_packets(0, 65000, 12, csum=True)[:2])
    near = GRO_MAX_SIZE - 52 - MSS  # p->len + len reaches 65,536 with one more segment
    held = Held(0, first, second.seq, near, segs=44)
    held.seq, held.length = first.seq + near, near
    later = Segment(first.seq + near, second.ack, second.flags, second.options,
                    (first.ip_id + 44) & 0xFFFF, MSS, True, True)
    assert decide(held, later).why == "gro_max_size"
    assert not decide(held, later).merge and decide(held, later).hold
    assert decide(held, later, gro_max_size=1 << 20).merge
    # The next write's first segment: other timestamps, so another skb.
    other = Segment.of(segment_packets(1, 65000, 12, csum=True)[0][12:])
    lone = Held(0, first, other.seq, 65000, segs=SEGMENTS)
    assert decide(lone, other).why == "gro_options"


def test_what_the_guest_negotiates_decides_who_segments() -> None:
    modern = ERAS["modern"]
    assert not GroState.of(modern, "tcp", "", True).segmented
    assert not GroState.of(modern, "tcp", "-guest_tso6", True).segmented
    assert not GroState.of(modern, "udp", "-guest_tso4", True).segmented
    cut = GroState.of(modern, "tcp", "-guest_tso4", True)
    assert cut.segmented and cut.csum
    assert cut.tun_offload == "TUN_F_CSUM|TUN_F_TSO6|TUN_F_TSO_ECN|TUN_F_UFO"
    assert GroState.of(modern, "tcp", "", False) == GroState(segmented=True, csum=False,
                                                             tun_offload="0")
    newest = GroState.of(ERAS["newest"], "tcp", "-guest_tso4", True).tun_offload
    assert "TUN_F_TSO4" not in newest and "TUN_F_USO4" in newest


def test_each_segment_crosses_the_ring_alone_with_its_own_bytes() -> None:
    world, events = _replay()
    packets = segment_packets(0, 65000, world.hdr_len, csum=True)
    taken = [event.detail for event in events if event.step == "virtqueue_split_pop"]
    assert len(taken) == SEGMENTS
    counts = [event.detail["num_buffers"] for event in events
              if event.step == "virtio_net_receive_rcu" and "num_buffers" in event.detail]
    assert counts == [1] * SEGMENTS
    for detail, packet in zip(taken, packets, strict=True):
        address, length = int(detail["addr"]), len(packet)
        assert detail["frame_len"] == length and detail["len"] >= length
        written = bytes(world.memory.bytes[address:address + length])
        expected = bytearray(packet)
        struct.pack_into("<H", expected, NUM_BUFFERS_AT, 1)
        assert written == bytes(expected)


def test_each_segment_meets_gro_in_the_kernels_order() -> None:
    _, events = _replay()
    per_segment: list[list[str]] = []
    for event in events:
        if event.frame == 0 and event.step in GRO_STEPS and event.kind is Kind.CALL:
            if event.step == "receive_mergeable" and "num_buffers" in event.detail:
                per_segment.append([])
            per_segment[-1].append(event.step)
    assert len(per_segment) == SEGMENTS
    assert per_segment[0] == list(GRO_STEPS[:-1])  # the first one is held
    merged = [steps for steps in per_segment if steps[-1] == "skb_gro_receive"]
    assert all(steps == list(GRO_STEPS) for steps in merged)


@pytest.mark.parametrize("name", list(ERAS))
def test_segments_and_skbs_add_up_in_every_era(name: str) -> None:
    world, events = _replay(name, frames=2)
    skbs = _skbs(events)
    assert sum(segs for segs, _, _ in skbs) == 2 * SEGMENTS
    counts = Tally(RECV.calls, RECV.notes)
    for event in events:
        counts.add(event)
    merged = sum(1 for event in events if event.step == "skb_gro_receive")
    assert counts["host_segments"] == 2 * SEGMENTS
    assert counts["gro_merged"] == merged == 2 * SEGMENTS - len(skbs)
    assert counts["gro_skbs"] == len(skbs) and counts["frames"] == 2
    assert _covers(world.gro.read, 2 * 65000)
    steps = {event.step for event in events}
    if name == "lesson":
        assert "netif_receive_skb_internal" in steps and "gro_normal_one" not in steps
    else:
        assert {"gro_normal_one", "netif_receive_skb_list_internal"} <= steps
    functions = {event.function for event in events if event.step == "napi_gro_complete"}
    assert functions == {"gro_complete" if name == "newest" else "napi_gro_complete"}


def test_a_full_budget_flushes_what_gro_holds() -> None:
    _, events = _replay(napi_budget=4)
    whys = [why for _, _, why in _skbs(events)]
    assert "gro_budget" in whys
    polls = [event for event in events if event.step == "__napi_poll"]
    assert polls and all(event.detail["work"] == 4 for event in polls)
    # A budget of 4 never lets GRO hold more than 4 segments.
    assert max(segs for segs, _, _ in _skbs(events)) <= 4


def test_without_checksum_offload_gro_sums_each_segment() -> None:
    _, events = _replay(offload=False)
    (offload,) = [event.detail for event in events if event.step == "tap_fd_set_offload"]
    assert offload["offload"] == "0"
    headers = [event.detail for event in events if event.step == "receive_header"]
    assert {(header["flags"], header["gso_type"]) for header in headers} == {(0, 0)}
    checks = [event for event in events if event.step == "__skb_gro_checksum_complete"]
    assert len(checks) == SEGMENTS
    assert {event.detail["checksum"] for event in events
            if event.step == "tcp4_gro_receive"} == {"verified"}


def test_the_superframe_path_is_untouched() -> None:
    params = RecvParams(frames=1, size=65000, proto="tcp")
    world, run = run_world(params, era("modern"), 1)
    assert not world.gro.segmented
    steps = {event.step for event in run}
    assert not steps & {"tcp_gro_receive", "host_tcp_gso_segment", "tap_fd_set_offload"}


def _covers(read: list[tuple[int, int]], total: int) -> bool:
    """The reads take every byte from sequence number 1 once, in order."""
    at = 1
    for seq, length in read:
        if seq != at or length <= 0:
            return False
        at += length
    return at == 1 + total


@settings(max_examples=20, deadline=None)
@given(frames=st.integers(1, 3), batch=st.integers(1, 3),
       queue_size=st.sampled_from([64, 128, 256]), napi_budget=st.integers(1, 64),
       size=st.integers(1, 65483), offload=st.booleans())
def test_every_byte_sent_is_read_once_in_order(frames: int, batch: int, queue_size: int,
                                               napi_budget: int, size: int,
                                               offload: bool) -> None:
    world, events = _replay(frames=frames, batch=batch, queue_size=queue_size,
                            napi_budget=napi_budget, size=size, offload=offload)
    assert not world.dropped
    assert _covers(world.gro.read, frames * size)
    segments = -(-size // MSS)
    assert sum(segs for segs, _, _ in _skbs(events)) == frames * segments
    assert world.gro.held is None and not world.rx_list


@pytest.mark.parametrize("name", list(ERAS))
def test_every_text_reads_in_both_languages(name: str) -> None:
    params = {"frames": 2, "proto": "tcp", "size": 65000, "features": "-guest_tso4",
              "napi_budget": 8}
    assert audit("recv", params, name) == []


def test_every_new_step_has_english_and_chinese() -> None:
    for key in ("virtio_net_apply_guest_offloads", "tap_fd_set_offload", "tun_set_offload",
                "host_validate_xmit_skb", "host_skb_gso_segment", "host_tcp_gso_segment",
                "__skb_gro_checksum_complete", "tcp_gro_receive", "skb_gro_receive",
                "napi_gro_complete", "inet_gro_complete", "tcp4_gro_complete",
                "napi_gro_flush", "__napi_poll"):
        step = CATALOG[key]
        assert step.text["en"] and step.text["zh"]
        assert all(note.get("zh") for note in step.notes.values())


def test_pcap_holds_each_segment_as_it_crossed_the_tap(tmp_path: Path) -> None:
    pcap = tmp_path / "in.pcap"
    code, _, err = run("recv", "--proto", "tcp", "--size", "65000", "--frames", "2",
                       "--features", "-guest_tso4", "--view", "quiet", "--pcap", str(pcap))
    assert code == 0, err
    frames = [frame for _, frame in read_packets(pcap)]
    params = {"proto": "tcp", "size": 65000, "features": "-guest_tso4"}
    first, second = tap_frames(params, 0), tap_frames(params, 1)
    assert first is not None and second is not None and frames == first + second
    assert len(frames) == 2 * SEGMENTS
    assert tap_frames({"proto": "tcp", "size": 65000}, 0) is None  # the tap took TSO


@program("tshark", "tshark")
def test_tshark_reads_the_segments_with_their_checksums_complete_without_offload(
        tmp_path: Path) -> None:
    tshark = shutil.which("tshark")
    assert tshark is not None
    pcap = tmp_path / "in.pcap"
    assert run("recv", "--proto", "tcp", "--size", "65000", "--frames", "1", "--no-offload",
               "--view", "quiet", "--pcap", str(pcap))[0] == 0
    done = subprocess.run([tshark, "-r", str(pcap), "-o", "tcp.check_checksum:TRUE", "-T",
                           "fields", "-e", "tcp.len", "-e", "tcp.flags.push", "-e",
                           "tcp.checksum.status"], capture_output=True, text=True, check=True)
    rows = [line.split("\t") for line in done.stdout.splitlines()]
    assert rows == [["1448", "0", "1"]] * 44 + [[str(LAST), "1", "1"]]
