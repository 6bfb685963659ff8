"""The packed ring against the split ring: one driver+device loop each, buffers per second;
then the whole ``vtrace send``, events per second.

Run from the repository root: ``.venv/bin/python bench/bench_ring.py [--buffers N]
[--frames N]``. It prints a Markdown section (``## Rings``) on standard output.

1. Each loop does, per buffer, what a transmit does to the ring without the rest of the
   replay: the driver adds a one-buffer chain and prepares a kick, the device pops it,
   fills and flushes it and decides on an interrupt, the driver takes it back. Same queue
   size, EVENT_IDX on. Target: packed 0.8-1.25x split's rate (the same work per buffer,
   laid out otherwise).
2. Events per second of ``vtrace send --frames N --view quiet --events /dev/null``
   (in this process, through the real command) with ``--ring packed`` against the same
   command on the split ring, in the same run. Timed by this process's CPU time, not the
   wall clock, so that other work on the machine does not count; each round's ratio is
   printed too, for the spread. Target: 0.8-1.25x.

Runs alternate and keep the best of each, because other work on a shared machine slows
any one of them.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable

from replay_cpu import send_run

from vtrace.ring import Buffer, Device, Driver, GuestMemory, RingLayout
from vtrace.ring_packed import PackedDevice, PackedDriver, PackedLayout, PackedMemory

QUEUE_SIZE = 256


def split_loop(count: int) -> float:
    memory = GuestMemory(RingLayout(QUEUE_SIZE), slot_size=64)
    driver, device = Driver(memory, event_idx=True), Device(memory, event_idx=True)
    return _loop(count, driver, device)


def packed_loop(count: int) -> float:
    memory = PackedMemory(PackedLayout(QUEUE_SIZE), slot_size=64)
    driver, device = PackedDriver(memory, event_idx=True), PackedDevice(memory, event_idx=True)
    return _loop(count, driver, device)


def _loop(count: int, driver: Driver | PackedDriver, device: Device | PackedDevice) -> float:
    buffers = [Buffer(0x10000, 140)]
    start = time.perf_counter()
    for token in range(count):
        driver.add(buffers, token)
        driver.kick_prepare()
        element = device.pop()
        device.fill(element, 0, 0)  # type: ignore[arg-type]  # the element its pop gave
        device.flush(1)
        device.should_notify()
        driver.get_buf()
    return count / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buffers", type=int, default=200_000)
    parser.add_argument("--frames", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    loops: dict[Callable[[int], float], list[float]] = {split_loop: [], packed_loop: []}
    for _ in range(args.repeat):
        for loop, runs in loops.items():
            runs.append(loop(args.buffers))
    split, packed = max(loops[split_loop]), max(loops[packed_loop])
    ratio = packed / split
    sends: dict[str, list[tuple[int, float]]] = {"split": [], "packed": []}
    for ring in sends:  # the first run of each imports and fills caches: not timed
        send_run(1, "--ring", ring, "--events", os.devnull)
    for _ in range(args.repeat):
        for ring, runs in sends.items():
            runs.append(send_run(args.frames, "--ring", ring, "--events", os.devnull))
    rates = {ring: max(events / seconds for events, seconds in runs)
             for ring, runs in sends.items()}
    send_ratio = rates["packed"] / rates["split"]
    rounds = sorted((packed_events / packed_seconds) / (split_events / split_seconds)
                    for (split_events, split_seconds), (packed_events, packed_seconds)
                    in zip(sends["split"], sends["packed"], strict=True))
    print("## Rings\n")
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.2f} when the runs ended; {args.buffers:,} buffers "
          f"through a {QUEUE_SIZE}-entry queue, EVENT_IDX on; vtrace send of "
          f"{args.frames:,} frames; best of {args.repeat} alternating runs.\n")
    print("| measure | vtrace | floor | ratio | target | met |")
    print("|---|---:|---:|---:|---:|---|")
    print(f"| buffers/s, packed driver+device loop vs split's | {packed:,.0f} | "
          f"{split:,.0f} (split) | {ratio:.2f} | 0.80-1.25 | "
          f"{'yes' if 0.8 <= ratio <= 1.25 else 'no'} |")
    events = sends["packed"][0][0]
    print(f"| events/s of CPU time, send --ring packed --frames {args.frames} ({events} events) "
          f"to /dev/null vs the split ring's | {rates['packed']:,.0f} | "
          f"{rates['split']:,.0f} (split, {sends['split'][0][0]} events) | {send_ratio:.2f} | "
          f"0.80-1.25 | {'yes' if 0.8 <= send_ratio <= 1.25 else 'no'} |")
    print(f"\nEach round's packed send against the split send just before it: "
          f"{rounds[0]:.2f}–{rounds[-1]:.2f}.")


if __name__ == "__main__":
    main()
