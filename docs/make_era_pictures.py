"""Draw the teacher's guide's diagrams with ``vtrace diagram``: one frame, per era and language.

Run with the interpreter of vtrace's virtual environment:
``.venv/bin/python docs/make_era_pictures.py``. It writes
``docs/pictures/send-<era>.<lang>.svg``, the files the guides embed.

graphviz-pure (a dependency of vtrace) draws them, as in ``make_pictures.py``, so the
files come out the same whether or not Graphviz is installed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PICTURES = Path(__file__).resolve().parent / "pictures"
ERAS = ("lesson", "modern")
LANGS = ("en", "zh")


def command(era: str, lang: str, output: Path) -> list[str]:
    return [sys.executable, "-m", "vtrace", "diagram", "--era", era, "--lang", lang,
            "--frames", "1", "--renderer", "graphviz-pure", str(output)]


def main() -> int:
    PICTURES.mkdir(exist_ok=True)
    for era in ERAS:
        for lang in LANGS:
            output = PICTURES / f"send-{era}.{lang}.svg"
            finished = subprocess.run(command(era, lang, output), check=False)
            if finished.returncode:
                return finished.returncode
            print(output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
