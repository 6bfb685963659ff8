"""The ring's memory traffic in a send stream: each side's loads and stores, per frame.

A stream names each ring function the driver and the device run, with the
decision it took and the ring values it changed; what memory that function
loads and stores follows from its code: Linux 6.1's ``drivers/virtio/virtio_ring.c``
for the driver, QEMU 7.2's ``hw/virtio/virtio.c`` for the device. ``RingTraffic``
reads a stream and counts, per frame, each load or store of a ring field as the C
code makes it (Linux's ``desc[i].addr = ...`` is one store, QEMU's
``address_space_read_cached`` of a whole split descriptor one load), the bytes, the
64-byte lines of ring memory they touch (the split ring's layout with Linux's 64-byte
alignment of the used ring; the packed ring's descriptors, then the driver's and the
device's event areas), and the descriptors each side writes. Nothing is typed in per
run: the same stream gives the same counts.

What a stream cannot say is taken as the replay does it: a chain's descriptors follow
its head, and a store that leaves a value as it was is still a store. An event of no
frame (the interrupt, the NAPI poll, the bottom half) belongs to the frame before it.
Pure: events in, counts out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from vtrace.model import Event, Kind, Layer
from vtrace.ring import DESC_SIZE, RingLayout
from vtrace.ring_packed import WRAP_BIT, PackedLayout

__all__ = ["CACHE_LINE", "COUNTS", "Access", "RingTraffic", "count_stream"]

CACHE_LINE = 64
#: What ``RingTraffic`` counts, in the order a table lists them.
COUNTS = ("driver_reads", "driver_writes", "device_reads", "device_writes", "bytes_read",
          "bytes_written", "cache_lines", "shared_lines", "driver_descriptors",
          "device_descriptors")
_USED_ELEM = 8
# (offset, size) of a descriptor's fields: split {addr, len, flags, next}, packed
# {addr, len, id, flags}; the same widths at the same places.
_DESC_FIELDS = ((0, 8), (8, 4), (12, 2), (14, 2))
_PACKED_ID, _PACKED_FLAGS = 12, 14


@dataclass(frozen=True, slots=True)
class Access:
    """One load or store of ring memory: by the driver or the device, at ``offset`` from
    the ring's start, ``size`` bytes."""

    device: bool
    write: bool
    offset: int
    size: int


@dataclass
class _Frame:
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))
    lines: dict[int, set[bool]] = field(default_factory=dict)  # line -> sides touching it


