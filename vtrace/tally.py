"""Counters folded from an event stream: what the summary and the live view show.

A ``Tally`` watches events go by and keeps only numbers, so it costs the
same for ten frames or ten million. It reads events, never the engine, so a
recorded or captured stream gives the same counts as a live replay.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

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
        ring = event.detail.get("ring")
        if ring:
            self.ring.update(ring)
        kind, step = event.kind, event.place.step
        if kind is not Kind.CALL:
            if kind is Kind.NOTE and step == "virtqueue_kick_prepare":
                self.kicks_deferred += event.detail.get("why") == "xmit_more"
            return
        if step == "sendto":
            self.frames += 1
        elif step == "virtqueue_kick_prepare":
            self.kicks_suppressed += not event.detail.get("kick")
        elif step == "vp_notify":
            self.kicks += 1
        elif step == "handle_ept_misconfig":
            self.vm_exits += 1
        elif step == "kvm_cpu_exec":
            self.exits_to_qemu += 1
        elif step == "virtio_notify":
            self.interrupts_suppressed += not event.detail.get("interrupt")
        elif step == "msix_notify":
            self.interrupts += 1
        elif step == "tun_get_user":
            self.bytes_to_host += int(event.detail.get("bytes", 0))
        elif step == "virtqueue_get_buf":
            self.completed += 1

    def watch(self, events: Iterable[Event]) -> Iterator[Event]:
        """Pass ``events`` through, counting each one."""
        for event in events:
            self.add(event)
            yield event

    def per_frame(self, count: int) -> float:
        return count / self.frames if self.frames else 0.0
