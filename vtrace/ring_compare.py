"""A real guest's ring beside the replay's ring after the same frames, field by field.

Both rings are plain dicts with the names ``vtrace.lab.qmp_ring`` gives
QEMU's view (``avail.idx``, ``used_event``, ``desc`` entries with
addr/len/flags/next, ``avail`` heads, ``used`` elements with id/len, QEMU's
``last_avail_idx`` ...); ``ring_of`` makes one from the replay's memory and
device. ``compare_rings`` lines them up:

- The real ring carried other buffers before the run's frames (the guest's
  warm-up datagram, ARP): every index counts them. The gap is the
  difference of ``used.idx``; the replay's indices are compared after
  adding it, and ``used.idx`` itself, the anchor, is shown but not counted.
- The run's chains are the last ``frames`` the device used. Descriptor
  numbers (heads, used ids, ``next``) are compared relative to the first
  of them, since the earlier buffers moved the free list on.
- Addresses differ by nature (guest-physical pages) and are not compared.

A packed ring (``packed_ring_of``, ``compare_packed_rings``) is lined up the
same way, in slots: its indices count descriptor slots and wrap at the
ring's size, the event areas' ``off_wrap`` carry an index and a wrap bit,
and the run's buffers are the last slots the device used, compared slot by
slot (id relative to the first of them, len, flags with their AVAIL and
USED bits).

Each disagreement carries the reason where one is known. Nothing here does I/O.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

from vtrace.ring import (
    DESC_SIZE,
    VRING_DESC_F_NEXT,
    Device,
    Driver,
    GuestMemory,
    VhostQueue,
)
from vtrace.ring_packed import (
    VRING_DESC_F_INDIRECT,
    WRAP_BIT,
    PackedDevice,
    PackedDriver,
    PackedMemory,
)

__all__ = ["RingComparison", "RingRow", "RowCounts", "compare_packed_rings", "compare_rings",
           "packed_ring_alone", "packed_ring_of", "report_lines", "ring_of"]

#: Indices that count buffers: compared after adding the real ring's earlier buffers.
_INDICES = ("avail.idx", "used_event", "avail_event", "last_avail_idx", "used_idx",
            "signalled_used")
_PLAIN = ("avail.flags", "used.flags", "inuse")
ANCHOR = "used.idx"


def ring_of(memory: GuestMemory, driver: Driver, device: Device) -> dict[str, Any]:
    """The replay's ring in ``vtrace.lab.qmp_ring``'s names (QEMU's shadow of avail.idx
    only where the device keeps one: vhost's cache)."""
    layout, data = memory.layout, memory.bytes
    size = layout.size
    ring: dict[str, Any] = {
        "size": size, "event_idx": driver.event_idx,
        "avail.flags": memory.u16(layout.avail_flags), "avail.idx": memory.u16(layout.avail_idx),
        "used_event": memory.u16(layout.used_event),
        "used.flags": memory.u16(layout.used_flags), "used.idx": memory.u16(layout.used_idx),
        "avail_event": memory.u16(layout.avail_event),
        "last_avail_idx": device.last_avail_idx, "used_idx": device.used_idx,
        "signalled_used": device.signalled_used, "inuse": device.inuse,
        "desc": [dict(zip(("addr", "len", "flags", "next"),
                          struct.unpack_from("<QIHH", data, layout.descriptor(index)),
                          strict=True)) for index in range(size)],
        "avail": [memory.u16(layout.avail_ring(slot)) for slot in range(size)],
        "used": [dict(zip(("id", "len"), struct.unpack_from("<II", data,
                                                             layout.used_ring(slot)),
                          strict=True)) for slot in range(size)],
    }
    if isinstance(device, VhostQueue):
        ring["shadow_avail_idx"] = device.avail_idx_cache
    return ring


def packed_ring_of(memory: PackedMemory, driver: PackedDriver,
                   device: PackedDevice) -> dict[str, Any]:
    """The replay's packed ring in ``vtrace.lab.qmp_ring``'s names for a packed ring."""
    layout = memory.layout
    return {
        "layout": "packed", "size": layout.size, "event_idx": driver.event_idx,
        "driver_event.off_wrap": memory.u16(layout.driver_event),
        "driver_event.flags": memory.u16(layout.driver_event + 2),
        "device_event.off_wrap": memory.u16(layout.device_event),
        "device_event.flags": memory.u16(layout.device_event + 2),
        "last_avail_idx": device.last_avail_idx, "shadow_avail_idx": device.shadow_avail_idx,
        "used_idx": device.used_idx, "signalled_used": device.signalled_used,
        "inuse": device.inuse, "used_wrap_counter": int(device.used_wrap_counter),
        "desc": [dict(zip(("addr", "len", "id", "flags"),
                          struct.unpack_from("<QIHH", memory.bytes, layout.descriptor(slot)),
                          strict=True)) for slot in range(layout.size)],
    }


@dataclass(frozen=True, slots=True)
class RingRow:
    field: str
    real: int | bool | None
    replay: int | bool | None
    agree: bool | None  # None: shown, not compared
    why: str = ""


class RowCounts:
    """What a comparison's ``rows`` come to: how many were compared, how many agree."""

    __slots__ = ()
    rows: tuple[RingRow, ...]

    @property
    def compared(self) -> int:
        return sum(row.agree is not None for row in self.rows)

    @property
    def agreeing(self) -> int:
        return sum(row.agree is True for row in self.rows)


@dataclass(frozen=True, slots=True)
class RingComparison(RowCounts):
    queue: str
    earlier: int  # buffers the real ring used before the run's frames
    chains: int  # the run's chains (of a packed ring: used slots) compared
    rows: tuple[RingRow, ...]
    layout: str = "split"
    alone: str = ""  # why a real ring is shown with no replay beside it

    def as_dict(self) -> dict[str, Any]:
        return {"queue": self.queue, "layout": self.layout, "alone": self.alone,
                "earlier": self.earlier,
                "chains": self.chains,
                "agreeing": self.agreeing, "compared": self.compared,
                "rows": [{"field": row.field, "real": row.real, "replay": row.replay,
                          "agree": row.agree, "why": row.why} for row in self.rows]}

    @property
    def unexplained(self) -> tuple[RingRow, ...]:
        """Disagreements without a known reason: what the model gets wrong."""
        return tuple(row for row in self.rows if row.agree is False and not row.why)


def compare_rings(queue: str, real: dict[str, Any], replay: dict[str, Any],
                  frames: int) -> RingComparison:
    """The real ring beside the replay's after ``frames`` frames (see the module's text)."""
    earlier = (real[ANCHOR] - replay[ANCHOR]) & 0xFFFF
    rows = [RingRow("event_idx", real.get("event_idx"), replay.get("event_idx"),
                    real.get("event_idx") == replay.get("event_idx"))]
    for name in _PLAIN:
        rows.append(RingRow(name, real[name], replay[name], real[name] == replay[name]))
    for name in _INDICES:
        shifted = (replay[name] + earlier) & 0xFFFF
        agree = real[name] == shifted
        rows.append(RingRow(name, real[name], replay[name], agree,
                            "" if agree else _index_reason(name, real, replay, earlier)))
    rows.append(RingRow(ANCHOR, real[ANCHOR], replay[ANCHOR], None,
                        "the anchor: the difference is the real ring's earlier buffers"))
    rows.append(RingRow("shadow_avail_idx", real.get("shadow_avail_idx"),
                        replay.get("shadow_avail_idx"), None,
                        "QEMU's cache of avail.idx; the replay's device reads avail.idx "
                        "from memory each time" if "shadow_avail_idx" not in replay else
                        "vhost's cache of avail.idx"))
    chains = min(frames, real[ANCHOR], replay[ANCHOR], real["size"], replay["size"])
    rows += _chain_rows(real, replay, chains, earlier)
    return RingComparison(queue, earlier, chains, tuple(rows))


_UNMOVED = {
    "device_event.off_wrap": "QEMU writes it only while kicks are wanted, with EVENT_IDX "
                             "(virtio_queue_packed_set_notification); virtio_net_has_buffers "
                             "turns them off (flags DISABLE) while the ring has buffers, so "
                             "neither side has written it since the start",
    "avail.idx": "both drivers filled the ring and have posted no buffer since; the real "
                 "ring's earlier buffers are not refilled yet",
    "avail_event": "QEMU writes it only while kicks are wanted (vring_set_avail_event); "
                   "virtio_net_has_buffers turns them off while the ring has buffers, so "
                   "neither side has written it since the start",
}


_LEFTOVER_NEXT = ("the device does not follow it (no NEXT flag): Linux leaves there its free "
                  "list's successor, which the real ring's earlier buffers, more than the "
                  "run's, moved on (detach_buf_split); the replay had none")


def _index_reason(name: str, real: dict[str, Any], replay: dict[str, Any],
                  earlier: int) -> str:
    """Why an index differs by exactly the earlier buffers: it has not moved on either side."""
    if earlier and real[name] == replay[name]:
        return _UNMOVED.get(name, "")
    return ""


def _chain_rows(real: dict[str, Any], replay: dict[str, Any], chains: int,
                earlier: int) -> list[RingRow]:
    """Per run chain k: its avail entry, its used element, each descriptor of the chain."""
    sides = (real, replay)
    firsts = [_avail_head(ring, chains, 0) for ring in sides]
    rows = []
    for k in range(chains):
        heads = [_avail_head(ring, chains, k) for ring in sides]
        rows.append(_row(f"chain {k + 1} avail head", *_relative(heads, firsts, sides)))
        elements = [ring["used"][(ring[ANCHOR] - chains + k) % ring["size"]] for ring in sides]
        rows.append(_row(f"chain {k + 1} used id", *_relative(
            [element["id"] for element in elements], firsts, sides)))
        rows.append(_row(f"chain {k + 1} used len", elements[0]["len"], elements[1]["len"]))
        rows += _descriptor_rows(k + 1, sides, heads, firsts, earlier > chains)
    return rows


def _descriptor_rows(chain: int, sides: tuple[dict[str, Any], dict[str, Any]],
                     heads: list[int], firsts: list[int], busy: bool) -> list[RingRow]:
    """len, flags and ``next`` of each descriptor of one chain, walked on both sides while
    both say VRING_DESC_F_NEXT (``busy``: the real ring used more buffers before the run's
    than the run's own)."""
    rows = []
    indices = list(heads)
    for position in range(min(sides[0]["size"], sides[1]["size"])):
        descs = [ring["desc"][index] for ring, index in zip(sides, indices, strict=True)]
        name = f"chain {chain} desc {position + 1}"
        rows.append(_length_row(f"{name} len", descs[0], descs[1]))
        rows.append(_row(f"{name} flags", descs[0]["flags"], descs[1]["flags"]))
        following = _relative([desc["next"] for desc in descs], firsts, sides)
        row = _row(f"{name} next", *following)
        if not row.agree and busy and \
                not (descs[0]["flags"] | descs[1]["flags"]) & VRING_DESC_F_NEXT:
            row = RingRow(row.field, row.real, row.replay, False, _LEFTOVER_NEXT)
        rows.append(row)
        if not descs[0]["flags"] & descs[1]["flags"] & VRING_DESC_F_NEXT:
            break
        indices = [desc["next"] for desc in descs]
    return rows


def _length_row(name: str, real: dict[str, int], replay: dict[str, int]) -> RingRow:
    """A descriptor's length; two indirect tables of different lengths say their entries."""
    row = _row(name, real["len"], replay["len"])
    if row.agree or not real["flags"] & replay["flags"] & VRING_DESC_F_INDIRECT:
        return row
    return RingRow(name, row.real, row.replay, False,
                   f"an indirect table of {real['len'] // DESC_SIZE} entries against the "
                   f"replay's {replay['len'] // DESC_SIZE}: the frames' descriptors above say "
                   "why")


def _relative(indices: list[int], firsts: list[int],
              sides: tuple[dict[str, Any], dict[str, Any]]) -> tuple[int, int]:
    """Descriptor numbers of (real, replay), each counted from its side's first run chain."""
    real, replay = ((index - first) % ring["size"] for index, first, ring
                    in zip(indices, firsts, sides, strict=True))
    return real, replay


def _avail_head(ring: dict[str, Any], chains: int, k: int) -> int:
    """The head the driver posted for the run's chain ``k``: the device pops in avail order,
    so the chains it used last were posted just before ``last_avail_idx``."""
    head: int = ring["avail"][(ring["last_avail_idx"] - chains + k) % ring["size"]]
    return head


def _row(name: str, real: int, replay: int, expected: int | None = None) -> RingRow:
    """``real`` beside ``replay``; they agree when ``real`` is ``expected`` (by default the
    replay's own value)."""
    return RingRow(name, real, replay, real == (replay if expected is None else expected))


#: A packed ring's indices (slots, wrapping at the ring's size) and its plain fields.
_PACKED_INDICES = ("last_avail_idx", "shadow_avail_idx", "signalled_used")
_PACKED_OFF_WRAP = ("driver_event.off_wrap", "device_event.off_wrap")
_PACKED_PLAIN = ("driver_event.flags", "device_event.flags", "inuse")


def compare_packed_rings(queue: str, real: dict[str, Any], replay: dict[str, Any],
                         frames: int) -> RingComparison:
    """A real packed ring beside the replay's after ``frames`` frames: indices and the
    event areas' indices after adding the real ring's earlier slots, then the slots the
    run's buffers were used in (see the module's text)."""
    size = real["size"]
    earlier = (real[ANCHOR_PACKED] - replay[ANCHOR_PACKED]) % size
    rows = [RingRow("event_idx", real.get("event_idx"), replay.get("event_idx"),
                    real.get("event_idx") == replay.get("event_idx"))]
    rows += [_row(name, real[name], replay[name]) for name in _PACKED_PLAIN]
    rows += [_row(name, real[name], replay[name], (replay[name] + earlier) % size)
             for name in _PACKED_INDICES]
    for name in _PACKED_OFF_WRAP:
        index, wrap = replay[name] & ~WRAP_BIT, replay[name] & WRAP_BIT
        row = _row(name, real[name], replay[name],
                   (index + earlier) % size | wrap if index < size else replay[name])
        if not row.agree and earlier and real[name] == replay[name] and name in _UNMOVED:
            row = RingRow(name, row.real, row.replay, False, _UNMOVED[name])
        rows.append(row)
    rows.append(RingRow(ANCHOR_PACKED, real[ANCHOR_PACKED], replay[ANCHOR_PACKED], None,
                        "the anchor: the difference is the slots the real ring used before "
                        "the frames"))
    used = replay[ANCHOR_PACKED] if replay.get("used_wrap_counter", 1) else size
    window = min(frames, used, size) if real["size"] == size else 0
    rows += _slot_rows(real, replay, window)
    return RingComparison(queue, earlier, window, tuple(rows), "packed")


ANCHOR_PACKED = "used_idx"


def packed_ring_alone(queue: str, real: dict[str, Any], frames: int,
                      why: str) -> RingComparison:
    """A real packed ring with no replay beside it (``why`` says so): the same fields and
    the last ``frames`` used slots, shown and not compared."""
    names = ("event_idx", *_PACKED_PLAIN, *_PACKED_INDICES, *_PACKED_OFF_WRAP, ANCHOR_PACKED)
    rows = [RingRow(name, real.get(name), None, None) for name in names]
    window = min(frames, real["size"])
    for k in range(window):
        slot = real["desc"][(real[ANCHOR_PACKED] - window + k) % real["size"]]
        rows += [RingRow(f"slot {k + 1} used {part}", slot[part], None, None)
                 for part in ("id", "len")]
        rows.append(RingRow(f"slot {k + 1} flags", slot["flags"], None, None))
    return RingComparison(queue, 0, window, tuple(rows), "packed", why)


def _slot_rows(real: dict[str, Any], replay: dict[str, Any], window: int) -> list[RingRow]:
    """The last ``window`` slots the device used on each side: the used id (relative to
    the first of them), the written length, the flags."""
    sides = (real, replay)
    slots = [[ring["desc"][(ring[ANCHOR_PACKED] - window + k) % ring["size"]]
              for k in range(window)] for ring in sides]
    firsts = [side[0]["id"] if side else 0 for side in slots]
    rows = []
    for k in range(window):
        real_slot, replay_slot = slots[0][k], slots[1][k]
        rows.append(_row(f"slot {k + 1} used id", (real_slot["id"] - firsts[0]) % real["size"],
                         (replay_slot["id"] - firsts[1]) % replay["size"]))
        rows.append(_row(f"slot {k + 1} used len", real_slot["len"], replay_slot["len"]))
        rows.append(_row(f"slot {k + 1} flags", real_slot["flags"], replay_slot["flags"]))
    return rows


def report_lines(result: RingComparison) -> list[str]:
    """The two rings side by side, one field a line, the reasons beside what differs, and
    ``ring: K of M fields agree`` last (a real ring shown alone ends with why)."""
    kind = "packed ring" if result.layout == "packed" else "ring"
    head = f"{kind} of the {result.queue} queue after the last frame: QEMU's view of the real " \
        "guest (QMP)"
    if result.alone:
        lines = [f"{head}, alone: {result.alone}", f"  {'field':<28} {'real':>7}"]
        lines += [f"  {row.field:<28} {_shown(row.real):>7}" for row in result.rows]
        return [*lines, f"ring: not compared: {result.alone}"]
    if result.layout == "packed":
        earlier = f"{result.earlier} slot(s)"
        numbers = f"used ids relative to the first of the run's {result.chains} used slot(s)"
    else:
        earlier = f"{result.earlier} buffer(s)"
        numbers = f"descriptor numbers relative to the first of the run's {result.chains} chain(s)"
    lines = [f"{head} beside the replay's",
             f"  the real ring used {earlier} before the frames (the guest's own traffic): "
             f"indices compare with the replay's plus that; {numbers}; addresses differ by "
             "nature and are not compared",
             f"  {'field':<28} {'real':>7} {'replay':>7}"]
    for row in result.rows:
        verdict = {True: "agree", False: "differ", None: "not compared"}[row.agree]
        text = f"  {row.field:<28} {_shown(row.real):>7} {_shown(row.replay):>7}  {verdict}"
        lines.append(f"{text}: {row.why}" if row.why else text)
    lines.append(f"ring: {result.agreeing} of {result.compared} fields agree")
    return lines


def _shown(value: int | bool | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)
