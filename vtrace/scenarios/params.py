"""Parameters several scenarios share, declared once with their one default.

A scenario lists these beside its own in ``Scenario.params``; its typed
parameter class (``SendParams``, ``RecvParams``) takes each default from here
with ``default_of``, so a default is written in one place only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from vtrace.catalog import Era
from vtrace.frames import MAX_FRAME, MIN_FRAME
from vtrace.scenarios.base import Param, ParamError

__all__ = ["BACKEND", "BACKENDS", "BATCH", "ECN", "EVENT_IDX", "FEATURES", "FLOWS", "FRAMES",
           "INTERVAL", "IP", "MAX_FRAMES", "MAX_QUEUES", "OFFLOAD", "PACKED_ERAS", "QUEUES",
           "QUEUE_SIZE", "QUEUE_SIZES", "RING", "RINGS", "SHARED", "SIZE", "check_packed_backend",
           "default_of", "packed_refusal"]

MAX_FRAMES = 10_000_000
QUEUE_SIZES = tuple(1 << bit for bit in range(5, 16))
BACKENDS = ("qemu", "vhost-net")
RINGS = ("split", "packed")

T = TypeVar("T", int, float, bool, str)

FRAMES = Param("frames", 3, "Frames to replay (the guest sends them, or the host sends them "
               "to the guest).", low=1, high=MAX_FRAMES, short="-n")
BATCH = Param("batch", 1, "Frames sent back to back.", low=1, high=MAX_FRAMES, short="-b")
SIZE = Param("size", 128, "Ethernet frame length in bytes (without the virtio_net_hdr); with "
             "--proto tcp, the TCP payload of each superframe.", low=MIN_FRAME, high=MAX_FRAME)
QUEUE_SIZE = Param("queue_size", 256,
                   "Virtqueue size, a power of two (QEMU accepts 256-1024; smaller shows "
                   "wrap-around sooner).", choices=QUEUE_SIZES)
EVENT_IDX = Param("event_idx", True,
                  "Negotiate VIRTIO_RING_F_EVENT_IDX, or use the flags method.")
INTERVAL = Param("interval_ns", 50_000, "The sending program's pause between batches, in "
                 "microseconds.", low=0, high=10_000_000, option="interval-us", scale=1000)
BACKEND = Param("backend", "qemu",
                "Who runs the device's data path: QEMU's own virtio-net, or the host kernel's "
                "vhost-net worker (-netdev tap,vhost=on).", choices=BACKENDS)

RING = Param("ring", "split",
             "The virtqueue layout: virtio 1.0's split ring, or virtio 1.1's packed ring "
             "(VIRTIO_F_RING_PACKED; Linux 6.1 and 7.2, QEMU 7.2 and 10.2).", choices=RINGS,
             silent_default=True)
PACKED_ERAS = ("modern", "newest")  # eras whose Linux and QEMU both have the packed ring

FEATURES = Param("features", "",
                 "Switch feature bits on the device, as QEMU's properties would: +X adds, -X "
                 "removes, by the spec's names (VIRTIO_NET_F_HOST_TSO4) or short ones "
                 "(host_tso4), comma-separated.", silent_default=True)
OFFLOAD = Param("offload", True,
                "Offer checksum and segmentation offloads (CSUM, GUEST_CSUM, HOST_TSO*, "
                "GUEST_TSO*, ECN, UFO, USO); --no-offload turns them all off.",
                silent_default=True)
IP = Param("ip", "4", "The TCP flow's IP version: 4, or 6 (a 40-byte IPv6 header, gso_type "
           "TCPV6).", choices=("4", "6"), silent_default=True)
ECN = Param("ecn", False, "Set CWR on each TCP send, as ECN's congestion response does: "
            "gso_type gains VIRTIO_NET_HDR_GSO_ECN.", silent_default=True)
MAX_QUEUES = 8
QUEUES = Param("queues", 1, "Queue pairs (virtio-net's mq=on, queues=N): each has its own rings, "
               "vCPU and MSI-X vectors; the guest enables one per vCPU.", low=1, high=MAX_QUEUES,
               silent_default=True)
FLOWS = Param("flows", 1, "Flows the frames belong to, in turn (frame i is flow i mod M): each "
              "takes the queue XPS (transmit) or RSS (receive) gives it.", low=1, high=64,
              silent_default=True)

#: The shared parameters, in the words of no one scenario: a command that serves several
#: (``vtrace diagram``, ``vtrace diff``) offers these.
SHARED: tuple[Param, ...] = (FRAMES, SIZE, BATCH, QUEUE_SIZE, EVENT_IDX, INTERVAL, BACKEND,
                             QUEUES, FLOWS)


def default_of(param: Param, kind: type[T]) -> T:
    """``param``'s default as a field default of a typed parameter class."""
    value = param.default
    if type(value) is not kind:
        raise TypeError(f"{param.name}'s default {value!r} is not a {kind.__name__}")
    return value


def check_packed_backend(params: Mapping[str, Any]) -> None:
    """Refuse ``--ring packed`` with vhost-net: Linux's vhost-net has no packed ring."""
    if params.get("backend") == "vhost-net" and params.get("ring") == "packed":
        raise ParamError("--ring packed: Linux's vhost-net has no packed ring (QEMU would "
                         "fall back to the split ring); use --backend qemu")


def packed_refusal(params: Mapping[str, Any], era: Era) -> str | None:
    """Why ``--ring packed`` cannot be replayed in ``era``, in one line; None when it can."""
    if params.get("ring") == "packed" and era.name not in PACKED_ERAS:
        return (f"--ring packed: Linux {era.linux} and QEMU {era.qemu} have no packed ring "
                "(it came in Linux 5.0 and QEMU 4.2); use --era modern or newest")
    return None
