"""The packets of a run's queues, read from a saved lab directory: those a send run's guest put
in its transmit queues, and those QEMU wrote into a recv run's receive queues.

For a send run, three captures say it, each in its own words:

- the host trace's ``qemu_sendv_packet_async`` probe: per packet QEMU passed
  to the tap, ``iovcnt`` (the descriptors of the chain, an indirect table's
  entries counted) and the guest's ``struct virtio_net_hdr`` as it sat at the
  front of the first iovec (``flags``, ``gso_type``, ``hdr_len``,
  ``gso_size``, ``csum_start``, ``csum_offset``; ``vtrace.lab.probes``), and
  ``seqch``, the seq's first digit;
- QEMU's log: ``virtio_queue_notify`` pairs each virtqueue's address with its
  index, ``virtqueue_pop`` names the virtqueue of each element popped. The
  transmit queues are the odd ones (1, 3, ...; the control queue is the last,
  even, one), and QEMU pops a transmit element just before it sends it, so
  the transmit pops and the probe's packets pair in order;
- the guest trace: after each ``app write() begin seq=N`` marker, the
  sender's first ``net_dev_start_xmit`` says the queue the stack chose
  (``queue_mapping``), and its line the vCPU it ran on.

For a recv run, QEMU's log: ``virtio_net_receive_rcu`` (QEMU 7.2,
hw/net/virtio-net.c:1835) takes as many receive buffers as the packet needs,
writes their count into the first one's ``num_buffers`` (line 1955), then
``virtqueue_fill`` each with the bytes written to it and its place ``idx``
0, 1, ... (line 1963), and flushes them at once (line 1967). So on a receive
virtqueue (the even ones, the control queue apart) a fill at ``idx 0`` begins
a packet, and the fills up to the next are its ``num_buffers`` buffers with
their used lengths. (The fills and not the flush: QEMU 7.2 traces
``virtqueue_flush`` for the split ring only, hw/virtio/virtio.c:1406.) Where
QEMU's software RSS chose the queue, ``net_rx_pkt_rss_hash`` printed the
packet's Toeplitz hash just before (``virtio_net_process_rss`` runs before
the buffers are taken), and the guest trace says where the stack took each
frame in: the last IPv4 ``napi_gro_receive_entry`` before the receiver's
``app recv() returned seq=N`` marker, its vCPU and ``queue_mapping`` (the
receive queue plus one: ``skb_record_rx_queue``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from vtrace.lab.manifest import FILES

__all__ = ["HEADER_FIELDS", "GroCount", "GuestReceive", "GuestXmit", "ReceivedPacket",
           "SentPacket", "guest_gro", "guest_receives", "guest_xmits", "received_frames",
           "received_packets", "sent_packets"]

#: The virtio_net_hdr fields the probe reads, in the header's order.
HEADER_FIELDS = ("flags", "gso_type", "hdr_len", "gso_size", "csum_start", "csum_offset")

_SENT = re.compile(r" qemu_sendv_packet_async: \(0x[0-9a-f]+\) iovcnt=(\d+) "
                   + " ".join(rf"{name}=(\d+)" for name in HEADER_FIELDS)
                   + r" len0=\d+ seqch='(.)'", re.DOTALL)
_NOTIFY = re.compile(r":virtio_queue_notify vdev \S+ n (\d+) vq (0x[0-9a-f]+)")
_FILL = re.compile(r":virtqueue_fill vq (0x[0-9a-f]+) elem \S+ len (\d+) idx (\d+)")
_TAP_READ = re.compile(r" qemu_send_packet_async: \(0x[0-9a-f]+\) size=(\d+) (.*?)seqch='(.)'")
_FIELD = re.compile(r"(\w+)=(\d+)")
#: A TCP segment without payload as QEMU reads it: the 12-byte header, Ethernet, IPv4 and
#: TCP with timestamps (the host's bare ACKs or window updates, no part of a block).
_BARE_SEGMENT = 12 + 14 + 20 + 32
_HASH = re.compile(r":net_rx_pkt_rss_hash RSS hash for \d+ bytes: 0x([0-9A-Fa-f]+)")
_RECEIVED = re.compile(r"^\s*\S+-\d+\s+\[(\d+)\].* tracing_mark_write: app recv\(\) returned "
                       r"seq=(\d+)")
_GRO_IN = re.compile(r" napi_gro_receive_entry: dev=eth0 .* len=(\d+) ")
_BARE_IP = 20 + 32  # IPv4 and TCP with timestamps, no payload: what GRO's len says of it
_SKB_UP = re.compile(r" netif_receive_skb: dev=eth0 ")
_GRO_ENTRY = re.compile(r"^\s*\S+-\d+\s+\[(\d+)\].* napi_gro_receive_entry: dev=eth0 .*"
                        r"queue_mapping=(\d+) .*protocol=0x0800 ")
_POP = re.compile(r":virtqueue_pop vq (0x[0-9a-f]+) elem \S+ in_num \d+ out_num (\d+)")
_BEGIN = re.compile(r"^\s*(\S+)-(\d+)\s+\[(\d+)\].* tracing_mark_write: app write\(\) begin "
                    r"seq=(\d+)")
_XMIT = re.compile(r"^\s*\S+-(\d+)\s+\[(\d+)\].* net_dev_start_xmit: .*queue_mapping=(\d+)")


@dataclass(frozen=True, slots=True)
class SentPacket:
    """One packet QEMU took from a transmit queue and passed to the tap."""

    descriptors: int
    header: dict[str, int]
    digit: str  # the byte where the seq's first digit sits in a frame of the run
    virtqueue: int | None  # QEMU's index of the transmit virtqueue; None if unpaired

    @property
    def queue_pair(self) -> int | None:
        return None if self.virtqueue is None else self.virtqueue // 2


@dataclass(frozen=True, slots=True)
class ReceivedPacket:
    """One packet QEMU wrote into a receive queue: each buffer's used length, in order, and
    the RSS hash that chose the queue (None without software RSS)."""

    virtqueue: int
    lengths: tuple[int, ...]
    rss_hash: int | None = None
    header: Mapping[str, int] | None = None  # the virtio_net_hdr the host wrote, if probed

    @property
    def num_buffers(self) -> int:
        return len(self.lengths)


@dataclass(frozen=True, slots=True)
class GuestReceive:
    """Where the guest's stack took frame ``seq`` in: its vCPU and its receive queue."""

    seq: int
    cpu: int
    queue: int


