"""Wall time of a warm ``vtrace lab send --frames 3``, phase by phase.

Run from the repository root as root: ``python bench/bench_lab.py [--rounds N]``. A first
run (not counted) makes sure the guest kernel and initramfs are cached; then each round runs
the real command in a child process and reads the phase times from its manifest. It prints a
Markdown section (``## vtrace lab``) on standard output. Target: at most 20 s wall.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PHASES = ("prepare", "boot", "send", "collect")
TARGET_S = 20.0


def one_run(frames: int) -> tuple[float, dict[str, float]]:
    with tempfile.TemporaryDirectory() as work:
        saved = Path(work) / "run"
        start = time.monotonic()
        subprocess.run([sys.executable, "-m", "vtrace", "lab", "send", "--frames", str(frames),
                        "--save", str(saved)], check=True, capture_output=True)
        wall = time.monotonic() - start
        timings: dict[str, float] = json.loads((saved / "manifest.json").read_text())["timings"]
    return wall, timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--frames", type=int, default=3)
    parser.add_argument("--no-warm-up", dest="warm_up", action="store_false")
    args = parser.parse_args()
    print("## vtrace lab\n")
    if os.geteuid() != 0:
        print("Not measured: the lab needs root.")
        return
    if args.warm_up:
        one_run(args.frames)
    runs = [one_run(args.frames) for _ in range(args.rounds)]
    walls = [wall for wall, _ in runs]
    print(f"`vtrace lab send --frames {args.frames}`, warm (kernel and initramfs cached), "
          f"{args.rounds} rounds, {os.cpu_count()} CPUs; wall time of the whole command "
          "(a child process) and the phases from its manifest.\n")
    print("| round | wall | " + " | ".join(PHASES) + " |")
    print("|---|---:|" + "---:|" * len(PHASES))
    for index, (wall, timings) in enumerate(runs, 1):
        cells = " | ".join(f"{timings.get(phase, 0.0):.2f} s" for phase in PHASES)
        print(f"| {index} | {wall:.2f} s | {cells} |")
    median = statistics.median(walls)
    print("\n| measure | lab | target | ratio | met |\n|---|---:|---:|---:|---|")
    print(f"| median wall, send --frames {args.frames} | {median:.2f} s | {TARGET_S:.0f} s | "
          f"{median / TARGET_S:.2f} | {'yes' if median <= TARGET_S else 'no'} |")


if __name__ == "__main__":
    main()
