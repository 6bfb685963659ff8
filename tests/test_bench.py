"""The benchmarks still run: each, at a tiny size, prints its Markdown section.

Their figures are not checked here (timings belong in docs/performance.md,
never in assertions); this only keeps the scripts from rotting as the code moves.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import lab

BENCH = Path(__file__).resolve().parent.parent / "bench"


@pytest.mark.parametrize("script,arguments,section", [
    ("bench_send.py", ["--frames", "20", "--memory-frames", "200", "--rounds", "1",
                       "--repeat", "1"], "## vtrace send"),
    ("bench_diagram.py", ["--frames", "2", "--repeat", "1"], "## Diagrams"),
    ("bench_import.py", ["--lines", "500", "--repeat", "1"], "## vtrace import"),
    ("bench_html.py", ["--frames", "2", "--repeat", "1"], "## HTML player"),
    ("bench_outputs.py", ["--frames", "3", "--repeat", "1"], "## Capture and trace files"),
    ("bench_ring.py", ["--buffers", "200", "--frames", "5", "--repeat", "1"], "## Rings"),
    ("bench_offload.py", ["--calls", "1", "--repeat", "1", "--frames", "5"], "## Offload model"),
    pytest.param("bench_lab.py", ["--rounds", "1", "--no-warm-up"], "## vtrace lab",
                 marks=lab()),
])
def test_a_benchmark_prints_its_section(script: str, arguments: list[str], section: str) -> None:
    result = subprocess.run([sys.executable, str(BENCH / script), *arguments],
                            capture_output=True, text=True, cwd=BENCH.parent, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(section)
    assert "| ratio |" in result.stdout
