"""What every ring replay shares: the ring values worth showing, and steps that carry them.

A replay's world (guest memory, the driver's and the device's side of one
virtqueue) derives from ``RingWorld``; ``with_ring`` emits a step together
with the ring values it changed, so every view can show the ring without
asking the engine. ``fill_used`` and ``flush_used`` return elements to the
driver as QEMU's ``virtqueue_fill`` and ``virtqueue_flush`` do. ``kick_reason``
names what ``virtqueue_kick_prepare`` saw.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from typing import Any

from vtrace.catalog import Era, first_present
from vtrace.engine.sim import Action, Do, Doing
from vtrace.model import Kind
from vtrace.ring import (
    DEVICE_FIELDS,
    DRIVER_FIELDS,
    RING_FIELDS,
    SHARED_FIELDS,
    Device,
    Driver,
    Element,
    GuestMemory,
)

__all__ = ["RING_FIELDS", "SHARED_FIELDS", "RingWorld", "fill_used", "flush_used", "kick_reason",
           "note", "with_ring"]

OWN_FIELDS = DRIVER_FIELDS + DEVICE_FIELDS


def _fields_around_ring(flags: int, event_index: int) -> struct.Struct:
    """le16 flags and idx at ``flags``, the ring entries skipped, le16 at ``event_index``."""
    return struct.Struct(f"<HH{event_index - flags - 4}xH")


class RingWorld:
    """One virtqueue in guest memory with both its sides, and the last ring values shown.

    ``ring_writer``, ``ring_reader``, ``filler`` and ``flusher`` name the functions that
    add to the ring, pop from it, write the used ring and publish it in the replayed era:
    the split-ring bodies where the era's versions have them. ``now`` is the modelled
    clock, which the scenario points at its scheduler's.
    """

    def __init__(self, era: Era, memory: GuestMemory, driver: Driver, device: Device) -> None:
        self.era = era
        self.ring_writer = first_present(era, "virtqueue_add_split", "virtqueue_add")
        self.ring_reader = first_present(era, "virtqueue_split_pop", "virtqueue_pop")
        self.filler = first_present(era, "virtqueue_split_fill", "virtqueue_fill")
        self.flusher = first_present(era, "virtqueue_split_flush", "virtqueue_flush")
        self.now: Callable[[], int] = lambda: 0
        self.memory = memory
        self.driver = driver
        self.device = device
        layout = memory.layout
        # Each ring's flags, idx and event index, read in one go across the ring entries.
        self._read_avail = _fields_around_ring(layout.avail_flags, layout.used_event).unpack_from
        self._read_used = _fields_around_ring(layout.used_flags, layout.avail_event).unpack_from
        self._shared, self._own = self._shared_values(), self._own_values()

    def desc_next(self, index: int) -> int:
        """Descriptor ``index``'s ``next`` field as the ring holds it."""
        return self.memory.u16(self.memory.layout.descriptor(index) + 14)

    def _shared_values(self) -> tuple[int, ...]:
        """The ring values in guest memory, in the order of ``SHARED_FIELDS``."""
        bytes_, layout = self.memory.bytes, self.memory.layout
        return (self._read_avail(bytes_, layout.avail_flags)
                + self._read_used(bytes_, layout.used_flags))

    def _own_values(self) -> tuple[int, ...]:
        """Both sides' shadows, in the order of ``RING_FIELDS`` after the shared ones."""
        drv, dev = self.driver, self.device
        return (drv.avail_idx_shadow, drv.num_added, drv.num_free, drv.last_used_idx,
                dev.last_avail_idx, dev.inuse, dev.signalled_used, int(dev.notification))

    def ring_changes(self) -> tuple[dict[str, int], dict[str, int]]:
        """The ring values that changed since the last call, by name (in the order of
        ``RING_FIELDS``), and those of them in shared memory: the writes."""
        shared, own = self._shared_values(), self._own_values()
        writes = {} if shared == self._shared else {
            name: value for name, value, before
            in zip(SHARED_FIELDS, shared, self._shared, strict=True) if value != before}
        if own == self._own:
            changes = dict(writes)
        else:
            changes = {**writes, **{name: value for name, value, before
                                    in zip(OWN_FIELDS, own, self._own, strict=True)
                                    if value != before}}
        self._shared, self._own = shared, own
        return changes, writes


def with_ring(world: RingWorld, step: str, frame: int | None, src: str | None = None,
              **detail: Any) -> Iterator[Action]:
    """Emit ``step`` with the ring values it changed, then a state event for shared writes."""
    changes, writes = world.ring_changes()
    if changes:
        detail["ring"] = changes
    yield Do(step, frame, src=src, detail=detail)
    if writes:
        yield Do(step, frame, Kind.STATE, dst="vring", detail={"writes": writes}, cost=False)


def fill_used(world: RingWorld, frame: int | None, element: Element, written: int,
              index: int) -> Iterator[Action]:
    """``virtqueue_fill``: the used entry ``index`` past used->idx, not yet published."""
    if world.filler != "virtqueue_fill":
        yield Do("virtqueue_fill", frame, detail={"head": element.head, "len": written})
    # Written only now, so that no other thread's step shows it before the filler's does.
    world.device.fill(element, written, index)
    yield from with_ring(world, world.filler, frame, head=element.head, len=written, idx=index)


def flush_used(world: RingWorld, frame: int | None, count: int) -> Iterator[Action]:
    """``virtqueue_flush``: publish ``count`` filled entries with the new used->idx."""
    if world.flusher != "virtqueue_flush":
        yield Do("virtqueue_flush", frame, detail={"count": count})
    world.device.flush(count)
    yield from with_ring(world, world.flusher, frame, count=count)


def note(step: str, frame: int | None, **detail: Any) -> Doing:
    return Do(step, frame, Kind.NOTE, detail=detail, cost=False)


def kick_reason(kick: bool, avail_event: int | None) -> str:
    """Why ``virtqueue_kick_prepare`` decided as it did, in the words docs/events.md lists."""
    if avail_event is None:
        return "no_notify_clear" if kick else "no_notify_set"
    return "avail_event_in_window" if kick else "avail_event_outside_window"
