"""What a lab run may leave on the host, as one snapshot of what that run could have made.

Everything a run makes carries its pid: the tap ``vt<pid>``, the tracefs mount
``vtrace-tracefs-<pid>-*``, the instance and uprobe group ``vtrace_<pid>``, and
QEMU's command line names the tap. Other runs on the same host (other users,
other test sessions) make their own, so the snapshot looks only at one pid's.
"""

from __future__ import annotations

import contextlib
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path


def tracefs_mounts() -> list[str]:
    with open("/proc/self/mounts", encoding="utf-8") as mounts:
        return sorted(line.split()[1] for line in mounts if line.split()[2] == "tracefs")


@contextlib.contextmanager
def tracefs_view() -> Iterator[Path]:
    """A tracefs to read from: one already mounted, or one mounted just for the look."""
    mounted = tracefs_mounts()
    if mounted:
        yield Path(mounted[0])
        return
    with tempfile.TemporaryDirectory(prefix="lab-host-") as point:
        subprocess.run(["mount", "-t", "tracefs", "nodev", point], check=True)
        try:
            yield Path(point)
        finally:
            subprocess.run(["umount", point], check=True)


def _qemu_of(tap_prefix: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                argv = (entry / "cmdline").read_bytes().split(b"\0")
                if argv[0].endswith(b"qemu-system-x86_64") and any(
                        f"ifname={tap_prefix}".encode() in arg for arg in argv):
                    found.append(int(entry.name))
    return sorted(found)


def host_state(pid: int) -> dict[str, object]:
    """The links, tracefs mounts, instances, uprobes and QEMU processes of run ``pid``."""
    tap, group = f"vt{pid}", f"vtrace_{pid}"
    links = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True,
                           check=True).stdout
    with tracefs_view() as tracefs:
        instances = [path.name for path in (tracefs / "instances").iterdir()
                     if path.name == group]
        uprobes = [line for line in (tracefs / "uprobe_events").read_text().splitlines()
                   if f"{group}/" in line]
    return {
        "links": [name for name in (line.split(":")[1].strip().split("@")[0]
                                    for line in links.splitlines()) if name.startswith(tap)],
        "tracefs_mounts": [point for point in tracefs_mounts()
                           if f"vtrace-tracefs-{pid}-" in point],
        "instances": instances,
        "uprobes": uprobes,
        "qemu": _qemu_of(tap),
    }


NOTHING: dict[str, object] = {"links": [], "tracefs_mounts": [], "instances": [], "uprobes": [],
                              "qemu": []}
