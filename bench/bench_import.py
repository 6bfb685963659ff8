"""Speed of reading ftrace text, as a ratio against a loop that only splits the same lines.

Run from the repository root: ``python bench/bench_import.py [--lines N]``. It
writes a trace of N lines in the shapes the lab's captures hold (function
calls, tracepoints, uprobes, trace_marker writes) to a temporary file, then
times (CPU time of the process), best of ``--repeat`` alternating rounds:

- parse: ``vtrace.sources.ftrace.read`` of the file, every record built;
- convert: the same through ``from_ftrace`` into drafts with their places;
- floor: ``for line in file: line.split()``.

Target: parse at least 0.5 of the floor. It prints a Markdown section
(``## vtrace import``) on standard output.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence

from vtrace.sources import ftrace
from vtrace.sources.convert import Sides
from vtrace.sources.ftrace import from_ftrace

SHAPES = (
    "         udpsend-94      [000] bN.1.  {}: start_xmit <-dev_hard_start_xmit\n",
    "         udpsend-94      [000] bN...  {}: net_dev_queue: dev=eth0 skbaddr=(____ptrval____)"
    " len=54\n",
    " qemu-system-x86-25502   [000] DBZff {}: virtqueue_pop: (0x560eb108c7c0) vq=0x7fb2a2a7e140\n",
    "       CPU 0/TCG-25504   [001] ..... {}: sys_write(fd: 8, buf: 0x560eb13c34e8, count: 8)\n",
    "         udpsend-94      [000] .....  {}: tracing_mark_write: app write() begin seq=1\n",
)


def write_trace(path: str, lines: int) -> None:
    with open(path, "w", encoding="latin-1") as handle:
        for number in range(lines):
            handle.write(SHAPES[number % len(SHAPES)].format(25917856692 + number * 17))


def split_only(path: str) -> None:
    with open(path, encoding="latin-1", newline="") as handle:
        for line in handle:
            line.split()


def parse(path: str) -> None:
    for _ in ftrace.read(path):
        pass


def convert(path: str) -> None:
    sides = Sides.reported("6.1.0-56-amd64", "7.2.22", None)
    for _ in from_ftrace(ftrace.read(path), sides, guest=True, clock=int):
        pass


def best(works: Sequence[Callable[[str], None]], path: str, repeat: int) -> list[float]:
    """The best CPU time of each of ``works``, run in turn ``repeat`` times: on a shared
    machine the load weighs on all of them alike, and the time other processes hold the CPU
    is not counted (the file is in the page cache after the first round)."""
    times = [float("inf")] * len(works)
    for _ in range(repeat):
        for index, work in enumerate(works):
            started = time.process_time()
            work(path)
            times[index] = min(times[index], time.process_time() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "trace.txt")
        write_trace(path, args.lines)
        floor, parsed, converted = best((split_only, parse, convert), path, args.repeat)
    rate = args.lines / parsed
    print("## vtrace import\n")
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs; {args.lines:,} lines of "
          f"ftrace text, best CPU time of {args.repeat} alternating rounds.\n")
    print("| measure | vtrace | floor | ratio | target | met |")
    print("|---|---:|---:|---:|---:|---|")
    print(f"| lines/s, ftrace.read vs split-only loop | {rate:,.0f} | "
          f"{args.lines / floor:,.0f} | {floor / parsed:.2f} | 0.50 | "
          f"{'yes' if floor / parsed >= 0.5 else 'no'} |")
    print(f"| lines/s, read + convert to drafts vs split-only loop | "
          f"{args.lines / converted:,.0f} | {args.lines / floor:,.0f} | "
          f"{floor / converted:.2f} | – | – |")


if __name__ == "__main__":
    main()
