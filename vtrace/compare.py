"""A capture beside the replay of the same parameters and era, hop by hop, frame by frame.

A hop is the first event of a function on a layer in a frame (calls,
tracepoints and notes; returns are not hops); a replay's events of no frame
(the interrupt and NAPI poll of a batch) belong to the frame before them, as
the importer attributes a capture's. Per frame, the hops both streams have in the
same order are their longest common subsequence; every other replay hop is
either out of order or unseen (``UNSEEN_WHY`` says why a capture cannot see
it; of a capture other than the lab's, only that it is absent), and every
other capture hop is one the replay lacks. The agreement is
the share of replay hops seen in order. Capture frames (named by the
datagram's seq) pair with replay frames (0, 1, ...) in order; a capture with
more frames than the replay pairs its last ones. A replay standing in for a
capture is read as a replay (its frameless events carried), so a replay
compared with itself agrees fully. Pure: events in, a ``Comparison`` out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from vtrace.model import Event, Kind

__all__ = ["NOT_CAPTURED", "SAME_HOP", "UNSEEN_WHY", "Comparison", "FrameComparison", "Hop",
           "Matched", "compare", "compare_hops", "hops", "why_unseen"]

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
                     "replay_bh_schedule_event", "qemu_send_packet_async_with_flags",
                     "virtio_net_can_receive", "qemu_net_queue_deliver",
                     "qemu_deliver_packet_iov", "nc_sendv_compat", "virtio_net_do_receive",
                     "virtio_net_receive_rcu", "virtio_net_has_buffers", "receive_filter",
                     "receive_header", "virtqueue_split_fill", "virtqueue_split_flush",
                     "virtqueue_packed_pop", "virtqueue_packed_fill", "virtqueue_packed_flush"),
                    _STATIC),
    **dict.fromkeys(("virtqueue_add_split", "xmit_skb", "virtnet_add_outbuf", "virtqueue_add",
                     "virtqueue_napi_schedule", "virtqueue_add_packed", "virtnet_receive",
                     "virtnet_poll_cleantx", "receive_mergeable", "add_recvbuf_mergeable",
                     "get_mergeable_buf_len", "virtqueue_napi_complete", "gro_normal_one",
                     "gro_normal_list", "virtio_net_hdr_to_skb"),
                    _INLINED),
    **dict.fromkeys(("handle_ept_misconfig", "kvm_io_bus_write", "ioeventfd_write",
                     "vcpu_mmio_write", "kvm_cpu_exec", "kvm_apic_mem_write",
                     "kvm_irqchip_send_msi", "kvm_send_userspace_msi", "kvm_set_msi",
                     "__apic_accept_irq"), _KVM),
    **dict.fromkeys(("sendto", "__sys_sendto"), _APP),
}
NOT_TRACED = "not traced: outside the lab's filter and probe list"
#: Why any other capture lacks a replay hop: vtrace knows nothing of how it was taken.
NOT_CAPTURED = "not in the capture"
#: Capture names of a hop the replay names otherwise: a system call's tracepoint stands for
#: the kernel function that does the call, the receiver's recv() for the replay's recvfrom().
SAME_HOP: Mapping[str, str] = {"sys_sendto": "__sys_sendto", "sys_recvfrom": "__sys_recvfrom",
                               "recv": "recvfrom"}


def why_unseen(function: str, layer: str = "", *, lab: bool = True) -> str:
    """Why the lab's capture lacks a replay hop (host kernel functions: no tracer for them);
    of another capture (``lab`` false) vtrace cannot say more than that it is absent."""
    if not lab:
        return NOT_CAPTURED
    if layer == "host-kernel" and function not in UNSEEN_WHY:
        return _HOST_KERNEL
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


def hops(events: Iterable[Event], *, carry: bool = False,
         names: Mapping[str, str] | None = None) -> dict[int, list[Hop]]:
    """Each frame's hops, in the order the stream meets them.

    A hop is a function on a layer (the host's and the guest's
    ``sock_def_readable`` are two). ``names`` renames functions first; with
    ``carry`` an event of no frame belongs to the frame before it, as the
    importer attributes a capture's events (a replay draws the interrupt and
    the NAPI poll that serve a batch without a frame). A stream that names no
    frame at all (a QEMU log alone) is one frame, 0.
    """
    found: dict[int | None, list[Hop]] = {}  # None: events before any frame is named
    seen: dict[int | None, set[tuple[str, str]]] = {}
    start: dict[int | None, int] = {}
    renamed = names or {}
    last: int | None = None
    for event in events:
        frame = event.frame
        if frame is None and carry:
            frame = last
        if event.kind is Kind.RETURN or (frame is None and last is not None):
            continue
        last = frame
        function = renamed.get(event.function, event.function)
        key = (function, event.layer.value)
        met = seen.setdefault(frame, set())
        if key in met:
            continue
        met.add(key)
        origin = start.setdefault(frame, event.t_ns)
        found.setdefault(frame, []).append(Hop(function, event.layer.value, event.t_ns - origin))
    loose = found.pop(None, [])
    return {int(frame): found[frame] for frame in found if frame is not None} or \
        ({0: loose} if loose else {})


def _common(replay: Sequence[Hop], real: Sequence[Hop]) -> list[tuple[int, int]]:
    """Index pairs of a longest common subsequence of the two hop lists (function, layer)."""
    left = [(hop.function, hop.layer) for hop in replay]
    right = [(hop.function, hop.layer) for hop in real]
    rows, cols = len(left), len(right)
    length = [[0] * (cols + 1) for _ in range(rows + 1)]
    for row in range(rows - 1, -1, -1):
        for col in range(cols - 1, -1, -1):
            length[row][col] = (length[row + 1][col + 1] + 1 if left[row] == right[col]
                                else max(length[row + 1][col], length[row][col + 1]))
    pairs, row, col = [], 0, 0
    while row < rows and col < cols:
        if left[row] == right[col]:
            pairs.append((row, col))
            row, col = row + 1, col + 1
        elif length[row + 1][col] >= length[row][col + 1]:
            row += 1
        else:
            col += 1
    return pairs


def _frame(replay_frame: int, real_frame: int | None, replay: Sequence[Hop],
           real: Sequence[Hop], lab: bool) -> FrameComparison:
    pairs = _common(replay, real)
    in_replay = {row for row, _ in pairs}
    in_real = {col for _, col in pairs}
    real_keys = {(hop.function, hop.layer) for hop in real}
    replay_keys = {(hop.function, hop.layer) for hop in replay}
    base_real = real[pairs[0][1]].t_ns if pairs else 0
    base_model = replay[pairs[0][0]].t_ns if pairs else 0
    matched = tuple(Matched(replay[row].function, replay[row].layer,
                            real[col].t_ns - base_real, replay[row].t_ns - base_model)
                    for row, col in pairs)
    missed = [hop for index, hop in enumerate(replay) if index not in in_replay]
    return FrameComparison(
        replay_frame, real_frame, matched,
        out_of_order=tuple(hop.function for hop in missed
                           if (hop.function, hop.layer) in real_keys),
        unseen=tuple((hop.function, why_unseen(hop.function, hop.layer, lab=lab)) for hop in missed
                     if (hop.function, hop.layer) not in real_keys),
        extra=tuple(hop.function for index, hop in enumerate(real)
                    if index not in in_real and (hop.function, hop.layer) not in replay_keys),
        replay_hops=len(replay))


def compare(real: Iterable[Event], replay: Iterable[Event], *,
            real_is_replay: bool = False, lab: bool = True) -> Comparison:
    """The capture ``real`` beside ``replay``, frame by frame in order; ``real_is_replay``
    when ``real`` is itself a replay's stream, ``lab`` when it is a lab capture (whose
    blind spots ``UNSEEN_WHY`` names)."""
    return compare_hops(hops(real, carry=real_is_replay, names=SAME_HOP),
                        hops(replay, carry=True), lab=lab)


def compare_hops(real_hops: Mapping[int, Sequence[Hop]],
                 replay_hops: Mapping[int, Sequence[Hop]], *, lab: bool = True) -> Comparison:
    """``compare`` of the hops ``hops`` found in a capture and in a replay."""
    # A capture's extra frames come first (the warm-up datagram): pair the last ones.
    real_frames = sorted(real_hops)[-len(replay_hops):] if replay_hops else []
    frames = []
    for index, replay_frame in enumerate(sorted(replay_hops)):
        real_frame = real_frames[index] if index < len(real_frames) else None
        frames.append(_frame(replay_frame, real_frame, replay_hops[replay_frame],
                             real_hops.get(real_frame, []) if real_frame is not None else [],
                             lab))
    return Comparison(tuple(frames))
