"""The saved directory's ``manifest.json``: what was run, on which versions, and the clocks.

docs/lab.md ("The saved directory") describes every key.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

from vtrace.lab.params import PAYLOAD_PREFIX, LabParams, Proto

__all__ = ["FILES", "FORMAT", "calibration_points", "qemu_version", "write_manifest"]

FORMAT = "vtrace-lab/1"
#: Manifest key -> file name in the directory.
FILES = {"guest_trace": "guest-trace.txt", "host_trace": "host-trace.txt",
         "qemu_log": "qemu.log", "console": "console.txt", "cmdline": "qemu-cmdline.txt",
         "tap_pcap": "tap.pcap"}
CALIBRATION_MARK = "vtrace-calib"
_CALIBRATION = re.compile(rb" (\d+): tracing_mark_write: " + CALIBRATION_MARK.encode()
                          + rb" \S+ realtime_ns=(\d+)")


def qemu_version(binary: str) -> str:
    shown = subprocess.run([binary, "--version"], capture_output=True, text=True,
                           check=False).stdout
    found = re.search(r"version (\d+(?:\.\d+)+)", shown)
    return found.group(1) if found else "unknown"


def calibration_points(host_trace: bytes) -> list[dict[str, int]]:
    """(trace timestamp, wall clock) of each calibration marker in the host trace."""
    return [{"tsc": int(tsc), "realtime_ns": int(wall)}
            for tsc, wall in _CALIBRATION.findall(host_trace)]


def write_manifest(directory: Path, params: LabParams, accel: str, facts: dict[str, Any]) -> None:
    """``facts`` holds what the run learnt: guest, qemu, tap, calibration, timings, ..."""
    manifest = {
        "format": FORMAT,
        "scenario": params.scenario.value,
        "params": {"frames": params.frames, "size": params.size, "ioeventfd": params.ioeventfd,
                   "backend": params.backend.value, "accel": accel, "ring": params.ring.value,
                   **({"proto": params.proto.value} if params.proto is not Proto.UDP else {}),
                   **({"queues": params.queues} if params.queues > 1 else {}),
                   **({"warm": True} if params.warmed_receive else {}),
                   **({"features": params.features} if params.features else {})},
        "guest": facts["guest"],
        "qemu": facts["qemu"],
        "host": {"kernel": os.uname().release, "missing_events": facts["missing"]},
        "clock": "x86-tsc",
        "calibration": facts["calibration"],
        "tap": facts["tap"],
        "payload": PAYLOAD_PREFIX,
        "files": FILES,
        "network": facts["network"],
        "datagrams": facts["datagrams"],
        "uprobe_group": facts["uprobe_group"],
        "timings": facts["timings"],
    }
    temporary = directory / ".manifest.json.tmp"
    temporary.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    temporary.replace(directory / "manifest.json")
