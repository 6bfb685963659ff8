"""Draw the pictures the README shows, with ``vtrace diagram``.

Run from anywhere with the interpreter of vtrace's virtual environment (the one
vtrace is installed in): ``.venv/bin/python docs/make_pictures.py``. It writes

* ``docs/send-1-frame.svg``: the sequence diagram of one frame;
* ``docs/overview.svg``: the layers of the machine with the send path numbered.

graphviz-pure (a dependency of vtrace) draws both, in English, so the files
come out the same on every machine, whether or not Graphviz is installed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
PICTURES = {
    "send-1-frame.svg": (),
    "overview.svg": ("--overview",),
}


def main() -> int:
    for name, options in PICTURES.items():
        output = DOCS / name
        command = [sys.executable, "-m", "vtrace", "diagram", *options, "--lang", "en",
                   "--renderer", "graphviz-pure", str(output)]
        finished = subprocess.run(command, check=False)
        if finished.returncode:
            return finished.returncode
        print(output.relative_to(DOCS.parent))
    return 0


if __name__ == "__main__":
    sys.exit(main())
