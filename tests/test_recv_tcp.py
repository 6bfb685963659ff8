"""``vtrace recv --proto tcp``: a 64 KiB superframe over many mergeable buffers, or a big chain."""

from __future__ import annotations

import math
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from cli_run import run
from test_words_audit import audit

from vtrace.catalog import ERAS, era
from vtrace.frames import VNET_HDR_F_NEEDS_CSUM, VNET_HDR_GSO_TCPV4
from vtrace.model import Event
from vtrace.pcap import read_packets
from vtrace.ring import RingLayout
from vtrace.rxbuffers import (
    PAGE_SIZE,
    add_recvbuf_big,
    big_packets_num_skbfrags,
    padded_vnet_hdr,
)
from vtrace.scenarios.recv.guest import run_world
from vtrace.scenarios.recv.tcp import host_superframe
from vtrace.scenarios.recv.world import RecvParams, RecvWorld
from vtrace.scenarios.send.tso import MAX_TCP_PAYLOAD, MSS

TSHARK = shutil.which("tshark")
FRAME = 14 + 20 + 32 + 65000  # Ethernet, IPv4, TCP with timestamps, payload


def _replay(name: str = "modern", **given: object) -> tuple[RecvWorld, list[Event]]:
    params = RecvParams(**{"frames": 1, "size": 65000, "proto": "tcp", **given})  # type: ignore[arg-type]
    world, events = run_world(params, era(name), 1)
    return world, list(events)


def _details(events: list[Event], step: str, **match: object) -> list[dict[str, object]]:
    return [dict(event.detail) for event in events if event.step == step
            and all(event.detail.get(key) == value for key, value in match.items())]


@pytest.mark.parametrize("name", list(ERAS))
def test_a_64k_frame_fills_many_mergeable_buffers_and_says_how_many(name: str) -> None:
    world, events = _replay(name)
    hdr_len = world.hdr_len
    (written,) = [detail["num_buffers"] for detail in _details(events, "virtio_net_receive_rcu")
                  if "num_buffers" in detail]
    assert isinstance(written, int) and written > 1
    assert _details(events, "receive_mergeable")[0] == {"num_buffers": written}
    # One used entry per buffer, with the bytes written; together header and frame.
    used = [detail["len"] for detail in _details(events, "virtqueue_fill")] or \
        [detail["len"] for detail in _details(events, "virtqueue_split_fill")]
    assert len(used) == written and sum(used) == FRAME + hdr_len  # type: ignore[arg-type]
    # One descriptor per mergeable buffer, in the ring and in each refill.
    assert {len(world.chain(head)) for head in range(world.params.queue_size)} == {1}
    assert {detail["sg"] for detail in _details(events, "virtqueue_add_inbuf_ctx")} <= {1}


def test_the_header_sits_at_the_spec_offsets_in_the_first_buffer() -> None:
    world, events = _replay()
    sizing = world.sizing
    assert sizing is not None and world.hdr_len == 12
    first = sizing.base  # the first buffer carved: page 0, offset 0 of the pool
    raw = bytes(world.memory.bytes[first:first + 12])
    flags, gso_type, hdr_len, gso_size, csum_start, csum_offset, num_buffers = struct.unpack(
        "<BBHHHHH", raw)
    assert (flags, gso_type, gso_size) == (VNET_HDR_F_NEEDS_CSUM, VNET_HDR_GSO_TCPV4, MSS)
    assert (hdr_len, csum_start, csum_offset) == (66, 34, 16)
    assert struct.unpack_from("<H", world.memory.bytes, first + 10) == (num_buffers,)
    assert num_buffers == 42  # 21 buffers fill each 32 KiB page (the last takes the hole)
    # The frame follows the header byte for byte, across the buffers QEMU filled.
    assert bytes(world.memory.bytes[first + 12:first + 1536]) == \
        host_superframe(0, 65000).frame[:1536 - 12]
    # tun wrote the same header, num_buffers still 0: QEMU fills it in.
    (tun,) = _details(events, "tun_put_user")
    assert tun["vnet_hdr_hex"] == raw[:10].hex() + "0000"
    (header,) = _details(events, "receive_header")
    assert (header["gso_size"], header["hdr_len"], header["csum_start"]) == (MSS, 66, 34)


