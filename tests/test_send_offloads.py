"""``--features`` and ``--no-offload``: the header length, who segments, who checksums;
a TCP send over vhost-net, over IPv6, with ECN."""

from __future__ import annotations

import json
import math
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from cli_run import run
from conftest import program

from vtrace.catalog import ERAS
from vtrace.frames import VNET_HDR_F_NEEDS_CSUM, VNET_HDR_GSO_ECN, VNET_HDR_GSO_TCPV6
from vtrace.netfeatures import FeatureError, negotiated, tx_offload
from vtrace.scenarios.send.tso import MSS, ring_sends, tcp_path, wire_frames
from vtrace.tcpframes import CWR, parse_tcp_frame

TSHARK = shutil.which("tshark")
MODERN = ERAS["modern"]
SEGMENTS = math.ceil(65000 / MSS)


def _events(*args: str) -> list[dict[str, object]]:
    code, out, err = run("send", "--proto", "tcp", "--size", "65000", "--frames", "1",
                         "--events", "-", "--view", "quiet", *args)
    assert code == 0, err
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def _details(events: list[dict[str, object]], step: str) -> list[dict[str, object]]:
    return [event["detail"] for event in events  # type: ignore[misc]
            if event.get("step") == step and isinstance(event.get("detail"), dict)]


@pytest.mark.parametrize(("features", "length"), [
    ("-version_1,-mrg_rxbuf", 10), ("+VIRTIO_NET_F_MQ", 12), ("+mq,+rss,+hash", 20)])
def test_the_header_length_follows_the_features(features: str, length: int) -> None:
    events = _events("--features", features)
    header = bytes.fromhex(str(_details(events, "virtio_net_hdr_from_skb")[0]["vnet_hdr_hex"]))
    assert len(header) == length
    flags, gso_type, hdr_len, gso_size, csum_start, csum_offset = struct.unpack_from(
        "<BBHHHH", header)
    assert (flags, gso_size, csum_start, csum_offset) == (VNET_HDR_F_NEEDS_CSUM, MSS, 34, 16)
    assert _details(events, "tun_get_user")[0]["vnet_hdr"] == length


def test_the_device_receives_the_header_at_the_spec_offsets_in_guest_memory() -> None:
    path = tcp_path(MODERN, "-version_1,-mrg_rxbuf")
    sent = ring_sends(0, 65000, path)[0]
    assert sent.buffer[10:24] == sent.skb.frame[:14]  # the frame right after 10 bytes
    assert sent.scatter(0x10000, path.offload.any_header_sg)[0] == (0x10000, 10 + 66)


def test_a_64k_tso_send_takes_header_and_linear_then_two_page_fragments() -> None:
    # As a real 6.1 guest's 65000-byte send did (three descriptors): tcp_sendmsg_locked
    # copies from offset 0 of its 32 KiB page fragment, then a fresh page
    # (skb_page_frag_refill).
    sent = ring_sends(0, 65000, tcp_path(MODERN))[0]
    assert sent.scatter(0x10000) == [(0x10000, 12 + 66), (0x10000 + 12 + 66, 32768),
                                     (0x10000 + 12 + 66 + 32768, 65000 - 32768)]


def test_a_guest_segment_across_the_page_boundary_takes_two_fragments() -> None:
    # skb_segment's segments share the superframe's pages: 22 * MSS < 32768 < 23 * MSS.
    path = tcp_path(MODERN, "-host_tso4")
    lengths = [[length for _, length in packet.scatter(0x10000)[1:]]
               for packet in ring_sends(0, 65000, path)]
    assert lengths[21] == [MSS] and lengths[22] == [32768 - 22 * MSS, 23 * MSS - 32768]
    assert sum(len(frags) for frags in lengths) == SEGMENTS + 1


