"""The send scenario: frames leave the guest through virtio-net, tap and tun.

``guest`` holds the guest's vCPU, ``device`` QEMU's main loop, ``vhost`` the
host kernel's vhost-net worker that replaces it with ``--backend vhost-net``,
``world`` what they share (guest memory and both sides of the TX ring), ``eras``
how the path differs per era. This module declares the scenario: its parameters, counters
and views.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from vtrace.catalog import ERAS, Era
from vtrace.engine.sim import Run
from vtrace.frames import MAX_FRAME, Endpoints
from vtrace.netfeatures import FeatureError
from vtrace.scenarios.base import (
    COPIES,
    EVENTS,
    EXITS_TO_QEMU,
    INTERRUPTS,
    INTERRUPTS_SUPPRESSED,
    KICKS_SUPPRESSED,
    SYSCALLS,
    VM_EXITS,
    WAKEUPS,
    Counter,
    Hop,
    ParamError,
    RingPanel,
    Scenario,
)
from vtrace.scenarios.multiqueue import QUEUES_QEMU_ONLY
from vtrace.scenarios.params import (
    BACKEND,
    ECN,
    EVENT_IDX,
    FEATURES,
    FLOWS,
    FRAMES,
    INTERVAL,
    IP,
    OFFLOAD,
    QUEUE_SIZE,
    QUEUES,
    RING,
    check_packed_backend,
    packed_refusal,
)
from vtrace.scenarios.send.eras import SWITCHES
from vtrace.scenarios.send.guest import send
from vtrace.scenarios.send.tso import tcp_path
from vtrace.scenarios.send.world import BATCH, IOEVENTFD, PROTO, SEND_SIZE, SendParams
from vtrace.scenarios.words import Queue, Tap, frame_phrases

__all__ = ["SEND", "SendParams", "SendScenario", "send"]

def _one(detail: Mapping[str, Any]) -> int:
    return 1


def _bytes(detail: Mapping[str, Any]) -> int:
    return int(detail.get("bytes", 0))


class SendScenario(Scenario):
    name = "send"
    title = {"en": "Sending a frame (vtrace send)", "zh": "发送一帧（vtrace send）"}
    summary = "Send frames from the guest and watch each step of their way to the host."
    usage = (
        "vtrace send --frames 3",
        "vtrace send --frames 1000 --batch 32 --events run.jsonl --view quiet",
        "vtrace send --step --no-ioeventfd",
        "vtrace send --era lesson --lang zh",
        "vtrace send --frames 5 --events - | jq .function",
        "vtrace send --backend vhost-net --frames 3",
        "vtrace send --proto tcp --size 65000 --frames 1 --pcap run.pcap",
        "vtrace send --ring packed -n 300 --view plain",
        "vtrace send --proto tcp --size 65000 --frames 1 --features -host_tso4",
        "vtrace send --proto tcp --size 65000 --frames 1 --ip 6 --ecn --backend vhost-net",
        "vtrace send --queues 2 --flows 4 -n 8",
    )
    params = (
        replace(FRAMES, help="Frames to send."),
        SEND_SIZE,
        BATCH,
        QUEUE_SIZE,
        EVENT_IDX,
        IOEVENTFD,
        replace(INTERVAL, help="The application's pause between batches, in microseconds."),
        BACKEND,
        PROTO,
        RING,
        FEATURES,
        OFFLOAD,
        IP,
        ECN,
        QUEUES,
        FLOWS,
    )
    counters = (
        Counter("frames", {"en": "frames sent", "zh": "已发送的帧"}, per_frame=False),
        EVENTS,
        Counter("kicks", {"en": "kicks (notify writes)", "zh": "通知（写通知地址）"}),
        KICKS_SUPPRESSED,
        Counter("kicks_deferred", {"en": "kicks deferred by xmit_more",
                                   "zh": "因 xmit_more 推迟的通知"}),
        VM_EXITS,
        EXITS_TO_QEMU,
        INTERRUPTS,
        INTERRUPTS_SUPPRESSED,
        Counter("bytes_to_host", {"en": "bytes copied into host skbs",
                                  "zh": "复制进宿主 skb 的字节"}),
        Counter("completed", {"en": "buffers reclaimed by the guest", "zh": "客户机收回的缓冲区"}),
        WAKEUPS,
        SYSCALLS,
        COPIES,
        Counter("wire_frames", {"en": "TCP segments the host's GSO put on the wire",
                                "zh": "宿主机 GSO 发到线路上的 TCP 段"}, when_counted=True),
        Counter("guest_segments", {"en": "TCP segments the guest's GSO made (no TSO)",
                                   "zh": "客户机 GSO 切出的 TCP 段（没有 TSO）"},
                when_counted=True),
    )
    live_counters = ("kicks", "kicks_suppressed", "vm_exits", "interrupts",
                     "interrupts_suppressed", "bytes_to_host")
    calls = {
        "sendto": ("frames", _one),
        "virtqueue_kick_prepare": ("kicks_suppressed", lambda detail: not detail.get("kick")),
        "vp_notify": ("kicks", _one),
        "handle_ept_misconfig": ("vm_exits", _one),
        # An exit to QEMU ends its KVM_RUN ioctl; QEMU enters the guest with another one.
        "kvm_cpu_exec": (("exits_to_qemu", _one), ("syscalls", _one)),
        "virtio_notify": ("interrupts_suppressed", lambda detail: not detail.get("interrupt")),
        "vhost_notify": ("interrupts_suppressed", lambda detail: not detail.get("interrupt")),
        "msix_notify": (("interrupts", _one), ("wakeups", _one)),
        "kvm_arch_set_irq_inatomic": (("interrupts", _one), ("wakeups", _one)),
        "tcp_gso_segment": ("wire_frames", lambda detail: int(detail.get("segments", 0))),
        "validate_xmit_skb": ("guest_segments",
                              lambda detail: int(detail.get("segments", 0))),
        "tun_get_user": (("bytes_to_host", _bytes), ("copies", _one)),
        # -ENOSPC copies nothing: the packet goes to tun_get_user instead.
        "vhost_net_build_xdp": (("bytes_to_host", _bytes), ("copies", lambda d: "bytes" in d)),
        "tap_write_packet": ("syscalls", _one),
        # The kick's eventfd wakes QEMU's main loop; without ioeventfd, QEMU's vCPU thread
        # schedules the bottom half, which wakes it (notifications are off while one is
        # pending, so a kick finds none); vhost's worker counts only when it slept.
        "virtio_queue_host_notifier_read": ("wakeups", _one),
        "virtio_pci_notify_write": ("wakeups", _one),
        "vhost_worker": ("wakeups", lambda detail: bool(detail.get("woken"))),
        # The last call of free_old_xmit_skbs's loop finds nothing and returns NULL.
        "virtqueue_get_buf": ("completed", lambda detail: not detail.get("empty")),
    }
    notes = {
        "virtqueue_kick_prepare": ("kicks_deferred",
                                   lambda detail: detail.get("why") == "xmit_more"),
    }
    queue = Queue(
        {"en": "TX virtqueue", "zh": "TX 虚拟队列"},
        posts={"en": "the guest's driver posts each frame to send",
               "zh": "客户机驱动投放每个要发送的帧"},
        takes={"en": "the device takes it, hands it to the tap and returns the buffer",
               "zh": "设备取走它，交给 tap，再归还缓冲区"},
        in_use={"en": "a frame not yet sent, or sent but not yet reclaimed",
                "zh": "尚未发出、或已发出但还没收回的帧"},
        in_pair={"en": "TX queue {pair}: {entry}", "zh": "TX 队列 {pair}：{entry}"})
    tap = Tap("guest-to-host", Endpoints(), frozenset({"tap_write_packet", "tun_get_user"}))
    switches = SWITCHES
    path_title = {"en": "The send path across the layers", "zh": "发送路径穿过的各层"}
    decisions = {"virtio_notify": "interrupt", "vhost_notify": "interrupt"}
    ring = RingPanel(queue.name, "queue_size",
                     frame_param="size", actions={
                         "virtqueue_add_split": "add", "virtqueue_add": "add",
                         "virtqueue_add_packed": "add", "virtqueue_add_indirect_packed": "add",
                         "virtqueue_split_pop": "take", "virtqueue_pop": "take",
                         "virtqueue_packed_pop": "take",
                         "virtqueue_push": "use", "virtqueue_get_buf": "free"})
    #: The guest socket, the driver's TX ring (xmit_skb puts the header in front), QEMU
    #: popping the ring or vhost-net's worker in its place, QEMU's writev to the tap (its
    #: capture spelling: sys_writev), tun taking the header off, the host stack.
    hops = (Hop("udp_sendmsg", False), Hop("start_xmit", True), Hop("virtqueue_pop", True),
            Hop("vhost_get_vq_desc", True), Hop("tap_write_packet", True),
            Hop("sys_writev", True), Hop("tun_get_user", True), Hop("tun_xdp_one", True),
            Hop("netif_receive_skb", False))
    frames_param = "frames"
    frames_done = "completed"  # a frame's last step is the guest taking its buffer back
    examples = (
        {"frames": 3},
        {"frames": 3, "ioeventfd": False},
        {"frames": 3, "event_idx": False},
        {"frames": 40, "batch": 8, "queue_size": 32, "interval_ns": 0},
        {"frames": 40, "batch": 8, "queue_size": 32, "interval_ns": 0, "ioeventfd": False},
        {"frames": 3, "backend": "vhost-net"},
        {"frames": 3, "event_idx": False, "backend": "vhost-net"},
        {"frames": 300, "batch": 100, "queue_size": 1024, "interval_ns": 0,
         "backend": "vhost-net"},
        {"frames": 3, "ring": "packed"},
        {"frames": 1, "proto": "tcp", "size": 65000, "ip": "6", "ecn": True,
         "backend": "vhost-net"},
        {"frames": 8, "queues": 2, "flows": 4},
    )

    def settle(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """As ``Scenario.settle``; vhost-net takes kicks only through an ioeventfd: QEMU
        grabs one for vhost even when the device has ioeventfd=off
        (``virtio_bus_grab_ioeventfd``), so ``--no-ioeventfd`` would replay nothing real.
        A UDP frame fits one MTU; only TCP sends superframes. Linux's vhost-net has no packed
        ring: QEMU would negotiate the split ring instead."""
        params = super().settle(given)
        check_packed_backend(params)
        _check_features(params, ERAS["modern"])
        if params["proto"] == "udp":
            if params["size"] > MAX_FRAME:
                raise ParamError(f"--size {params['size']}: a UDP frame is at most {MAX_FRAME} "
                                 "bytes (one 1500-byte MTU); --proto tcp sends superframes")
            for name, flag in (("ip", "--ip 6"), ("ecn", "--ecn")):
                if params[name] != self.defaults()[name]:
                    raise ParamError(f"{flag}: only a TCP send has it; add --proto tcp")
            # A UDP stream's header names no protocol, as before TCP could be sent.
            del params["proto"]
        if params["queues"] > 1 and params["backend"] == "vhost-net":
            raise ParamError(QUEUES_QEMU_ONLY)
        if params["backend"] == "vhost-net" and not params["ioeventfd"]:
            raise ParamError("--no-ioeventfd: vhost-net always takes the kick through KVM's "
                             "ioeventfd (QEMU ignores ioeventfd=off for vhost); drop it, or "
                             "use --backend qemu")
        return params

    def phrases(self, params: Mapping[str, Any], lang: str) -> tuple[list[str], list[str]]:
        """``3 frames of 128 bytes`` before the era; the back end, EVENT_IDX, ioeventfd and
        the parameters left at an unusual value after it."""
        return frame_phrases(params, lang, ("event_idx", "ioeventfd"), self.defaults())

    def refusal(self, params: Mapping[str, Any], era: Era) -> str | None:
        if (problem := _features_problem(params, era)) is not None:
            return problem
        return packed_refusal(params, era)

    def run(self, params: Mapping[str, Any], era: Era, seed: int) -> Run:
        refused = self.refusal(params, era)
        if refused is not None:
            raise ParamError(refused)
        return send(SendParams(**params), era, seed)


def _features_problem(params: Mapping[str, Any], era: Era) -> str | None:
    """What is wrong with ``--features`` and ``--no-offload`` in ``era``, or None."""
    try:
        tcp_path(era, params.get("features", ""), offload=params.get("offload", True))
    except FeatureError as error:
        return f"--features: {error}"
    return None


def _check_features(params: Mapping[str, Any], era: Era) -> None:
    """``--features`` names real bits that make a valid set; the ring's own bits have their
    own options."""
    for word in params["features"].lower().replace("virtio_ring_f_", "").split(","):
        if word.strip(" +-") in ("event_idx", "ring_packed", "packed"):
            raise ParamError(f"--features {params['features']}: EVENT_IDX and RING_PACKED have "
                             "their own options, --event-idx/--no-event-idx and --ring")
    problem = _features_problem(params, era)
    if problem is not None:
        raise ParamError(problem)


SEND = SendScenario()
