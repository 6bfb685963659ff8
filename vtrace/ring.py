"""The split virtqueue in guest memory, and the two sides that share it.

The ring lives in a ``bytearray`` laid out as the virtio 1.x split virtqueue
(spec, "Split Virtqueues"): a descriptor table of 16-byte entries, the
available ring the driver writes, and the used ring the device writes, all
little-endian. ``Driver`` mirrors Linux ``drivers/virtio/virtio_ring.c`` and
``Device`` mirrors QEMU ``hw/virtio/virtio.c``; ``VhostQueue`` is the same device
side as the host kernel's vhost keeps it (``drivers/vhost/vhost.c``). Each keeps
its own shadow indices; they learn about each other only by reading the bytes.
"""

from __future__ import annotations

import functools
import struct
from dataclasses import dataclass, field

__all__ = [
    "DESC_SIZE",
    "DEVICE_FIELDS",
    "DRIVER_FIELDS",
    "LEGACY_ALIGN",
    "MODERN_ALIGN",
    "VRING_AVAIL_F_NO_INTERRUPT",
    "VRING_DESC_F_INDIRECT",
    "VRING_DESC_F_NEXT",
    "VRING_DESC_F_WRITE",
    "VRING_USED_F_NO_NOTIFY",
    "Buffer",
    "Device",
    "Driver",
    "Element",
    "GuestMemory",
    "KickDecision",
    "Memory",
    "NotifyDecision",
    "RING_FIELDS",
    "RingError",
    "RingLayout",
    "SHARED_FIELDS",
    "VhostQueue",
    "vring_need_event",
]

DESC_SIZE = 16  # struct virtq_desc { le64 addr; le32 len; le16 flags; le16 next; }
USED_ELEM_SIZE = 8  # struct virtq_used_elem { le32 id; le32 len; }

VRING_DESC_F_NEXT = 1
VRING_DESC_F_WRITE = 2
VRING_DESC_F_INDIRECT = 4
VRING_USED_F_NO_NOTIFY = 1
VRING_AVAIL_F_NO_INTERRUPT = 1

#: Linux's modern virtio-pci transport lays the ring out with SMP_CACHE_BYTES alignment.
MODERN_ALIGN = 64
#: The legacy interface puts the used ring on the next 4096-byte boundary.
LEGACY_ALIGN = 4096

MAX_QUEUE_SIZE = 32768  # the spec's upper bound for a split queue

#: The names of the ring values a stream carries (``ring`` and ``writes`` in an event's detail)
#: and the views show, defined here once. First the fields in guest memory that both sides
#: read, in the order of their bytes (avail flags and idx, used_event, used flags and idx,
#: avail_event); then the driver's shadows; then the device's view.
SHARED_FIELDS = ("avail.flags", "avail.idx", "used_event", "used.flags", "used.idx",
                 "avail_event")
DRIVER_FIELDS = ("avail_idx_shadow", "num_added", "num_free", "last_used_idx")
DEVICE_FIELDS = ("last_avail_idx", "inuse", "signalled_used", "notification")
RING_FIELDS = SHARED_FIELDS + DRIVER_FIELDS + DEVICE_FIELDS


class RingError(ValueError):
    """A ring was asked for something the spec or the driver forbids."""


def vring_need_event(event_idx: int, new_idx: int, old_idx: int) -> bool:
    """True when ``event_idx`` lies in [old_idx, new_idx) counting modulo 2**16.

    The spec's ``virtq_need_event`` and Linux's ``vring_need_event`` compute
    ``(u16)(new - event - 1) < (u16)(new - old)``; the side that has just
    published entries old..new-1 notifies only if the other side asked to be
    told about one of them.
    """
    return (new_idx - event_idx - 1) & 0xFFFF < (new_idx - old_idx) & 0xFFFF