def test_without_tso_the_guest_segments_and_each_segment_crosses_the_ring() -> None:
    events = _events("--features", "-host_tso4")
    assert _details(events, "validate_xmit_skb")[0]["segments"] == SEGMENTS == 45
    headers = [bytes.fromhex(str(d["vnet_hdr_hex"]))
               for d in _details(events, "virtio_net_hdr_from_skb")]
    assert len(headers) == SEGMENTS
    assert all(h[0] == VNET_HDR_F_NEEDS_CSUM and h[1] == 0 for h in headers)  # partial, no GSO
    added = [d for d in _details(events, "virtqueue_add_split") if "head" in d]
    assert len(added) == SEGMENTS
    assert all(d["flags"] == 4 for d in added)  # each an indirect descriptor
    kicks = _details(events, "virtqueue_kick_prepare")
    assert sum(1 for d in kicks if d.get("why") == "xmit_more") == SEGMENTS - 1
    assert sum(1 for event in events if event.get("step") == "vp_notify") == 1
    assert not _details(events, "tcp_gso_segment")  # the host has nothing left to cut


def test_without_checksum_offload_the_segments_are_linear_and_checksummed() -> None:
    path = tcp_path(MODERN, offload=False)
    assert not path.tso and not path.offload.csum
    packets = ring_sends(0, 65000, path)
    assert len(packets) == SEGMENTS
    for packet in packets:
        assert packet.header.flags == 0 and packet.header.gso_type == 0
        assert parse_tcp_frame(packet.skb.frame).tcp_checksum_ok
        assert len(packet.scatter(0x10000)) == 1  # no SG: one descriptor
    assert [p.skb.frame for p in packets] == wire_frames(0, 65000, path)
    events = _events("--no-offload")
    assert _details(events, "validate_xmit_skb")[0] == {"segments": 45, "checksum": "complete",
                                                        "sg": False}


def test_ipv6_and_ecn_set_tcpv6_and_the_ecn_bit() -> None:
    events = _events("--ip", "6", "--ecn")
    header = _details(events, "virtio_net_hdr_from_skb")[0]
    assert header["gso_type"] == VNET_HDR_GSO_TCPV6 | VNET_HDR_GSO_ECN
    assert header["gso_size"] == 1500 - 40 - 20 - 12 and header["csum_start"] == 14 + 40
    assert _details(events, "virtio_net_hdr_to_skb")[0]["gso_type"] == [
        "dodgy", "tcp_ecn", "tcpv6"]
    segments = wire_frames(0, 65000, tcp_path(MODERN, ip="6", ecn=True))
    assert len(segments) == math.ceil(65000 / 1428)
    flags = [parse_tcp_frame(segment).flags & CWR for segment in segments]
    assert flags[0] and not any(flags[1:])  # CWR only on the first


def test_ecn_without_host_ecn_is_segmented_by_the_guest() -> None:
    path = tcp_path(MODERN, "-host_ecn", ecn=True)
    assert not path.tso and tcp_path(MODERN, "-host_ecn").tso
    assert len(ring_sends(0, 65000, path)) == SEGMENTS


@pytest.mark.parametrize("era", ["lesson", "modern", "newest"])
def test_vhost_net_takes_the_superframe_through_sendmsg(era: str) -> None:
    events = _events("--backend", "vhost-net", "--era", era)
    if era != "lesson":  # 4.19 has no XDP batch; later ones find no page big enough
        assert _details(events, "vhost_net_build_xdp")[0]["error"] == "ENOSPC"
    assert _details(events, "tun_get_user")[0]["gso_size"] == MSS
    assert _details(events, "tcp_gso_segment")[0]["segments"] == SEGMENTS


def test_vhost_net_batches_the_guests_segments_as_xdp_buffers() -> None:
    events = _events("--backend", "vhost-net", "--no-offload")
    assert len(_details(events, "vhost_net_build_xdp")) == SEGMENTS
    assert len(_details(events, "tun_xdp_one")) == SEGMENTS


def test_feature_errors_are_one_line_with_close_names() -> None:
    code, out, err = run("send", "--features", "+host_tos4")
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert "host_tso4" in err
    code, _, err = run("send", "--features", "-csum")
    assert code == 2 and "HOST_TSO4 needs CSUM" in err
    assert run("send", "--ip", "6")[0] == 2  # UDP has no --ip
    assert run("send", "--features", "-event_idx")[0] == 2
    with pytest.raises(FeatureError):
        negotiated("7.2", "6.1", "nonsense")


