"""The packets of a lab run's frames beside the replay's, field by field.

The real side is ``vtrace.lab.packets``: per frame of the run, the
descriptors QEMU took and the guest's virtio_net_hdr as QEMU passed it to
the tap, and (with several queue pairs) the vCPU and queue each frame went
out on. The replay's side is its events for the same parameters and era:
``qemu_sendv_packet_async``'s ``iov`` (descriptors) and, for a TCP send,
``virtio_net_hdr_from_skb``'s header fields. A UDP replay names no header
fields: those are shown, not compared.

With several queue pairs the replay is ``vtrace send --queues N --flows N``:
the lab's guest sends frame ``seq`` on flow ``(seq - 1) mod N`` from vCPU
``(seq - 1) mod N``, and the replay's frame ``seq - 1`` is flow
``(seq - 1) mod N``, whose sender runs on CPU ``flow mod N``; so both sides
assign flows to CPUs alike by construction, and each frame's vCPU, transmit
queue (``netdev_pick_tx``) and QEMU virtqueue (transmit queue ``q`` is
virtqueue ``2q + 1``) are compared.

For a recv run the real side is each frame's receive buffers as QEMU used
them (``vtrace.lab.packets.received_packets``): their count, the
``num_buffers`` QEMU wrote into the first, and the bytes written to them; the
replay's are ``virtio_net_receive_rcu``'s ``num_buffers`` and its
``virtqueue_fill`` lengths. With several queue pairs the host sends frame
``seq`` from port ``HOST_FLOW_PORT + (seq - 1) mod N`` and the guest has
committed vtrace's RSS key: each frame's Toeplitz hash (QEMU's software
RSS), receive virtqueue, and the guest's receive queue and vCPU are set
beside what vtrace's RSS (``vtrace.rss``, the replay's) gives for the run's
own addresses, which the replay's flows do not share: the queue the
indirection table names, and its vCPU (``virtnet_set_affinity`` gives queue
``q``'s interrupts to CPU ``q``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vtrace.lab.packets import (
    HEADER_FIELDS,
    GroCount,
    GuestReceive,
    GuestXmit,
    ReceivedPacket,
    SentPacket,
    guest_gro,
    guest_receives,
    guest_xmits,
    received_frames,
    sent_packets,
)
from vtrace.lab.params import HOST_FLOW_PORT
from vtrace.model import Event, Header
from vtrace.ring_compare import RingRow, RowCounts
from vtrace.rss import DEFAULT_KEY, Flow, default_indirection_table, rss_queue
from vtrace.scenarios import of
from vtrace.session import replayed
from vtrace.sources.lab import read_manifest

__all__ = ["FlowRow", "PacketComparison", "compare_lab_packets", "flow_lines", "packet_lines",
           "replay_packets", "replay_receives"]

_NO_UDP_HEADER = "the replay's UDP frame names no header fields"
_SENT_TITLE = ("packets of the run's frames as QEMU passed them to the tap (the guest's "
               "virtio_net_hdr read at the front of the first iovec) beside the replay's")
_RECEIVED_TITLE = ("packets of the run's frames as QEMU wrote them into the receive queue "
                   "(virtio_net_receive_rcu: the buffers it used, whose count it wrote into "
                   "num_buffers, and the bytes written, header included; the virtio_net_hdr "
                   "the host's tun_put_user wrote in front of the first, read where QEMU took "
                   "it from the tap) beside the replay's")
Where = tuple[int | str | None, ...]  # one side of a flow row, in its table's columns
_SENT_FLOWS = ("vCPU", "txq", "virtqueue")
_RECEIVED_FLOWS = ("hash", "vCPU", "rxq", "virtqueue")
_CUT = ("the host's TCP cut the block: tcp_tso_autosize sizes each TSO packet to about a "
        "millisecond of the connection's pacing rate, which a slow guest's round trips keep "
        "low; the replay's host sends each block as one superframe")
_IRQ_NOT_MOVED_YET = ("the same hash and queue, but the guest handled its interrupt on another "
                      "vCPU than the one virtnet_set_affinity gives the queue: the kernel "
                      "applies that affinity when it can, and the replay assumes it holds "
                      "from the start")
_NAPI_TIMING = ("how many skbs GRO makes follows how many segments each NAPI poll finds "
                "waiting, which is timing: a guest under TCG polls less often than the replay's")
_WIDTHS = {"hash": 10, "vCPU": 5, "txq": 4, "rxq": 4, "virtqueue": 10}


@dataclass(frozen=True, slots=True)
class FlowRow:
    """Where one frame went, real and replayed: its vCPU, transmit queue and virtqueue (a
    send), or its RSS hash, vCPU, receive queue and virtqueue (a receive)."""

    seq: int
    flow: int
    real: Where
    replay: Where
    why: str = ""  # why they differ, where that is known

    @property
    def agree(self) -> bool:
        return None not in self.real and self.real == self.replay


@dataclass(frozen=True, slots=True)
class PacketComparison(RowCounts):
    frames: int  # frames of the run found among the packets
    rows: tuple[RingRow, ...]
    flows: tuple[FlowRow, ...]
    queues: int
    title: str = _SENT_TITLE
    flow_columns: tuple[str, ...] = _SENT_FLOWS


def replay_packets(events: Iterable[Event]) -> dict[int, dict[str, int]]:
    """Per replay frame: its ``descriptors``, where the replay names them its header fields,
    and with several queue pairs its ``cpu``, ``tx_queue`` and ``virtqueue``."""
    frames: dict[int, dict[str, int]] = {}
    for event in events:
        if event.frame is None:
            continue
        if event.function == "qemu_sendv_packet_async" and "iov" in event.detail:
            frames.setdefault(event.frame, {})["descriptors"] = int(event.detail["iov"])
            if "queue" in event.detail:
                frames[event.frame]["virtqueue"] = 2 * int(event.detail["queue"]) + 1
        elif event.function == "netdev_pick_tx":
            frames.setdefault(event.frame, {}).update(
                cpu=int(event.detail["cpu"]), tx_queue=int(event.detail["tx_queue"]))
        elif event.function == "virtio_net_hdr_from_skb":
            frames.setdefault(event.frame, {}).update(
                {name: int(event.detail[name]) for name in HEADER_FIELDS
                 if name in event.detail})
    return frames


def _run_frames(packets: list[SentPacket], count: int,
                tcp: bool) -> list[tuple[int, SentPacket]]:
    """The run's frames 1..count among the packets: in order, each the next packet whose
    seq digit is the frame's (of a TCP block, one with payload: a bare ACK has one iovec,
    and the probe reads past it)."""
    found, position = [], 0
    for seq in range(1, count + 1):
        digit = str(seq)[0]
        while position < len(packets) and (packets[position].digit != digit
                                           or tcp and packets[position].descriptors < 2):
            position += 1
        if position == len(packets):
            break
        found.append((seq, packets[position]))
        position += 1
    return found


def compare_lab_packets(directory: Path, header: Header, era: str,
                        seed: int = 1) -> PacketComparison | None:
    """A send or recv run's packets beside the replay's; None for another scenario."""
    if header.scenario == "recv":
        return _compare_received(directory, header, era, seed)
    if header.scenario != "send":
        return None
    frames = header.params.get("frames")
    tcp = header.params.get("proto") == "tcp"
    run = _run_frames(sent_packets(directory), frames if isinstance(frames, int) else 0, tcp)
    queues = header.params.get("queues")
    queues = queues if isinstance(queues, int) else 1
    scenario = of(header)
    given = {**scenario.given_by(header.params), **({"flows": queues} if queues > 1 else {})}
    replay = replay_packets(replayed(scenario.name, given, era, seed).source)
    rows: list[RingRow] = []
    for number, (seq, packet) in enumerate(run):
        expected: dict[str, Any] = replay.get(number, {})
        replayed_descs = expected.get("descriptors")
        agree = packet.descriptors == replayed_descs
        rows.append(RingRow(f"frame {seq} descriptors", packet.descriptors, replayed_descs,
                            agree))
        for name in HEADER_FIELDS:
            real = packet.header[name]
            if name in expected:
                rows.append(RingRow(f"frame {seq} {name}", real, expected[name],
                                    real == expected[name]))
            else:
                rows.append(RingRow(f"frame {seq} {name}", real, None, None))
    guest = guest_xmits(directory)
    return PacketComparison(len(run), tuple(rows),
                            tuple(_flow_row(seq, queues, guest.get(seq), packet,
                                            replay.get(seq - 1, {}))
                                  for seq, packet in run), queues)


def _compare_received(directory: Path, header: Header, era: str,
                      seed: int) -> PacketComparison:
    """The run's frames are the last packets QEMU wrote into the receive queue (the guest's
    own traffic, the ARP reply, came before them)."""
    frames = header.params.get("frames")
    count = frames if isinstance(frames, int) else 0
    run = received_frames(directory, count, header.params.get("proto") == "tcp")
    scenario = of(header)
    queues = header.params.get("queues")
    queues = queues if isinstance(queues, int) else 1
    given = {**scenario.given_by(header.params), **({"flows": queues} if queues > 1 else {})}
    replay = replay_receives(replayed(scenario.name, given, era, seed).source)
    rows: list[RingRow] = []
    gro = guest_gro(directory) if header.params.get("proto") == "tcp" else {}
    for number, packets in enumerate(run):
        rows += _received_rows(number + 1, packets, replay.get(number, {}))
        if (gro_count := gro.get(number + 1)) is not None:
            rows += _gro_rows(number + 1, gro_count, replay.get(number, {}))
    flows: tuple[FlowRow, ...] = ()
    if queues > 1:
        network = read_manifest(directory).get("network", {})
        guest = guest_receives(directory)
        flows = tuple(_received_flow(number + 1, queues, packets[0], guest.get(number + 1),
                                     network) for number, packets in enumerate(run))
    return PacketComparison(len(run), tuple(rows), flows, queues, _RECEIVED_TITLE,
                            _RECEIVED_FLOWS)


def _received_rows(seq: int, packets: tuple[ReceivedPacket, ...],
                   expected: dict[str, int]) -> list[RingRow]:
    """A frame's packets beside the replay's: how many (where either side has several),
    their buffers and bytes together. A block the host's TCP cut where the replay's host
    sent it whole says so, and its totals are shown, not compared."""
    totals = (("num_buffers", sum(packet.num_buffers for packet in packets)),
              ("used len", sum(sum(packet.lengths) for packet in packets)))
    replayed_packets = expected.get("packets", 1)
    rows = []
    if len(packets) > 1 or replayed_packets > 1:
        cut = len(packets) > replayed_packets == 1
        rows.append(RingRow(f"frame {seq} packets", len(packets), replayed_packets,
                            len(packets) == replayed_packets, _CUT if cut else ""))
        if cut:
            return rows + [RingRow(f"frame {seq} {field}", real, expected.get(field), None,
                                   f"over {len(packets)} packets") for field, real in totals]
    rows += [RingRow(f"frame {seq} {field}", real, expected.get(field),
                     real == expected.get(field)) for field, real in totals]
    header = packets[0].header or {}
    for name in HEADER_FIELDS:
        if name in header:
            replayed_value = expected.get(f"header {name}")
            rows.append(RingRow(f"frame {seq} {name}", header[name], replayed_value,
                                None if replayed_value is None
                                else header[name] == replayed_value))
    return rows


def _gro_rows(seq: int, count: GroCount, expected: dict[str, int]) -> list[RingRow]:
    """What the guest's GRO took in and passed up for a frame, beside the replay's: the
    packets are compared; how many skbs several segments made is shown, since it follows
    how many of them each NAPI poll found waiting, a matter of timing."""
    several = count.packets_in > 1
    return [RingRow(f"frame {seq} GRO packets in", count.packets_in,
                    expected.get("gro in"), count.packets_in == expected.get("gro in")),
            RingRow(f"frame {seq} skbs up", count.skbs_up, expected.get("skbs up"),
                    None if several else count.skbs_up == expected.get("skbs up"),
                    _NAPI_TIMING if several else "")]


def _received_flow(seq: int, queues: int, packet: ReceivedPacket, guest: GuestReceive | None,
                   network: dict[str, Any]) -> FlowRow:
    """Frame ``seq``'s hash and queues beside vtrace's RSS for the run's addresses."""
    flow = (seq - 1) % queues
    queue, value, _ = rss_queue(Flow(str(network.get("host_ip")), str(network.get("guest_ip")),
                                     HOST_FLOW_PORT + flow, int(network.get("guest_port", 0)),
                                     "udp"),
                                DEFAULT_KEY, default_indirection_table(queues), queues)
    real = (_hash(packet.rss_hash), guest.cpu if guest else None,
            guest.queue if guest else None, packet.virtqueue)
    replay = (_hash(value), queue, queue, 2 * queue)
    moved = real[1] is not None and real[1] != replay[1] and \
        (real[0], *real[2:]) == (replay[0], *replay[2:])
    return FlowRow(seq, flow, real, replay, _IRQ_NOT_MOVED_YET if moved else "")