@dataclass(frozen=True, slots=True)
class RingLayout:
    """Byte offsets of every field of one split virtqueue of ``size`` entries.

    The offsets are computed once: the engine reads them for every ring access.
    """

    size: int
    align: int = MODERN_ALIGN
    avail: int = field(init=False)
    avail_flags: int = field(init=False)
    avail_idx: int = field(init=False)
    used_event: int = field(init=False)  # avail->ring[size]: where the driver asks for an interrupt
    used: int = field(init=False)
    used_flags: int = field(init=False)
    used_idx: int = field(init=False)
    avail_event: int = field(init=False)  # used->ring[size]: where the device asks for a kick
    total: int = field(init=False)

    def __post_init__(self) -> None:
        if self.size < 1 or self.size > MAX_QUEUE_SIZE or self.size & (self.size - 1):
            raise RingError(f"queue size must be a power of two up to {MAX_QUEUE_SIZE}")
        if self.align < 4 or self.align & (self.align - 1):
            raise RingError("ring alignment must be a power of two of at least 4")
        avail = self.size * DESC_SIZE
        used_event = avail + 4 + 2 * self.size
        used = (used_event + 2 + self.align - 1) & ~(self.align - 1)
        avail_event = used + 4 + USED_ELEM_SIZE * self.size
        offsets = {
            "avail": avail, "avail_flags": avail, "avail_idx": avail + 2,
            "used_event": used_event, "used": used, "used_flags": used, "used_idx": used + 2,
            "avail_event": avail_event, "total": avail_event + 2,
        }
        for name, offset in offsets.items():
            object.__setattr__(self, name, offset)

    def avail_ring(self, slot: int) -> int:
        return self.avail + 4 + 2 * slot

    def used_ring(self, slot: int) -> int:
        return self.used + 4 + USED_ELEM_SIZE * slot

    def descriptor(self, index: int) -> int:
        return DESC_SIZE * index


class Memory:
    """Guest-physical memory: ``ring_bytes`` of ring at address 0, then one buffer slot
    per descriptor, then ``extra`` bytes (the packed ring's indirect tables)."""

    def __init__(self, ring_bytes: int, size: int, slot_size: int, extra: int = 0) -> None:
        self.slot_size = slot_size
        self.ring_bytes = ring_bytes
        self.buffers_base = (ring_bytes + 4095) & ~4095
        self.bytes = bytearray(self.buffers_base + slot_size * size + extra)

    def u16(self, offset: int) -> int:
        value: int = struct.unpack_from("<H", self.bytes, offset)[0]
        return value

    def put_u16(self, offset: int, value: int) -> None:
        struct.pack_into("<H", self.bytes, offset, value & 0xFFFF)

    def slot_address(self, index: int) -> int:
        return self.buffers_base + self.slot_size * index

    def read(self, address: int, length: int) -> bytes:
        if address < self.buffers_base or address + length > len(self.bytes):
            raise RingError(f"descriptor points outside guest memory: {address:#x}+{length}")
        return bytes(self.bytes[address : address + length])

    def write(self, address: int, data: bytes) -> None:
        self.bytes[address : address + len(data)] = data


class GuestMemory(Memory):
    """Guest memory holding one split ring."""

    def __init__(self, layout: RingLayout, slot_size: int) -> None:
        super().__init__(layout.total, layout.size, slot_size)
        self.layout = layout


@dataclass(frozen=True, slots=True)
class Buffer:
    """One scatter-gather entry: guest-physical address, length, device-writable or not."""

    addr: int
    length: int
    writable: bool = False


@dataclass(frozen=True, slots=True)
class KickDecision:
    """What ``virtqueue_kick_prepare`` decided and the values it looked at."""

    kick: bool
    old: int
    new: int
    avail_event: int | None  # None when EVENT_IDX is off: VRING_USED_F_NO_NOTIFY decided


@dataclass(frozen=True, slots=True)
class NotifyDecision:
    """What ``virtio_should_notify`` decided and the values it looked at."""

    interrupt: bool
    old: int
    new: int
    used_event: int | None  # None when EVENT_IDX is off: VRING_AVAIL_F_NO_INTERRUPT decided


@dataclass(frozen=True, slots=True)
class Element:
    """A chain the device popped: its head index and the buffers it describes."""

    head: int
    buffers: tuple[Buffer, ...]


