"""The recv scenario: frames from a program on the host into the guest, through the RX ring.

``host`` holds the host's sender, ``qemu`` and ``vhost`` the two back ends that
fill the guest's buffers, ``guest`` the vCPU (NAPI, GRO, the application,
refills), ``world`` what they share and ``eras`` how the path differs per
era. This module declares the scenario: its parameters, counters and views.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from vtrace.catalog import ERAS, Era
from vtrace.engine.sim import Run
from vtrace.frames import MAX_FRAME
from vtrace.netfeatures import (
    HDR_LEN_MRG,
    HDR_LEN_TUNNEL,
    Feature,
    FeatureError,
    hdr_len,
    negotiated,
)
from vtrace.rxbuffers import big_packets
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
    EVENT_IDX,
    FEATURES,
    FLOWS,
    FRAMES,
    INTERVAL,
    OFFLOAD,
    QUEUE_SIZE,
    QUEUES,
    RING,
    check_packed_backend,
    packed_refusal,
)
from vtrace.scenarios.recv.eras import SWITCHES
from vtrace.scenarios.recv.gro import GRO_CALLS, GRO_COUNTERS
from vtrace.scenarios.recv.guest import recv
from vtrace.scenarios.recv.host import sent_buffer
from vtrace.scenarios.recv.world import (
    BATCH,
    HOST_TO_GUEST,
    MAX_BIG_QUEUE,
    MERGEABLE,
    NAPI_BUDGET,
    RECV_PROTO,
    RECV_SIZE,
    RX_BUFFERS,
    WARM,
    RecvParams,
)
from vtrace.scenarios.words import Queue, Tap, frame_phrases

__all__ = ["MIN_TCP_QUEUE", "RECV", "RSS_ERAS", "RecvParams", "RecvScenario", "recv"]

#: Half a ring of page-sized buffers must hold the largest TCP superframe.
MIN_TCP_QUEUE = 64
RSS_ERAS = ("modern", "newest")  # eras whose QEMU has software RSS (virtio_net_process_rss)

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
        "vtrace recv --queues 2 --flows 4 -n 8",
        "vtrace recv --proto tcp --size 65000 --frames 2 --pcap in.pcap",
        "vtrace recv --ring packed -n 300 --view plain",
        "vtrace recv --features -mrg_rxbuf --frames 3",
        "vtrace recv --proto tcp --size 65000 --features -guest_tso4 --frames 2",
    )
    params = (
        replace(FRAMES, help="Frames the host sends to the guest."),
        RECV_SIZE,
        BATCH,
        QUEUE_SIZE,
        EVENT_IDX,
        MERGEABLE,
        NAPI_BUDGET,
        RX_BUFFERS,
        replace(INTERVAL, help="The host program's pause between batches, in microseconds."),
        replace(BACKEND, help="Who fills the RX buffers: QEMU's virtio-net, or the host "
                "kernel's vhost-net."),
        RECV_PROTO,
        RING,
        FEATURES,
        OFFLOAD,
        replace(QUEUES, help="Queue pairs (mq=on, queues=N, rss=on): QEMU's software RSS "
                "picks each flow's RX queue with the driver's table (Linux 7.2 sends it at "
                "probe, 6.1 once ethtool -X commits it); modern and newest eras."),
        FLOWS,
        WARM,
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
        *GRO_COUNTERS,
    )
    live_counters = ("interrupts", "interrupts_suppressed", "kicks", "kicks_suppressed",
                     "napi_polls", "bytes_to_guest")
    calls = {
        "udp_recvmsg": ("frames", _one),
        "tcp_recvmsg": ("frames", lambda detail: not detail.get("partial")),
        **GRO_CALLS,
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
    queue = Queue(
        {"en": "RX virtqueue", "zh": "RX 虚拟队列"},
        posts={"en": "the guest's driver posts empty buffers", "zh": "客户机驱动投放空缓冲区"},
        takes={"en": "the device fills them with arriving frames",
               "zh": "设备把到来的帧写进去"},
        in_use={"en": "a buffer posted for a frame to come, or filled but not yet received",
                "zh": "为将到的帧投放的缓冲区，或已写入但还没接收的缓冲区"},
        in_pair={"en": "RX queue {pair}: {entry}", "zh": "RX 队列 {pair}：{entry}"})
    tap = Tap("host-to-guest", HOST_TO_GUEST, frozenset({"tun_put_user"}))
    #: The host socket (a capture's spelling: sys_sendto), tun's transmit, tun handing
    #: header and frame to QEMU's read or vhost-net's worker, QEMU popping the RX buffer
    #: it copies them into, the guest driver's receive_buf, GRO, the guest socket (UDP or TCP).
    hops = (Hop("host_sys_sendto", False), Hop("sys_sendto", False), Hop("tun_net_xmit", False),
            Hop("tun_put_user", True), Hop("virtqueue_pop", True), Hop("receive_buf", True),
            Hop("napi_gro_receive", False), Hop("udp_recvmsg", False),
            Hop("tcp_recvmsg", False))
    switches = SWITCHES
    path_title = {"en": "The receive path across the layers", "zh": "接收路径穿过的各层"}
    # No qdisc on the way in: the guest's stack is GRO, IP and UDP.
    part_words = {"stack": {"en": "GRO, IP/UDP", "zh": "GRO、IP/UDP"}}
    decisions = {"virtio_notify": "interrupt", "vhost_notify": "interrupt",
                 "tap_read_poll": "tap_poll", "virtio_net_receive_rcu": "buffers",
                 "handle_rx": "buffers"}
    # The guest posts its buffers in bulk (try_fill_recv says how many, not which): a
    # buffer is named when the device takes it, with its addr and len. A replay's frame is
    # the one the host sent.
    ring = RingPanel(queue.name, "queue_size", device_writes=True, actions={
        "virtqueue_split_pop": "take", "virtqueue_packed_pop": "take",
        "vhost_get_vq_desc": "take", "virtqueue_fill": "use",
        "virtqueue_get_buf_ctx": "free"}, rebuild=sent_buffer)
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
        {"frames": 3, "ring": "packed"},
        {"frames": 2, "proto": "tcp", "size": 65000},
        {"frames": 3, "proto": "tcp", "size": 65000, "queue_size": 64},
        {"frames": 2, "proto": "tcp", "size": 65000, "mergeable": False},
        {"frames": 8, "queues": 2, "flows": 4},
        {"frames": 2, "proto": "tcp", "size": 65000, "features": "-guest_tso4"},
    )

    def settle(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """As ``Scenario.settle``; Linux's vhost-net has no packed ring. A UDP frame fits one
        MTU, only TCP brings superframes, and only QEMU's own virtio-net on the split ring is
        followed for them. ``--features`` and ``--no-offload`` switch the device's bits:
        without MRG_RXBUF the guest posts big buffers."""
        params = super().settle(given)
        check_packed_backend(params)
        problem = _features_problem(params, ERAS["modern"])
        if problem is not None:
            raise ParamError(problem)
        agreed = negotiated("7.2", "6.1", params["features"], no_offload=not params["offload"])
        if params["features"] and Feature.MRG_RXBUF not in agreed:
            params["mergeable"] = False  # big buffers, as --no-mergeable
        if not params["mergeable"] and not big_packets(agreed, "6.1"):
            raise ParamError("without mergeable buffers and without guest GSO (guest_tso4, "
                             "guest_tso6, guest_ecn, guest_ufo) Linux posts small buffers "
                             "(add_recvbuf_small), which vtrace does not replay yet; keep "
                             "mrg_rxbuf or a guest GSO feature")
        if not params["mergeable"] and params["queue_size"] > MAX_BIG_QUEUE:
            raise ParamError(f"--queue-size {params['queue_size']}: big buffers (18 pages "
                             f"each) are replayed on rings of up to {MAX_BIG_QUEUE}, QEMU's "
                             "largest rx_queue_size")
        if params["proto"] == "udp":
            if params["size"] > MAX_FRAME:
                raise ParamError(f"--size {params['size']}: a UDP frame is at most {MAX_FRAME} "
                                 "bytes (one 1500-byte MTU); --proto tcp receives superframes")
        elif params["backend"] == "vhost-net":
            raise ParamError("--proto tcp: only --backend qemu follows a TCP receive")
        elif params["ring"] == "packed" and not params["mergeable"]:
            raise ParamError("--proto tcp --ring packed --no-mergeable: vtrace replays a TCP "
                             "receive in big buffers on the split ring only, so far; drop "
                             "--ring packed")
        elif params["mergeable"] and params["queue_size"] < MIN_TCP_QUEUE:
            # The guest refills only past half the ring (virtnet_receive): 16 page-sized
            # buffers hold less than the largest packet, which would wait for good.
            raise ParamError(f"--queue-size {params['queue_size']}: with --proto tcp and "
                             f"mergeable buffers the queue holds at least {MIN_TCP_QUEUE} "
                             "(QEMU's rx_queue_size is at least 256)")
        if params["queues"] > 1 and params["backend"] == "vhost-net":
            raise ParamError(QUEUES_QEMU_ONLY)
        return params

    def refusal(self, params: Mapping[str, Any], era: Era) -> str | None:
        if (problem := _features_problem(params, era)) is not None:
            return problem
        if (packed := packed_refusal(params, era)) is not None:
            return packed
        if params.get("queues", 1) > 1 and era.name not in RSS_ERAS:
            return (f"--queues: QEMU {era.qemu} has no RSS, and the tap's own choice "
                    "(tun_automq_select_queue) hashes with a random per-boot seed that vtrace "
                    "cannot replay; use --era modern or newest")
        return None

    def phrases(self, params: Mapping[str, Any], lang: str) -> tuple[list[str], list[str]]:
        """``3 frames of 128 bytes`` before the era; the back end, EVENT_IDX, the buffers and
        the parameters left at an unusual value after it."""
        return frame_phrases(params, lang, ("event_idx", "mergeable"), self.defaults())

    def run(self, params: Mapping[str, Any], era: Era, seed: int) -> Run:
        refused = self.refusal(params, era)
        if refused is not None:
            raise ParamError(refused)
        return recv(RecvParams(**params), era, seed)


def _features_problem(params: Mapping[str, Any], era: Era) -> str | None:
    """What is wrong with ``--features`` and ``--no-offload`` for a receive in ``era``: a
    wrong list, a legacy 10-byte header (no num_buffers) or the 20-byte one of HASH_REPORT,
    whose hash the receive replay does not compute."""
    features, offload = params.get("features", ""), params.get("offload", True)
    if not features and offload:
        return None
    try:
        agreed = negotiated(era.qemu, era.linux, features, no_offload=not offload)
    except FeatureError as error:
        return f"--features: {error}"
    if hdr_len(agreed) not in (HDR_LEN_MRG, HDR_LEN_TUNNEL):
        return (f"--features: Linux {era.linux} and QEMU {era.qemu} would agree on a "
                f"{hdr_len(agreed)}-byte virtio_net_hdr; the receive replay writes 12 bytes, "
                "or 24 with UDP tunnel GSO (drop what adds HASH_REPORT, or keep VERSION_1)")
    return None


RECV = RecvScenario()
