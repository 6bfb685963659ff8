"""vtrace's split ring driven by the same operations as harness.c drives Linux's.

Each operation yields the line for the harness and the answer vtrace's model gives;
the device is vtrace's ``Device`` on the model's memory, and what it writes is
handed to Linux's ring as ``poke`` lines, so both drivers read the same bytes.
"""

from __future__ import annotations

import struct
import zlib

from vtrace.ring import Buffer, Device, Driver, Element, GuestMemory, RingLayout
from vtrace.ring_packed import PackedDriver

#: The operations a script is made of, weighted by repetition.
KINDS = ("add",) * 4 + ("kick",) * 2 + ("pop",) * 3 + ("push",) * 3 + ("get",) * 3 + (
    "disable", "enable", "delayed", "notify", "interrupt")

MAX_CHAIN = 6
#: The field of a 16-byte split descriptor that holds each of its bytes.
DESC_FIELDS = ["addr"] * 8 + ["len"] * 4 + ["flags"] * 2 + ["next"] * 2


def driver_step(driver: Driver | PackedDriver, kind: str) -> tuple[str, str] | None:
    """A driver operation other than add, as the harness line and the model's answer; None
    when ``kind`` is the device's. Both ring layouts answer alike."""
    if kind == "kick":
        return "kick", "kick" if driver.kick_prepare().kick else "nokick"
    if kind == "get":
        got = driver.get_buf()
        return "get", "none" if got is None else f"buf {got[0]} {got[2]}"
    if kind == "interrupt":
        return "interrupt", "irq handled" if driver.interrupt() else "irq none"
    if kind == "disable":
        driver.disable_cb()
        return "disable", "-"
    if kind == "enable":
        opaque = driver.enable_cb_prepare()
        return "enable", f"enable {opaque} {int(driver.poll(opaque))}"
    if kind == "delayed":
        return "delayed", f"delayed {int(driver.enable_cb_delayed())}"
    return None


def buffers_for(token: int, seed: int, limit: int) -> tuple[int, list[Buffer]]:
    """A chain of 1..``limit`` buffers (out ones first), its count of out buffers."""
    total = 1 + seed % limit
    out = (seed >> 3) % (total + 1)
    chain = [Buffer(0x10000000 + token * 0x1000 + index * 0x100, 1 + (seed >> index) % 1500,
                    writable=index >= out) for index in range(total)]
    return out, chain


def poke_line(data: bytearray | bytes, *fields: tuple[int, int]) -> str:
    """The harness line writing the device's ``fields`` (offset, width) as memory holds them."""
    return "poke " + " ".join(f"{offset} {data[offset : offset + width].hex()}"
                              for offset, width in fields)


def add_line(token: int, out: int, chain: list[Buffer]) -> str:
    buffers = " ".join(f"{buffer.addr:x} {buffer.length}" for buffer in chain)
    return f"add {token} {out} {len(chain) - out} {buffers}"


class SplitModel:
    """One split queue: vtrace's Driver and Device sharing one GuestMemory."""

    def __init__(self, size: int, event_idx: bool, start: int = 0) -> None:
        """``start``: the indices begin there, after that many round trips (0 or at
        least ``size``), done in Linux by the harness's ``cycle``."""
        self.memory = GuestMemory(RingLayout(size), slot_size=64)
        self.driver = Driver(self.memory, event_idx=event_idx)
        self.device = Device(self.memory, event_idx=event_idx)
        self.in_flight: list[Element] = []
        self.token = 0
        self.first_line = f"split {size} {int(event_idx)}"
        self.prelude = [(self.fast_forward(start, 64), "-")] if start else []

    def image(self) -> bytes:
        return bytes(self.memory.bytes[: self.memory.layout.total])

    def crc(self) -> str:
        return f"{zlib.crc32(memoryview(self.memory.bytes)[: self.memory.layout.total]):08x}"

    def field(self, offset: int) -> str:
        """The name of the ring field holding byte ``offset``."""
        layout = self.memory.layout
        if offset < layout.avail:
            return f"desc[{offset // 16}].{DESC_FIELDS[offset % 16]}"
        if offset < layout.used:
            names = {layout.avail_flags: "avail.flags", layout.avail_idx: "avail.idx",
                     layout.used_event: "used_event"}
            slot = (offset - layout.avail_ring(0)) // 2
            return names.get(offset & ~1, f"avail.ring[{slot}]")
        names = {layout.used_flags: "used.flags", layout.used_idx: "used.idx",
                 layout.avail_event: "avail_event"}
        slot, within = divmod(offset - layout.used_ring(0), 8)
        return names.get(offset & ~1, f"used.ring[{slot}].{'id' if within < 4 else 'len'}")

    def fast_forward(self, count: int, length: int) -> str:
        """What ``cycle count length`` leaves: ``count`` one-buffer round trips (the
        last one done here by the model, the ones before it set as their indices and
        used entries); ``count`` must be at least the queue size."""
        layout, memory = self.memory.layout, self.memory
        for slot in range(layout.size):
            struct.pack_into("<II", memory.bytes, layout.used_ring(slot), 0, length)
        start = (count - 1) & 0xFFFF
        self.driver.avail_idx_shadow = self.driver.last_used_idx = start
        self.device.last_avail_idx = self.device.used_idx = start
        memory.put_u16(layout.avail_idx, start)
        memory.put_u16(layout.used_idx, start)
        self.driver.add([Buffer(0x100000, length)], token=1)
        struct.pack_into("<II", memory.bytes, layout.used_ring(start & (layout.size - 1)),
                         0, length)
        memory.put_u16(layout.used_idx, count)
        self.device.last_avail_idx = self.device.used_idx = count & 0xFFFF
        self.driver.get_buf()
        self.driver.num_added = 0
        return f"cycle {count} {length}"

    def step(self, kind: str, seed: int) -> tuple[str, str] | None:
        """Apply one operation; (harness lines, the model's answer) or None to skip it."""
        driver, layout = self.driver, self.memory.layout
        if kind == "add":
            self.token += 1
            out, chain = buffers_for(self.token, seed, min(MAX_CHAIN, layout.size))
            line = add_line(self.token, out, chain)
            if len(chain) > driver.num_free:
                return line, "full"
            driver.add(chain, self.token)
            return line, "ok"
        return driver_step(driver, kind) or self._device_step(kind, seed)

    def _device_step(self, kind: str, seed: int) -> tuple[str, str] | None:
        device, layout = self.device, self.memory.layout
        if kind == "pop":
            element = device.pop()
            if element is None:
                return None
            self.in_flight.append(element)
            return poke_line(self.memory.bytes, (layout.avail_event, 2)), "-"
        if kind == "push":
            if not self.in_flight:
                return None
            element = self.in_flight.pop(seed % len(self.in_flight))
            slot = device.used_idx & (layout.size - 1)
            device.fill(element, seed >> 4, 0)
            device.flush(1)
            return poke_line(self.memory.bytes, (layout.used_ring(slot), 8),
                             (layout.used_idx, 2)), "-"
        # notify: QEMU's virtio_queue_set_notification
        device.set_notification(bool(seed & 1))
        return poke_line(self.memory.bytes, (layout.used_flags, 2), (layout.avail_event, 2)), "-"