class RingTraffic:
    """Counts one send stream's ring traffic; ``add`` each event, then read ``totals``.

    ``packed`` and ``event_idx`` and ``queue_size`` are the stream's parameters (its
    header's). The driver's and the device's own state the counts need (is the
    interrupt disabled, has one fired, QEMU's cached ``shadow_avail_idx``) is followed
    from the events as the code keeps it.
    """

    def __init__(self, queue_size: int, *, packed: bool, event_idx: bool) -> None:
        self.size, self.packed, self.event_idx = queue_size, packed, event_idx
        if packed:
            layout = PackedLayout(queue_size)
            self._driver_area, self._device_area = layout.driver_event, layout.device_event
        else:
            self._split = RingLayout(queue_size)
        self.ring: dict[str, int] = {"num_free": queue_size,
                                     "last_used_idx": WRAP_BIT if packed else 0}
        self.chains: dict[int, int] = {}  # head (buffer id) -> descriptors in its chain
        self.filled: list[int] = []  # descriptors of each element filled, not yet flushed
        self.cb_disabled = False
        self.event_triggered = False
        self.notification = True
        self.shadow_avail_idx = 0
        self.frames: dict[int, _Frame] = {}
        self._frame = 0
        self._pops = 0
        self._empty_check_due = False
        self._loop_frame = 0  # the frame the open pop loop last worked for

    # -- the walk ---------------------------------------------------------------------

    def add(self, event: Event) -> None:
        """Count the ring accesses of ``event``'s step."""
        if event.frame is not None:
            self._frame = event.frame
        if event.kind is Kind.STATE or event.kind is Kind.RETURN:
            return
        device = event.layer is Layer.QEMU
        detail, step = event.detail, event.step
        if device and self._empty_check_due and step in _LOOP_ENDS:
            self._empty_check()
        before = dict(self.ring)
        self.ring.update(detail.get("ring", {}))
        rule = (_DEVICE_RULES if device else _DRIVER_RULES).get(step)
        if rule is not None and event.kind is Kind.CALL:
            rule(self, detail, before)

    def finish(self) -> None:
        """The end of the stream: a pop loop still open ends on its empty check."""
        if self._empty_check_due:
            self._empty_check()

    @property
    def totals(self) -> dict[str, int]:
        """Each count over all frames."""
        return {name: sum(frame.counts[name] for frame in self.frames.values())
                for name in COUNTS}

    # -- recording ----------------------------------------------------------------------

    def _touch(self, access: Access) -> None:
        frame = self.frames.setdefault(self._frame, _Frame())
        side = "device" if access.device else "driver"
        frame.counts[f"{side}_{'writes' if access.write else 'reads'}"] += 1
        frame.counts["bytes_written" if access.write else "bytes_read"] += access.size
        for line in range(access.offset // CACHE_LINE,
                          (access.offset + access.size - 1) // CACHE_LINE + 1):
            sides = frame.lines.setdefault(line, set())
            if not sides:
                frame.counts["cache_lines"] += 1
            if access.device not in sides and sides:
                frame.counts["shared_lines"] += 1
            sides.add(access.device)

    def _load(self, device: bool, offset: int, size: int = 2) -> None:
        self._touch(Access(device, False, offset, size))

    def _store(self, device: bool, offset: int, size: int = 2) -> None:
        self._touch(Access(device, True, offset, size))

    def _descriptor(self, device: bool, index: int, *, write: bool) -> None:
        """A whole descriptor field by field (four accesses), as both C sides do it except
        QEMU's split read, which is one."""
        base = DESC_SIZE * (index % self.size)
        for offset, size in _DESC_FIELDS:
            self._touch(Access(device, write, base + offset, size))
        if write:
            side = "device" if device else "driver"
            self.frames[self._frame].counts[f"{side}_descriptors"] += 1

    def _slot_flags(self, device: bool, index: int) -> None:
        self._load(device, DESC_SIZE * (index % self.size) + _PACKED_FLAGS)

    def _used_idx(self) -> None:
        self._load(False, self._split.used_idx)

    def _last_used_slot(self, before: Mapping[str, int]) -> int:
        return before["last_used_idx"] & ~WRAP_BIT if self.packed else \
            before["last_used_idx"] & (self.size - 1)

    # -- the driver (Linux 6.1) ---------------------------------------------------------

    def _add(self, detail: Mapping[str, Any], before: Mapping[str, int]) -> None:
        """virtqueue_add_split / _packed: each descriptor's four fields; a split ring then
        the avail entry and avail->idx (a packed head's flags come last, one of the four)."""
        count = before["num_free"] - self.ring["num_free"]
        head = int(detail.get("head", 0))
        self.chains[head] = count
        first = before.get("next_avail_idx", 0) if self.packed else head
        for index in range(first, first + count):
            self._descriptor(False, index, write=True)
        if not self.packed:
            layout = self._split
            self._store(False, layout.avail_ring((self.ring["avail_idx_shadow"] - 1)
                                                 & (self.size - 1)))
            self._store(False, layout.avail_idx)

    def _kick_prepare(self, detail: Mapping[str, Any], before: Mapping[str, int]) -> None:
        """One read of what the device asked: a packed ring's whole device area as one
        32-bit load (``snapshot.u32``), a split ring's avail_event or used->flags."""
        if self.packed:
            self._load(False, self._device_area, 4)
        elif str(detail.get("why", "")).startswith("avail_event"):
            self._load(False, self._split.avail_event)
        else:
            self._load(False, self._split.used_flags)

    def _more_used(self, before: Mapping[str, int]) -> None:
        """more_used_split reads used->idx; more_used_packed the flags at last_used_idx."""
        if self.packed:
            self._slot_flags(False, self._last_used_slot(before))
        else:
            self._used_idx()

    def _get_buf(self, detail: Mapping[str, Any], before: Mapping[str, int]) -> None:
        """virtqueue_get_buf_ctx_*: more_used, then the used id and len; detach_buf_split
        reads each descriptor's flags in the ring; the event index when interrupts are on."""
        self._more_used(before)
        if detail.get("empty"):
            return
        slot = self._last_used_slot(before)
        head = int(detail.get("head", 0))
        if self.packed:
            base = DESC_SIZE * slot
            self._load(False, base + _PACKED_ID)
            self._load(False, base + 8, 4)
            if self.event_idx and not self.cb_disabled:
                self._store(False, self._driver_area)
            return
        base = self._split.used_ring(slot)
        self._load(False, base, 4)
        self._load(False, base + 4, 4)
        for index in range(head, head + self.chains.get(head, 1)):
            self._load(False, DESC_SIZE * (index % self.size) + 12)
        if not self.cb_disabled:
            self._store(False, self._split.used_event)

    def _interrupt(self, detail: Mapping[str, Any], before: Mapping[str, int]) -> None:
        """vring_interrupt: more_used first; with EVENT_IDX it notes the event fired."""
        self._more_used(before)
        if detail.get("more_used") and self.event_idx:
            self.event_triggered = True

    def _disable(self, detail: Mapping[str, Any], before: Mapping[str, int]) -> None:
        """virtqueue_disable_cb_*: a store only the first time, and not after an interrupt
        fired (skb_xmit_done calls it too)."""
        if self.cb_disabled:
            return
        self.cb_disabled = True
        if self.event_triggered:
            return
        if self.packed:
            self._store(False, self._driver_area + 2)
        else:
            self._store(False, self._split.used_event if self.event_idx
                        else self._split.avail_flags)

    def _enable(self) -> None:
        """The start of virtqueue_enable_cb_prepare_* and _delayed_*: a packed ring's
        off_wrap with EVENT_IDX, then the flags if they said DISABLE (a split ring's avail
        flags only without EVENT_IDX), then a split ring's used_event always."""
        self.event_triggered = False
        if self.packed and self.event_idx:
            self._store(False, self._driver_area)
        if self.cb_disabled:
            self.cb_disabled = False
            if self.packed:
                self._store(False, self._driver_area + 2)
            elif not self.event_idx:
                self._store(False, self._split.avail_flags)
        if not self.packed:
            self._store(False, self._split.used_event)

    def _enable_delayed(self, detail: Mapping[str, Any], before: Mapping[str, int]) -> None:
        """virtqueue_enable_cb_delayed_*: enable, then read whether 3/4 of the in-flight
        buffers are used already (a packed ring: the flags of the slot that far on)."""
        self._enable()
        if self.packed:
            bufs = (self.size - before["num_free"]) * 3 // 4
            self._slot_flags(False, self._last_used_slot(before) + bufs)
        else:
            self._used_idx()

    def _poll_tx(self, detail: Mapping[str, Any], before: Mapping[str, int]) -> None:
        """virtnet_poll_tx's virtqueue_napi_complete: enable_cb_prepare, then
        virtqueue_poll at the index it returned."""
        if not detail.get("napi_complete"):
            return
        self._enable()
        self._more_used(before)

    # -- the device (QEMU 7.2) ----------------------------------------------------------

    def _avail_idx(self) -> None:
        """vring_avail_idx: a load that refreshes QEMU's shadow_avail_idx."""
        self._load(True, self._split.avail_idx)
        self.shadow_avail_idx = self.ring.get("avail.idx", 0)

    def _set_notification(self, detail: Mapping[str, Any], before: Mapping[str, int]) -> None:
        """virtio_queue_split_set_notification: with EVENT_IDX avail->idx read and, when
        enabling, avail_event written; else used->flags read and written. The packed one
        reads the device area (flags, then off_wrap) and writes it back."""
        enable = bool(detail.get("enable"))
        self.notification = enable
        if self.packed:
            self._load(True, self._device_area + 2)
            self._load(True, self._device_area)
            if enable and self.event_idx:
                self._store(True, self._device_area)
            self._store(True, self._device_area + 2)
        elif self.event_idx:
            self._avail_idx()
            if enable:
                self._store(True, self._split.avail_event)
        else:
            self._load(True, self._split.used_flags)
            self._store(True, self._split.used_flags)

    def _flush_tx(self, detail: Mapping[str, Any], before: Mapping[str, int]) -> None:
        """virtio_net_flush_tx pops until virtqueue_pop finds the ring empty."""
        self._empty_check_due, self._pops, self._loop_frame = True, 0, self._frame

    def _empty_check(self) -> None:
        """The pop that ends the loop: the packed slot's flags; a split ring's avail->idx
        only when QEMU's shadow has caught up (virtio_queue_empty_rcu)."""
        self._empty_check_due = False
        if self._pops >= _TX_BURST:
            return
        frame, self._frame = self._frame, self._loop_frame
        last_avail = self.ring.get("last_avail_idx", 0)
        if self.packed:
            self._slot_flags(True, last_avail)
        elif self.shadow_avail_idx == last_avail:
            self._avail_idx()
        self._frame = frame

    def _pop(self, detail: Mapping[str, Any], before: Mapping[str, int]) -> None:
        """virtqueue_split_pop: the empty check, the avail entry, avail_event (when
        notifications are on), one load per descriptor. virtqueue_packed_pop: the
        flags at last_avail_idx, then each descriptor field by field."""
        self._pops += 1
        self._loop_frame = self._frame
        last_avail = before.get("last_avail_idx", 0)
        head = int(detail.get("head", 0))
        if self.packed:
            count = self.ring["inuse"] - before.get("inuse", 0)
            self.chains[head] = count
            self._slot_flags(True, last_avail)
            for index in range(last_avail, last_avail + count):
                self._descriptor(True, index, write=False)
            return
        if self.shadow_avail_idx == last_avail:
            self._avail_idx()
        layout = self._split
        self._load(True, layout.avail_ring(last_avail & (self.size - 1)))
        if self.event_idx and self.notification:
            self._store(True, layout.avail_event)
        for index in range(head, head + self.chains.get(head, 1)):
            self._load(True, DESC_SIZE * (index % self.size), DESC_SIZE)

    def _fill(self, detail: Mapping[str, Any], before: Mapping[str, int]) -> None:
        """virtqueue_split_fill writes the used element; the packed fill only remembers."""
        head = int(detail.get("head", 0))
        if self.packed:
            self.filled.append(self.chains.get(head, 1))
            return
        slot = (self.ring.get("used.idx", 0) + int(detail.get("idx", 0))) & (self.size - 1)
        self._store(True, self._split.used_ring(slot), _USED_ELEM)

    def _flush(self, detail: Mapping[str, Any], before: Mapping[str, int]) -> None:
        """virtqueue_split_flush: used->idx. virtqueue_packed_flush: per element the id,
        the len, then the flags (virtqueue_packed_fill_desc)."""
        if not self.packed:
            self._store(True, self._split.used_idx)
            return
        slot = before.get("used_idx", 0)
        for count in self.filled:
            base = DESC_SIZE * (slot % self.size)
            self._store(True, base + _PACKED_ID)
            self._store(True, base + 8, 4)
            self._store(True, base + _PACKED_FLAGS)
            self.frames[self._frame].counts["device_descriptors"] += 1
            slot += count
        self.filled.clear()

    def _notify(self, detail: Mapping[str, Any], before: Mapping[str, int]) -> None:
        """virtio_split_should_notify reads used_event (avail->flags without EVENT_IDX);
        the packed one the driver's area, flags then off_wrap."""
        if self.packed:
            self._load(True, self._driver_area + 2)
            self._load(True, self._driver_area)
        elif detail.get("used_event") is not None:
            self._load(True, self._split.used_event)
        else:
            self._load(True, self._split.avail_flags)


_TX_BURST = 256  # virtio-net's x-txburst: a full burst ends the loop without an empty pop
#: Device steps that come after a pop loop has ended.
_LOOP_ENDS = frozenset(("virtio_queue_set_notification", "virtio_net_flush_tx",
                        "virtio_net_tx_bh", "replay_bh_schedule_event", "qemu_bh_schedule",
                        "virtio_net_handle_tx_bh"))

_DRIVER_RULES = {
    "virtqueue_add_split": RingTraffic._add,
    "virtqueue_add_packed": RingTraffic._add,
    "virtqueue_add_indirect_packed": RingTraffic._add,
    "virtqueue_kick_prepare": RingTraffic._kick_prepare,
    "virtqueue_get_buf": RingTraffic._get_buf,
    "vring_interrupt": RingTraffic._interrupt,
    "virtqueue_disable_cb": RingTraffic._disable,
    "skb_xmit_done": RingTraffic._disable,
    "virtqueue_enable_cb_delayed": RingTraffic._enable_delayed,
    "virtnet_poll_tx": RingTraffic._poll_tx,
}
_DEVICE_RULES = {
    "virtio_queue_set_notification": RingTraffic._set_notification,
    "virtio_net_flush_tx": RingTraffic._flush_tx,
    "virtqueue_split_pop": RingTraffic._pop,
    "virtqueue_packed_pop": RingTraffic._pop,
    "virtqueue_split_fill": RingTraffic._fill,
    "virtqueue_packed_fill": RingTraffic._fill,
    "virtqueue_split_flush": RingTraffic._flush,
    "virtqueue_packed_flush": RingTraffic._flush,
    "virtio_notify": RingTraffic._notify,
}


def count_stream(params: Mapping[str, Any], events: Iterable[Event]) -> RingTraffic:
    """The traffic of a send stream whose header gave ``params``."""
    traffic = RingTraffic(int(params.get("queue_size", 256)),
                          packed=params.get("ring") == "packed",
                          event_idx=bool(params.get("event_idx", True)))
    for event in events:
        traffic.add(event)
    traffic.finish()
    return traffic