@pytest.mark.parametrize(("era", "length"), [("lesson", 12), ("modern", 12), ("newest", 24)])
def test_by_default_the_header_is_as_long_as_the_eras_features_make_it(era: str,
                                                                        length: int) -> None:
    # QEMU 3.1's virtio-net-pci is transitional and 4.19 drives it modern (VERSION_1 and
    # MRG_RXBUF: 12 bytes); QEMU 10.2 offers UDP tunnel GSO and Linux 7.2 takes it (24).
    assert tcp_path(ERAS[era]).offload.hdr_len == length
    agreed = negotiated(ERAS[era].qemu, ERAS[era].linux)
    assert tx_offload(agreed).hdr_len == length
    for proto in ("udp", "tcp"):
        events = _events("--era", era, "--proto", proto, "--size", "200")
        assert _details(events, "xmit_skb")[0]["vnet_hdr"] == length
        assert _details(events, "tun_get_user")[0]["vnet_hdr"] == length


@program("tshark", "tshark")
@pytest.mark.parametrize("args", [("--no-offload",), ("--features", "-host_tso6", "--ip", "6"),
                                  ("--ip", "6", "--ecn", "--backend", "vhost-net")])
def test_tshark_reads_the_wire_segments_with_correct_checksums(tmp_path: Path,
                                                               args: tuple[str, ...]) -> None:
    assert TSHARK is not None
    pcap = tmp_path / "run.pcap"
    code, _, err = run("send", "--proto", "tcp", "--size", "65000", "--frames", "1",
                       "--view", "quiet", "--pcap", str(pcap), *args)
    assert code == 0, err
    done = subprocess.run([TSHARK, "-r", str(pcap), "-o", "tcp.check_checksum:TRUE", "-T",
                           "fields", "-e", "tcp.len", "-e", "tcp.checksum.status"],
                          capture_output=True, text=True, check=True)
    rows = [line.split("\t") for line in done.stdout.splitlines()]
    good = [int(length) for length, status in rows if status == "1"]
    assert sum(good) == 65000  # the wire segments, each checksum right


def test_setup_shows_the_negotiation_of_the_switched_set() -> None:
    code, out, err = run("setup", "--no-offload", "--features", "+mq,+rss,+hash",
                         "--events", "-", "--view", "quiet")
    assert code == 0, err
    details = [json.loads(line)["detail"] for line in out.splitlines()
               if '"virtio_set_features"' in line and '"fact"' in line]
    assert details[0]["hdr_len"] == 20
    assert "hash_report" in details[0]["features"] and "csum" not in details[0]["features"]
    assert run("setup", "--features", "+hash", "--era", "lesson")[0] == 2  # QEMU 3.1 lacks it
    assert run("setup", "--features", "-version_1")[0] == 2  # the legacy transport is not shown


@program("tshark", "tshark")
def test_pcapng_hops_show_the_segment_the_guest_cut(tmp_path: Path) -> None:
    assert TSHARK is not None
    pcapng = tmp_path / "run.pcapng"
    code, _, err = run("send", "--proto", "tcp", "--size", "65000", "--frames", "1",
                       "--view", "quiet", "--pcap", str(pcapng), "--features", "-host_tso4")
    assert code == 0, err
    done = subprocess.run([TSHARK, "-r", str(pcapng), "-T", "fields", "-e", "frame.len"],
                          capture_output=True, text=True, check=True)
    # Every segment at every hop: one MSS of payload each, the last one shorter; never the
    # superframe.
    assert sorted(set(done.stdout.split())) == ["1354", "1514"]


def test_recv_takes_the_features_too() -> None:
    code, out, err = run("recv", "--features", "-mrg_rxbuf", "--frames", "2", "--events", "-",
                         "--view", "quiet")
    assert code == 0, err
    assert json.loads(out.splitlines()[0])["params"]["mergeable"] is False  # big buffers
    assert any('"receive_big"' in line for line in out.splitlines())
    code, _, err = run("recv", "--features", "+mq,+rss,+hash")
    assert code == 2 and "20-byte virtio_net_hdr" in err and len(err.strip().splitlines()) == 1
    assert run("recv", "--no-offload", "--frames", "1", "--view", "quiet")[0] == 0
