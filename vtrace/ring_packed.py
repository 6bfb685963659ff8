"""The packed virtqueue (virtio 1.1) in guest memory, and the two sides that share it.

One ring of 16-byte descriptors ``{le64 addr; le32 len; le16 id; le16 flags}``
(spec, "Packed Virtqueues"; Linux ``include/uapi/linux/virtio_ring.h``) serves
both directions: the driver makes a descriptor available by setting its AVAIL
bit (7) to its wrap counter and USED (15) to the opposite, the device marks it
used by setting both to its own. Two 4-byte event-suppression areas ``{le16
off_wrap; le16 flags}`` follow: the driver's (read by the device before an
interrupt) and the device's (read by the driver before a kick).

``PackedDriver`` mirrors Linux 6.1's ``drivers/virtio/virtio_ring.c`` (the
``*_packed`` functions) and ``PackedDevice`` QEMU 7.2's ``hw/virtio/virtio.c`` as
Debian 12 ships it (1:7.2+dfsg-7+deb12u18, patches applied);
their methods carry the names of the split ``Driver`` and ``Device``
(``add``, ``kick_prepare``, ``get_buf``, ``pop``, ``fill``, ``flush``, …) so
that a scenario can drive either ring. Wrap counters carry Linux's names:
``avail_wrap_counter`` on the driver; Linux 6.1 keeps the used one in bit 15 of
``last_used_idx``, shown here as ``used_wrap_counter``. QEMU's are
``last_avail_wrap_counter`` and ``used_wrap_counter``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from vtrace.ring import (
    DESC_SIZE,
    VRING_DESC_F_NEXT,
    VRING_DESC_F_WRITE,
    Buffer,
    KickDecision,
    Memory,
    NotifyDecision,
    RingError,
    vring_need_event,
)

__all__ = [
    "EVENT_SIZE",
    "MAX_PACKED_SIZE",
    "PACKED_FIELDS",
    "PACKED_OWN_FIELDS",
    "PACKED_SHARED_FIELDS",
    "VRING_DESC_F_INDIRECT",
    "VRING_PACKED_DESC_F_AVAIL",
    "VRING_PACKED_DESC_F_USED",
    "VRING_PACKED_EVENT_FLAG_DESC",
    "VRING_PACKED_EVENT_FLAG_DISABLE",
    "VRING_PACKED_EVENT_FLAG_ENABLE",
    "PackedDevice",
    "PackedDriver",
    "PackedElement",
    "PackedLayout",
    "PackedMemory",
    "is_desc_avail",
    "is_desc_used",
    "packed_ring_at_start",
]

VRING_DESC_F_INDIRECT = 4
VRING_PACKED_DESC_F_AVAIL = 1 << 7
VRING_PACKED_DESC_F_USED = 1 << 15
VRING_PACKED_EVENT_FLAG_ENABLE = 0
VRING_PACKED_EVENT_FLAG_DISABLE = 1
VRING_PACKED_EVENT_FLAG_DESC = 2
WRAP_BIT = 1 << 15  # VRING_PACKED_EVENT_F_WRAP_CTR: off_wrap's and last_used_idx's top bit

EVENT_SIZE = 4  # struct vring_packed_desc_event { le16 off_wrap; le16 flags; }
MAX_PACKED_SIZE = 32768  # the spec's bound; a packed queue need not be a power of two
#: Room for one indirect table per buffer id (Linux kmallocs each; here they sit in a row).
MAX_INDIRECT = 64
_DESC = struct.Struct("<QIHH")  # addr, len, id, flags


#: A packed ring's values as a replay shows them: the two event-suppression areas in guest
#: memory, then each side's own (Linux's and QEMU's names; QEMU's used wrap counter is
#: ``vq.``'s), then the descriptor slot the last step touched and its flags.
PACKED_SHARED_FIELDS: tuple[str, ...] = (
    "driver_event.off_wrap", "driver_event.flags", "device_event.off_wrap", "device_event.flags")
PACKED_OWN_FIELDS: tuple[str, ...] = (
    "next_avail_idx", "avail_wrap_counter", "num_added", "num_free", "last_used_idx",
    "used_wrap_counter", "last_avail_idx", "last_avail_wrap_counter", "inuse", "used_idx",
    "vq.used_wrap_counter", "signalled_used", "notification", "slot", "slot.flags")
PACKED_FIELDS = PACKED_SHARED_FIELDS + PACKED_OWN_FIELDS


def packed_ring_at_start(size: int) -> dict[str, int]:
    """The values of ``PACKED_FIELDS`` before the first step: every index 0, both sides'
    wrap counters 1 (Linux keeps the used one in ``last_used_idx``'s bit 15), ``size``
    descriptors free, the device taking kicks."""
    return {**dict.fromkeys(PACKED_FIELDS, 0), "avail_wrap_counter": 1, "used_wrap_counter": 1,
            "last_used_idx": WRAP_BIT, "last_avail_wrap_counter": 1, "vq.used_wrap_counter": 1,
            "num_free": size, "notification": 1}


def is_desc_avail(flags: int, wrap_counter: bool) -> bool:
    """QEMU's ``is_desc_avail``: AVAIL differs from USED and equals the device's counter."""
    avail, used = bool(flags & VRING_PACKED_DESC_F_AVAIL), bool(flags & VRING_PACKED_DESC_F_USED)
    return avail != used and avail == wrap_counter


def is_desc_used(flags: int, wrap_counter: bool) -> bool:
    """Linux's ``is_used_desc_packed``: AVAIL equals USED and both equal the driver's counter."""
    avail, used = bool(flags & VRING_PACKED_DESC_F_AVAIL), bool(flags & VRING_PACKED_DESC_F_USED)
    return avail == used and used == wrap_counter


@dataclass(frozen=True, slots=True)
class PackedLayout:
    """Byte offsets of one packed virtqueue of ``size`` descriptors, areas back to back
    (Linux allocates the three apart; the offsets within each are the spec's)."""

    size: int
    driver_event: int = field(init=False)  # struct vring_packed_desc_event the driver writes
    device_event: int = field(init=False)  # ... and the one the device writes
    total: int = field(init=False)

    def __post_init__(self) -> None:
        if not 1 <= self.size <= MAX_PACKED_SIZE:
            raise RingError(f"queue size must be between 1 and {MAX_PACKED_SIZE}")
        object.__setattr__(self, "driver_event", DESC_SIZE * self.size)
        object.__setattr__(self, "device_event", self.driver_event + EVENT_SIZE)
        object.__setattr__(self, "total", self.device_event + EVENT_SIZE)

    def descriptor(self, index: int) -> int:
        return DESC_SIZE * index


class PackedMemory(Memory):
    """Guest memory holding one packed ring, its buffers and one indirect table per id."""

    def __init__(self, layout: PackedLayout, slot_size: int) -> None:
        table = DESC_SIZE * MAX_INDIRECT
        super().__init__(layout.total, layout.size, slot_size, extra=table * layout.size)
        self.layout = layout
        self.indirect_base = self.buffers_base + slot_size * layout.size
        self.indirect_stride = table

    def indirect_table(self, buffer_id: int) -> int:
        return self.indirect_base + self.indirect_stride * buffer_id


@dataclass(frozen=True, slots=True)
class PackedElement:
    """A buffer the device popped: its id (``head``, as the split ``Element`` calls the
    chain's name), its buffers and how many ring descriptors it took (QEMU's ``ndescs``)."""

    head: int
    buffers: tuple[Buffer, ...]
    ndescs: int


class PackedDriver:
    """The guest side of one packed queue, as Linux 6.1's ``vring_virtqueue_packed`` keeps it."""

    def __init__(self, memory: PackedMemory, *, event_idx: bool, indirect: bool = False) -> None:
        self.memory = memory
        self.layout = memory.layout
        self.event_idx = event_idx
        self.indirect = indirect
        size = self.layout.size
        self.num_free = size
        self.free_head = 0
        # vring_alloc_desc_extra: ids are chained i -> i + 1, the last one's next left 0.
        self.next_free = [(index + 1) % size for index in range(size)]
        # virtqueue_vring_init_packed and virtqueue_init.
        self.next_avail_idx = 0
        self.avail_wrap_counter = 1
        self.avail_used_flags = VRING_PACKED_DESC_F_AVAIL
        self.event_flags_shadow = VRING_PACKED_EVENT_FLAG_ENABLE
        self.last_used_idx = WRAP_BIT
        self.num_added = 0
        self.tokens: list[int | None] = [None] * size
        self.chain_length = [0] * size  # desc_state[id].num
        self.chain_last = [0] * size  # desc_state[id].last: the chain's last id
        self.event_triggered = False

    @property
    def used_wrap_counter(self) -> int:
        return self.last_used_idx >> 15

    # -- adding buffers -------------------------------------------------------------

    def uses_indirect(self, count: int) -> bool:
        """``virtqueue_use_indirect``: a chain of several buffers goes in one table."""
        return self.indirect and count > 1 and self.num_free > 0

    def add(self, buffers: list[Buffer], token: int) -> int:
        """``virtqueue_add_packed``: fill descriptors, the head's flags last; returns the id."""
        if not buffers:
            raise RingError("a chain needs at least one buffer")
        if self.uses_indirect(len(buffers)):
            return self._add_indirect(buffers, token)
        if len(buffers) > self.num_free:
            raise RingError("no room in the ring")
        mem, size = self.memory.bytes, self.layout.size
        head = index = self.next_avail_idx
        buffer_id = current = previous = self.free_head
        head_flags = 0
        for position, buffer in enumerate(buffers):
            flags = self.avail_used_flags
            if position < len(buffers) - 1:
                flags |= VRING_DESC_F_NEXT
            if buffer.writable:
                flags |= VRING_DESC_F_WRITE
            offset = DESC_SIZE * index
            struct.pack_into("<QIH", mem, offset, buffer.addr, buffer.length, buffer_id)
            if index == head:
                head_flags = flags
            else:
                struct.pack_into("<H", mem, offset + 14, flags)
            previous, current = current, self.next_free[current]
            index += 1
            if index >= size:
                index = 0
                self.avail_used_flags ^= VRING_PACKED_DESC_F_AVAIL | VRING_PACKED_DESC_F_USED
        if index <= head:
            self.avail_wrap_counter ^= 1
        self.num_free -= len(buffers)
        self.next_avail_idx = index
        self.free_head = current
        self._remember(buffer_id, token, len(buffers), previous)
        # "A driver MUST NOT make the first descriptor in the list available before all
        # subsequent descriptors comprising the list are made available."
        struct.pack_into("<H", mem, DESC_SIZE * head + 14, head_flags)
        self.num_added += len(buffers)
        return buffer_id

    def _add_indirect(self, buffers: list[Buffer], token: int) -> int:
        """``virtqueue_add_indirect_packed``: the chain in a table, one ring slot for it."""
        mem, head = self.memory.bytes, self.next_avail_idx
        buffer_id = self.free_head
        if len(buffers) > MAX_INDIRECT:
            raise RingError(f"an indirect table holds at most {MAX_INDIRECT} buffers")
        table = self.memory.indirect_table(buffer_id)
        for position, buffer in enumerate(buffers):
            # Linux fills addr, len and flags; the table's id fields stay as they were.
            entry = table + DESC_SIZE * position
            struct.pack_into("<QI", mem, entry, buffer.addr, buffer.length)
            struct.pack_into("<H", mem, entry + 14, VRING_DESC_F_WRITE if buffer.writable else 0)
        struct.pack_into("<QIH", mem, DESC_SIZE * head, table, DESC_SIZE * len(buffers),
                         buffer_id)
        struct.pack_into("<H", mem, DESC_SIZE * head + 14,
                         VRING_DESC_F_INDIRECT | self.avail_used_flags)
        self.num_free -= 1
        following = head + 1
        if following >= self.layout.size:
            following = 0
            self.avail_wrap_counter ^= 1
            self.avail_used_flags ^= VRING_PACKED_DESC_F_AVAIL | VRING_PACKED_DESC_F_USED
        self.next_avail_idx = following
        self.free_head = self.next_free[buffer_id]
        self._remember(buffer_id, token, 1, buffer_id)
        self.num_added += 1
        return buffer_id

    def _remember(self, buffer_id: int, token: int, length: int, last: int) -> None:
        self.tokens[buffer_id] = token
        self.chain_length[buffer_id] = length
        self.chain_last[buffer_id] = last

    # -- notifying the device -------------------------------------------------------

    def kick_prepare(self) -> KickDecision:
        """``virtqueue_kick_prepare_packed``: one 32-bit read of the device's area."""
        new = self.next_avail_idx
        old = (new - self.num_added) & 0xFFFF
        self.num_added = 0
        off_wrap, flags = struct.unpack_from("<HH", self.memory.bytes, self.layout.device_event)
        if flags != VRING_PACKED_EVENT_FLAG_DESC:
            return KickDecision(flags != VRING_PACKED_EVENT_FLAG_DISABLE, old, new, None)
        event_idx = off_wrap & ~WRAP_BIT
        if off_wrap >> 15 != self.avail_wrap_counter:
            event_idx -= self.layout.size
        return KickDecision(vring_need_event(event_idx & 0xFFFF, new, old), old, new, off_wrap)

    # -- taking back used buffers ---------------------------------------------------

    def _flags(self, index: int) -> int:
        return self.memory.u16(DESC_SIZE * index + 14)

    def more_used(self) -> bool:
        """``more_used_packed``: is the slot at last_used_idx used in this lap?"""
        return is_desc_used(self._flags(self.last_used_idx & ~WRAP_BIT),
                            bool(self.used_wrap_counter))

    def used_pending(self) -> int:
        """How many used buffers ``get_buf`` would take back now, one after another."""
        count, index, wrap = 0, self.last_used_idx & ~WRAP_BIT, self.used_wrap_counter
        while count < self.layout.size - self.num_free and is_desc_used(self._flags(index),
                                                                         bool(wrap)):
            buffer_id = self.memory.u16(DESC_SIZE * index + 12)
            index += self.chain_length[buffer_id] if buffer_id < self.layout.size else 1
            if index >= self.layout.size:
                index, wrap = index - self.layout.size, wrap ^ 1
            count += 1
        return count

    def get_buf(self) -> tuple[int, int, int] | None:
        """``virtqueue_get_buf_ctx_packed``: take one used buffer back; (token, id, len)."""
        if not self.more_used():
            return None
        last_used = self.last_used_idx & ~WRAP_BIT
        wrap = self.used_wrap_counter
        written, buffer_id = struct.unpack_from("<IH", self.memory.bytes,
                                                DESC_SIZE * last_used + 8)
        token = self.tokens[buffer_id] if buffer_id < self.layout.size else None
        if token is None:
            raise RingError(f"device returned id {buffer_id}, which is not in use")
        self._detach(buffer_id)
        last_used += self.chain_length[buffer_id]
        if last_used >= self.layout.size:
            last_used -= self.layout.size
            wrap ^= 1
        self.last_used_idx = last_used | wrap << 15
        if self.event_flags_shadow == VRING_PACKED_EVENT_FLAG_DESC:
            self.memory.put_u16(self.layout.driver_event, self.last_used_idx)
        return token, buffer_id, written

    def _detach(self, buffer_id: int) -> None:
        """``detach_buf_packed``: the id goes back on the free list."""
        self.tokens[buffer_id] = None
        self.next_free[self.chain_last[buffer_id]] = self.free_head
        self.free_head = buffer_id
        self.num_free += self.chain_length[buffer_id]

    # -- asking for, or declining, interrupts ---------------------------------------

    def _set_event_flags(self) -> None:
        self.memory.put_u16(self.layout.driver_event + 2, self.event_flags_shadow)

    def interrupt(self) -> bool:
        """``vring_interrupt``: as the split ring's (``Driver.interrupt``)."""
        if not self.more_used():
            return False
        if self.event_idx:
            self.event_triggered = True
        return True

    def disable_cb(self) -> None:
        """``virtqueue_disable_cb_packed``: flags = DISABLE in the driver's area, unless
        an interrupt has fired since interrupts were last enabled."""
        if self.event_flags_shadow != VRING_PACKED_EVENT_FLAG_DISABLE:
            self.event_flags_shadow = VRING_PACKED_EVENT_FLAG_DISABLE
            if not self.event_triggered:
                self._set_event_flags()

    def _enable_flags(self) -> None:
        if self.event_flags_shadow == VRING_PACKED_EVENT_FLAG_DISABLE:
            self.event_flags_shadow = (VRING_PACKED_EVENT_FLAG_DESC if self.event_idx
                                       else VRING_PACKED_EVENT_FLAG_ENABLE)
            self._set_event_flags()

    def enable_cb_prepare(self) -> int:
        """``virtqueue_enable_cb_prepare_packed``: off_wrap first, then the flags."""
        self.event_triggered = False
        if self.event_idx:
            self.memory.put_u16(self.layout.driver_event, self.last_used_idx)
        self._enable_flags()
        return self.last_used_idx

    def poll(self, opaque: int) -> bool:
        """``virtqueue_poll_packed``: is the slot named by ``opaque`` used by now?"""
        return is_desc_used(self._flags(opaque & ~WRAP_BIT), bool(opaque >> 15 & 1))

    def enable_cb_delayed(self) -> bool:
        """``virtqueue_enable_cb_delayed_packed``: an interrupt after 3/4 of the
        descriptors in flight; False when the next one is already used."""
        self.event_triggered = False
        if self.event_idx:
            bufs = (self.layout.size - self.num_free) * 3 // 4
            wrap = self.used_wrap_counter
            used_idx = (self.last_used_idx & ~WRAP_BIT) + bufs
            if used_idx >= self.layout.size:
                used_idx -= self.layout.size
                wrap ^= 1
            self.memory.put_u16(self.layout.driver_event, used_idx | wrap << 15)
        self._enable_flags()
        return not self.more_used()


class PackedDevice:
    """The device side of one packed queue, as QEMU 7.2's ``VirtQueue`` keeps it."""

    def __init__(self, memory: PackedMemory, *, event_idx: bool) -> None:
        self.memory = memory
        self.layout = memory.layout
        self.event_idx = event_idx
        # virtio_reset: both wrap counters start at 1.
        self.last_avail_idx = 0
        self.last_avail_wrap_counter = True
        self.shadow_avail_idx = 0
        self.shadow_avail_wrap_counter = True
        self.used_idx = 0
        self.used_wrap_counter = True
        self.signalled_used = 0
        self.signalled_used_valid = False
        self.inuse = 0
        self.notification = True
        self.used_elems: dict[int, tuple[int, int, int]] = {}  # idx: (id, len, ndescs)

    def _read(self, address: int) -> tuple[int, int, int, int]:
        addr, length, buffer_id, flags = _DESC.unpack_from(self.memory.bytes, address)
        return addr, length, buffer_id, flags

    def empty(self) -> bool:
        """``virtio_queue_packed_empty``: is the slot at last_avail_idx not available?"""
        flags = self.memory.u16(DESC_SIZE * self.last_avail_idx + 14)
        return not is_desc_avail(flags, self.last_avail_wrap_counter)

    def next_head(self) -> int:
        """The buffer id in the slot at last_avail_idx (meaningful when not ``empty``)."""
        return self.memory.u16(DESC_SIZE * self.last_avail_idx + 12)

    def set_notification(self, enable: bool) -> None:
        """``virtio_queue_packed_set_notification``: the device's area says whether to kick."""
        self.notification = enable
        area = self.layout.device_event
        if not enable:
            flags = VRING_PACKED_EVENT_FLAG_DISABLE
        elif self.event_idx:
            self.memory.put_u16(area, self.shadow_avail_idx
                                | int(self.shadow_avail_wrap_counter) << 15)
            flags = VRING_PACKED_EVENT_FLAG_DESC
        else:
            flags = VRING_PACKED_EVENT_FLAG_ENABLE
        self.memory.put_u16(area + 2, flags)

    def pop(self) -> PackedElement | None:
        """``virtqueue_packed_pop``: the next available buffer, or None when there is none."""
        if self.empty():
            return None
        if self.inuse >= self.layout.size:
            raise RingError("virtqueue size exceeded")
        element = self._chain(self.last_avail_idx)
        self.last_avail_idx += element.ndescs
        self.inuse += element.ndescs
        if self.last_avail_idx >= self.layout.size:
            self.last_avail_idx -= self.layout.size
            self.last_avail_wrap_counter = not self.last_avail_wrap_counter
        self.shadow_avail_idx = self.last_avail_idx
        self.shadow_avail_wrap_counter = self.last_avail_wrap_counter
        return element

    def _chain(self, index: int) -> PackedElement:
        """The buffer whose first descriptor sits at ``index``: the descriptors after it
        while NEXT is set (wrapping at the ring's end), or its indirect table."""
        size = self.layout.size
        limit, table = size, None
        addr, length, buffer_id, flags = self._read(DESC_SIZE * index)
        if flags & VRING_DESC_F_INDIRECT:
            if length % DESC_SIZE:
                raise RingError("invalid size for an indirect buffer table")
            table, limit, index = addr, length // DESC_SIZE, 0
            addr, length, _, flags = self._read(table)
        buffers: list[Buffer] = []
        while True:
            writable = bool(flags & VRING_DESC_F_WRITE)
            if not writable and buffers and buffers[-1].writable:
                raise RingError("incorrect order for descriptors")
            buffers.append(Buffer(addr, length, writable))
            if len(buffers) > limit:
                raise RingError(f"looped descriptor at id {buffer_id}")
            # virtqueue_packed_read_next_desc: an indirect table ends with its last entry.
            if table is None and not flags & VRING_DESC_F_NEXT:
                break
            index += 1
            if index == limit:
                if table is not None:
                    break
                index -= size
            base = table if table is not None else 0
            addr, length, _, flags = self._read(base + DESC_SIZE * index)
        return PackedElement(buffer_id, tuple(buffers), 1 if table is not None else len(buffers))

    def avail_bytes(self) -> int:
        """``virtqueue_packed_get_avail_bytes`` for device-writable buffers: the bytes of
        every buffer available and not yet taken."""
        total, index, wrap = 0, self.last_avail_idx, self.last_avail_wrap_counter
        for _ in range(self.layout.size):
            if not is_desc_avail(self.memory.u16(DESC_SIZE * index + 14), wrap):
                break
            element = self._chain(index)
            total += sum(buffer.length for buffer in element.buffers if buffer.writable)
            index += element.ndescs
            if index >= self.layout.size:
                index, wrap = index - self.layout.size, not wrap
        return total

    def fill(self, element: PackedElement, written: int, index: int) -> None:
        """``virtqueue_packed_fill``: remember the used element; nothing is written yet."""
        self.used_elems[index] = (element.head, written, element.ndescs)

    def _fill_desc(self, element: int, offset: int) -> None:
        """``virtqueue_packed_fill_desc``: used element ``element`` goes ``offset`` slots
        past used_idx: id and len, then AVAIL = USED = the wrap counter of that lap."""
        buffer_id, written, _ = self.used_elems[element]
        slot, wrap = self.used_idx + offset, self.used_wrap_counter
        if slot >= self.layout.size:
            slot -= self.layout.size
            wrap = not wrap
        flags = VRING_PACKED_DESC_F_AVAIL | VRING_PACKED_DESC_F_USED if wrap else 0
        struct.pack_into("<IHH", self.memory.bytes, DESC_SIZE * slot + 8, written, buffer_id,
                         flags)

    def flush(self, count: int) -> None:
        """``virtqueue_packed_flush``: elements 1..count-1 first, each past the
        descriptors of those before it, then element 0, so that the driver sees the
        batch at once. (Debian's 7.2 carries the stable fix that skips by ``ndescs``;
        plain 7.2.0 put element i at used_idx + i.)"""
        ndescs = self.used_elems[0][2]
        for element in range(1, count):
            self._fill_desc(element, ndescs)
            ndescs += self.used_elems[element][2]
        self._fill_desc(0, 0)
        self.inuse -= ndescs
        self.used_idx += ndescs
        if self.used_idx >= self.layout.size:
            self.used_idx -= self.layout.size
            self.used_wrap_counter = not self.used_wrap_counter
            self.signalled_used_valid = False
        self.used_elems.clear()

    def should_notify(self) -> NotifyDecision:
        """``virtio_packed_should_notify``: read the driver's area; DISABLE, ENABLE or
        ``vring_packed_need_event`` on its off_wrap."""
        off_wrap, flags = struct.unpack_from("<HH", self.memory.bytes, self.layout.driver_event)
        old, new = self.signalled_used, self.used_idx
        self.signalled_used = new
        valid = self.signalled_used_valid
        self.signalled_used_valid = True
        if flags == VRING_PACKED_EVENT_FLAG_DISABLE:
            return NotifyDecision(False, old, new, None)
        if flags == VRING_PACKED_EVENT_FLAG_ENABLE:
            return NotifyDecision(True, old, new, None)
        offset = off_wrap & ~WRAP_BIT
        if off_wrap >> 15 != self.used_wrap_counter:
            offset -= self.layout.size
        return NotifyDecision(not valid or vring_need_event(offset & 0xFFFF, new, old), old,
                              new, off_wrap)
