"""Parsed trace records into vtrace events: places, threads, frames and time.

Each source module's records first become ``Draft``s on one clock (nanoseconds, any
origin); ``numbered`` then gives a time-ordered run of drafts their ``seq``,
their time from the first event, their frame and the lifeline each message
comes from. A frame is told by the datagram: a marker's ``seq=N`` or a probe's
``seqch`` digit names it, and every later event belongs to the last frame named
(completions arrive after the sender's ``end`` marker, so they stay with their
frame until the next one begins).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, NamedTuple

from vtrace.model import Event, Kind, Layer, Place, Source
from vtrace.sources.places import Placer, guest_actor, host_actor, qemu_actor

__all__ = ["NO_FRAME", "OTHER_PACKET", "Draft", "Sides", "numbered", "thread_of"]

NO_FRAME = -1  # a draft's label for an event that belongs to no frame (a context switch)
OTHER_PACKET = -2  # a label for a packet that is no datagram of the run (an ARP): no frame
#                    for it and for what follows, until a frame is named again

_GUEST_LAYERS = (Layer.GUEST_KERNEL, Layer.VRING)


class Draft(NamedTuple):
    """An event before numbering; ``label`` is the frame it names itself, if any."""

    t_ns: int
    label: int | None
    place: Place
    kind: Kind
    thread: str
    source: Source
    detail: Mapping[str, Any]


class Sides(NamedTuple):
    """The placers of one capture: the guest's Linux, QEMU, the host's Linux, the app."""

    guest: Placer
    qemu: Placer
    host: Placer
    app: Placer

    @classmethod
    def reported(cls, guest: str | None, qemu: str | None, host: str | None) -> Sides:
        """Placers for the versions the systems reported (None: outside the catalog)."""
        return cls(Placer("linux", guest, guest_actor, _GUEST_LAYERS),
                   Placer("qemu", qemu, qemu_actor),
                   Placer("linux", host, host_actor, (Layer.HOST_KERNEL,)),
                   Placer("app", None, lambda _: "app"))


def thread_of(comm: str, tid: int | None = None) -> str:
    """vtrace's thread name for a host thread: QEMU's vCPU and main loop as replays call them."""
    if comm.startswith("CPU ") and "/" in comm:
        return "vcpu" + comm[4:comm.index("/")]
    if comm.startswith("qemu-system"):
        return "qemu-main"
    return comm or f"tid {tid}"


def numbered(drafts: Iterable[Draft]) -> Iterator[Event]:
    """Events of time-ordered ``drafts``: seq from 0, time from the first, frames filled in."""
    origin: int | None = None
    frame: int | None = None
    last_actor: dict[str, str] = {}
    for seq, draft in enumerate(drafts):
        if origin is None:
            origin = draft.t_ns
        if draft.label is not None and draft.label != NO_FRAME:
            frame = None if draft.label == OTHER_PACKET else draft.label
        actor = draft.place.actor
        src = last_actor.get(draft.thread, actor)
        last_actor[draft.thread] = actor
        yield Event(seq, None if draft.label == NO_FRAME else frame, draft.place, draft.kind,
                    src, actor, draft.t_ns - origin, draft.detail, draft.thread, draft.source)
