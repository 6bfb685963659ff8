"""vtrace's packed ring driven by the same operations as harness.c drives Linux's.

As for the split ring (split.py): vtrace's ``PackedDevice`` works on the model's
memory and what it writes goes to Linux's ring as ``poke`` lines.
"""

from __future__ import annotations

import zlib

from linux_ring.split import MAX_CHAIN, add_line, buffers_for, driver_step, poke_line
from vtrace.ring_packed import (
    PackedDevice,
    PackedDriver,
    PackedElement,
    PackedLayout,
    PackedMemory,
)

#: The field of a 16-byte packed descriptor that holds each of its bytes.
PACKED_FIELDS = ["addr"] * 8 + ["len"] * 4 + ["id"] * 2 + ["flags"] * 2


class PackedModel:
    """One packed queue: vtrace's PackedDriver and PackedDevice sharing one PackedMemory."""

    def __init__(self, size: int, event_idx: bool, indirect: bool) -> None:
        self.memory = PackedMemory(PackedLayout(size), slot_size=64)
        self.driver = PackedDriver(self.memory, event_idx=event_idx, indirect=indirect)
        self.device = PackedDevice(self.memory, event_idx=event_idx)
        self.in_flight: list[PackedElement] = []
        self.token = 0
        memory = self.memory
        self.first_line = (f"packed {size} {int(event_idx)} {int(indirect)} "
                           f"{memory.indirect_base:x} {memory.indirect_stride}")
        self.prelude: list[tuple[str, str]] = []

    def image(self) -> bytes:
        return bytes(self.memory.bytes[: self.memory.layout.total])

    def crc(self) -> str:
        return f"{zlib.crc32(memoryview(self.memory.bytes)[: self.memory.layout.total]):08x}"

    def field(self, offset: int) -> str:
        """The name of the ring field holding byte ``offset``."""
        layout = self.memory.layout
        if offset < layout.driver_event:
            return f"desc[{offset // 16}].{PACKED_FIELDS[offset % 16]}"
        area = "driver" if offset < layout.device_event else "device"
        return f"{area} event.{'off_wrap' if offset % 4 < 2 else 'flags'}"

    def step(self, kind: str, seed: int) -> tuple[str, str] | None:
        """Apply one operation; (harness line, the model's answer) or None to skip it."""
        driver, layout = self.driver, self.memory.layout
        if kind == "add":
            self.token += 1
            out, chain = buffers_for(self.token, seed, min(MAX_CHAIN, layout.size))
            line = add_line(self.token, out, chain)
            needed = 1 if driver.uses_indirect(len(chain)) else len(chain)
            if needed > driver.num_free:
                return line, "full"
            buffer_id = driver.add(chain, self.token)
            if needed == len(chain):
                return line, "ok"
            table = self.memory.indirect_table(buffer_id)
            written = memoryview(self.memory.bytes)[table : table + 16 * len(chain)]
            return line, f"ok table {zlib.crc32(written):08x}"
        return driver_step(driver, kind) or self._device_step(kind, seed)

    def _device_step(self, kind: str, seed: int) -> tuple[str, str] | None:
        device, layout = self.device, self.memory.layout
        if kind == "pop":
            element = device.pop()  # reads only: nothing to hand to Linux
            if element is None:
                return None
            self.in_flight.append(element)
            return None
        if kind == "push":
            if not self.in_flight:
                return None
            # Up to three at once, in any order: virtqueue_packed_fill each, one flush,
            # which puts each past the descriptors of those before it.
            count, slots, slot = 0, [], device.used_idx
            while count < 1 + seed % 3 and self.in_flight:
                element = self.in_flight.pop((seed >> (2 + count)) % len(self.in_flight))
                device.fill(element, seed >> 8, count)
                slots.append(slot)
                slot = (slot + element.ndescs) % layout.size
                count += 1
            device.flush(count)
            return poke_line(self.memory.bytes,
                             *((layout.descriptor(slot) + 8, 8) for slot in slots)), "-"
        device.set_notification(bool(seed & 1))
        return poke_line(self.memory.bytes, (layout.device_event, 4)), "-"
