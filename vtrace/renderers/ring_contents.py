"""The ring's contents as the event stream tells them: descriptors, ring entries, indices.

The engine never hands its memory to a view; everything here is read off the
events. A call that carries a descriptor ``head`` adds, takes, uses or frees
that descriptor (the scenario's ``RingPanel.actions``); its ``addr`` and ``len`` fill the
descriptor table entry, and the order of the calls gives the slots of the
avail and used rings. The scalar values (indices, shadows, event indices) start
from the scenario's ``RingPanel.start`` and follow each event's ``ring`` changes.
A replay's frames are rebuilt with ``build_frame``; a captured stream shows what
its events say and no bytes. On a packed ring (its start values hold
``avail_wrap_counter``) the descriptor slots follow the ``slot`` and ``slot.flags``
each step writes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from vtrace.frames import Endpoints, FrameError, VnetHeader, build_frame
from vtrace.model import Event, Header, Kind, Source
from vtrace.renderers.base import count_param
from vtrace.ring import VRING_DESC_F_WRITE
from vtrace.ring_packed import VRING_PACKED_DESC_F_AVAIL, VRING_PACKED_DESC_F_USED
from vtrace.scenarios import Scenario
from vtrace.scenarios.multiqueue import endpoints_of
from vtrace.scenarios.send.tso import MAX_TCP_PAYLOAD, TcpPath, shown_path, tcp_send

__all__ = ["KEEP_ENTRIES", "Descriptor", "PackedSlot", "RingContents", "RingEntry"]

KEEP_ENTRIES = 8  # ring entries kept per ring, newest last

@dataclass(slots=True)
class Descriptor:
    """One descriptor table entry in use; ``state`` is ``avail``, ``device`` or ``used``."""

    head: int
    addr: int | None
    length: int | None
    flags: int
    next: int
    frame: int | None
    state: str = "avail"


@dataclass(frozen=True, slots=True)
class RingEntry:
    """One entry of the avail or used ring: its free-running index, slot and head.

    ``pending``: not yet taken by the other side. ``length`` (used ring only) is
    what the device wrote, None when the stream does not say.
    """

    index: int
    slot: int
    head: int
    pending: bool
    length: int | None = None


@dataclass(slots=True)
class PackedSlot:
    """One descriptor slot of a packed ring: what the driver wrote (``addr``, ``length``,
    ``id``), the flags as the newest step left them, and the buffer's ``state`` (``avail``,
    ``device``, ``used``, ``freed``). ``written``: the length the device returns, once used."""

    slot: int
    addr: int | None
    length: int | None
    id: int
    flags: int
    frame: int | None
    state: str = "avail"
    written: int | None = None

    def bits(self) -> tuple[int, int]:
        """The AVAIL (bit 7) and USED (bit 15) bits of its flags."""
        return int(bool(self.flags & VRING_PACKED_DESC_F_AVAIL)), \
            int(bool(self.flags & VRING_PACKED_DESC_F_USED))

    def shown(self) -> tuple[str, int | None]:
        """What the slot holds now by its flags: its state and its length. Equal bits: the
        device wrote the slot back, with the length it returns; unequal, the driver's
        buffer, taken by the device or not (a used element not yet flushed is still the
        driver's descriptor in memory)."""
        avail, used = self.bits()
        if avail == used:
            return ("freed" if self.state == "freed" else "used"), \
                self.written if self.written is not None else self.length
        return ("avail" if self.state == "avail" else "device"), self.length


class RingContents:
    """The ring of one stream, updated per event."""

    def __init__(self, header: Header, scenario: Scenario) -> None:
        panel = scenario.ring
        self.size = (count_param(header.params, panel.size_param) or 0) if panel else 0
        self.device_writes = bool(panel and panel.device_writes)
        self.actions: Mapping[str, str] = panel.actions if panel else {}
        self.values: dict[str, int] = (dict(panel.at_start(header.params, self.size))
                                       if panel and self.size else {})
        frame_length = count_param(header.params, panel.frame_param) \
            if panel and panel.frame_param and header.source is Source.REPLAY else None
        flows = int(header.params.get("flows", 1))
        path = shown_path(header.params)
        self.hdr_len = path.offload.hdr_len  # vi->hdr_len of the stream's era and features
        rebuild = _rebuilt_superframe if header.params.get("proto") == "tcp" else _rebuilt
        self._frame_bytes: Callable[[int], bytes | None] = (
            (lambda frame: rebuild(frame, frame_length, flows, path)) if frame_length
            else lambda _: None)
        self.descriptors: dict[int, Descriptor] = {}
        self.avail: list[tuple[int, int]] = []  # (index, head), the newest KEEP_ENTRIES
        self.used: list[tuple[int, int, int | None]] = []  # (index, head, length)
        self.avail_written = self.values.get("avail.idx", 0)
        self.avail_taken = self.values.get("last_avail_idx", 0)
        self.used_written = self.values.get("used.idx", 0)
        self.used_taken = self.values.get("last_used_idx", 0)
        self.frame: int | None = None  # the frame of the newest descriptor event
        self.packed = "avail_wrap_counter" in self.values
        self.slots: dict[int, PackedSlot] = {}  # the newest KEEP_ENTRIES slots written
        self.frame_length: int | None = None

    def update(self, event: Event) -> None:
        detail = event.detail
        ring = detail.get("ring")
        if ring:
            self.values.update(ring)
        if event.kind is Kind.CALL:
            self.call(event.step, event.frame, detail)
        if self.packed and ring and "slot.flags" in ring:
            slot = self.slots.get(self.values.get("slot", 0))
            if slot is not None:
                slot.flags = self.values["slot.flags"]

    def call(self, step: str, frame: int | None, detail: Mapping[str, Any]) -> None:
        """What a call does to the descriptors and the rings' entries (``update`` without
        the scalar values, for a view that takes those from its tally)."""
        head = detail.get("head")
        if type(head) is not int or not self.size:
            return
        action = self.actions.get(step)
        if action is None:
            return
        self._act(action, head, frame, detail)
        if frame is not None:
            self.frame = frame
            entry = self.descriptors.get(head)
            self.frame_length = entry.length if entry else self.frame_length

    def _act(self, action: str, head: int, frame: int | None,
             detail: Mapping[str, Any]) -> None:
        if action == "add":
            self.descriptors[head] = Descriptor(
                head, _int(detail.get("addr")), _int(detail.get("len")),
                _int(detail.get("flags")) or (VRING_DESC_F_WRITE if self.device_writes else 0),
                _int(detail.get("next")) or 0, frame)
            self.avail = [*self.avail, (self.avail_written, head)][-KEEP_ENTRIES:]
            self.avail_written += 1
            if self.packed:
                self._write_slot(head, frame, detail)
        elif action == "take":
            if self._slot_state(head, ("avail",), "device") is None and self.packed:
                # A buffer posted in bulk: its slot is the one the device read.
                self._write_slot(head, frame, detail).state = "device"
            if self._set_state(head, "device") is None:
                # A buffer posted in bulk (a receive refill) is named when the device takes it.
                self.descriptors[head] = Descriptor(
                    head, _int(detail.get("addr")), _int(detail.get("len")),
                    VRING_DESC_F_WRITE if self.device_writes else 0, 0, frame, "device")
            self.avail_taken += 1
        elif action == "use":
            entry = self._set_state(head, "used")
            written = _int(detail.get("written", detail.get("len")))
            if written is None and entry is not None and not entry.flags & VRING_DESC_F_WRITE:
                written = 0  # a buffer the device may only read: it writes nothing
            self.used = [*self.used, (self.used_written, head, written)][-KEEP_ENTRIES:]
            self.used_written += 1
            slot = self._slot_state(head, ("avail", "device"), "used")
            if slot is not None:
                slot.written = written
        else:
            self._slot_state(head, ("avail", "device", "used"), "freed")
            self.descriptors.pop(head, None)
            self.used_taken += 1

    def _write_slot(self, head: int, frame: int | None, detail: Mapping[str, Any]) -> PackedSlot:
        number = self.values.get("slot", 0)
        self.slots.pop(number, None)
        slot = self.slots[number] = PackedSlot(number, _int(detail.get("addr")),
                                               _int(detail.get("len")), head,
                                               self.values.get("slot.flags", 0), frame)
        for oldest in list(self.slots)[:-KEEP_ENTRIES]:
            del self.slots[oldest]
        return slot

    def _slot_state(self, head: int, states: tuple[str, ...], state: str) -> PackedSlot | None:
        """The oldest slot holding buffer ``head`` in one of ``states``, now in ``state``."""
        for slot in self.slots.values():
            if slot.id == head and slot.state in states:
                slot.state = state
                return slot
        return None

    def _set_state(self, head: int, state: str) -> Descriptor | None:
        entry = self.descriptors.get(head)
        if entry is not None:
            entry.state = state
        return entry

    def avail_entries(self) -> list[RingEntry]:
        return [RingEntry(index, index % self.size, head, index >= self.avail_taken)
                for index, head in self.avail]

    def used_entries(self) -> list[RingEntry]:
        return [RingEntry(index, index % self.size, head, index >= self.used_taken, length)
                for index, head, length in self.used]

    def in_use(self) -> list[Descriptor]:
        return [self.descriptors[head] for head in sorted(self.descriptors)]

    def unlisted(self) -> int:
        """Descriptors in use (by ``num_free``) that no event has named yet."""
        free = self.values.get("num_free")
        return max(0, self.size - free - len(self.descriptors)) if type(free) is int else 0

    def frame_bytes(self) -> bytes | None:
        """What the buffer of the newest frame holds (virtio_net_hdr first), when known."""
        return None if self.frame is None else self._frame_bytes(self.frame)


def _rebuilt(frame: int, length: int, flows: int, path: TcpPath) -> bytes | None:
    try:
        return VnetHeader().pack(path.offload.hdr_len) + build_frame(
            frame, length, endpoints_of(Endpoints(), frame % flows))
    except FrameError:  # a recording may hold any size
        return None


def _rebuilt_superframe(frame: int, payload: int, flows: int, path: TcpPath) -> bytes | None:
    """A TCP send's buffer: the GSO header, then the superframe's headers and payload."""
    return tcp_send(frame, payload, path).buffer if payload <= MAX_TCP_PAYLOAD else None


def _int(value: Any) -> int | None:
    return value if type(value) is int else None
