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
from typing import Any, Generic, TypeVar

from vtrace.catalog import Era, first_present
from vtrace.engine.sim import Action, Do, Doing
from vtrace.model import Kind
from vtrace.ring import (
    DESC_SIZE,
    DEVICE_FIELDS,
    DRIVER_FIELDS,
    RING_FIELDS,
    SHARED_FIELDS,
    Buffer,
    Device,
    Driver,
    Element,
    GuestMemory,
)
from vtrace.ring_packed import (
    PACKED_FIELDS,
    PACKED_OWN_FIELDS,
    PACKED_SHARED_FIELDS,
    VRING_DESC_F_INDIRECT,
    PackedDevice,
    PackedDriver,
    PackedElement,
    PackedMemory,
)

__all__ = ["PACKED_BODIES", "PACKED_FIELDS", "RING_FIELDS", "SHARED_FIELDS", "SLOT_WRITES",
           "RingWorld",
           "fill_used", "flush_used", "kick_reason", "note", "ring_call", "with_ring"]

OWN_FIELDS = DRIVER_FIELDS + DEVICE_FIELDS
_EVENT_AREAS = struct.Struct("<HHHH")
#: The fields of a packed descriptor a write is shown for, at their offsets: the driver's
#: add stores them (and the address) in the slot it makes available, the device's flush
#: id, len and flags in the slot it marks used; the flags publish the slot, as avail.idx
#: and used.idx publish the split ring's entries.
_SLOT_FIELDS = (("slot.len", struct.Struct("<I"), 8), ("slot.id", struct.Struct("<H"), 12),
                ("slot.flags", struct.Struct("<H"), 14))
SLOT_WRITES = tuple(name for name, _, _ in _SLOT_FIELDS)

MemoryT = TypeVar("MemoryT", bound=GuestMemory | PackedMemory)
DriverT = TypeVar("DriverT", bound=Driver | PackedDriver)
DeviceT = TypeVar("DeviceT", bound=Device | PackedDevice)


#: The packed-ring body each ring function runs on a packed queue: Linux 6.1 tests
#: ``vq->packed_ring``, 7.2 goes through ``VIRTQUEUE_CALL``'s table, QEMU tests
#: VIRTIO_F_RING_PACKED. The split ring shows only the function itself.
PACKED_BODIES: dict[str, str] = {
    "virtqueue_kick_prepare": "virtqueue_kick_prepare_packed",
    "virtqueue_get_buf": "virtqueue_get_buf_ctx_packed",
    "virtqueue_get_buf_ctx": "virtqueue_get_buf_ctx_packed",
    "virtqueue_disable_cb": "virtqueue_disable_cb_packed",
    "virtqueue_enable_cb_prepare": "virtqueue_enable_cb_prepare_packed",
    "virtqueue_enable_cb_delayed": "virtqueue_enable_cb_delayed_packed",
    "virtqueue_poll": "virtqueue_poll_packed",
    "virtio_notify": "virtio_packed_should_notify",
    "virtio_queue_set_notification": "virtio_queue_packed_set_notification",
    # QEMU 10.2's re-arm calls virtio_queue_set_notification, then polls the ring.
    "virtio_queue_enable_notification_and_check": "virtio_queue_packed_set_notification",
}


def _fields_around_ring(flags: int, event_index: int) -> struct.Struct:
    """le16 flags and idx at ``flags``, the ring entries skipped, le16 at ``event_index``."""
    return struct.Struct(f"<HH{event_index - flags - 4}xH")


