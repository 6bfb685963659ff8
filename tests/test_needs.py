"""A test that lacks what it needs is skipped with its reason, or fails under
VTRACE_REQUIRE_ALL=1, which .ci/run sets so that CI runs every real component."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
SAMPLE = '''
import pytest
from conftest import importable, needs, require

@needs(True, "needs a unicorn: apt-get install unicorn")
def test_marked():
    pass

def test_inside():
    require(True, "needs a second unicorn")

@needs(False, "never said")
def test_present():
    pass
'''


def run_sample(folder: Path, require_all: bool) -> str:
    shutil.copy(HERE / "conftest.py", folder / "conftest.py")
    (folder / "test_sample.py").write_text(SAMPLE)
    env = {key: value for key, value in os.environ.items() if key != "VTRACE_REQUIRE_ALL"}
    if require_all:
        env["VTRACE_REQUIRE_ALL"] = "1"
    done = subprocess.run([sys.executable, "-m", "pytest", "-rsE", "-p", "no:cacheprovider",
                           str(folder)], cwd=folder, env=env, capture_output=True, text=True,
                          check=False)
    return done.stdout


@pytest.mark.parametrize("require_all", [False, True])
def test_a_missing_need_skips_with_its_reason_or_fails_in_ci(tmp_path: Path,
                                                              require_all: bool) -> None:
    report = run_sample(tmp_path, require_all)
    if require_all:
        assert "1 failed, 1 passed, 1 error" in report, report
        assert "VTRACE_REQUIRE_ALL=1 and this test needs a unicorn: apt-get install unicorn" \
            in report
    else:
        assert "1 passed, 2 skipped" in report, report
        assert "needs a unicorn: apt-get install unicorn" in report
        assert "needs a second unicorn" in report
