"""The ring of a lab directory (``ring.json``) beside the replay's ring after the same frames.

A send run's frames go through the transmit queue, a receive run's through
the receive queue; the replay of the same scenario, parameters and era is
run to its end and its one queue read with ``vtrace.ring_compare.ring_of``
(``packed_ring_of`` when the run's ring is packed: then the replay must be
too). With several queue pairs, each pair's queue is compared with the
replay of the frames that went through it.
It joins a source (the saved rings) and the scenarios' worlds, so it sits
with the commands that use it.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from vtrace.catalog import ERAS
from vtrace.lab.manifest import FILES
from vtrace.lab.packets import received_packets
from vtrace.lab.qmp_ring import load_ring
from vtrace.model import Header
from vtrace.ring import Device, Driver, GuestMemory
from vtrace.ring_compare import (
    RingComparison,
    compare_packed_rings,
    compare_rings,
    packed_ring_alone,
    packed_ring_of,
    ring_of,
)
from vtrace.ring_packed import PackedDevice, PackedDriver, PackedMemory
from vtrace.scenarios import of
from vtrace.scenarios.recv.guest import run_world as recv_world
from vtrace.scenarios.recv.world import RecvParams
from vtrace.scenarios.ringstate import RingWorld
from vtrace.scenarios.send.guest import run_world as send_world
from vtrace.scenarios.send.world import SendParams

__all__ = ["QUEUE_OF", "compare_lab_ring", "compare_lab_rings", "replay_ring"]

#: The queue each scenario's frames go through.
QUEUE_OF = {"send": "tx", "recv": "rx"}


def replay_ring(header: Header, era: str, seed: int = 1) -> dict[str, Any]:
    """The replay's ring after the last event of the replay of ``header``'s parameters."""
    scenario = of(header)
    params = scenario.settle(scenario.given_by(header.params))
    world: RingWorld[Any, Any, Any]
    if scenario.name == "send":
        world, events = send_world(SendParams(**params), ERAS[era], seed)
    elif scenario.name == "recv":
        world, events = recv_world(RecvParams(**params), ERAS[era], seed)
    else:
        raise ValueError(f"vtrace has no ring replay of the {header.scenario!r} scenario")
    for _ in events:
        pass
    memory, driver, device = world.memory, world.driver, world.device
    if isinstance(memory, GuestMemory) and isinstance(driver, Driver) \
            and isinstance(device, Device):
        return ring_of(memory, driver, device)
    if isinstance(memory, PackedMemory) and isinstance(driver, PackedDriver) \
            and isinstance(device, PackedDevice):
        return packed_ring_of(memory, driver, device)
    raise ValueError("the replay's ring is neither a split nor a packed one")


def compare_lab_ring(directory: Path, header: Header, era: str) -> RingComparison | None:
    """The lab directory's ring of its scenario's queue (of the first queue pair) beside the
    replay's; None without ``ring.json``. ValueError says why there is nothing to compare."""
    rings = compare_lab_rings(directory, header, era)
    return rings[0] if rings else None


def compare_lab_rings(directory: Path, header: Header, era: str) -> list[RingComparison]:
    """Every queue pair's ring of the scenario's queue beside the replay's of the frames that
    went through it (with several pairs, frame N took pair (N - 1) % pairs: the lab's
    flows); empty without ``ring.json``."""
    rings = load_ring(directory)
    if rings is None:
        return []
    queue = QUEUE_OF.get(header.scenario)
    if queue is None:
        raise ValueError(f"no ring to compare for the {header.scenario!r} scenario")
    frames, pairs = header.params.get("frames"), header.params.get("queues")
    count = frames if isinstance(frames, int) else 0
    pairs = pairs if isinstance(pairs, int) and pairs > 1 else 1
    found = []
    for pair in range(pairs):
        name, through = f"{queue}{pair or ''}", len(range(pair + 1, count + 1, pairs))
        if name in rings["queues"] and through:
            one_pair = {key: value for key, value in header.params.items() if key != "queues"}
            found.append(_compare_queue(name, rings, replace(
                header, params={**one_pair, "frames": through}), era,
                _last_buffers(directory, header, pair) or through))
    return found


def _last_buffers(directory: Path, header: Header, pair: int) -> int | None:
    """The buffers the last frame of a receive took when they were several (mergeable
    buffers of a TCP receive): then those are the chains compared."""
    if header.scenario != "recv" or not (directory / FILES["qemu_log"]).is_file():
        return None
    received = [packet for packet in received_packets(directory)
                if packet.virtqueue == 2 * pair]
    return received[-1].num_buffers if received and received[-1].num_buffers > 1 else None


def _compare_queue(queue: str, rings: dict[str, Any], header: Header, era: str,
                   count: int) -> RingComparison:
    """One queue of ``ring.json`` beside the replay of ``header``'s frames: the last
    ``count`` chains, one a frame, or the last frame's buffers when it took several; their
    descriptor numbers are not compared then, nor after a TCP warm-up: they are the free
    list's history."""
    real = {**rings["queues"][queue], "event_idx": rings.get("event_idx")}
    replay = replay_ring(header, era)
    packed = rings.get("layout") == "packed"
    if packed and replay.get("layout") != "packed":
        return packed_ring_alone(queue, real, count, f"vtrace {header.scenario} replays the "
                                 "split ring only, so far")
    if packed != (replay.get("layout") == "packed"):
        raise ValueError(f"the real ring is split and the {header.scenario} replay's packed")
    # After a warm-up's thousands of buffers the free list's order is the ring's history
    numbered = count == header.params.get("frames") and not header.params.get("warm")
    return (compare_packed_rings if packed else compare_rings)(queue, real, replay, count,
                                                               numbered=numbered)