def test_the_used_ring_holds_each_buffers_length() -> None:
    world, _ = _replay()
    layout = world.memory.layout
    assert isinstance(layout, RingLayout)
    entries = [struct.unpack_from("<II", world.memory.bytes, layout.used_ring(slot))
               for slot in range(42)]
    lengths = [length for _, length in entries]
    assert lengths[:21] == [1536] * 20 + [2048] and lengths[21:41] == [1536] * 20
    assert sum(lengths) == FRAME + 12
    assert [head for head, _ in entries] == list(range(42))


def test_the_guest_gathers_the_whole_frame_and_the_ewma_resizes_the_refill() -> None:
    _, events = _replay()
    (gathered,) = [detail for detail in _details(events, "receive_mergeable")
                   if detail.get("fact") == "gathered"]
    assert gathered["len"] == FRAME == len(host_superframe(0, 65000).frame)
    assert (gathered["linear"], gathered["frags"], gathered["frag_list"]) == (14, 2, 0)
    assert gathered["avg_pkt_len"] == FRAME and gathered["next_buf_len"] == PAGE_SIZE
    assert {detail["len"] for detail in _details(events, "get_mergeable_buf_len")} == {PAGE_SIZE}
    # A buffer that leaves too little of its 32 KiB page takes the rest (the hole) too.
    refills = [detail["len"] for detail in _details(events, "add_recvbuf_mergeable")]
    assert len(refills) == 42 and set(refills) == {PAGE_SIZE, PAGE_SIZE + 2048}
    (read,) = _details(events, "tcp_recvmsg")
    assert read["bytes"] == 65000


def test_page_sized_buffers_take_fewer_once_the_ring_has_turned() -> None:
    _, events = _replay(frames=3, queue_size=64)
    counts = [int(str(detail["num_buffers"])) for detail in _details(events, "receive_mergeable")
              if "num_buffers" in detail]
    assert counts[0] == 42 and counts[-1] == math.ceil((FRAME + 12) / PAGE_SIZE) == 16
    assert counts[0] > counts[1] > counts[2]


@pytest.mark.parametrize("name", list(ERAS))
def test_without_mergeable_buffers_one_big_chain_takes_the_frame(name: str) -> None:
    world, events = _replay(name, mergeable=False)
    padded, hdr_len = padded_vnet_hdr(era(name).linux), world.hdr_len
    head = 0  # the first chain posted
    chain = [length for _, length in world.chain(head)]
    assert chain == add_recvbuf_big(hdr_len, big_packets_num_skbfrags(guest_gso=True), padded)
    assert chain == [hdr_len, PAGE_SIZE - padded] + [PAGE_SIZE] * 17
    (used,) = [detail["len"] for detail in _details(events, "virtqueue_fill")] or \
        [detail["len"] for detail in _details(events, "virtqueue_split_fill")]
    assert used == FRAME + hdr_len
    (skb,) = _details(events, "page_to_skb")
    assert skb == {"len": FRAME, "linear": 14, "frags": 16}
    # The header alone in the first descriptor; num_buffers is not written without
    # MRG_RXBUF. The frame starts after the padded header.
    (addr, _), (data, _) = world.chain(head)[:2]
    raw = bytes(world.memory.bytes[addr:addr + hdr_len])
    assert raw[1] == VNET_HDR_GSO_TCPV4 and raw[10:12] == b"\0\0"
    assert data == addr + padded
    assert bytes(world.memory.bytes[data:data + 64]) == host_superframe(0, 65000).frame[:64]
    assert not _details(events, "receive_mergeable")


@pytest.mark.parametrize("name", list(ERAS))
def test_gro_flushes_each_superframe_at_once(name: str) -> None:
    _, events = _replay(name, frames=3, interval_ns=0, batch=3)
    flushed = _details(events, "tcp4_gro_receive")
    assert len(flushed) == 3 and all(d["flush"] and d["psh"] for d in flushed)
    assert [(d["result"], d["gso"]) for d in _details(events, "dev_gro_receive")] == \
        [("GRO_NORMAL", True)] * 3
    assert len(_details(events, "tcp_recvmsg")) == 3


