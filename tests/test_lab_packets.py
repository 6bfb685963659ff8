"""``vtrace lab send --proto tcp`` and ``--queues 2`` without a guest: the command lines, the
probe that reads the virtio_net_hdr, and the packets read back from lines of real runs; a
recv run's receive buffers per frame, from a committed capture, and its flows over two
queues, from lines of a real run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vtrace.cli.lab_packets import compare_lab_packets, packet_lines
from vtrace.lab.errors import LabError
from vtrace.lab.features import check_negotiated, device_properties, switched_off
from vtrace.lab.manifest import FILES
from vtrace.lab.packets import (
    GroCount,
    guest_gro,
    guest_receives,
    guest_xmits,
    received_frames,
    received_packets,
    sent_packets,
)
from vtrace.lab.params import TCP_WARMUP, Accel, LabParams, Proto, Scenario
from vtrace.lab.probes import uprobes
from vtrace.lab.qemu import (
    RSS_TRACE_EVENTS,
    TRACE_EVENTS,
    Files,
    GuestNet,
    kernel_command_line,
    qemu_command,
    trace_events,
)
from vtrace.model import Header, Source
from vtrace.netfeatures import Feature
from vtrace.rss import DEFAULT_KEY

DATA = Path(__file__).parent / "data" / "lab"
FILES_ = Files(Path("c"), Path("g"), Path("l"), Path("e"))
NET = GuestNet("vt1", "192.168.77.1", "192.168.77.2", 40000, 47001)

#: Lines of a real two-queue UDP send (QEMU 7.2, Linux 6.1 guest): QEMU's log, the host's
#: probe, the guest's trace, cut to what the readers look at.
QEMU_LOG = """\
9144@1796533029.536154:virtio_queue_notify vdev 0x55b494d7f000 n 4 vq 0x7fac464ac270
9144@1796533029.536210:virtqueue_pop vq 0x7fac464ac270 elem 0x55b494fa94f0 in_num 1 out_num 2
9144@1796533029.536414:virtio_queue_notify vdev 0x55b494d7f000 n 3 vq 0x7fac464ac1d8
9144@1796533029.536448:virtio_queue_notify vdev 0x55b494d7f000 n 2 vq 0x7fac464ac140
9144@1796533029.536481:virtio_queue_notify vdev 0x55b494d7f000 n 1 vq 0x7fac464ac0a8
9144@1796533034.232419:virtqueue_pop vq 0x7fac464ac0a8 elem 0x55b494961080 in_num 0 out_num 1
9144@1796533034.232611:virtqueue_pop vq 0x7fac464ac140 elem 0x55b494961080 in_num 1 out_num 0
9144@1796533034.400103:virtqueue_pop vq 0x7fac464ac0a8 elem 0x55b494961080 in_num 0 out_num 1
9144@1796533034.504200:virtqueue_pop vq 0x7fac464ac1d8 elem 0x55b494961080 in_num 0 out_num 1
"""
_PROBE = (" qemu-system-x86-9144    [001] DBZff 28228847500269: qemu_sendv_packet_async: "
          "(0x561c5b8da160) iovcnt=1 flags={flags} gso_type=0 hdr_len=0 gso_size=0 "
          "csum_start={start} csum_offset={offset} len0=66 seqch='{digit}'\n")
HOST_TRACE = "".join(_PROBE.format(flags=flags, start=start, offset=offset, digit=digit)
                     for flags, start, offset, digit in ((1, 34, 6, "0"), (1, 34, 6, "1"),
                                                         (1, 34, 6, "2")))
GUEST_TRACE = """\
 udpsend-100 [000] .....  44738118217: tracing_mark_write: app write() begin seq=1\r
 udpsend-100 [000] b..1.  44739431945: net_dev_start_xmit: dev=eth0 queue_mapping=0 len=54\r
 udpsend-100 [001] .....  45013016165: tracing_mark_write: app write() begin seq=2\r
 <idle>-0 [000] ..s1.  45013016200: net_dev_start_xmit: dev=eth0 queue_mapping=0 len=42\r
 udpsend-100 [001] b..1.  45013474805: net_dev_start_xmit: dev=eth0 queue_mapping=1 len=54\r