class RingWorld(Generic[MemoryT, DriverT, DeviceT]):
    """One virtqueue in guest memory with both its sides, and the last ring values shown.

    ``ring_writer``, ``ring_reader``, ``filler`` and ``flusher`` name the functions that
    add to the ring, pop from it, write the used ring and publish it in the replayed era:
    the split-ring bodies where the era's versions have them. ``now`` is the modelled
    clock, which the scenario points at its scheduler's.

    With a packed ring (``PackedDriver`` and ``PackedDevice``) the functions are the
    packed bodies, the values those of ``PACKED_FIELDS``, and ``slot`` is the
    descriptor slot the last step wrote or read.
    """

    def __init__(self, era: Era, memory: MemoryT, driver: DriverT,
                 device: DeviceT) -> None:
        self.era = era
        self.now: Callable[[], int] = lambda: 0
        self.memory = memory
        self.driver = driver
        self.device = device
        self.slot = 0
        if isinstance(memory, PackedMemory):
            self.ring_writer, self.ring_reader = "virtqueue_add_packed", "virtqueue_packed_pop"
            self.filler, self.flusher = "virtqueue_packed_fill", "virtqueue_packed_flush"
            self.shared_fields, self.own_fields = PACKED_SHARED_FIELDS, PACKED_OWN_FIELDS
            self._event_areas = memory.layout.driver_event
            self._descriptors = bytes(memory.bytes[:self._event_areas])
        else:
            self.ring_writer = first_present(era, "virtqueue_add_split", "virtqueue_add")
            self.ring_reader = first_present(era, "virtqueue_split_pop", "virtqueue_pop")
            self.filler = first_present(era, "virtqueue_split_fill", "virtqueue_fill")
            self.flusher = first_present(era, "virtqueue_split_flush", "virtqueue_flush")
            self.shared_fields, self.own_fields = SHARED_FIELDS, OWN_FIELDS
            layout = memory.layout
            # Each ring's flags, idx and event index, read in one go across the ring entries.
            self._read_avail = _fields_around_ring(layout.avail_flags,
                                                   layout.used_event).unpack_from
            self._read_used = _fields_around_ring(layout.used_flags,
                                                  layout.avail_event).unpack_from
        self._shared, self._own = self._shared_values(), self._own_values()

    def desc_next(self, index: int) -> int:
        """Descriptor ``index``'s ``next`` field as the split ring holds it (the packed
        ring's ``flags`` sit there)."""
        return self.memory.u16(DESC_SIZE * index + 14)

    def _shared_values(self) -> tuple[int, ...]:
        """The ring values in guest memory, in the order of ``SHARED_FIELDS``."""
        memory = self.memory
        if isinstance(memory, PackedMemory):
            return _EVENT_AREAS.unpack_from(memory.bytes, self._event_areas)
        layout = memory.layout
        return (self._read_avail(memory.bytes, layout.avail_flags)
                + self._read_used(memory.bytes, layout.used_flags))

    def _own_values(self) -> tuple[int, ...]:
        """Both sides' shadows, in the order of ``RING_FIELDS`` after the shared ones."""
        drv, dev = self.driver, self.device
        if isinstance(drv, PackedDriver):
            assert isinstance(dev, PackedDevice)
            return (drv.next_avail_idx, drv.avail_wrap_counter, drv.num_added, drv.num_free,
                    drv.last_used_idx, drv.used_wrap_counter, dev.last_avail_idx,
                    int(dev.last_avail_wrap_counter), dev.inuse, dev.used_idx,
                    int(dev.used_wrap_counter), dev.signalled_used, int(dev.notification),
                    self.slot, self.desc_next(self.slot))
        assert isinstance(dev, Device)
        return (drv.avail_idx_shadow, drv.num_added, drv.num_free, drv.last_used_idx,
                dev.last_avail_idx, dev.inuse, dev.signalled_used, int(dev.notification))

    def _slot_writes(self) -> dict[str, int]:
        """The fields of descriptor ``slot`` that changed since the last call (the ring's
        other slots a chain or a batch wrote are left out, as the split ring's descriptor
        table and ring entries are)."""
        memory, start = self.memory, DESC_SIZE * self.slot
        descriptors = bytes(memory.bytes[:self._event_areas])
        before, self._descriptors = self._descriptors, descriptors
        if descriptors[start:start + DESC_SIZE] == before[start:start + DESC_SIZE]:
            return {}
        return {name: value for name, field, offset in _SLOT_FIELDS
                if (value := field.unpack_from(descriptors, start + offset)[0])
                != field.unpack_from(before, start + offset)[0]}

    def ring_changes(self) -> tuple[dict[str, int], dict[str, int]]:
        """The ring values that changed since the last call, by name (in the order of
        ``RING_FIELDS``), and those of them in shared memory: the writes (on the packed
        ring with the fields of the slot's descriptor, ``_slot_writes``)."""
        shared, own = self._shared_values(), self._own_values()
        writes = {} if shared == self._shared else {
            name: value for name, value, before
            in zip(self.shared_fields, shared, self._shared, strict=True) if value != before}
        if own == self._own:
            changes = dict(writes)
        else:
            changes = {**writes, **{name: value for name, value, before
                                    in zip(self.own_fields, own, self._own, strict=True)
                                    if value != before}}
        self._shared, self._own = shared, own
        if isinstance(self.memory, PackedMemory):  # slot.flags is among the values already
            writes = {**writes, **self._slot_writes()}
        return changes, writes


AnyWorld = RingWorld[Any, Any, Any]


