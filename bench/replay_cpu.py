"""Events and CPU seconds of one ``vtrace send`` replay in this process, for the benchmarks.

CPU time, because others' work on a shared machine stretches wall time.
"""

from __future__ import annotations

import contextlib
import io
import os
import time

from vtrace.cli import main as vtrace
from vtrace.cli.env import Environment

__all__ = ["send_run"]


def send_run(frames: int, *options: str) -> tuple[int, float]:
    """(events, CPU seconds) of ``vtrace send --frames N --view quiet OPTIONS``."""
    args = ["send", "--frames", str(frames), "--view", "quiet", *options]
    out = io.StringIO()
    env = Environment(argv=tuple(args), stdout=out, stderr=io.StringIO(), environ=os.environ)
    started = time.process_time()
    with contextlib.suppress(SystemExit):
        vtrace(args, env)
    elapsed = time.process_time() - started
    events = next(int(line.split()[-1].replace(",", "")) for line in out.getvalue().splitlines()
                  if line.strip().startswith("events"))
    return events, elapsed