class Driver:
    """The guest side of one queue, as Linux's split ``vring_virtqueue`` keeps it.

    The free list threads the descriptors: ``next_free[i]`` is the descriptor after
    ``i`` (Linux 6.1 keeps it in ``desc_extra[i].next``, 4.19 in the ring's own
    ``desc[i].next``). Either way ``virtqueue_add_split`` leaves each descriptor's
    ``next`` holding its free-list successor, the last of a chain's included:
    6.1's ``virtqueue_add_desc_split`` copies ``extra[i].next`` into it, 4.19
    finds it already there. With ``free_list_in_ring`` (4.19) the bytes also
    change where 6.1 touches only its shadow: ``__vring_new_virtqueue`` writes
    ``desc[i].next = i + 1`` and ``detach_buf`` writes ``desc[tail].next = free_head``.
    """

    def __init__(self, memory: GuestMemory, *, event_idx: bool,
                 disable_writes_used_event: bool = True, free_list_in_ring: bool = False) -> None:
        self.memory = memory
        self.layout = memory.layout
        self.event_idx = event_idx
        self.disable_writes_used_event = disable_writes_used_event
        self.free_list_in_ring = free_list_in_ring
        size = self.layout.size
        self.num_free = size
        self.free_head = 0
        # vring_alloc_desc_extra links i to i + 1 and leaves the last entry's next 0.
        self.next_free = [(index + 1) % size for index in range(size)]
        if free_list_in_ring:
            for index in range(size - 1):
                self._put_next(index, index + 1)
        self.avail_idx_shadow = 0
        self.num_added = 0
        self.last_used_idx = 0
        self.avail_flags_shadow = 0
        self.tokens: list[int | None] = [None] * size
        self.chain_length = [0] * size
        self.event_triggered = False

    # -- adding buffers -------------------------------------------------------------

    def add(self, buffers: list[Buffer], token: int) -> int:
        """``virtqueue_add_split``: fill descriptors, publish the head; returns the head."""
        if not buffers:
            raise RingError("a chain needs at least one buffer")
        if len(buffers) > self.num_free:
            raise RingError("no room in the ring")
        mem, layout = self.memory.bytes, self.layout
        head = index = self.free_head
        for position, buffer in enumerate(buffers):
            flags = VRING_DESC_F_WRITE if buffer.writable else 0
            last = position == len(buffers) - 1
            following = self.next_free[index]
            if not last:
                flags |= VRING_DESC_F_NEXT
            struct.pack_into(
                "<QIHH", mem, layout.descriptor(index), buffer.addr, buffer.length, flags,
                following,
            )
            if not last:
                index = following
        self.free_head = self.next_free[index]
        self._publish(head, len(buffers), token)
        return head

    def add_indirect(self, buffers: list[Buffer], table: int, token: int) -> int:
        """``virtqueue_add_split`` with an indirect table at guest address ``table``: the
        buffers fill the table (``alloc_indirect_split`` links entry i to i + 1, the last
        included), and one ring descriptor flagged INDIRECT points to it."""
        if not buffers:
            raise RingError("a chain needs at least one buffer")
        if not self.num_free:
            raise RingError("no room in the ring")
        for position, buffer in enumerate(buffers):
            flags = VRING_DESC_F_WRITE if buffer.writable else 0
            if position < len(buffers) - 1:
                flags |= VRING_DESC_F_NEXT
            struct.pack_into("<QIHH", self.memory.bytes, table + DESC_SIZE * position,
                             buffer.addr, buffer.length, flags, position + 1)
        head = self.free_head
        struct.pack_into("<QIHH", self.memory.bytes, self.layout.descriptor(head), table,
                         DESC_SIZE * len(buffers), VRING_DESC_F_INDIRECT, self.next_free[head])
        self.free_head = self.next_free[head]
        self._publish(head, 1, token)
        return head

    def _publish(self, head: int, descriptors: int, token: int) -> None:
        """Note the chain at ``head`` and make it available: avail->ring, then avail->idx."""
        layout = self.layout
        self.num_free -= descriptors
        self.tokens[head] = token
        self.chain_length[head] = descriptors
        slot = self.avail_idx_shadow & (layout.size - 1)
        self.memory.put_u16(layout.avail_ring(slot), head)
        self.avail_idx_shadow = (self.avail_idx_shadow + 1) & 0xFFFF
        self.memory.put_u16(layout.avail_idx, self.avail_idx_shadow)
        self.num_added += 1

    # -- notifying the device -------------------------------------------------------

    def kick_prepare(self) -> KickDecision:
        """``virtqueue_kick_prepare_split``: must the device be notified?"""
        new = self.avail_idx_shadow
        old = (new - self.num_added) & 0xFFFF
        self.num_added = 0
        if self.event_idx:
            avail_event = self.memory.u16(self.layout.avail_event)
            return KickDecision(vring_need_event(avail_event, new, old), old, new, avail_event)
        no_notify = self.memory.u16(self.layout.used_flags) & VRING_USED_F_NO_NOTIFY
        return KickDecision(not no_notify, old, new, None)

    # -- taking back used buffers ---------------------------------------------------

    def used_idx(self) -> int:
        return self.memory.u16(self.layout.used_idx)

    def more_used(self) -> bool:
        return self.used_idx() != self.last_used_idx

    def get_buf(self) -> tuple[int, int, int] | None:
        """``virtqueue_get_buf``: take one used chain back; (token, head, len) or None."""
        if not self.more_used():
            return None
        slot = self.last_used_idx & (self.layout.size - 1)
        head, written = struct.unpack_from("<II", self.memory.bytes, self.layout.used_ring(slot))
        token = self.tokens[head] if head < self.layout.size else None
        if token is None:
            raise RingError(f"device returned head {head}, which is not in use")
        self._detach(head)
        self.last_used_idx = (self.last_used_idx + 1) & 0xFFFF
        if not self.avail_flags_shadow & VRING_AVAIL_F_NO_INTERRUPT:
            self.memory.put_u16(self.layout.used_event, self.last_used_idx)
        return token, head, written

    def _detach(self, head: int) -> None:
        """``detach_buf_split``: put the chain back on the free list."""
        self.tokens[head] = None
        length = self.chain_length[head]
        tail = head
        for _ in range(length - 1):
            tail = self.next_free[tail]
        self.next_free[tail] = self.free_head
        if self.free_list_in_ring:
            self._put_next(tail, self.free_head)
        self.free_head = head
        self.num_free += length

    def _put_next(self, index: int, following: int) -> None:
        self.memory.put_u16(self.layout.descriptor(index) + 14, following)

    # -- asking for, or declining, interrupts ---------------------------------------

    def interrupt(self) -> bool:
        """``vring_interrupt``: False (IRQ_NONE) when nothing is used; with EVENT_IDX it
        notes ``event_triggered``, so that the ``disable_cb`` that follows writes nothing."""
        if not self.more_used():
            return False
        if self.event_idx:
            self.event_triggered = True
        return True

    def disable_cb(self) -> None:
        """``virtqueue_disable_cb_split``: ask the device not to interrupt."""
        if self.avail_flags_shadow & VRING_AVAIL_F_NO_INTERRUPT:
            return
        self.avail_flags_shadow |= VRING_AVAIL_F_NO_INTERRUPT
        if self.event_triggered:
            return  # the device has fired the one interrupt used_event asked for
        if self.event_idx:
            # Since 5.x Linux writes 0 here (an index far behind the device rarely
            # matches); 4.19 only keeps the flag in its shadow.
            if self.disable_writes_used_event:
                self.memory.put_u16(self.layout.used_event, 0)
        else:
            self.memory.put_u16(self.layout.avail_flags, self.avail_flags_shadow)

    def _enable_flags(self) -> None:
        if self.avail_flags_shadow & VRING_AVAIL_F_NO_INTERRUPT:
            self.avail_flags_shadow &= ~VRING_AVAIL_F_NO_INTERRUPT
            if not self.event_idx:
                self.memory.put_u16(self.layout.avail_flags, self.avail_flags_shadow)

    def enable_cb_prepare(self) -> int:
        """``virtqueue_enable_cb_prepare_split``: interrupt on the next used entry."""
        self.event_triggered = False
        self._enable_flags()
        self.memory.put_u16(self.layout.used_event, self.last_used_idx)
        return self.last_used_idx

    def poll(self, opaque: int) -> bool:
        """``virtqueue_poll_split``: has the device used more since ``enable_cb_prepare``?"""
        return opaque & 0xFFFF != self.used_idx()

    def enable_cb_delayed(self) -> bool:
        """``virtqueue_enable_cb_delayed_split``: interrupt after 3/4 of what is in flight.

        Returns False when that many entries are already used, so the caller
        should reap them now instead of waiting.
        """
        self.event_triggered = False
        self._enable_flags()
        in_flight = (self.avail_idx_shadow - self.last_used_idx) & 0xFFFF
        bufs = in_flight * 3 // 4
        self.memory.put_u16(self.layout.used_event, self.last_used_idx + bufs)
        return (self.used_idx() - self.last_used_idx) & 0xFFFF <= bufs


