"""The shared state of a send replay: guest memory, both sides of the ring, the signals.

``World`` is what the guest's and QEMU's threads share. ``with_ring`` emits a
step together with the ring values it changed, so every view can show the
ring without asking the engine.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from vtrace.catalog import Era, first_present
from vtrace.engine.sim import Action, Do, Signal
from vtrace.frames import VNET_HDR_SIZE, Endpoints
from vtrace.model import Kind
from vtrace.ring import Device, Driver, GuestMemory, RingLayout, VhostQueue
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

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}


class World:
    """Shared state of one run: guest memory, both ring sides, the signals between threads."""

    def __init__(self, params: SendParams, era: Era) -> None:
        self.params = params
        self.era = era
        self.switches = SWITCHES[era.name]
        layout = RingLayout(params.queue_size)
        self.memory = GuestMemory(layout, slot_size=VNET_HDR_SIZE + params.size)
        self.driver = Driver(self.memory, event_idx=params.event_idx,
                             disable_writes_used_event=self.switches.disable_cb_writes_used_event)
        device = VhostQueue if params.backend == "vhost-net" else Device
        self.device = device(self.memory, event_idx=params.event_idx)
        self.kick_fd = Signal("ioeventfd")
        self.tx_bh = Signal("tx_bh")
        self.irq = Signal("msix")
        # Who injects the TX interrupt: QEMU's msix_notify, or KVM on vhost's irqfd.
        self.interrupt_from = "kvm" if params.backend == "vhost-net" else "virtio-net"
        # The functions that write and read the ring's entries in this era's versions.
        self.ring_writer = first_present(era, "virtqueue_add_split", "virtqueue_add")
        self.ring_reader = first_present(era, "virtqueue_split_pop", "virtqueue_pop")
        self.stopped = False
        self.tx_waiting = False
        self.endpoints = Endpoints()
        self.now: Callable[[], int] = lambda: 0
        # Each ring's flags, idx and event index, read in one go across the ring entries.
        self._avail_fields = _fields_around_ring(layout.avail_flags, layout.used_event)
        self._used_fields = _fields_around_ring(layout.used_flags, layout.avail_event)
        self._last: tuple[int, ...] = self.ring_state()

    def frame_of(self, head: int) -> int | None:
        """The frame whose buffer sits at descriptor ``head``: the driver's token for it, which
        a tracer would read as the skb address."""
        return self.driver.tokens[head]

    def ring_state(self) -> tuple[int, ...]:
        """Every ring value worth showing, in the order of ``RING_FIELDS``."""
        bytes_, layout, drv, dev = self.memory.bytes, self.memory.layout, self.driver, self.device
        return (
            *self._avail_fields.unpack_from(bytes_, layout.avail_flags),
            *self._used_fields.unpack_from(bytes_, layout.used_flags),
            drv.avail_idx_shadow, drv.num_added, drv.num_free, drv.last_used_idx,
            dev.last_avail_idx, dev.inuse, dev.signalled_used, int(dev.notification),
        )

    def ring_changes(self) -> dict[str, int]:
        """The ring values that changed since the last call, by name."""
        now = self.ring_state()
        last, self._last = self._last, now
        if now == last:
            return {}
        return {name: value for name, value, before in zip(RING_FIELDS, now, last, strict=True)
                if value != before}


#: Shared bytes first (avail flags and idx, used_event, used flags and idx, avail_event),
#: then the driver's shadows, then the device's view.
RING_FIELDS = (
    "avail.flags", "avail.idx", "used_event", "used.flags", "used.idx", "avail_event",
    "avail_idx_shadow", "num_added", "num_free", "last_used_idx",
    "last_avail_idx", "inuse", "signalled_used", "notification",
)


def _fields_around_ring(flags: int, event_index: int) -> struct.Struct:
    """le16 flags and idx at ``flags``, the ring entries skipped, le16 at ``event_index``."""
    return struct.Struct(f"<HH{event_index - flags - 4}xH")


SHARED_FIELDS = RING_FIELDS[:6]


def with_ring(world: World, step: str, frame: int | None, src: str | None = None,
               **detail: Any) -> Iterator[Action]:
    """Emit ``step`` with the ring values it changed, then a state event for shared writes."""
    changes = world.ring_changes()
    if changes:
        detail["ring"] = changes
    yield Do(step, frame, src=src, detail=detail)
    if changes:
        writes = {key: changes[key] for key in SHARED_FIELDS if key in changes}
        if writes:
            yield Do(step, frame, Kind.STATE, dst="vring", detail={"writes": writes}, cost=False)


def note(step: str, frame: int | None, **detail: Any) -> Do:
    return Do(step, frame, Kind.NOTE, detail=detail, cost=False)
