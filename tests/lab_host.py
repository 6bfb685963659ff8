"""What a lab run may leave on the host, as one snapshot of what that run could have made.

Everything a run makes carries its pid: the tap ``vt<pid>``, the tracefs mount
``vtrace-tracefs-<pid>-*``, the instance and uprobe group ``vtrace_<pid>``, and
QEMU's command line names the tap. Other runs on the same host (other users,
other test sessions) make their own, so the snapshot looks only at one pid's.
"""

from __future__ import annotations

import contextlib
import re
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


def _uprobe_names(tracefs: Path) -> set[str]:
    return {line.split()[0].split(":", 1)[1]
            for line in (tracefs / "uprobe_events").read_text().splitlines() if line.strip()}


def whole_host() -> dict[str, set[str]]:
    """Every link, tracefs mount, trace instance and uprobe on the host, by name: compared
    before and after a run, what is new was left by it, or by a run someone else started
    meanwhile, which carries that run's pid. (QEMU is found by its tap, in ``host_state``.)"""
    links = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True,
                           check=True).stdout
    with tracefs_view() as tracefs:
        instances = {path.name for path in (tracefs / "instances").iterdir()}
        uprobes = _uprobe_names(tracefs)
    return {
        "links": {line.split(":")[1].strip().split("@")[0] for line in links.splitlines()},
        "tracefs_mounts": set(tracefs_mounts()),
        "instances": instances,
        "uprobes": uprobes,
    }


def left_behind(before: dict[str, set[str]], after: dict[str, set[str]],
                run_pid: int) -> dict[str, set[str]]:
    """What ``after`` has that ``before`` had not, less what is named after another process
    that still runs (another run, started by someone else meanwhile)."""
    def anothers(item: str) -> bool:
        return any(int(number) != run_pid and Path(f"/proc/{number}").exists()
                   for number in re.findall(r"\d+", item))

    new = {kind: {item for item in after[kind] - before[kind] if not anothers(item)}
           for kind in after}
    return {kind: items for kind, items in new.items() if items}
