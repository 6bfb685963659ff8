"""The offload benchmark still runs: at a tiny size it prints its Markdown section."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench"


def test_the_offload_benchmark_prints_its_section() -> None:
    result = subprocess.run([sys.executable, str(BENCH / "bench_offload.py"), "--repeat", "1",
                             "--calls", "1"], capture_output=True, text=True,
                            cwd=BENCH.parent, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("## Offload model")
    assert "| ratio |" in result.stdout
