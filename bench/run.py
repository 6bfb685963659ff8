"""Run every benchmark and write their sections to docs/performance.md.

Run from the repository root with the interpreter of vtrace's virtual environment:
``.venv/bin/python bench/run.py``. Each benchmark is a
script that prints one Markdown section; this collects them in order.
"""

from __future__ import annotations

import datetime
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ["bench_send.py", "bench_diagram.py", "bench_import.py", "bench_html.py",
              "bench_outputs.py", "bench_lab.py", "bench_ring.py", "bench_offload.py"]

HEADER = """# Performance

Every figure is a ratio measured in one run against a floor on the same machine, so the
machine's speed cancels out. Regenerate with `.venv/bin/python bench/run.py`; nothing here is
asserted by the tests.

Measured {date} on {machine}, Python {python}.

"""


def main() -> None:
    sections = []
    for script in BENCHMARKS:
        print(f"running {script} ...", file=sys.stderr)
        result = subprocess.run([sys.executable, str(ROOT / "bench" / script)],
                                stdout=subprocess.PIPE, text=True, cwd=ROOT)
        if result.returncode:
            raise SystemExit(f"{script} failed (exit {result.returncode}); "
                             "docs/performance.md is unchanged")
        sections.append(result.stdout.strip())
    text = HEADER.format(date=datetime.date.today().isoformat(),
                         machine=f"{platform.machine()}, {platform.system()}",
                         python=platform.python_version())
    target = ROOT / "docs" / "performance.md"
    temporary = target.with_suffix(".md.tmp")
    temporary.write_text(text + "\n\n".join(sections) + "\n", encoding="utf-8")
    temporary.replace(target)
    print(f"wrote {target.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