def _hash(value: int | None) -> str | None:
    return None if value is None else f"{value:#010x}"


def replay_receives(events: Iterable[Event]) -> dict[int, dict[str, int]]:
    """Per replay frame: its ``packets`` (``virtio_net_receive_rcu`` takes each with its
    ``size``), the buffers QEMU filled for them (``num_buffers``, which QEMU also writes
    into the header of mergeable ones) and the ``used len`` of those buffers, together; the
    packets its GRO took in (``gro in``) and the skbs TCP got (``skbs up``); where the replay
    names them (TCP), the first packet's virtio_net_hdr fields (``header flags`` ...)."""
    frames: dict[int, dict[str, int]] = {}
    counted = {"virtio_net_receive_rcu": "packets", "virtqueue_fill": "num_buffers",
               "napi_gro_receive": "gro in", "tcp_v4_rcv": "skbs up"}
    for event in events:
        if event.frame is None:
            continue
        if event.function == "receive_header" and "flags" in event.detail:
            first = frames.setdefault(event.frame, {})
            for name in HEADER_FIELDS:
                first.setdefault(f"header {name}", int(event.detail[name]))
        if event.function not in counted:
            continue
        if event.function == "virtio_net_receive_rcu" and "size" not in event.detail:
            continue
        frame = frames.setdefault(event.frame, {})
        frame[counted[event.function]] = frame.get(counted[event.function], 0) + 1
        if event.function == "virtqueue_fill" and "len" in event.detail:
            frame["used len"] = frame.get("used len", 0) + int(event.detail["len"])
    return frames