def with_ring(world: AnyWorld, step: str, frame: int | None, src: str | None = None,
              **detail: Any) -> Iterator[Action]:
    """Emit ``step`` with the ring values it changed, then a state event for shared writes."""
    changes, writes = world.ring_changes()
    if changes:
        detail["ring"] = changes
    yield Do(step, frame, src=src, detail=detail)
    if writes:
        yield Do(step, frame, Kind.STATE, dst="vring", detail={"writes": writes}, cost=False)


def add_packed(world: AnyWorld, writer: str, frame: int,
               buffers: list[Buffer]) -> Iterator[Action]:
    """``virtqueue_add_packed`` for ``buffers``: a chain of slots, or with indirect
    descriptors one slot for a table of several (``virtqueue_add_indirect_packed``, its
    entries in the detail as the split ring's indirect table is shown)."""
    driver = world.driver
    assert isinstance(driver, PackedDriver)
    world.slot = driver.next_avail_idx
    if not driver.uses_indirect(len(buffers)):
        buffer_id = driver.add(buffers, frame)
        yield from with_ring(world, writer, frame, head=buffer_id, addr=buffers[0].addr,
                             len=buffers[0].length)
        return
    yield Do(writer, frame, detail={"sg": len(buffers)})
    flags = VRING_DESC_F_INDIRECT | driver.avail_used_flags
    table = world.memory.indirect_table(driver.free_head)
    buffer_id = driver.add(buffers, frame)
    yield from with_ring(world, "virtqueue_add_indirect_packed", frame, head=buffer_id,
                         addr=table, len=DESC_SIZE * len(buffers), flags=flags,
                         indirect=[[buffer.addr, buffer.length] for buffer in buffers])


def indirect_read(element: Element | PackedElement) -> dict[str, Any]:
    """The table a packed pop read through VRING_DESC_F_INDIRECT (``virtqueue_packed_pop``
    in QEMU 7.2), as a detail; nothing for a chain of slots or a split element."""
    if isinstance(element, PackedElement) and element.ndescs < len(element.buffers):
        return {"indirect": [[buffer.addr, buffer.length] for buffer in element.buffers]}
    return {}


def ring_call(world: AnyWorld, step: str, frame: int | None, src: str | None = None,
              split_ring: bool = True, /, **detail: Any) -> Iterator[Action]:
    """A ring function that has a body per layout: on the split ring ``step`` with the ring
    values it changed (none with ``split_ring`` False); on the packed ring ``step`` with
    ``detail``, then its packed body with the ring values, and for a buffer taken back
    ``detach_buf_packed`` returning its id to the free list."""
    body = PACKED_BODIES[step]
    if not isinstance(world.driver, PackedDriver):
        if split_ring:
            yield from with_ring(world, step, frame, src, **detail)
        else:
            yield Do(step, frame, src=src, detail=detail)
        return
    yield Do(step, frame, src=src, detail=detail)
    yield from with_ring(world, body, frame)
    if body == "virtqueue_get_buf_ctx_packed":
        yield Do("detach_buf_packed", frame, detail={"id": detail["head"]})


def fill_used(world: AnyWorld, frame: int | None, element: Element | PackedElement,
              written: int, index: int) -> Iterator[Action]:
    """``virtqueue_fill``: the used entry ``index`` past used->idx, not yet published."""
    if world.filler != "virtqueue_fill":
        yield Do("virtqueue_fill", frame, detail={"head": element.head, "len": written})
    # Written only now, so that no other thread's step shows it before the filler's does.
    world.device.fill(element, written, index)
    yield from with_ring(world, world.filler, frame, head=element.head, len=written, idx=index)


def flush_used(world: AnyWorld, frame: int | None, count: int) -> Iterator[Action]:
    """``virtqueue_flush``: publish ``count`` filled entries with the new used->idx."""
    if world.flusher != "virtqueue_flush":
        yield Do("virtqueue_flush", frame, detail={"count": count})
    if isinstance(world.device, PackedDevice):
        world.slot = world.device.used_idx
    world.device.flush(count)
    yield from with_ring(world, world.flusher, frame, count=count)


def note(step: str, frame: int | None, **detail: Any) -> Doing:
    return Do(step, frame, Kind.NOTE, detail=detail, cost=False)


def kick_reason(kick: bool, avail_event: int | None) -> str:
    """Why ``virtqueue_kick_prepare`` decided as it did, in the words docs/events.md lists."""
    if avail_event is None:
        return "no_notify_clear" if kick else "no_notify_set"
    return "avail_event_in_window" if kick else "avail_event_outside_window"
