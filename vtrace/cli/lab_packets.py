"""The packets a lab send run's guest transmitted beside the replay's frames, field by field.

The real side is ``vtrace.lab.packets``: per frame of the run, the
descriptors QEMU took and the guest's virtio_net_hdr as QEMU passed it to
the tap, and (with several queue pairs) the vCPU and queue each frame went
out on. The replay's side is its events for the same parameters and era:
``qemu_sendv_packet_async``'s ``iov`` (descriptors) and, for a TCP send,
``virtio_net_hdr_from_skb``'s header fields. A UDP replay names no header
fields and vtrace replays one queue pair, so far: those are shown, not
compared.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vtrace.lab.packets import HEADER_FIELDS, GuestXmit, SentPacket, guest_xmits, sent_packets
from vtrace.model import Event, Header
from vtrace.ring_compare import RingRow
from vtrace.scenarios import of
from vtrace.session import replayed

__all__ = ["PacketComparison", "compare_lab_packets", "packet_lines", "replay_packets"]

_NO_UDP_HEADER = "the replay's UDP frame names no header fields"


@dataclass(frozen=True, slots=True)
class PacketComparison:
    frames: int  # frames of the run found among the packets
    rows: tuple[RingRow, ...]
    flows: tuple[tuple[int, GuestXmit | None, SentPacket], ...]  # (seq, guest, QEMU) a frame
    queues: int

    @property
    def compared(self) -> int:
        return sum(row.agree is not None for row in self.rows)

    @property
    def agreeing(self) -> int:
        return sum(row.agree is True for row in self.rows)


def replay_packets(events: Iterable[Event]) -> dict[int, dict[str, int]]:
    """Per replay frame: its ``descriptors`` and, where the replay names them, its header
    fields."""
    frames: dict[int, dict[str, int]] = {}
    for event in events:
        if event.frame is None:
            continue
        if event.function == "qemu_sendv_packet_async" and "iov" in event.detail:
            frames.setdefault(event.frame, {})["descriptors"] = int(event.detail["iov"])
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
    """A send run's packets beside the replay's; None for another scenario."""
    if header.scenario != "send":
        return None
    frames = header.params.get("frames")
    tcp = header.params.get("proto") == "tcp"
    run = _run_frames(sent_packets(directory), frames if isinstance(frames, int) else 0, tcp)
    scenario = of(header)
    replay = replay_packets(replayed(scenario.name, scenario.given_by(header.params), era,
                                     seed).source)
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
    queues = header.params.get("queues")
    return PacketComparison(len(run), tuple(rows),
                            tuple((seq, guest.get(seq), packet) for seq, packet in run),
                            queues if isinstance(queues, int) else 1)


def packet_lines(result: PacketComparison) -> list[str]:
    """The frames' packets, one field a line; the flows when there were several queue pairs;
    ``packets: K of M fields agree`` last."""
    lines = ["packets of the run's frames as QEMU passed them to the tap (the guest's "
             "virtio_net_hdr read at the front of the first iovec) beside the replay's",
             f"  {'field':<28} {'real':>7} {'replay':>7}"]
    for row in result.rows:
        verdict = {True: "agree", False: "differ", None: "not compared"}[row.agree]
        text = f"  {row.field:<28} {_shown(row.real):>7} {_shown(row.replay):>7}  {verdict}"
        lines.append(f"{text}: {row.why}" if row.why else text)
    if any(row.agree is None for row in result.rows):
        lines.append(f"  header fields not compared: {_NO_UDP_HEADER}")
    if result.queues > 1:
        lines += [f"flows over {result.queues} queue pairs: the vCPU and queue the guest's "
                  "stack chose (net_dev_start_xmit) and the virtqueue QEMU popped it from; "
                  "vtrace send replays one queue pair, so far: shown, not compared",
                  f"  {'frame':<6} {'flow':>4} {'vCPU':>5} {'txq':>4} {'virtqueue':>10}"]
        for seq, guest, packet in result.flows:
            lines.append(f"  {seq:<6} {(seq - 1) % result.queues:>4} "
                         f"{_shown(guest.cpu if guest else None):>5} "
                         f"{_shown(guest.queue if guest else None):>4} "
                         f"{_shown(packet.virtqueue):>10}")
    lines.append(f"packets: {result.agreeing} of {result.compared} fields agree")
    return lines


def _shown(value: int | bool | None) -> str:
    return "-" if value is None else str(value)
