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
- The run's chains are the last ``frames`` the device used (where a frame
  took several buffers, the last frame's). Descriptor numbers (heads, used
  ids, ``next``) are compared relative to the first of them, since the
  earlier buffers moved the free list on; where a frame took several
  buffers after thousands of others, their order is the free list's
  history, and they are shown, not compared. An avail entry the driver
  has posted over since is not compared either.
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
    VRING_PACKED_DESC_F_AVAIL,
    VRING_PACKED_DESC_F_USED,
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
                  frames: int, *, numbered: bool = True) -> RingComparison:
    """The real ring beside the replay's after ``frames`` chains (see the module's text);
    descriptor numbers are compared only if ``numbered``."""
    earlier = (real[ANCHOR] - replay[ANCHOR]) & 0xFFFF
    rows = [RingRow("event_idx", real.get("event_idx"), replay.get("event_idx"),
                    real.get("event_idx") == replay.get("event_idx"))]
    for name in _PLAIN:
        rows.append(RingRow(name, real[name], replay[name], real[name] == replay[name]))
    for name in _INDICES:
        shifted = (replay[name] + earlier) & 0xFFFF
        agree = real[name] == shifted
        rows.append(RingRow(name, real[name], replay[name], agree,
                            "" if agree else _index_reason(name, real, replay, earlier,
                                                           queue)))
    rows.append(RingRow(ANCHOR, real[ANCHOR], replay[ANCHOR], None,
                        "the anchor: the difference is the real ring's earlier buffers"))
    rows.append(RingRow("shadow_avail_idx", real.get("shadow_avail_idx"),
                        replay.get("shadow_avail_idx"), None,
                        "QEMU's cache of avail.idx; the replay's device reads avail.idx "
                        "from memory each time" if "shadow_avail_idx" not in replay else
                        "vhost's cache of avail.idx"))
    chains = min(frames, real[ANCHOR], replay[ANCHOR], real["size"], replay["size"])
    rows += _chain_rows(real, replay, chains, earlier, numbered)
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


_REPOSTED_SLOT = ("the replay's driver has made this slot available again since (a refill "
                  "after the frames), over the device's used entry")
_OTHER_LAP = ("the same index; the wrap bit counts laps of the ring, and the real ring's "
              "earlier slots took it round a different number of times than the replay's")
_FREE_ORDER = ("the descriptors a frame's buffers got follow Linux's free list, last in, first "
               "out (detach_buf_split puts each freed one at its head, the refills take from "
               "there): after the thousands of buffers before the frames, their order is the "
               "ring's history")
_REPOSTED = ("the driver has posted a new buffer over this avail entry since (a refill after "
             "the frames): the device's used id below says which it took")
_LEFTOVER_NEXT = ("the device does not follow it (no NEXT flag): Linux leaves there its free "
                  "list's successor, which the real ring's earlier buffers, more than the "
                  "run's, moved on (detach_buf_split); the replay had none")


def _index_reason(name: str, real: dict[str, Any], replay: dict[str, Any],
                  earlier: int, queue: str) -> str:
    """Why an index differs: by exactly the earlier buffers, it has not moved on either side;
    a receive queue's ``avail.idx``, the buffers left posted."""
    if earlier and real[name] == replay[name]:
        return _UNMOVED.get(name, "")
    if name == "avail_event" and queue.startswith("rx") and not replay[name]:
        return ("QEMU writes it when it wants a kick (vring_set_avail_event): "
                "virtio_net_has_buffers asks for one when the receive ring runs short of "
                "buffers, as the real one did during the run and the replay's did not")
    if name == "avail.idx" and queue.startswith("rx"):
        posted = [(ring["avail.idx"] - ring[ANCHOR]) & 0xFFFF for ring in (real, replay)]
        if posted[0] != posted[1]:
            return (f"{posted[0]} buffers are left posted against the replay's {posted[1]}: "
                    "Linux refills only once enough are free (virtnet_receive: more than half "
                    "the NAPI budget, or of the ring in 4.19), so the count follows how many "
                    "were free when the "
                    "frames began, which the replay, starting from a full ring, does not know")
    return ""


def _chain_rows(real: dict[str, Any], replay: dict[str, Any], chains: int,
                earlier: int, numbered: bool) -> list[RingRow]:
    """Per run chain k: its avail entry, its used element, each descriptor of the chain.
    Descriptor numbers count from the first run chain's used id (shown, not compared,
    unless ``numbered``)."""
    if not chains:
        return []
    sides = (real, replay)
    used = [[ring["used"][(ring[ANCHOR] - chains + k) % ring["size"]] for k in range(chains)]
            for ring in sides]
    firsts = [elements[0]["id"] for elements in used]
    rows = []
    for k in range(chains):
        name = f"chain {k + 1}"
        heads = [_avail_head(ring, chains, k) for ring in sides]
        if heads[0] is None or heads[1] is None:
            real_head, replay_head = (None if head is None else (head - first) % ring["size"]
                                      for head, first, ring in zip(heads, firsts, sides,
                                                                   strict=True))
            rows.append(RingRow(f"{name} avail head", real_head, replay_head, None, _REPOSTED))
        else:
            rows.append(_numbered(_row(f"{name} avail head", *_relative(
                [heads[0], heads[1]], firsts, sides)), numbered))
        ids = [elements[k]["id"] for elements in used]
        rows.append(_numbered(_row(f"{name} used id", *_relative(ids, firsts, sides)),
                              numbered))
        rows.append(_row(f"{name} used len", used[0][k]["len"], used[1][k]["len"]))
        rows += _descriptor_rows(k + 1, sides, ids, firsts, earlier > chains, numbered)
    return rows


