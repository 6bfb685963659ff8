"""The send scenario: frames leave the guest through virtio-net, tap and tun.

``guest`` holds the guest's vCPU, ``device`` QEMU's main loop, ``vhost`` the
host kernel's vhost-net worker that replaces it with ``--backend vhost-net``,
``world`` what they share (guest memory and both sides of the TX ring), ``eras``
how the path differs per era. This module declares the scenario: its parameters, counters
and views.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeGuard

from vtrace.catalog import Era
from vtrace.engine.sim import Run
from vtrace.frames import MAX_FRAME, MIN_FRAME
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
    Param,
    ParamError,
    RingPanel,
    Scenario,
)
from vtrace.scenarios.send.guest import send
from vtrace.scenarios.send.world import SendParams

__all__ = ["BACKEND", "FRAMES", "MAX_FRAMES", "QUEUE_SIZES", "SEND", "SendParams",
           "SendScenario", "send"]

MAX_FRAMES = 10_000_000
QUEUE_SIZES = tuple(1 << bit for bit in range(5, 16))

FRAMES = Param("frames", 3, "Frames to send.", low=1, high=MAX_FRAMES, short="-n")
SIZE = Param("size", 128, "Ethernet frame length in bytes (without the virtio_net_hdr).",
             low=MIN_FRAME, high=MAX_FRAME)
QUEUE_SIZE = Param("queue_size", 256,
                   "Virtqueue size, a power of two (QEMU accepts 256-1024; smaller shows "
                   "wrap-around sooner).", choices=QUEUE_SIZES)
EVENT_IDX = Param("event_idx", True,
                  "Negotiate VIRTIO_RING_F_EVENT_IDX, or use the flags method.")
INTERVAL = Param("interval_ns", 50_000, "The application's pause between batches, in "
                 "microseconds.", low=0, high=10_000_000, option="interval-us", scale=1000)

_EN = {
    "frame": "{n:,} frame of {size} bytes", "frames": "{n:,} frames of {size} bytes",
    "batch": "in batches of {n:,}",
    "event_idx.on": "EVENT_IDX on", "event_idx.off": "EVENT_IDX off",
    "ioeventfd.on": "ioeventfd on", "ioeventfd.off": "ioeventfd off",
    "queue": "a queue of {n}", "interval": "{us} µs apart", "no_interval": "back to back",
}
_ZH = {
    "frame": "{n:,} 帧，每帧 {size} 字节", "frames": "{n:,} 帧，每帧 {size} 字节",
    "batch": "每批 {n:,} 帧",
    "event_idx.on": "EVENT_IDX 开启", "event_idx.off": "EVENT_IDX 关闭",
    "ioeventfd.on": "ioeventfd 开启", "ioeventfd.off": "ioeventfd 关闭",
    "queue": "队列大小 {n}", "interval": "间隔 {us} µs", "no_interval": "连续发送",
}

BACKEND = Param("backend", "qemu",
                "Who runs the device's data path: QEMU's own virtio-net, or the host kernel's "
                "vhost-net worker (-netdev tap,vhost=on).", choices=("qemu", "vhost-net"))


def _one(detail: Mapping[str, Any]) -> int:
    return 1


def _bytes(detail: Mapping[str, Any]) -> int:
    return int(detail.get("bytes", 0))


def _count(value: object) -> TypeGuard[int]:
    return type(value) is int and value > 0


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
    )
    params = (
        FRAMES,
        SIZE,
        Param("batch", 1, "Frames handed to the driver back to back (xmit_more on all but "
              "the last).", low=1, high=MAX_FRAMES, short="-b"),
        QUEUE_SIZE,
        EVENT_IDX,
        Param("ioeventfd", True,
              "Let KVM signal an eventfd on a kick, or exit to QEMU's vCPU thread."),
        INTERVAL,
        BACKEND,
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
        "tun_get_user": (("bytes_to_host", _bytes), ("copies", _one)),
        "vhost_net_build_xdp": (("bytes_to_host", _bytes), ("copies", _one)),
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
    ring = RingPanel({"en": "TX virtqueue", "zh": "TX 虚拟队列"}, "queue_size",
                     frame_param="size", actions={
                         "virtqueue_add_split": "add", "virtqueue_add": "add",
                         "virtqueue_split_pop": "take", "virtqueue_pop": "take",
                         "virtqueue_push": "use", "virtqueue_get_buf": "free"})
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
    )

    def settle(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """As ``Scenario.settle``; vhost-net takes kicks only through an ioeventfd: QEMU
        grabs one for vhost even when the device has ioeventfd=off
        (``virtio_bus_grab_ioeventfd``), so ``--no-ioeventfd`` would replay nothing real."""
        params = super().settle(given)
        if params["backend"] == "vhost-net" and not params["ioeventfd"]:
            raise ParamError("--no-ioeventfd: vhost-net always takes the kick through KVM's "
                             "ioeventfd (QEMU ignores ioeventfd=off for vhost); drop it, or "
                             "use --backend qemu")
        return params

    def phrases(self, params: Mapping[str, Any], lang: str) -> tuple[list[str], list[str]]:
        """``3 frames of 128 bytes`` before the era; EVENT_IDX, ioeventfd and the parameters
        left at an unusual value after it. A value of the wrong type (a file may hold
        anything) is shown as recorded."""
        words = _ZH if lang == "zh" else _EN
        frames, size, batch = (params.get(name) for name in ("frames", "size", "batch"))
        if _count(frames) and _count(size):
            head = words["frame" if frames == 1 else "frames"].format(n=frames, size=size)
        else:
            head = f"frames={frames}, size={size}"
        before = [head]
        if _count(batch) and batch > 1:
            before.append(words["batch"].format(n=batch))
        after = [words[f"{name}.{'on' if params[name] else 'off'}"]
                 for name in ("event_idx", "ioeventfd") if isinstance(params.get(name), bool)]
        queue, interval = params.get("queue_size"), params.get("interval_ns")
        if _count(queue) and queue != QUEUE_SIZE.default:
            after.append(words["queue"].format(n=queue))
        if isinstance(interval, int) and interval != INTERVAL.default:
            after.append(words["interval"].format(us=f"{interval / 1000:g}") if interval
                         else words["no_interval"])
        return before, after

    def run(self, params: Mapping[str, Any], era: Era, seed: int) -> Run:
        return send(SendParams(**params), era, seed)


SEND = SendScenario()
