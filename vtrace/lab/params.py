"""What a lab run captures, and the fixed facts of the guest's little network."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from pathlib import Path

__all__ = [
    "FRAME_OVERHEAD",
    "GUEST_MAC",
    "GUEST_RX_PORT",
    "HOST_FLOW_PORT",
    "HOST_MAC",
    "MAX_FRAME",
    "PAYLOAD_PREFIX",
    "Accel",
    "Backend",
    "MAX_QUEUES",
    "MAX_TCP_SIZE",
    "MIN_TCP_SIZE",
    "TCP_WARMUP",
    "LabParams",
    "Proto",
    "Ring",
    "Scenario",
    "min_frame_size",
]

#: Every datagram's payload starts with this, then the seq number in decimal.
PAYLOAD_PREFIX = "vtrace seq="
#: Ethernet (14) + IPv4 (20) + UDP (8) headers around the payload.
FRAME_OVERHEAD = 42
#: The largest frame the guest sends without fragments: a 1500-byte MTU plus Ethernet.
MAX_FRAME = 1514
GUEST_MAC = "52:54:00:77:00:02"
HOST_MAC = "02:77:00:00:00:01"
GUEST_RX_PORT = 47001
#: The most TCP payload one write of the lab's TCP sender carries: one IPv4 packet of 65,535
#: bytes less its IP and TCP headers (with timestamps), as ``vtrace send --proto tcp`` allows.
MAX_TCP_SIZE = 65483
#: The least a TCP block holds: ``vtrace seq=1000`` and a space (the guest's sender's floor).
MIN_TCP_SIZE = 16
#: Bytes the TCP sender writes before the trace window, so that the congestion window is
#: open: a fresh connection's ten segments would cut a 64 KiB write into smaller packets.
TCP_WARMUP = 4 << 20
#: Queue pairs the lab's guest can be given (one vCPU each).
MAX_QUEUES = 2
#: The host's source port of receive flow 0; flow f sends from the next f (the replay's
#: ``recv --flows`` counts its ports up the same way).
HOST_FLOW_PORT = 40000


class Scenario(str, Enum):
    SEND = "send"  # the guest sends, the host receives
    RECV = "recv"  # the host sends, the guest receives


class Accel(str, Enum):
    AUTO = "auto"
    KVM = "kvm"
    TCG = "tcg"


class Backend(str, Enum):
    QEMU = "qemu"  # QEMU's own virtio-net datapath
    VHOST_NET = "vhost-net"  # the host kernel's vhost-net worker


class Ring(str, Enum):
    SPLIT = "split"  # virtio 1.0's split virtqueue
    PACKED = "packed"  # virtio 1.1's packed virtqueue: the device gets packed=on


class Proto(str, Enum):
    UDP = "udp"  # datagrams of one frame each
    TCP = "tcp"  # one connection, blocks of --size bytes: GSO packets under TSO


def min_frame_size(frames: int) -> int:
    """The smallest frame that holds the payload of the highest seq of ``frames`` datagrams."""
    return FRAME_OVERHEAD + len(PAYLOAD_PREFIX) + len(str(frames))


@dataclass(frozen=True, slots=True)
class LabParams:
    """One run's choices, as the command line gave them (``accel`` may still be AUTO)."""

    scenario: Scenario
    frames: int = 3
    size: int = 54
    ioeventfd: bool = True
    accel: Accel = Accel.AUTO
    backend: Backend = Backend.QEMU
    kernel: Path | None = None
    modules: Path | None = None
    gap_ms: int = 100
    ring: Ring = Ring.SPLIT
    proto: Proto = Proto.UDP
    queues: int = 1
    features: str = ""  # a --features list of features switched off, as the replay takes it

    @property
    def receive_flows(self) -> bool:
        """A receive over several queue pairs: QEMU's RSS (``rss=on``) spreads the host's
        flows, once the guest has committed a key the host knows."""
        return self.scenario is Scenario.RECV and self.queues > 1

    @property
    def warmed_receive(self) -> bool:
        """A TCP receive: the warm-up's 64 KiB packets have settled the guest's mergeable
        buffer size before the trace window, as ``vtrace recv --warm`` replays it."""
        return self.proto is Proto.TCP and self.scenario is Scenario.RECV

    @property
    def payload_size(self) -> int:
        """Bytes each frame's application write carries: a UDP frame less its headers, or
        the whole TCP block."""
        return self.size if self.proto is Proto.TCP else self.size - FRAME_OVERHEAD
