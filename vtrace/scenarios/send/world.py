"""The shared state of a send replay: guest memory, both sides of the ring, the signals.

``World`` is what the guest's and QEMU's threads share; what it knows about the
ring's values, and ``with_ring``, come from ``vtrace.scenarios.ringstate``.
"""

from __future__ import annotations

from dataclasses import dataclass

from vtrace.catalog import Era
from vtrace.engine.sim import Scheduler
from vtrace.frames import VNET_HDR_SIZE, Endpoints
from vtrace.ring import Device, Driver, GuestMemory, RingLayout, VhostQueue
from vtrace.scenarios.ringstate import SHARED_FIELDS, RingWorld, note, with_ring
from vtrace.scenarios.send.eras import SWITCHES

__all__ = ["SHARED_FIELDS", "SendParams", "World", "note", "with_ring"]


@dataclass(frozen=True, slots=True)
class SendParams:
    """What ``vtrace send`` asks for."""

    frames: int = 1
    size: int = 128
    batch: int = 1
    queue_size: int = 256
    event_idx: bool = True
    ioeventfd: bool = True
    interval_ns: int = 50_000  # the application's pause between batches
    backend: str = "qemu"  # who runs the device's data path: QEMU or the kernel's vhost-net


class World(RingWorld):
    """Shared state of one run: guest memory, both ring sides, the signals between threads."""

    def __init__(self, params: SendParams, era: Era, scheduler: Scheduler) -> None:
        self.params = params
        self.switches = SWITCHES[era.name]
        memory = GuestMemory(RingLayout(params.queue_size), slot_size=VNET_HDR_SIZE + params.size)
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

    def frame_of(self, head: int) -> int | None:
        """The frame whose buffer sits at descriptor ``head``: the driver's token for it, which
        a tracer would read as the skb address."""
        return self.driver.tokens[head]