def _descriptor_rows(chain: int, sides: tuple[dict[str, Any], dict[str, Any]],
                     heads: list[int], firsts: list[int], busy: bool,
                     numbered: bool) -> list[RingRow]:
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
        rows.append(_numbered(row, numbered))
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


def _avail_head(ring: dict[str, Any], chains: int, k: int) -> int | None:
    """The head the driver posted for the run's chain ``k``: the device pops in avail order,
    so the chains it used last were posted just before ``last_avail_idx``. None where the
    driver has posted over that entry since (its index is ``size`` or more behind
    ``avail.idx``)."""
    position = (ring["last_avail_idx"] - chains + k) & 0xFFFF
    if (ring["avail.idx"] - position) & 0xFFFF > ring["size"]:
        return None
    head: int = ring["avail"][position % ring["size"]]
    return head


def _numbered(row: RingRow, numbered: bool) -> RingRow:
    """A row of descriptor numbers, not compared unless ``numbered``."""
    return row if numbered else RingRow(row.field, row.real, row.replay, None, _FREE_ORDER)


def _row(name: str, real: int, replay: int, expected: int | None = None) -> RingRow:
    """``real`` beside ``replay``; they agree when ``real`` is ``expected`` (by default the
    replay's own value)."""
    return RingRow(name, real, replay, real == (replay if expected is None else expected))


#: A packed ring's indices (slots, wrapping at the ring's size) and its plain fields.
_PACKED_INDICES = ("last_avail_idx", "shadow_avail_idx", "signalled_used")
_PACKED_OFF_WRAP = ("driver_event.off_wrap", "device_event.off_wrap")
_PACKED_PLAIN = ("driver_event.flags", "device_event.flags", "inuse")


def compare_packed_rings(queue: str, real: dict[str, Any], replay: dict[str, Any],
                         frames: int, *, numbered: bool = True) -> RingComparison:
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
        elif not row.agree and index < size and \
                real[name] == ((index + earlier) % size | (wrap ^ WRAP_BIT)):
            row = RingRow(name, row.real, row.replay, False, _OTHER_LAP)
        rows.append(row)
    rows.append(RingRow(ANCHOR_PACKED, real[ANCHOR_PACKED], replay[ANCHOR_PACKED], None,
                        "the anchor: the difference is the slots the real ring used before "
                        "the frames"))
    used = replay[ANCHOR_PACKED] if replay.get("used_wrap_counter", 1) else size
    window = min(frames, used, size) if real["size"] == size else 0
    rows += _slot_rows(real, replay, window, numbered)
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


def _slot_rows(real: dict[str, Any], replay: dict[str, Any], window: int,
               numbered: bool) -> list[RingRow]:
    """The last ``window`` slots the device used on each side: the used id (relative to
    the first of them; compared only if ``numbered``), the written length, the flags."""
    sides = (real, replay)
    slots = [[ring["desc"][(ring[ANCHOR_PACKED] - window + k) % ring["size"]]
              for k in range(window)] for ring in sides]
    firsts = [side[0]["id"] if side else 0 for side in slots]
    rows = []
    for k in range(window):
        real_slot, replay_slot = slots[0][k], slots[1][k]
        if not _used(replay_slot):
            rows += [RingRow(f"slot {k + 1} {part}", real_slot[key], replay_slot[key], None,
                             _REPOSTED_SLOT)
                     for part, key in (("used id", "id"), ("used len", "len"),
                                       ("flags", "flags"))]
            continue
        rows.append(_numbered(_row(f"slot {k + 1} used id",
                                   (real_slot["id"] - firsts[0]) % real["size"],
                                   (replay_slot["id"] - firsts[1]) % replay["size"]), numbered))
        rows.append(_row(f"slot {k + 1} used len", real_slot["len"], replay_slot["len"]))
        rows.append(_row(f"slot {k + 1} flags", real_slot["flags"], replay_slot["flags"]))
    return rows


def _used(slot: dict[str, int]) -> bool:
    """A slot the device has used: its AVAIL and USED bits are equal (the driver makes one
    available by setting them apart)."""
    return bool(slot["flags"] & VRING_PACKED_DESC_F_AVAIL) == \
        bool(slot["flags"] & VRING_PACKED_DESC_F_USED)


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
