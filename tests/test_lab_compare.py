"""``vtrace lab ... --compare``: the capture's hop-by-hop report, on a committed recv capture."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from vtrace.cli import lab as lab_cli
from vtrace.cli.app import cli
from vtrace.lab.params import LabParams

DATA = Path(__file__).parent / "data" / "lab"


def test_compare_prints_the_report_after_the_capture(monkeypatch: pytest.MonkeyPatch) -> None:
    def captured(params: LabParams, directory: Path, progress: Callable[..., None]) -> None:
        shutil.copytree(DATA / "recv-1", directory, dirs_exist_ok=True)

    monkeypatch.setattr(lab_cli, "capture", captured)
    result = CliRunner().invoke(cli, ["lab", "recv", "--compare"])
    assert result.exit_code == 0, result.output
    assert "frame 2 (capture frame 3):" in result.stdout
    assert "agreement (modern):" in result.stdout.splitlines()[-1]
    assert "tun_put_user" in result.stdout and "host kernel function" in result.stdout