"""


def saved(tmp_path: Path) -> Path:
    (tmp_path / FILES["qemu_log"]).write_text(QEMU_LOG)
    (tmp_path / FILES["host_trace"]).write_text(HOST_TRACE)
    (tmp_path / FILES["guest_trace"]).write_text(GUEST_TRACE)
    return tmp_path


def test_two_queues_give_two_vcpus_a_multiqueue_device_and_netdev() -> None:
    argv = qemu_command(LabParams(Scenario.SEND, queues=2), Accel.TCG, Path("k"), Path("i"),
                        FILES_, NET)
    assert argv[argv.index("-smp") + 1] == "2"
    assert argv[argv.index("-device") + 1].endswith(",mq=on,vectors=6")
    assert argv[argv.index("-netdev") + 1].endswith(",queues=2")
    one = qemu_command(LabParams(Scenario.SEND), Accel.TCG, Path("k"), Path("i"), FILES_, NET)
    assert one[one.index("-smp") + 1] == "1" and "mq=on" not in " ".join(one)


def test_the_guest_is_told_the_protocol_queues_and_warm_up() -> None:
    line = kernel_command_line(LabParams(Scenario.SEND, size=65000, proto=Proto.TCP), NET)
    words = dict(word.split("=", 1) for word in line.split() if "=" in word)
    assert words["vtrace_proto"] == "tcp" and words["vtrace_payload"] == "65000"
    assert words["vtrace_warmup"] == str(TCP_WARMUP) and words["vtrace_queues"] == "1"
    udp = kernel_command_line(LabParams(Scenario.SEND, queues=2), NET)
    assert "vtrace_queues=2" in udp and "vtrace_warmup" not in udp


def test_the_send_probe_reads_the_header_and_the_seq_where_each_protocol_puts_it() -> None:
    for proto, digit in ((Proto.UDP, "seqch=+65(+0(%si)):char"),
                         (Proto.TCP, "seqch=+11(+16(%si)):char")):
        probe, = (probe for probe in uprobes(Scenario.SEND, proto)
                  if probe.symbol == "qemu_sendv_packet_async")
        assert probe.args.startswith("iovcnt=%dx:s32 flags=+0(+0(%si)):u8 ")
        assert "gso_size=+4(+0(%si)):u16" in probe.args and probe.args.endswith(digit)


def test_packets_pair_with_queues_and_frames_with_vcpus(tmp_path: Path) -> None:
    directory = saved(tmp_path)
    packets = sent_packets(directory)
    assert [packet.virtqueue for packet in packets] == [1, 1, 3]  # the control queue is out
    assert [packet.digit for packet in packets] == ["0", "1", "2"]
    assert packets[1].header == {"flags": 1, "gso_type": 0, "hdr_len": 0, "gso_size": 0,
                                 "csum_start": 34, "csum_offset": 6}
    xmits = guest_xmits(directory)
    assert [(xmit.seq, xmit.cpu, xmit.queue) for xmit in xmits.values()] == [(1, 0, 0),
                                                                               (2, 1, 1)]


def test_a_udp_send_compares_descriptors_and_shows_flows(tmp_path: Path) -> None:
    header = Header("0", "send", {"frames": 2, "size": 54, "queues": 2, "era": "modern"}, 0,
                    (), Source.TRACE)
    result = compare_lab_packets(saved(tmp_path), header, "modern")
    assert result is not None and (result.frames, result.compared, result.agreeing) == (2, 2, 2)
    lines = packet_lines(result)
    assert "  header fields not compared: the replay's UDP frame names no header fields" in lines
    assert "packets: 2 of 2 fields agree" in lines
    assert lines[-1] == "queues: 2 of 2 frames on the same queue and vCPU"
    flows = lines[lines.index(next(line for line in lines if line.startswith("flows"))) + 2:-1]
    # frame, flow, then vCPU, txq, virtqueue: the guest's and QEMU's, then the replay's
    assert [line.split() for line in flows] == [["1", "0", "0", "0", "1", "0", "0", "1", "agree"],
                                                ["2", "1", "1", "1", "3", "1", "1", "3", "agree"]]


def test_a_frame_on_another_vcpu_than_the_replays_differs(tmp_path: Path) -> None:
    directory = saved(tmp_path)
    (directory / FILES["guest_trace"]).write_text(GUEST_TRACE.replace(
        "[001] b..1.  45013474805: net_dev_start_xmit: dev=eth0 queue_mapping=1",
        "[000] b..1.  45013474805: net_dev_start_xmit: dev=eth0 queue_mapping=0"))
    header = Header("0", "send", {"frames": 2, "size": 54, "queues": 2, "era": "modern"}, 0,
                    (), Source.TRACE)
    result = compare_lab_packets(directory, header, "modern")
    assert result is not None
    assert [(row.real, row.replay, row.agree) for row in result.flows] == [
        ((0, 0, 1), (0, 0, 1), True), ((0, 0, 3), (1, 1, 3), False)]
    assert packet_lines(result)[-1] == "queues: 1 of 2 frames on the same queue and vCPU"


def test_one_queue_pair_shows_no_flows(tmp_path: Path) -> None:
    header = Header("0", "send", {"frames": 2, "size": 54, "era": "modern"}, 0, (),
                    Source.TRACE)
    result = compare_lab_packets(saved(tmp_path), header, "modern")
    assert result is not None and result.queues == 1
    assert not any(line.startswith(("flows", "queues:")) for line in packet_lines(result))


def test_a_tcp_block_is_compared_field_by_field(tmp_path: Path) -> None:
    directory = saved(tmp_path)
    (directory / FILES["host_trace"]).write_text(HOST_TRACE.replace(
        "iovcnt=1 flags=1 gso_type=0 hdr_len=0 gso_size=0 csum_start=34 csum_offset=6 len0=66 "
        "seqch='1'", "iovcnt=3 flags=1 gso_type=1 hdr_len=66 gso_size=1448 csum_start=34 "
        "csum_offset=16 len0=78 seqch='1'"))
    header = Header("0", "send", {"frames": 1, "size": 65000, "proto": "tcp", "era": "modern"},
                    0, (), Source.TRACE)
    result = compare_lab_packets(directory, header, "modern")
    assert result is not None
    rows = {row.field: row for row in result.rows}
    assert [rows[f"frame 1 {name}"].agree for name in
            ("flags", "gso_type", "hdr_len", "gso_size", "csum_start", "csum_offset")] == \
        [True] * 6
    descriptors = rows["frame 1 descriptors"]
    # Header and linear part, then the payload in two 32 KiB page fragments, as the real
    # guest's tcp_sendmsg_locked filled them from offset 0 (skb_page_frag_refill).
    assert (descriptors.real, descriptors.replay, descriptors.agree) == (3, 3, True)
    assert packet_lines(result)[-1] == "packets: 7 of 7 fields agree"


def test_a_receive_is_the_fills_from_idx_0_on(tmp_path: Path) -> None:
    # QEMU's log of one packet over three mergeable buffers, between two one-buffer ones; the
    # transmit queue's fill (vq 1) and the control queue's (vq 2) are not receives
    vq0, vq1, vq2 = "0x7f0000000010", "0x7f00000000a8", "0x7f0000000140"
    log = "".join(f"1@1.0:virtio_queue_notify vdev 0x1 n {n} vq {vq}\n"
                  for n, vq in ((2, vq2), (1, vq1), (0, vq0)))
    for vq, lengths in ((vq0, (54,)), (vq1, (0,)), (vq0, (1536, 1536, 1012)), (vq2, (1,)),
                        (vq0, (66,))):
        log += "".join(f"1@1.1:virtqueue_fill vq {vq} elem 0x2 len {length} idx {index}\n"
                       for index, length in enumerate(lengths))
    (tmp_path / FILES["qemu_log"]).write_text(log)
    packets = received_packets(tmp_path)
    assert [(packet.virtqueue, packet.num_buffers, packet.lengths) for packet in packets] == [
        (0, 1, (54,)), (0, 3, (1536, 1536, 1012)), (0, 1, (66,))]


def test_a_recv_run_compares_num_buffers_and_used_lengths() -> None:
    header = Header("0", "recv", {"frames": 3, "size": 54, "era": "modern"}, 0, (),
                    Source.TRACE)
    result = compare_lab_packets(DATA / "recv-1", header, "modern")
    assert result is not None and result.frames == 3 and not result.flows
    lines = packet_lines(result)
    assert lines[0].startswith("packets of the run's frames as QEMU wrote them into the receive")
    # the ARP reply (54 bytes used) came first; each frame is 12 header bytes and 54 of frame
    assert [line.split() for line in lines[2:4]] == [
        ["frame", "1", "num_buffers", "1", "1", "agree"],
        ["frame", "1", "used", "len", "66", "66", "agree"]]
    assert lines[-1] == "packets: 6 of 6 fields agree"


#: Lines of a real two-queue UDP receive (QEMU 7.2's software RSS, a Linux 6.1 guest that
#: committed Microsoft's key): the virtqueues, each frame's hash and fill, and the guest's
#: GRO entries (an ARP reply first) and receiver markers.
RSS_LOG = """\
18671@1796543832.676135:virtio_queue_notify vdev 0x55c3689d9e80 n 0 vq 0x7fc03a6a9010
18671@1796543832.676111:virtio_queue_notify vdev 0x55c3689d9e80 n 1 vq 0x7fc03a6a90a8
18671@1796543832.676084:virtio_queue_notify vdev 0x55c3689d9e80 n 2 vq 0x7fc03a6a9140
18671@1796543832.676040:virtio_queue_notify vdev 0x55c3689d9e80 n 3 vq 0x7fc03a6a91d8
18671@1796543832.675958:virtio_queue_notify vdev 0x55c3689d9e80 n 4 vq 0x7fc03a6a9270
18671@1796543844.351539:virtio_net_rss_enable hashes 0x3f, table of 128, key of 40
18671@1796543844.854036:net_rx_pkt_rss_hash RSS hash for 12 bytes: 0x878A9402
18671@1796543844.854090:virtqueue_fill vq 0x7fc03a6a9010 elem 0x55c3685bc600 len 66 idx 0
18671@1796543844.956074:net_rx_pkt_rss_hash RSS hash for 12 bytes: 0x151435D3
18671@1796543844.956123:virtqueue_fill vq 0x7fc03a6a9140 elem 0x55c3685bc600 len 66 idx 0
18671@1796543845.056360:net_rx_pkt_rss_hash RSS hash for 12 bytes: 0x878A9402
18671@1796543845.056488:virtqueue_fill vq 0x7fc03a6a9010 elem 0x55c3685bc600 len 66 idx 0
"""
_GRO = ("          <idle>-0       [00{cpu}] ..s1.  {ts}: napi_gro_receive_entry: dev=eth0 "
        "napi_id=0x200{q} queue_mapping={q} skbaddr=(____ptrval____) vlan_tagged=0 "
        "vlan_proto=0x0000 vlan_tci=0x0000 protocol={proto} ip_summed=3 hash=0x00000000 "
        "l4_hash=0 len=40 data_len=0\n")
_RETURNED = ("         udprecv-101     [001] .....  {ts}: tracing_mark_write: app recv() "
             "returned seq={seq}\n")
RSS_GUEST = (_GRO.format(cpu=1, ts=60226098490, q=1, proto="0x0806")
             + _GRO.format(cpu=0, ts=61085762360, q=1, proto="0x0800")
             + _RETURNED.format(ts=61177287378, seq=1)
             + _GRO.format(cpu=1, ts=61316512438, q=2, proto="0x0800")
             + _RETURNED.format(ts=61317859654, seq=2)
             + _GRO.format(cpu=0, ts=61577341136, q=1, proto="0x0800")
             + _RETURNED.format(ts=61579061764, seq=3))


def rss_run(tmp_path: Path, guest: str = RSS_GUEST) -> Path:
    (tmp_path / FILES["qemu_log"]).write_text(RSS_LOG)
    (tmp_path / FILES["guest_trace"]).write_text(guest)
    (tmp_path / FILES["host_trace"]).write_text("")
    (tmp_path / "manifest.json").write_text(json.dumps({
        "format": "vtrace-lab/1", "files": FILES, "guest": {}, "qemu": {},
        "network": {"host_ip": "192.168.77.1", "guest_ip": "192.168.77.2",
                    "host_port": 55931, "guest_port": 47001}}))
    return tmp_path


def test_a_receive_over_two_queues_is_the_hash_qemu_computed_and_where_the_guest_took_it(
        tmp_path: Path) -> None:
    directory = rss_run(tmp_path)
    packets = received_packets(directory)
    assert [(packet.virtqueue, packet.rss_hash) for packet in packets] == [
        (0, 0x878A9402), (2, 0x151435D3), (0, 0x878A9402)]
    taken = guest_receives(directory)  # the ARP reply (0x0806) is no frame
    assert [(seq, got.cpu, got.queue) for seq, got in taken.items()] == [
        (1, 0, 0), (2, 1, 1), (3, 0, 0)]


def test_two_receive_flows_go_where_vtraces_rss_says(tmp_path: Path) -> None:
    header = Header("0", "recv", {"frames": 3, "size": 54, "queues": 2, "era": "modern"}, 0,
                    (), Source.TRACE)
    result = compare_lab_packets(rss_run(tmp_path), header, "modern")
    assert result is not None and result.queues == 2
    lines = packet_lines(result)
    assert lines[-1] == "queues: 3 of 3 frames on the same queue and vCPU"
    start = next(index for index, line in enumerate(lines) if line.startswith("flows over 2"))
    assert lines[start + 1].split() == ["frame", "flow", "hash", "vCPU", "rxq", "virtqueue",
                                        "vtrace:", "hash", "vCPU", "rxq", "virtqueue"]
    # the hashes QEMU printed are vtrace's Toeplitz of 192.168.77.1:4000N -> .2:47001
    assert [line.split() for line in lines[start + 2:start + 5]] == [
        ["1", "0", "0x878a9402", "0", "0", "0", "0x878a9402", "0", "0", "0", "agree"],
        ["2", "1", "0x151435d3", "1", "1", "2", "0x151435d3", "1", "1", "2", "agree"],
        ["3", "0", "0x878a9402", "0", "0", "0", "0x878a9402", "0", "0", "0", "agree"]]


def test_a_frame_the_guest_took_on_another_queue_differs(tmp_path: Path) -> None:
    moved = RSS_GUEST.replace("[001] ..s1.  61316512438: napi_gro_receive_entry: dev=eth0 "
                              "napi_id=0x2002 queue_mapping=2",
                              "[000] ..s1.  61316512438: napi_gro_receive_entry: dev=eth0 "
                              "napi_id=0x2001 queue_mapping=1")
    header = Header("0", "recv", {"frames": 3, "size": 54, "queues": 2, "era": "modern"}, 0,
                    (), Source.TRACE)
    result = compare_lab_packets(rss_run(tmp_path, moved), header, "modern")
    assert result is not None
    assert [row.agree for row in result.flows] == [True, False, True]


def test_receive_flows_get_rss_on_and_the_key_on_the_guests_command_line() -> None:
    params = LabParams(Scenario.RECV, queues=2)
    argv = qemu_command(params, Accel.TCG, Path("k"), Path("i"), FILES_, NET)
    assert argv[argv.index("-device") + 1].endswith(",mq=on,vectors=6,rss=on")
    words = dict(word.split("=", 1) for word in kernel_command_line(params, NET).split()
                 if "=" in word)
    assert bytes.fromhex(words["vtrace_rss_key"]) == DEFAULT_KEY
    assert set(RSS_TRACE_EVENTS) <= set(trace_events(params))
    sent = LabParams(Scenario.SEND, queues=2)
    assert "rss=on" not in " ".join(qemu_command(sent, Accel.TCG, Path("k"), Path("i"),
                                                 FILES_, NET))
    assert "vtrace_rss_key" not in kernel_command_line(sent, NET)
    assert trace_events(sent) == TRACE_EVENTS


def test_a_tcp_block_cut_in_two_packets_says_so(tmp_path: Path) -> None:
    """The host's TCP may send a block as several TSO packets: the probe's seq digit begins
    each block, a payload dot goes on with it."""
    vq0 = "0x7f0000000010"
    log = "".join(f"1@1.0:virtio_queue_notify vdev 0x1 n {n} vq {vq}\n"
                  for n, vq in ((2, "0x7f0000000140"), (1, "0x7f00000000a8"), (0, vq0)))
    probes = ""
    for mark, lengths in (("'.'", (4096, 4096)), ("'1'", (4096,) * 15 + (3638,)),
                          ("'2'", (4096,) * 10), ("'.'", (4096,) * 5 + (4016,)),
                          ("'3'", (4096,) * 15 + (3638,))):
        log += "".join(f"1@1.1:virtqueue_fill vq {vq0} elem 0x2 len {length} idx {index}\n"
                       for index, length in enumerate(lengths))
        probes += (" qemu-system-x86-1 [000] DBZff 1: qemu_send_packet_async: (0x5606a9778fb0) "
                   f"size={sum(lengths)} seqch={mark}\n")
    (tmp_path / FILES["qemu_log"]).write_text(log)
    (tmp_path / FILES["host_trace"]).write_text(probes)
    (tmp_path / FILES["guest_trace"]).write_text("")
    frames = received_frames(tmp_path, 3, tcp=True)
    assert [[packet.num_buffers for packet in frame] for frame in frames] == [[16], [10, 6], [16]]
    header = Header("0", "recv", {"frames": 3, "size": 65000, "proto": "tcp", "warm": True,
                                  "era": "modern"}, 0, (), Source.TRACE)
    result = compare_lab_packets(tmp_path, header, "modern")
    assert result is not None
    rows = {row.field: row for row in result.rows}
    assert rows["frame 1 num_buffers"].agree and rows["frame 3 used len"].agree
    cut = rows["frame 2 packets"]
    assert (cut.real, cut.replay, cut.agree) == (2, 1, False) and "tcp_tso_autosize" in cut.why
    assert rows["frame 2 num_buffers"].agree is None and rows["frame 2 num_buffers"].real == 16


_SEGMENT_IN = ("          <idle>-0       [000] ..s1.  {ts}: napi_gro_receive_entry: dev=eth0 "
               "napi_id=0x2001 queue_mapping=1 skbaddr=(____ptrval____) vlan_tagged=0 "
               "vlan_proto=0x0000 vlan_tci=0x0000 protocol=0x0800 ip_summed=3 hash=0x00000000 "
               "l4_hash=0 len=1500 data_len=1462 truesize=2816 mac_header_valid=1 "
               "mac_header=-14 nr_frags=1 gso_size=0 gso_type=0x0\n")
_SKB_UP = ("          <idle>-0       [000] ..s1.  {ts}: netif_receive_skb: dev=eth0 "
           "skbaddr=(____ptrval____) len={length}\n")


def test_the_guests_gro_is_counted_per_frame_from_a_real_run_without_guest_tso(
        tmp_path: Path) -> None:
    """A real block of 45 segments (Linux 6.1 guest, guest_tso4=off): GRO took in 24, passed
    one skb up, then 21 and another."""
    trace = "".join(_SEGMENT_IN.format(ts=20148273325 + k) for k in range(24)) + \
        _SKB_UP.format(ts=20151504709, length=34804) + \
        "".join(_SEGMENT_IN.format(ts=20152000000 + k) for k in range(21)) + \
        _SKB_UP.format(ts=20154000000, length=30300) + \
        _RETURNED.format(ts=20155000000, seq=1)
    (tmp_path / FILES["guest_trace"]).write_text(trace)
    assert guest_gro(tmp_path) == {1: GroCount(45, 2)}


def test_without_guest_tso_the_lab_switches_the_property_off_and_checks_it() -> None:
    params = LabParams(Scenario.RECV, proto=Proto.TCP, size=65000, features="-guest_tso4")
    argv = qemu_command(params, Accel.TCG, Path("k"), Path("i"), FILES_, NET)
    assert argv[argv.index("-device") + 1].endswith(",guest_tso4=off")
    assert switched_off("-guest_tso4") == {Feature.GUEST_TSO4}
    assert device_properties("-guest_tso4,-guest_tso6,-guest_ecn") == [
        "guest_tso4=off", "guest_tso6=off", "guest_ecn=off"]
    bits = "".join("1" if bit in (0, 1, 5, 15, 32) else "0" for bit in range(64))
    check_negotiated(f"eth0: up 192.168.77.2 features={bits}", {},
                     {Feature.GUEST_TSO4: "--features -guest_tso4"})
    with pytest.raises(LabError, match="--features -guest_tso4: .* still negotiated "
                                       "VIRTIO_NET_F_GUEST_TSO4 \\(bit 7\\)"):
        check_negotiated("eth0: up 192.168.77.2 features=" + bits[:7] + "1" + bits[8:], {},
                         {Feature.GUEST_TSO4: "--features -guest_tso4"})


def test_the_host_written_header_of_a_tcp_block_agrees_with_the_replays(
        tmp_path: Path) -> None:
    """Probe lines of a real run: QEMU read each block whole from the tap, behind the header
    the host's tun_put_user wrote (NEEDS_CSUM, TCPV4, hdr_len 66, MSS 1448)."""
    vq0 = "0x7fbe6ddd9010"
    log = "".join(f"1@1.0:virtio_queue_notify vdev 0x1 n {n} vq {vq}\n"
                  for n, vq in ((2, "0x7fbe6ddd9140"), (1, "0x7fbe6ddd90a8"), (0, vq0)))
    probes = ""
    for digit in "123":
        log += "".join(f"1@1.1:virtqueue_fill vq {vq0} elem 0x2 len {length} idx {index}\n"
                       for index, length in enumerate((4096,) * 15 + (3638,)))
        probes += (" qemu-system-x86-23434   [000] DBZff 63453185544020: "
                   "qemu_send_packet_async: (0x562a190e4fb0) size=65078 flags=1 gso_type=1 "
                   f"hdr_len=66 gso_size=1448 csum_start=34 csum_offset=16 seqch='{digit}'\n")
    (tmp_path / FILES["qemu_log"]).write_text(log)
    (tmp_path / FILES["host_trace"]).write_text(probes)
    (tmp_path / FILES["guest_trace"]).write_text("")
    header = Header("0", "recv", {"frames": 3, "size": 65000, "proto": "tcp", "warm": True,
                                  "era": "modern"}, 0, (), Source.TRACE)
    result = compare_lab_packets(tmp_path, header, "modern")
    assert result is not None
    fields = {row.field: row for row in result.rows}
    for seq in (1, 2, 3):
        assert [(fields[f"frame {seq} {name}"].real, fields[f"frame {seq} {name}"].agree)
                for name in ("flags", "gso_type", "hdr_len", "gso_size", "csum_start",
                             "csum_offset")] == [(1, True), (1, True), (66, True),
                                                 (1448, True), (34, True), (16, True)]
    assert packet_lines(result)[-1] == "packets: 24 of 24 fields agree"


def test_a_frame_taken_in_on_another_vcpu_alone_says_why(tmp_path: Path) -> None:
    moved = RSS_GUEST.replace("[000] ..s1.  61085762360: napi_gro_receive_entry",
                              "[001] ..s1.  61085762360: napi_gro_receive_entry")
    header = Header("0", "recv", {"frames": 3, "size": 54, "queues": 2, "era": "modern"}, 0,
                    (), Source.TRACE)
    result = compare_lab_packets(rss_run(tmp_path, moved), header, "modern")
    assert result is not None
    first = result.flows[0]
    assert (first.real[1], first.replay[1], first.agree) == (1, 0, False)
    assert "virtnet_set_affinity" in first.why
    assert not result.flows[1].why
