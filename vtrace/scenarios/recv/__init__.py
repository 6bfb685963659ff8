"""The recv scenario: frames from a program on the host into the guest, through the RX ring.

``host`` holds the host's sender, ``qemu`` and ``vhost`` the two back ends that
fill the guest's buffers, ``guest`` the vCPU (NAPI, GRO, the application,
refills), ``world`` what they share and ``eras`` how the path differs per
era. This module declares the scenario: its parameters, counters and views.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vtrace.catalog import Era
from vtrace.engine.sim import Run
from vtrace.ring import MAX_QUEUE_SIZE
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
    RingPanel,
    Scenario,
)
from vtrace.scenarios.recv.guest import recv
from vtrace.scenarios.recv.world import RecvParams
from vtrace.scenarios.send import EVENT_IDX, MAX_FRAMES, QUEUE_SIZE, SIZE

__all__ = ["RECV", "RecvParams", "RecvScenario", "recv"]

BACKENDS = ("qemu", "vhost-net")


def _one(detail: Mapping[str, Any]) -> int:
    return 1


def _bytes(detail: Mapping[str, Any]) -> int:
    return int(detail.get("bytes", 0))


class RecvScenario(Scenario):
    name = "recv"
    title = {"en": "Receiving a frame (vtrace recv)", "zh": "接收一帧（vtrace recv）"}
    summary = "Send frames from the host into the guest and watch each step of their way in."
    usage = (
        "vtrace recv --frames 3",
        "vtrace recv --rx-buffers 0 --view plain",
        "vtrace recv --backend vhost-net --frames 3",
        "vtrace recv --frames 200 --batch 50 --queue-size 64 --view quiet",
        "vtrace recv --era lesson --lang zh",
    )
    params = (
        Param("frames", 3, "Frames the host sends to the guest.", low=1, high=MAX_FRAMES,
              short="-n"),
        SIZE,
        Param("batch", 1, "Frames the host sends back to back.", low=1, high=MAX_FRAMES,
              short="-b"),
        QUEUE_SIZE,
        EVENT_IDX,
        Param("mergeable", True, "Negotiate VIRTIO_NET_F_MRG_RXBUF (mergeable RX buffers); "
              "without it the guest posts big-packet page chains."),
        Param("napi_budget", 64, "NAPI's weight: packets virtnet_poll takes per poll.",
              low=1, high=4096),
        Param("rx_buffers", MAX_QUEUE_SIZE, "Buffers the guest posted when it opened the device "
              "(more than fit: the ring full; 0 shows the stall and restart).",
              low=0, high=MAX_QUEUE_SIZE),
        Param("interval_ns", 50_000, "The host program's pause between batches, in "
              "microseconds.", low=0, high=10_000_000, option="interval-us", scale=1000),
        Param("backend", "qemu", "Who fills the RX buffers: QEMU's virtio-net, or the host "
              "kernel's vhost-net.", choices=BACKENDS),
    )
    counters = (
        Counter("frames", {"en": "frames received", "zh": "已接收的帧"}, per_frame=False),
        EVENTS,
        INTERRUPTS,
        INTERRUPTS_SUPPRESSED,
        VM_EXITS,
        EXITS_TO_QEMU,
        Counter("kicks", {"en": "kicks (refill notifications)", "zh": "通知（补充缓冲区后）"}),
        KICKS_SUPPRESSED,
        Counter("buffers_posted", {"en": "buffers posted", "zh": "投放的缓冲区"}),
        Counter("buffers_used", {"en": "buffers used", "zh": "用掉的缓冲区"}),
        Counter("bytes_to_guest", {"en": "bytes copied into guest buffers",
                                   "zh": "复制进客户机缓冲区的字节"}),
        Counter("stalls", {"en": "stalls (no buffer posted)", "zh": "停顿（没有缓冲区）"}),
        Counter("packets_queued", {"en": "packets queued in QEMU", "zh": "在 QEMU 中排队的包"}),
        Counter("napi_polls", {"en": "NAPI polls", "zh": "NAPI 轮询"}),
        WAKEUPS,
        SYSCALLS,
        COPIES,
    )
    live_counters = ("interrupts", "interrupts_suppressed", "kicks", "kicks_suppressed",
                     "napi_polls", "bytes_to_guest")
    calls = {
        "udp_recvmsg": ("frames", _one),
        # An injected interrupt wakes the vCPU; tun's data wakes QEMU's main loop or the
        # vhost worker; the guest's refill kick wakes whoever serves the RX queue.
        "msix_notify": (("interrupts", _one), ("wakeups", _one)),
        "kvm_arch_set_irq_inatomic": (("interrupts", _one), ("wakeups", _one)),
        "tap_send": ("wakeups", _one),
        "vhost_worker": ("wakeups", _one),
        "virtio_queue_host_notifier_read": ("wakeups", _one),
        "tap_read_packet": ("syscalls", _one),
        "virtio_notify": ("interrupts_suppressed", lambda detail: not detail.get("interrupt")),
        "vhost_notify": ("interrupts_suppressed", lambda detail: not detail.get("interrupt")),
        "handle_ept_misconfig": ("vm_exits", _one),
        "kvm_cpu_exec": (("exits_to_qemu", _one), ("syscalls", _one)),
        "vp_notify": ("kicks", _one),
        "virtqueue_kick_prepare": ("kicks_suppressed", lambda detail: not detail.get("kick")),
        "virtqueue_add_inbuf_ctx": ("buffers_posted", _one),
        "virtqueue_add_inbuf": ("buffers_posted", _one),
        "try_fill_recv": ("buffers_posted", lambda detail: int(detail.get("posted", 0))),
        "virtqueue_fill": ("buffers_used", _one),
        "vhost_add_used_n": ("buffers_used", lambda detail: int(detail.get("count", 0))),
        # tun copies the packet out of its skb (into QEMU's buffer, or with vhost-net
        # straight into the guest's); QEMU then copies it into the guest's buffers.
        "receive_header": (("bytes_to_guest", _bytes), ("copies", _one)),
        "tun_put_user": (("bytes_to_guest",
                          lambda detail: _bytes(detail) if detail.get("into") == "guest" else 0),
                         ("copies", _one)),
        "tap_read_poll": ("stalls", lambda detail: not detail.get("enable")),
        "qemu_net_queue_append": ("packets_queued", _one),
        "virtnet_poll": ("napi_polls", _one),
    }
    notes = {"handle_rx": ("stalls", lambda detail: bool(detail.get("stalled")))}
    ring = RingPanel({"en": "RX virtqueue", "zh": "RX 虚拟队列"}, "queue_size")
    frames_param = "frames"
    examples = (
        {"frames": 3},
        {"frames": 3, "rx_buffers": 0},
        {"frames": 3, "mergeable": False},
        {"frames": 3, "event_idx": False},
        {"frames": 40, "batch": 20, "queue_size": 32, "napi_budget": 8, "interval_ns": 0},
        {"frames": 3, "backend": "vhost-net"},
        {"frames": 3, "backend": "vhost-net", "rx_buffers": 0},
        {"frames": 40, "batch": 40, "queue_size": 32, "backend": "vhost-net",
         "mergeable": False},
    )

    def run(self, params: Mapping[str, Any], era: Era, seed: int) -> Run:
        return recv(RecvParams(**params), era, seed)


RECV = RecvScenario()
