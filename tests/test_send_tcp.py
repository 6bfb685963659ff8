"""``vtrace send --proto tcp``: the GSO header at the spec's offsets, the chain, the segments."""

from __future__ import annotations

import json
import math
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from cli_run import run

from vtrace.frames import VNET_HDR_F_NEEDS_CSUM, VNET_HDR_GSO_TCPV4
from vtrace.ring import VRING_DESC_F_INDIRECT, Buffer, Device, Driver, GuestMemory, RingLayout
from vtrace.scenarios.send.tso import MAX_TCP_PAYLOAD, MSS

TSHARK = shutil.which("tshark")


def _events(*args: str) -> list[dict[str, object]]:
    code, out, err = run("send", "--proto", "tcp", "--size", "65000", "--frames", "1",
                         "--events", "-", "--view", "quiet", *args)
    assert code == 0, err
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def _detail(events: list[dict[str, object]], step: str) -> dict[str, object]:
    found = [event["detail"] for event in events if event.get("step") == step]
    assert found, step
    detail = found[0]
    assert isinstance(detail, dict)
    return detail


def test_the_header_carries_the_gso_fields_at_the_spec_offsets() -> None:
    detail = _detail(_events(), "virtio_net_hdr_from_skb")
    raw = bytes.fromhex(str(detail["vnet_hdr_hex"]))
    assert len(raw) == 12
    flags, gso_type, hdr_len, gso_size, csum_start, csum_offset, num_buffers = struct.unpack(
        "<BBHHHHH", raw)
    assert (flags, gso_type, gso_size) == (VNET_HDR_F_NEEDS_CSUM, VNET_HDR_GSO_TCPV4, MSS)
    assert MSS == 1448
    assert (csum_start, csum_offset, hdr_len, num_buffers) == (34, 16, 66, 0)
    assert detail["gso_size"] == gso_size and detail["csum_start"] == csum_start


def test_the_chain_is_one_indirect_descriptor_for_header_headers_and_fragments() -> None:
    events = _events()
    added = _detail(events, "virtqueue_add_split")
    chain = added["indirect"]
    assert isinstance(chain, list) and len(chain) >= 3  # fragments end at 32 KiB pages
    assert added["flags"] == VRING_DESC_F_INDIRECT and added["len"] == 16 * len(chain)
    assert _detail(events, "virtqueue_add_outbuf")["sg"] == len(chain)
    lengths = [length for _, length in chain]
    assert lengths[0] == 12 + 66 and sum(lengths) == 12 + 66 + 65000
    assert [addr for addr, _ in chain][1] == chain[0][0] + 78
    # One ring descriptor: the queue's 256 less one are free.
    ring = added["ring"]
    assert isinstance(ring, dict) and ring["num_free"] == 255
    assert _detail(events, "qemu_sendv_packet_async")["iov"] == len(chain)


def test_the_ring_bytes_hold_the_indirect_table_and_the_device_follows_it() -> None:
    layout = RingLayout(8)
    memory = GuestMemory(layout, slot_size=4096)
    driver, device = Driver(memory, event_idx=True), Device(memory, event_idx=True)
    base = memory.slot_address(0)
    buffers = [Buffer(base, 78), Buffer(base + 78, 1000), Buffer(base + 1078, 500)]
    head = driver.add_indirect(buffers, base + 2048, token=7)
    addr, length, flags, _ = struct.unpack_from("<QIHH", memory.bytes, layout.descriptor(head))
    assert (addr, length, flags, driver.num_free) == (base + 2048, 48, VRING_DESC_F_INDIRECT, 7)
    table = [struct.unpack_from("<QIHH", memory.bytes, base + 2048 + 16 * i) for i in range(3)]
    assert [(entry[2], entry[3]) for entry in table] == [(1, 1), (1, 2), (0, 3)]
    element = device.pop()
    assert element is not None and element.buffers == tuple(buffers)
    device.fill(element, 0, 0)
    device.flush(1)
    assert driver.get_buf() == (7, head, 0) and driver.num_free == 8


def test_the_host_cuts_the_superframe_into_mss_segments() -> None:
    events = _events()
    assert _detail(events, "virtio_net_hdr_to_skb")["gso_type"] == ["dodgy", "tcpv4"]
    assert _detail(events, "tcp_gso_segment")["segments"] == math.ceil(65000 / MSS) == 45
    code, out, _ = run("send", "--proto", "tcp", "--size", "65000", "--frames", "2",
                       "--view", "quiet", "--lang", "en")
    assert code == 0 and "TCP segments the host's GSO put on the wire" in out
    assert any(line.split()[-2:] == ["90", "45.00"] for line in out.splitlines())


@pytest.mark.parametrize("args", [("--proto", "tcp", "--size", "70000"),
                                  ("--proto", "udp", "--size", "65000")])
def test_sizes_beyond_the_protocols_limit_exit_2_on_one_line(args: tuple[str, ...]) -> None:
    code, out, err = run("send", *args)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1


def test_the_largest_superframe_is_one_full_ipv4_packet() -> None:
    assert MAX_TCP_PAYLOAD == 65483
    code, out, err = run("send", "--proto", "tcp", "--size", str(MAX_TCP_PAYLOAD), "--frames",
                         "1", "--events", "-", "--view", "quiet")
    assert code == 0, err
    segments = [json.loads(line)["detail"]["segments"] for line in out.splitlines()
                if '"tcp_gso_segment"' in line]
    assert segments == [math.ceil(MAX_TCP_PAYLOAD / MSS)]
    assert run("send", "--proto", "tcp", "--size", str(MAX_TCP_PAYLOAD + 1))[0] == 2


@pytest.mark.skipif(TSHARK is None, reason="tshark is not installed (Debian: apt install tshark)")
def test_tshark_reads_the_superframe_and_segments_with_correct_checksums(tmp_path: Path) -> None:
    assert TSHARK is not None
    pcap = tmp_path / "run.pcap"
    code, _, err = run("send", "--proto", "tcp", "--size", "65000", "--frames", "1",
                       "--view", "quiet", "--pcap", str(pcap))
    assert code == 0, err
    done = subprocess.run([TSHARK, "-r", str(pcap), "-o", "tcp.check_checksum:TRUE", "-T",
                           "fields", "-e", "frame.len", "-e", "tcp.len", "-e",
                           "tcp.checksum.status"], capture_output=True, text=True, check=True)
    rows = [line.split("\t") for line in done.stdout.splitlines()]
    assert rows[0][:2] == ["65066", "65000"]  # the superframe, its checksum still partial
    segments = rows[1:]
    assert len(segments) == 45
    assert all(status == "1" for _, _, status in segments)  # 1: good
    assert sum(int(length) for _, length, _ in segments) == 65000


def test_show_ring_shows_the_chain_and_the_gso_header() -> None:
    code, out, err = run("send", "--proto", "tcp", "--size", "65000", "--frames", "1",
                         "--view", "plain", "--show-ring", "--lang", "en")
    assert code == 0, err
    assert "len=48 flags=INDIRECT" in out  # a table of three entries: linear, two pages
    assert ("virtio_net_hdr flags=1 gso_type=tcpv4 hdr_len=66 gso_size=1448 csum_start=34 "
            "csum_offset=16 num_buffers=0") in out