@pytest.mark.parametrize("args", [("--proto", "tcp", "--size", "65536"),
                                  ("--proto", "tcp", "--size", str(MAX_TCP_PAYLOAD + 1)),
                                  ("--size", "2000"),
                                  ("--proto", "tcp", "--size", "65000", "--backend",
                                   "vhost-net"),
                                  ("--proto", "tcp", "--queue-size", "32"),
                                  ("--proto", "tcp", "--ring", "packed", "--no-mergeable"),
                                  ("--proto", "sctp")])
def test_bad_sizes_exit_2_on_one_line(args: tuple[str, ...]) -> None:
    code, out, err = run("recv", *args)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1


def test_a_udp_stream_does_not_name_the_protocol() -> None:
    code, out, _ = run("recv", "--frames", "1", "--events", "-", "--view", "quiet")
    assert code == 0 and '"proto"' not in out.splitlines()[0]
    code, out, _ = run("recv", "--proto", "tcp", "--size", "3000", "--frames", "1",
                       "--events", "-", "--view", "quiet")
    assert code == 0 and '"proto": "tcp"' in out.splitlines()[0].replace('":"', '": "')


def test_pcap_holds_the_superframe_as_it_crossed_the_tap(tmp_path: Path) -> None:
    pcap = tmp_path / "in.pcap"
    code, _, err = run("recv", "--proto", "tcp", "--size", "65000", "--frames", "2",
                       "--view", "quiet", "--pcap", str(pcap))
    assert code == 0, err
    frames = [frame for _, frame in read_packets(pcap)]
    assert frames == [host_superframe(0, 65000).frame, host_superframe(1, 65000).frame]


@pytest.mark.skipif(TSHARK is None, reason="tshark is not installed (Debian: apt install tshark)")
def test_tshark_reads_the_host_to_guest_superframes(tmp_path: Path) -> None:
    assert TSHARK is not None
    pcap = tmp_path / "in.pcap"
    assert run("recv", "--proto", "tcp", "--size", "65000", "--frames", "2", "--view",
               "quiet", "--pcap", str(pcap))[0] == 0
    done = subprocess.run([TSHARK, "-r", str(pcap), "-T", "fields", "-e", "frame.len", "-e",
                           "tcp.srcport", "-e", "tcp.dstport", "-e", "tcp.len", "-e",
                           "tcp.seq_raw"], capture_output=True, text=True, check=True)
    rows = [line.split("\t") for line in done.stdout.splitlines()]
    assert rows == [[str(FRAME), "5001", "40000", "65000", "1"],
                    [str(FRAME), "5001", "40000", "65000", "65001"]]


@pytest.mark.skipif(TSHARK is None, reason="tshark is not installed (Debian: apt install tshark)")
def test_pcapng_comments_carry_the_gso_header_and_then_num_buffers(tmp_path: Path) -> None:
    assert TSHARK is not None
    pcap = tmp_path / "in.pcapng"
    assert run("recv", "--proto", "tcp", "--size", "65000", "--frames", "1", "--view",
               "quiet", "--pcap", str(pcap))[0] == 0
    done = subprocess.run([TSHARK, "-r", str(pcap), "-T", "fields", "-e",
                           "frame.interface_name", "-e", "frame.comment"],
                          capture_output=True, text=True, check=True)
    comments = dict(line.split("\t", 1) for line in done.stdout.splitlines())
    # flags 1, gso_type 1, hdr_len 66, gso_size 1448, csum_start 34, csum_offset 16, then
    # num_buffers: 0 as tun wrote it, 42 once QEMU filled it in.
    assert "virtio_net_hdr (12 bytes) 01014200a805220010000000" in comments["host:tun_put_user"]
    assert "01014200a805220010002a00" in comments["guest:receive_buf"]
    assert "guest:tcp_recvmsg" in comments


@pytest.mark.parametrize("mergeable", [True, False])
def test_the_words_audit_passes_for_a_tcp_receive_in_every_era(mergeable: bool) -> None:
    for name in ERAS:
        assert audit("recv", {"frames": 2, "proto": "tcp", "size": 65000,
                              "mergeable": mergeable}, name) == []