@dataclass(frozen=True, slots=True)
class GroCount:
    """What the guest's GRO did with a frame: the packets it took in
    (``napi_gro_receive_entry``) and the skbs it passed up (``netif_receive_skb``)."""

    packets_in: int
    skbs_up: int


@dataclass(frozen=True, slots=True)
class GuestXmit:
    """Where the guest's stack sent frame ``seq``: its vCPU and its transmit queue."""

    seq: int
    cpu: int
    queue: int


def _text(directory: Path, key: str) -> str:
    return (directory / FILES[key]).read_bytes().decode("latin-1")


def sent_packets(directory: Path) -> list[SentPacket]:
    """Every packet of the run's transmit queues, oldest first."""
    probed = [match for match in _SENT.finditer(_text(directory, "host_trace"))]
    queues = _transmit_pops(_text(directory, "qemu_log"))
    paired = len(queues) == len(probed)
    return [SentPacket(int(match.group(1)),
                       {name: int(match.group(2 + index))
                        for index, name in enumerate(HEADER_FIELDS)},
                       match.group(2 + len(HEADER_FIELDS)),
                       queues[number] if paired else None)
            for number, match in enumerate(probed)]


def received_packets(directory: Path) -> list[ReceivedPacket]:
    """Every packet QEMU wrote into the run's receive queues, oldest first."""
    log = _text(directory, "qemu_log")
    index_of, control = _virtqueues(log)
    packets: list[tuple[int, list[int], int | None]] = []
    open_packet: dict[int, list[int]] = {}  # a receive virtqueue -> its packet's lengths
    rss_hash: int | None = None  # the hash printed since the last packet began
    for line in log.splitlines():
        hashed = _HASH.search(line)
        if hashed:
            rss_hash = int(hashed.group(1), 16)
            continue
        filled = _FILL.search(line)
        if filled is None:
            continue
        vq, length, place = filled.groups()
        index = index_of.get(vq)
        if index is None or index % 2 or index == control:
            continue
        if place == "0" or index not in open_packet:
            open_packet[index] = []
            packets.append((index, open_packet[index], rss_hash))
            rss_hash = None
        open_packet[index].append(int(length))
    return [ReceivedPacket(index, tuple(lengths), hashed_as)
            for index, lengths, hashed_as in packets]


