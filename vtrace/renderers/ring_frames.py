"""Which frames sit in the ring: what the "vring" row of "where the frame is" shows.

A frame is in the ring while its buffer is published and not yet taken: on a
send from the driver's add (``avail.idx`` moves with the frame) to the device's
pop (``last_avail_idx`` passes it); on a receive from the device's fill
(``used.idx`` moves with the frame) to the driver's get_buf (``last_used_idx``
passes it). Both are the same rule, read off the events' ring changes: a frame
enters the ring the first time an index is published with it, and leaves when
the other side's index passes its entry. It keeps at most a ring's worth of
entries, so a long run costs nothing more. On a packed ring the indices are
positions in the one descriptor ring (``next_avail_idx`` against
``last_avail_idx``, ``used_idx`` against ``last_used_idx``), which wrap at the
ring's size, and the frame sits in a descriptor slot.

With several queue pairs each pair's queue is a ring of its own (``pairs_lane``): the row
shows the entry the current frame sits in, in whichever pair's ring holds it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from typing import Any, NamedTuple

__all__ = ["FramesInRing", "Resident", "pairs_lane"]

#: Each ring: the index its producer publishes and the index its consumer keeps.
_RINGS = (("avail", "avail.idx", "last_avail_idx"), ("used", "used.idx", "last_used_idx"))
_PACKED_RINGS = (("avail", "next_avail_idx", "last_avail_idx"),
                 ("used", "used_idx", "last_used_idx"))
_WRAP = 1 << 16  # the split rings' indices are free-running 16-bit numbers
_WRAP_BIT = 1 << 15  # Linux keeps the packed ring's used wrap counter in last_used_idx


class Resident(NamedTuple):
    """A frame in the ring: which ring, the free-running position of its entry, the frame."""

    ring: str
    position: int
    frame: int


class FramesInRing:
    """The frames in the ring, updated per event (its frame and its ring changes)."""

    def __init__(self, size: int, packed: bool = False) -> None:
        self.size = size
        self.packed = packed
        self._rings = _PACKED_RINGS if packed else _RINGS
        self._wrap = size if packed else _WRAP
        self.newest = -1  # the newest frame that entered; a later index moved with it is
        # the same buffer coming back, not the frame entering again
        self.waiting: deque[Resident] = deque()

    def update(self, frame: int | None, detail: Mapping[str, Any]) -> None:
        ring = detail.get("ring")
        if not ring or not self.size:
            return
        wrap = self._wrap
        for name, published, consumed in self._rings:
            if published in ring and frame is not None and frame > self.newest:
                self.newest = frame
                self.waiting.append(Resident(name, (ring[published] - 1) % wrap, frame))
            if consumed in ring:
                taken = ring[consumed] & ~_WRAP_BIT if self.packed else ring[consumed]
                self.waiting = deque(resident for resident in self.waiting
                                     if resident.ring != name
                                     or not 0 < (taken - resident.position) % wrap <= wrap // 2)

    def holds(self, frame: int | None) -> bool:
        """Whether ``frame`` sits in the ring."""
        return any(resident.frame == frame for resident in self.waiting)

    def residents(self) -> tuple[Resident, ...]:
        """The frames in the ring, oldest first."""
        return tuple(self.waiting)

    def slot(self, resident: Resident) -> int:
        return resident.position % self.size

    def place(self, resident: Resident) -> str:
        """Where the frame sits: its entry of the avail or used ring (``avail.ring[3]``), or
        on a packed ring its descriptor slot (``desc[3]``)."""
        slot = self.slot(resident)
        return f"desc[{slot}]" if self.packed else f"{resident.ring}.ring[{slot}]"

    def lane(self, current: int | None) -> tuple[str, int] | None:
        """The ring's row of "where the frame is": the entry the frame ``current`` sits in
        (else the oldest frame's), ``avail.ring[3]``, with how many other frames wait there,
        and that frame."""
        residents = self.waiting
        if not residents:
            return None
        shown = next((resident for resident in residents if resident.frame == current),
                     residents[0])
        more = f" +{len(residents) - 1}" if len(residents) > 1 else ""
        return f"{self.place(shown)}{more}", shown.frame


def pairs_lane(rings: Mapping[int, FramesInRing], current: int | None,
               step_pair: int | None) -> tuple[str, int, int] | None:
    """The ring's row of "where the frame is" over each queue pair's ring (``rings``, by pair):
    the entry the frame ``current`` sits in, in the pair whose ring holds it; else the lane of
    the step's pair ``step_pair``, else of the first pair with a frame in its ring. The entry
    (with how many other frames wait in that pair's ring), its frame and the pair."""
    holding = [pair for pair in sorted(rings) if rings[pair].waiting]
    if not holding:
        return None
    pair = holding[0] if len(holding) == 1 else next(
        (pair for pair in holding if rings[pair].holds(current)),
        step_pair if step_pair in holding else holding[0])
    lane = rings[pair].lane(current)
    return None if lane is None else (lane[0], lane[1], pair)