class Device:
    """The device side of one queue, as QEMU's ``VirtQueue`` keeps it."""

    def __init__(self, memory: GuestMemory, *, event_idx: bool) -> None:
        self.memory = memory
        self.layout = memory.layout
        self.event_idx = event_idx
        self.last_avail_idx = 0
        self.used_idx = 0
        self.signalled_used = 0
        self.signalled_used_valid = False
        self.inuse = 0
        self.notification = True

    def avail_idx(self) -> int:
        return self.memory.u16(self.layout.avail_idx)

    def empty(self) -> bool:
        """``virtio_queue_empty``."""
        return self.avail_idx() == self.last_avail_idx

    def _set_avail_event(self, value: int) -> None:
        # QEMU's vring_set_avail_event() writes nothing while notifications are off.
        if self.notification:
            self.memory.put_u16(self.layout.avail_event, value)

    def set_notification(self, enable: bool) -> None:
        """``virtio_queue_set_notification``: allow or suppress guest kicks."""
        self.notification = enable
        if self.event_idx:
            self._set_avail_event(self.avail_idx())
            return
        flags = self.memory.u16(self.layout.used_flags)
        if enable:
            flags &= ~VRING_USED_F_NO_NOTIFY
        else:
            flags |= VRING_USED_F_NO_NOTIFY
        self.memory.put_u16(self.layout.used_flags, flags)

    def next_head(self) -> int:
        """The head of the next available chain (meaningful when the ring is not empty)."""
        slot = self.last_avail_idx & (self.layout.size - 1)
        return self.memory.u16(self.layout.avail_ring(slot))

    def pop(self) -> Element | None:
        """``virtqueue_pop``: take the next available chain, or None when there is none."""
        if self.empty():
            return None
        if self.inuse >= self.layout.size:
            raise RingError("virtqueue size exceeded")
        head = self.next_head()
        self.last_avail_idx = (self.last_avail_idx + 1) & 0xFFFF
        if self.event_idx:
            self._set_avail_event(self.last_avail_idx)
        buffers: list[Buffer] = []
        index = head
        while True:
            if index >= self.layout.size or len(buffers) >= self.layout.size:
                raise RingError(f"bad descriptor chain at head {head}")
            addr, length, flags, following = struct.unpack_from(
                "<QIHH", self.memory.bytes, self.layout.descriptor(index)
            )
            if flags & VRING_DESC_F_INDIRECT:
                if buffers or flags & VRING_DESC_F_NEXT:
                    raise RingError(f"an indirect descriptor inside the chain at head {head}")
                self.inuse += 1
                return Element(head, self._indirect(head, addr, length))
            buffers.append(Buffer(addr, length, bool(flags & VRING_DESC_F_WRITE)))
            if not flags & VRING_DESC_F_NEXT:
                break
            index = following
        self.inuse += 1
        return Element(head, tuple(buffers))

    def _indirect(self, head: int, table: int, length: int) -> tuple[Buffer, ...]:
        """The buffers of an indirect table (``virtqueue_split_pop`` switching its descriptor
        cache to the table), followed by ``next`` from entry 0."""
        count = length // DESC_SIZE
        if not count or length % DESC_SIZE:
            raise RingError(f"indirect table of {length} bytes at head {head}")
        buffers = _table_buffers(self.memory.read(table, length))
        if buffers is None:
            raise RingError(f"bad indirect chain at head {head}")
        return buffers

    def fill(self, element: Element, written: int, index: int) -> None:
        """``virtqueue_fill``: write {head, written} ``index`` entries past used->idx; the
        driver sees nothing until ``flush``."""
        slot = (self.used_idx + index) & (self.layout.size - 1)
        struct.pack_into("<II", self.memory.bytes, self.layout.used_ring(slot), element.head,
                         written)

    def flush(self, count: int) -> None:
        """``virtqueue_flush``: publish used->idx += ``count``; those elements are done."""
        self.used_idx = (self.used_idx + count) & 0xFFFF
        self.memory.put_u16(self.layout.used_idx, self.used_idx)
        self.inuse -= count

    def avail_bytes(self) -> int:
        """``virtqueue_get_avail_bytes`` for device-writable buffers: the bytes of every
        chain the driver has made available and the device not yet taken, an indirect
        table's entries included."""
        total, mem, layout = 0, self.memory.bytes, self.layout
        for offset in range((self.avail_idx() - self.last_avail_idx) & 0xFFFF):
            slot = (self.last_avail_idx + offset) & (layout.size - 1)
            index = self.memory.u16(layout.avail_ring(slot))
            for _ in range(layout.size):
                addr, length, flags, following = struct.unpack_from(
                    "<QIHH", mem, layout.descriptor(index))
                if flags & VRING_DESC_F_INDIRECT:
                    total += sum(buffer.length for buffer in self._indirect(index, addr, length)
                                 if buffer.writable)
                    break
                if flags & VRING_DESC_F_WRITE:
                    total += length
                if not flags & VRING_DESC_F_NEXT:
                    break
                index = following
        return total

    def should_notify(self) -> NotifyDecision:
        """``virtio_split_should_notify``: must the guest be interrupted?"""
        if not self.event_idx:
            no_interrupt = self.memory.u16(self.layout.avail_flags) & VRING_AVAIL_F_NO_INTERRUPT
            return NotifyDecision(not no_interrupt, self.signalled_used, self.used_idx, None)
        valid = self.signalled_used_valid
        self.signalled_used_valid = True
        old, new = self.signalled_used, self.used_idx
        self.signalled_used = new
        used_event = self.memory.u16(self.layout.used_event)
        interrupt = not valid or vring_need_event(used_event, new, old)
        return NotifyDecision(interrupt, old, new, used_event)


