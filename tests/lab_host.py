"""What a lab run may leave on the host, as one comparable snapshot."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

TRACEFS = Path("/sys/kernel/tracing")
QEMU = os.path.realpath("/usr/bin/qemu-system-x86_64")


def _tracefs_mounted() -> bool:
    with open("/proc/self/mounts", encoding="utf-8") as mounts:
        return any(line.split()[1:3] == [str(TRACEFS), "tracefs"] for line in mounts)


def _qemu_pids() -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.readlink(entry / "exe") == QEMU:
                    found.append(int(entry.name))
            except OSError:
                pass
    return sorted(found)


def host_state() -> dict[str, object]:
    """Links, the tracefs mount, its instances and uprobes, QEMU processes."""
    links = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True,
                           check=True).stdout
    mounted = _tracefs_mounted()
    return {
        "links": sorted(line.split(":")[1].strip().split("@")[0] for line in links.splitlines()),
        "tracefs_mounted": mounted,
        "instances": sorted(p.name for p in (TRACEFS / "instances").iterdir()) if mounted else [],
        "uprobes": (TRACEFS / "uprobe_events").read_text() if mounted else "",
        "qemu": _qemu_pids(),
    }
