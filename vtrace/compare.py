"""A capture beside the replay of the same parameters and era, hop by hop, frame by frame.

A hop is the first event of a function in a frame (calls, tracepoints and
notes; returns are not hops). Per frame, the hops both streams have in the
same order are their longest common subsequence; every other replay hop is
either out of order or unseen (``UNSEEN_WHY`` says why a capture cannot see
it), and every other capture hop is one the replay lacks. The agreement is
the share of replay hops seen in order. Capture frames (named by the
datagram's seq) pair with replay frames (0, 1, ...) in order; a capture with
more frames than the replay pairs its last ones. Pure: events in,
a ``Comparison`` out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from vtrace.model import Event, Kind

__all__ = ["UNSEEN_WHY", "Comparison", "FrameComparison", "Hop", "Matched", "compare", "hops",
           "why_unseen"]

_STATIC = "static in QEMU: absent from the binary's dynamic symbols, so no uprobe"
_INLINED = "not traceable in the guest kernel: inlined or notrace, absent from " \
           "available_filter_functions"
_KVM = "KVM's path: the lab runs under TCG, and this host has no kprobes"
_HOST_KERNEL = "host kernel function: no function tracer (EPERM) or kprobes here, only " \
               "tracepoints"
_APP = "the lab's sender calls write() on a connected socket, not sendto()"

#: Why a capture of the lab cannot see a hop the replay has, by function.
UNSEEN_WHY: Mapping[str, str] = {
    **dict.fromkeys(("virtio_net_flush_tx", "virtio_net_handle_tx_bh", "virtio_net_tx_bh",
                     "virtio_queue_notify_vq", "tap_write_packet", "tap_receive_iov",
                     "tap_send", "virtio_net_receive", "virtqueue_split_pop",
                     "replay_bh_schedule_event"), _STATIC),
    **dict.fromkeys(("virtqueue_add_split", "virtqueue_kick_prepare_split", "xmit_skb",
                     "virtnet_add_outbuf", "virtqueue_add", "virtqueue_napi_schedule"),
                    _INLINED),
    **dict.fromkeys(("handle_ept_misconfig", "kvm_io_bus_write", "ioeventfd_write",
                     "vcpu_mmio_write", "kvm_cpu_exec"), _KVM),
    **dict.fromkeys(("tun_chr_write_iter", "tun_get_user", "tun_rx_batched", "netif_rx_ni"),
                    _HOST_KERNEL),
    **dict.fromkeys(("sendto", "__sys_sendto"), _APP),
}
NOT_TRACED = "not traced: outside the lab's filter and probe list"


def why_unseen(function: str) -> str:
    return UNSEEN_WHY.get(function, NOT_TRACED)


@dataclass(frozen=True, slots=True)
class Hop:
    """A function's first event in a frame, and its time from the frame's first hop."""

    function: str
    layer: str
    t_ns: int


@dataclass(frozen=True, slots=True)
class Matched:
    """A hop both streams have in the same order, with the real and the modelled time."""

    function: str
    layer: str
    real_ns: int
    model_ns: int


@dataclass(frozen=True, slots=True)
class FrameComparison:
    replay_frame: int
    real_frame: int | None  # None: the capture has no frame to pair with this one
    matched: tuple[Matched, ...]
    out_of_order: tuple[str, ...]  # replay hops the capture has, but not in this order
    unseen: tuple[tuple[str, str], ...]  # (function, why) of replay hops the capture lacks
    extra: tuple[str, ...]  # capture hops the replay lacks
    replay_hops: int


@dataclass(frozen=True, slots=True)
class Comparison:
    frames: tuple[FrameComparison, ...]

    @property
    def replay_hops(self) -> int:
        return sum(frame.replay_hops for frame in self.frames)

    @property
    def in_order(self) -> int:
        return sum(len(frame.matched) for frame in self.frames)

    @property
    def agreement(self) -> float:
        """The share of replay hops the capture saw in the same order (1.0 with none)."""
        return self.in_order / self.replay_hops if self.replay_hops else 1.0

    def as_dict(self) -> dict[str, Any]:
        return {"agreement": self.agreement, "replay_hops": self.replay_hops,
                "in_order": self.in_order, "frames": [asdict(frame) for frame in self.frames]}


def hops(events: Iterable[Event]) -> dict[int, list[Hop]]:
    """Each frame's hops, in the order the stream meets them."""
    found: dict[int, list[Hop]] = {}
    seen: dict[int, set[str]] = {}
    start: dict[int, int] = {}
    for event in events:
        if event.frame is None or event.kind is Kind.RETURN:
            continue
        names = seen.setdefault(event.frame, set())
        if event.function in names:
            continue
        names.add(event.function)
        origin = start.setdefault(event.frame, event.t_ns)
        found.setdefault(event.frame, []).append(
            Hop(event.function, event.layer.value, event.t_ns - origin))
    return found


def _common(replay: Sequence[Hop], real: Sequence[Hop]) -> list[tuple[int, int]]:
    """Index pairs of a longest common subsequence of the two hop lists, by function."""
    rows, cols = len(replay), len(real)
    length = [[0] * (cols + 1) for _ in range(rows + 1)]
    for row in range(rows - 1, -1, -1):
        for col in range(cols - 1, -1, -1):
            length[row][col] = (length[row + 1][col + 1] + 1
                                if replay[row].function == real[col].function
                                else max(length[row + 1][col], length[row][col + 1]))
    pairs, row, col = [], 0, 0
    while row < rows and col < cols:
        if replay[row].function == real[col].function:
            pairs.append((row, col))
            row, col = row + 1, col + 1
        elif length[row + 1][col] >= length[row][col + 1]:
            row += 1
        else:
            col += 1
    return pairs


def _frame(replay_frame: int, real_frame: int | None, replay: Sequence[Hop],
           real: Sequence[Hop]) -> FrameComparison:
    pairs = _common(replay, real)
    in_replay = {row for row, _ in pairs}
    in_real = {col for _, col in pairs}
    real_names = {hop.function for hop in real}
    replay_names = {hop.function for hop in replay}
    base_real = real[pairs[0][1]].t_ns if pairs else 0
    base_model = replay[pairs[0][0]].t_ns if pairs else 0
    matched = tuple(Matched(replay[row].function, replay[row].layer,
                            real[col].t_ns - base_real, replay[row].t_ns - base_model)
                    for row, col in pairs)
    missed = [hop.function for index, hop in enumerate(replay) if index not in in_replay]
    return FrameComparison(
        replay_frame, real_frame, matched,
        out_of_order=tuple(name for name in missed if name in real_names),
        unseen=tuple((name, why_unseen(name)) for name in missed if name not in real_names),
        extra=tuple(hop.function for index, hop in enumerate(real)
                    if index not in in_real and hop.function not in replay_names),
        replay_hops=len(replay))


def compare(real: Iterable[Event], replay: Iterable[Event]) -> Comparison:
    """The capture ``real`` beside ``replay``, frame by frame in order."""
    real_hops, replay_hops = hops(real), hops(replay)
    # A capture's extra frames come first (the warm-up datagram): pair the last ones.
    real_frames = sorted(real_hops)[-len(replay_hops):] if replay_hops else []
    frames = []
    for index, replay_frame in enumerate(sorted(replay_hops)):
        real_frame = real_frames[index] if index < len(real_frames) else None
        frames.append(_frame(replay_frame, real_frame, replay_hops[replay_frame],
                             real_hops.get(real_frame, []) if real_frame is not None else []))
    return Comparison(tuple(frames))