class VhostQueue(Device):
    """The device side as vhost's ``vhost_virtqueue`` keeps it: the same bytes, other habits.

    vhost caches avail->idx (``avail_idx``) and reads the ring again only when
    the cache is used up; it writes avail_event only when it turns kicks back
    on, with the cached index; it publishes used entries several at a time.
    Its interrupt decision, ``vhost_notify``, is QEMU's (``should_notify``).
    """

    def __init__(self, memory: GuestMemory, *, event_idx: bool) -> None:
        super().__init__(memory, event_idx=event_idx)
        self.avail_idx_cache = 0

    def _set_avail_event(self, value: int) -> None:
        pass  # vhost_get_vq_desc leaves avail_event alone; only vhost_enable_notify writes it

    def get_desc(self) -> Element | None:
        """``vhost_get_vq_desc``: the next available chain, or None (it returns vq->num)."""
        if self.last_avail_idx == self.avail_idx_cache:
            self.avail_idx_cache = self.avail_idx()
            if self.avail_idx_cache == self.last_avail_idx:
                return None
        return self.pop()

    def disable_notify(self) -> None:
        """``vhost_disable_notify``: with EVENT_IDX nothing is written, the flag otherwise."""
        if self.notification:
            self.set_notification(False)

    def enable_notify(self) -> bool:
        """``vhost_enable_notify``: ask for kicks again; True when buffers came meanwhile."""
        if self.notification:
            return False
        self.notification = True
        if self.event_idx:
            self.memory.put_u16(self.layout.avail_event, self.avail_idx_cache)
        else:
            flags = self.memory.u16(self.layout.used_flags) & ~VRING_USED_F_NO_NOTIFY
            self.memory.put_u16(self.layout.used_flags, flags)
        return self.avail_idx() != self.avail_idx_cache

    def add_used_n(self, elements: list[Element]) -> None:
        """``vhost_add_used_n``: the entries first, then used->idx once."""
        for element in elements:
            slot = self.used_idx & (self.layout.size - 1)
            struct.pack_into("<II", self.memory.bytes, self.layout.used_ring(slot),
                             element.head, 0)
            self.used_idx = (self.used_idx + 1) & 0xFFFF
            self.inuse -= 1
        self.memory.put_u16(self.layout.used_idx, self.used_idx)


@functools.lru_cache(maxsize=1024)
def _table_buffers(entries: bytes) -> tuple[Buffer, ...] | None:
    """The buffers an indirect table's bytes describe, followed by ``next`` from entry 0;
    None when the chain leaves the table or loops. A driver rewrites a slot's table with
    the same bytes packet after packet, so each table is read once."""
    count = len(entries) // DESC_SIZE
    buffers: list[Buffer] = []
    index = 0
    while index < count and len(buffers) < count:
        addr, size, flags, following = struct.unpack_from("<QIHH", entries, DESC_SIZE * index)
        buffers.append(Buffer(addr, size, bool(flags & VRING_DESC_F_WRITE)))
        if not flags & VRING_DESC_F_NEXT:
            return tuple(buffers)
        index = following
    return None
