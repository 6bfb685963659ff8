"""Which frames sit in the ring: what the "vring" row of "where the frame is" shows.

A frame is in the ring while its buffer is published and not yet taken: on a
send from the driver's add (``avail.idx`` moves with the frame) to the device's
pop (``last_avail_idx`` passes it); on a receive from the device's fill
(``used.idx`` moves with the frame) to the driver's get_buf (``last_used_idx``
passes it). Both are the same rule, read off the events' ring changes: a frame
enters the ring the first time an index is published with it, and leaves when
the other side's index passes its entry. It keeps at most a ring's worth of
entries, so a long run costs nothing more.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from typing import Any, NamedTuple

__all__ = ["FramesInRing", "Resident"]

#: Each ring: the index its producer publishes and the index its consumer keeps.
_RINGS = (("avail", "avail.idx", "last_avail_idx"), ("used", "used.idx", "last_used_idx"))
_WRAP = 1 << 16  # the rings' indices are free-running 16-bit numbers


class Resident(NamedTuple):
    """A frame in the ring: which ring, the free-running position of its entry, the frame."""

    ring: str
    position: int
    frame: int


class FramesInRing:
    """The frames in the ring, updated per event (its frame and its ring changes)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.newest = -1  # the newest frame that entered; a later index moved with it is
        # the same buffer coming back, not the frame entering again
        self.waiting: deque[Resident] = deque()

    def update(self, frame: int | None, detail: Mapping[str, Any]) -> None:
        ring = detail.get("ring")
        if not ring or not self.size:
            return
        for name, published, consumed in _RINGS:
            if published in ring and frame is not None and frame > self.newest:
                self.newest = frame
                self.waiting.append(Resident(name, (ring[published] - 1) % _WRAP, frame))
            if consumed in ring:
                taken = ring[consumed]
                self.waiting = deque(resident for resident in self.waiting
                                     if resident.ring != name
                                     or not 0 < (taken - resident.position) % _WRAP <= _WRAP // 2)

    def residents(self) -> tuple[Resident, ...]:
        """The frames in the ring, oldest first."""
        return tuple(self.waiting)

    def slot(self, resident: Resident) -> int:
        return resident.position % self.size
