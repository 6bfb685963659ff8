"""The shared state of a send replay: guest memory, both sides of the ring, the signals.

``World`` is what the guest's and QEMU's threads share; what it knows about the
ring's values, and ``with_ring``, come from ``vtrace.scenarios.ringstate``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from vtrace.catalog import Era
from vtrace.engine.sim import Scheduler
from vtrace.frames import Endpoints
from vtrace.ring import Device, Driver, GuestMemory, RingLayout, VhostQueue
from vtrace.ring_packed import PackedDevice, PackedDriver, PackedLayout, PackedMemory
from vtrace.scenarios.base import Param
from vtrace.scenarios.multiqueue import endpoints_of
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
    SIZE,
    default_of,
)
from vtrace.scenarios.params import BATCH as SHARED_BATCH
from vtrace.scenarios.ringstate import SHARED_FIELDS, RingWorld, note, with_ring
from vtrace.scenarios.send.eras import SWITCHES
from vtrace.scenarios.send.tso import MAX_TCP_PAYLOAD, slot_bytes, tcp_path

__all__ = ["BATCH", "IOEVENTFD", "PROTO", "SEND_SIZE", "SHARED_FIELDS", "SendParams", "World",
           "note", "with_ring"]


BATCH = replace(SHARED_BATCH, help="Frames handed to the driver back to back (xmit_more on "
                "all but the last).")
IOEVENTFD = Param("ioeventfd", True,
                  "Let KVM signal an eventfd on a kick, or exit to QEMU's vCPU thread.")

PROTO = Param("proto", "udp", "What the application sends: UDP datagrams, or TCP with TSO "
              "(one GSO superframe per frame, segmented by the host).", choices=("udp", "tcp"))
SEND_SIZE = replace(SIZE, high=MAX_TCP_PAYLOAD,
                    help="Ethernet frame length in bytes (without the virtio_net_hdr); with "
                         "--proto tcp, the TCP payload of each superframe (up to 65,483: one IPv4 "
                         "packet of 65,535 bytes less its IP and TCP headers).")


@dataclass(frozen=True, slots=True)
class SendParams:
    """What ``vtrace send`` asks for, typed; each default is its ``Param``'s."""

    frames: int = default_of(FRAMES, int)
    size: int = default_of(SIZE, int)
    batch: int = default_of(BATCH, int)
    queue_size: int = default_of(QUEUE_SIZE, int)
    event_idx: bool = default_of(EVENT_IDX, bool)
    ioeventfd: bool = default_of(IOEVENTFD, bool)
    interval_ns: int = default_of(INTERVAL, int)  # the application's pause between batches
    backend: str = default_of(BACKEND, str)  # who runs the device's data path
    proto: str = default_of(PROTO, str)
    ring: str = default_of(RING, str)  # split or packed
    features: str = default_of(FEATURES, str)  # --features, applied to the device's offer
    offload: bool = default_of(OFFLOAD, bool)
    ip: str = default_of(IP, str)  # the TCP flow's IP version
    ecn: bool = default_of(ECN, bool)  # CWR on each TCP send
    queues: int = default_of(QUEUES, int)
    flows: int = default_of(FLOWS, int)


class World(RingWorld[GuestMemory | PackedMemory, Driver | PackedDriver,
                      Device | PackedDevice]):
    """Shared state of one run: guest memory, both ring sides, the signals between threads."""

    def __init__(self, params: SendParams, era: Era, scheduler: Scheduler,
                 frames: tuple[int, ...] | range | None = None) -> None:
        self.params = params
        self.frames = range(params.frames) if frames is None else frames  # this queue's
        self.switches = SWITCHES[era.name]
        self.path = tcp_path(era, params.features, offload=params.offload, ip=params.ip,
                             ecn=params.ecn)  # what the device takes over, hdr_len
        header = self.path.offload.hdr_len
        slot_size = slot_bytes(params.size, header) if params.proto == "tcp" else \
            header + params.size
        if params.ring == "packed":
            packed = PackedMemory(PackedLayout(params.queue_size), slot_size)
            driver = PackedDriver(packed, event_idx=params.event_idx,
                                  indirect=self.path.offload.indirect)
            super().__init__(era, packed, driver, PackedDevice(packed, event_idx=params.event_idx))
        else:
            memory = GuestMemory(RingLayout(params.queue_size), slot_size=slot_size)
            device = VhostQueue if params.backend == "vhost-net" else Device
            super().__init__(
                era, memory,
                Driver(memory, event_idx=params.event_idx,
                       disable_writes_used_event=self.switches.disable_cb_writes_used_event,
                       free_list_in_ring=self.switches.free_list_in_ring),
                device(memory, event_idx=params.event_idx))
        self.kick_fd = scheduler.signal("ioeventfd")
        self.tx_bh = scheduler.signal("tx_bh")
        self.irq = scheduler.signal("msix")
        self.stopped = False
        self.tx_waiting = False
        self.endpoints = Endpoints()

    def endpoints_of(self, frame: int) -> Endpoints:
        """The endpoints of ``frame``'s flow (flow 0's are the defaults)."""
        return endpoints_of(self.endpoints, frame % self.params.flows)

    def frame_of(self, head: int) -> int | None:
        """The frame whose buffer sits at descriptor ``head``: the driver's token for it, which
        a tracer would read as the skb address."""
        return self.driver.tokens[head]

    def used_pending(self) -> int:
        """How many buffers the device has used and the driver not yet taken back."""
        driver = self.driver
        if isinstance(driver, Driver):
            return (driver.used_idx() - driver.last_used_idx) & 0xFFFF
        return driver.used_pending()