def received_frames(directory: Path, count: int, tcp: bool) -> list[tuple[ReceivedPacket, ...]]:
    """The packets of each of the run's ``count`` frames: the last packets, one a datagram.
    A TCP block may come in several packets (the host's TCP sizes each to its pacing rate):
    the host's probe on ``qemu_send_packet_async`` reads, in the order QEMU writes them,
    the seq's digit where a block begins and a payload dot where it goes on. A segment
    without payload belongs to no block."""
    reads = _TAP_READ.findall(_text(directory, "host_trace"))
    packets = received_packets(directory)
    # QEMU writes every packet it reads from the tap into a receive queue, in order: the
    # last reads are the last packets
    read_of = dict(zip(range(len(packets) - 1, -1, -1), reversed(reads), strict=False))
    packets = [replace(packet, header={name: int(value) for name, value
                                       in _FIELD.findall(read_of[index][1])} or None)
               if index in read_of else packet for index, packet in enumerate(packets)]
    if not tcp:
        return [(packet,) for packet in packets[max(len(packets) - count, 0):]]
    first = next((index for index, (_, _, mark) in enumerate(reads) if mark.isdigit()),
                 len(reads))
    run = reads[first:]
    frames: list[list[ReceivedPacket]] = []
    for packet, (size, _, mark) in zip(packets[max(len(packets) - len(run), 0):], run,
                                       strict=False):
        if int(size) <= _BARE_SEGMENT:
            continue
        if mark.isdigit() or not frames:
            frames.append([])
        frames[-1].append(packet)
    return [tuple(frame) for frame in frames[:count]]


def _virtqueues(log: str) -> tuple[dict[str, int], int]:
    """Each virtqueue's index by its address, and the control queue's (the last) index."""
    index_of = {vq: int(n) for n, vq in _NOTIFY.findall(log)}
    return index_of, max(index_of.values(), default=0)


def _transmit_pops(log: str) -> list[int]:
    """The virtqueue index of each transmit element QEMU popped, in order."""
    index_of, control = _virtqueues(log)
    popped = [index_of.get(vq) for vq, out_num in _POP.findall(log) if int(out_num)]
    return [index for index in popped
            if index is not None and index % 2 == 1 and index != control]


def guest_xmits(directory: Path) -> dict[int, GuestXmit]:
    """Per frame of the run, the vCPU and transmit queue of the sender's first xmit after
    its write began."""
    found: dict[int, GuestXmit] = {}
    waiting: dict[str, int] = {}  # the sender's pid -> the seq whose xmit is awaited
    for line in _text(directory, "guest_trace").splitlines():
        begin = _BEGIN.match(line)
        if begin:
            waiting[begin.group(2)] = int(begin.group(4))
            continue
        xmit = _XMIT.match(line)
        if xmit and xmit.group(1) in waiting:
            seq = waiting.pop(xmit.group(1))
            found[seq] = GuestXmit(seq, int(xmit.group(2)), int(xmit.group(3)))
    return found


def guest_receives(directory: Path) -> dict[int, GuestReceive]:
    """Per frame of a receive run, the vCPU and receive queue of the last IPv4 packet GRO
    took in before the receiver returned it."""
    found: dict[int, GuestReceive] = {}
    last: tuple[int, int] | None = None  # (cpu, queue) of the latest IPv4 packet
    for line in _text(directory, "guest_trace").splitlines():
        entry = _GRO_ENTRY.match(line)
        if entry:
            last = (int(entry.group(1)), int(entry.group(2)) - 1)
            continue
        returned = _RECEIVED.match(line)
        if returned and last is not None:
            seq = int(returned.group(2))
            found[seq] = GuestReceive(seq, *last)
    return found


def guest_gro(directory: Path) -> dict[int, GroCount]:
    """Per frame of a receive run, the packets with payload GRO took in and the skbs it
    passed up since the receiver returned the frame before (the first: since the trace
    began)."""
    found: dict[int, GroCount] = {}
    packets_in = skbs_up = 0
    for line in _text(directory, "guest_trace").splitlines():
        if (entry := _GRO_IN.search(line)) is not None:
            packets_in += int(entry.group(1)) > _BARE_IP
        elif _SKB_UP.search(line):
            skbs_up += 1
        elif returned := _RECEIVED.match(line):
            found[int(returned.group(2))] = GroCount(packets_in, skbs_up)
            packets_in = skbs_up = 0
    return found