def _flow_row(seq: int, queues: int, guest: GuestXmit | None, packet: SentPacket,
              replay: dict[str, int]) -> FlowRow:
    return FlowRow(seq, (seq - 1) % queues,
                   (guest.cpu if guest else None, guest.queue if guest else None,
                    packet.virtqueue),
                   (replay.get("cpu"), replay.get("tx_queue"), replay.get("virtqueue")))


def packet_lines(result: PacketComparison) -> list[str]:
    """The frames' packets, one field a line; the flows when there were several queue pairs;
    ``packets: K of M fields agree`` last."""
    lines = [result.title,
             f"  {'field':<28} {'real':>7} {'replay':>7}"]
    for row in result.rows:
        verdict = {True: "agree", False: "differ", None: "not compared"}[row.agree]
        text = f"  {row.field:<28} {_shown(row.real):>7} {_shown(row.replay):>7}  {verdict}"
        lines.append(f"{text}: {row.why}" if row.why else text)
    if any(row.agree is None and not row.why for row in result.rows):
        lines.append(f"  header fields not compared: {_NO_UDP_HEADER}")
    lines.append(f"packets: {result.agreeing} of {result.compared} fields agree")
    if result.queues > 1:
        lines += flow_lines(result)
    return lines


def flow_lines(result: PacketComparison) -> list[str]:
    """Each frame's flow and where it went beside the replay's; ``queues: K of M frames on
    the same queue and vCPU`` last."""
    columns = result.flow_columns
    if columns == _RECEIVED_FLOWS:
        title = (f"flows over {result.queues} queue pairs: the RSS hash QEMU computed, the "
                 "vCPU and queue the guest's stack took the frame in on "
                 "(napi_gro_receive_entry) and the virtqueue QEMU filled, beside vtrace's "
                 "RSS for the run's addresses (frame N from host port "
                 f"{HOST_FLOW_PORT} + (N - 1) mod {result.queues}; Microsoft's key, which "
                 "the guest committed, and the default table)")
        other = "vtrace:"
    else:
        title = (f"flows over {result.queues} queue pairs: the vCPU and queue the guest's "
                 "stack chose (net_dev_start_xmit) and the virtqueue QEMU popped it from, "
                 f"beside vtrace send --queues {result.queues} --flows {result.queues} "
                 f"(frame N on flow (N - 1) mod {result.queues}, sent from CPU flow mod "
                 f"{result.queues}, on both sides)")
        other = "replay:"
    heading = " ".join(f"{name:>{_WIDTHS[name]}}" for name in columns)
    lines = [title, f"  {'frame':<6} {'flow':>4} {heading}   {other:<7} {heading}"]
    for row in result.flows:
        verdict = "agree" if row.agree else f"differ: {row.why}" if row.why else "differ"
        lines.append(f"  {row.seq:<6} {row.flow:>4} {_columns(row.real, columns)}   "
                     f"{'':<7} {_columns(row.replay, columns)}  {verdict}")
    same = sum(row.agree for row in result.flows)
    lines.append(f"queues: {same} of {len(result.flows)} frames on the same queue and vCPU")
    return lines


def _columns(where: Where, columns: tuple[str, ...]) -> str:
    return " ".join(f"{_shown(value):>{_WIDTHS[name]}}"
                    for value, name in zip(where, columns, strict=True))


def _shown(value: int | str | bool | None) -> str:
    return "-" if value is None else str(value)
