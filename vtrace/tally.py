"""Counters folded from an event stream: what the summary and the live view show.

A ``Tally`` watches events go by and keeps only numbers, so it costs the
same for ten frames or ten million. It reads events, never the engine, so a
recorded or captured stream gives the same counts as a live replay.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from vtrace.model import Event, Kind

__all__ = ["Tally"]


@dataclass(slots=True)
class Tally:
    """Running counts of one stream."""

    events: int = 0
    frames: int = 0
    kicks: int = 0
    kicks_suppressed: int = 0  # the ring said the device did not want one
    kicks_deferred: int = 0  # xmit_more: more frames were right behind
    vm_exits: int = 0
    exits_to_qemu: int = 0
    interrupts: int = 0
    interrupts_suppressed: int = 0
    bytes_to_host: int = 0  # frame bytes copied into host skbs
    completed: int = 0  # buffers the guest took back
    t_ns: int = 0
    ring: dict[str, int] = field(default_factory=dict)

    def add(self, event: Event) -> None:
        self.events += 1
        self.t_ns = event.t_ns
        detail = event.detail
        ring = detail.get("ring")
        if ring:
            self.ring.update(ring)
        kind = event.kind
        if kind is Kind.CALL:
            counted = _CALLS.get(event.place.step)
            if counted is not None:
                counter, amount = counted
                setattr(self, counter, getattr(self, counter) + amount(detail))
        elif kind is Kind.NOTE and event.place.step == "virtqueue_kick_prepare":
            self.kicks_deferred += detail.get("why") == "xmit_more"

    def watch(self, events: Iterable[Event]) -> Iterator[Event]:
        """Pass ``events`` through, counting each one."""
        for event in events:
            self.add(event)
            yield event

    def per_frame(self, count: int) -> float:
        return count / self.frames if self.frames else 0.0


#: The calls that move a counter: which counter, and by how much given the call's detail.
_CALLS: dict[str, tuple[str, Callable[[Mapping[str, Any]], int]]] = {
    "sendto": ("frames", lambda detail: 1),
    "virtqueue_kick_prepare": ("kicks_suppressed", lambda detail: not detail.get("kick")),
    "vp_notify": ("kicks", lambda detail: 1),
    "handle_ept_misconfig": ("vm_exits", lambda detail: 1),
    "kvm_cpu_exec": ("exits_to_qemu", lambda detail: 1),
    "virtio_notify": ("interrupts_suppressed", lambda detail: not detail.get("interrupt")),
    "msix_notify": ("interrupts", lambda detail: 1),
    "tun_get_user": ("bytes_to_host", lambda detail: int(detail.get("bytes", 0))),
    "virtqueue_get_buf": ("completed", lambda detail: 1),
}
