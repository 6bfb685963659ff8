"""What the lab needs of the host, checked before anything on it changes.

Each check looks through a ``HostView`` (callables for files, programs and
ids), so tests can show the checks a host of their own making. Every
problem is one line that ends with its fix.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from vtrace.lab.elf import is_static
from vtrace.lab.image import BUSYBOX
from vtrace.lab.params import Accel, Backend, LabParams

__all__ = ["HostView", "check_host", "check_tracefs", "kvm_usable", "resolve_accel"]

_CAP_NET_ADMIN, _CAP_SYS_ADMIN = 12, 21
_LIBC_A = ("/usr/lib/x86_64-linux-gnu/libc.a", "/usr/lib/libc.a")


def _read(path: str) -> str | None:
    try:
        return Path(path).read_text(errors="replace")
    except OSError:
        return None


@dataclass(frozen=True)
class HostView:
    """How the checks see the host; the defaults look at this one."""

    euid: Callable[[], int] = os.geteuid
    read: Callable[[str], str | None] = _read
    exists: Callable[[str], bool] = os.path.exists
    which: Callable[[str], str | None] = shutil.which
    static: Callable[[str], bool] = field(default=lambda path: is_static(Path(path)))
    #: Whether the guest kernel can be had: cached, or named by apt (``kernel.kernel_package``).
    kernel_available: Callable[[], bool] = lambda: True


def _capabilities(host: HostView) -> int:
    status = host.read("/proc/self/status") or ""
    for line in status.splitlines():
        if line.startswith("CapEff:"):
            return int(line.split()[1], 16)
    return 0


def _privileged(host: HostView) -> bool:
    if host.euid() == 0:
        return True
    needed = (1 << _CAP_SYS_ADMIN) | (1 << _CAP_NET_ADMIN)
    return _capabilities(host) & needed == needed


def kvm_usable(host: HostView) -> tuple[bool, str]:
    """KVM works where /dev/kvm exists and the CPU has VMX or SVM (a /dev/kvm without them,
    e.g. a paravirtual one, starts QEMU but hangs the guest)."""
    if not host.exists("/dev/kvm"):
        return False, "no /dev/kvm"
    flags = set()
    for line in (host.read("/proc/cpuinfo") or "").splitlines():
        if line.startswith("flags"):
            flags.update(line.split(":", 1)[-1].split())
    if not flags & {"vmx", "svm"}:
        return False, "/dev/kvm is there but the CPU shows no vmx or svm"
    return True, "/dev/kvm with hardware virtualisation"


def resolve_accel(requested: Accel, host: HostView) -> tuple[Accel, str]:
    """The accelerator a run uses, and a line saying which and why."""
    usable, why = kvm_usable(host)
    if requested is Accel.TCG:
        return Accel.TCG, "accelerator: TCG (asked for)"
    if requested is Accel.KVM or usable:
        return Accel.KVM, f"accelerator: KVM ({why})"
    return Accel.TCG, f"accelerator: TCG, since KVM does not work here ({why})"


def check_host(params: LabParams, host: HostView) -> list[str]:
    """Every problem that stops a run, one line each with its fix; empty when all is there."""
    problems = []
    if not _privileged(host):
        problems.append("not root: run it as root (sudo vtrace lab ...), or with CAP_SYS_ADMIN "
                        "and CAP_NET_ADMIN")
    if not host.exists("/dev/net/tun"):
        problems.append("no /dev/net/tun: load the tun module (modprobe tun)")
    if not _tracefs_possible(host):
        problems.append("no tracefs in /proc/filesystems: the host kernel needs CONFIG_TRACING")
    for program, package in (("qemu-system-x86_64", "qemu-system-x86"), ("gcc", "gcc"),
                             ("cpio", "cpio"), ("nm", "binutils")):
        if host.which(program) is None:
            problems.append(f"no {program}: apt-get install {package}")
    if not any(host.exists(path) for path in _LIBC_A):
        problems.append("no static C library (libc.a) for the guest's helpers: "
                        "apt-get install libc6-dev")
    if not host.exists(str(BUSYBOX)) or not host.static(str(BUSYBOX)):
        problems.append(f"no static busybox at {BUSYBOX}: apt-get install busybox-static")
    problems += _kernel_problems(params, host)
    if params.backend is Backend.VHOST_NET and not host.exists("/dev/vhost-net"):
        problems.append("--backend vhost-net needs /dev/vhost-net, which this host does not "
                        "have: modprobe vhost_net (a kernel with CONFIG_VHOST_NET), or use "
                        "--backend qemu")
    if params.accel is Accel.KVM and not kvm_usable(host)[0]:
        problems.append(f"--accel kvm does not work here ({kvm_usable(host)[1]}): use "
                        "--accel tcg or --accel auto")
    return problems


def _tracefs_possible(host: HostView) -> bool:
    if host.exists("/sys/kernel/tracing/trace_clock"):
        return True
    return "tracefs" in (host.read("/proc/filesystems") or "")


def _kernel_problems(params: LabParams, host: HostView) -> list[str]:
    if params.kernel is not None:
        problems = []
        if not host.exists(str(params.kernel)):
            problems.append(f"--kernel {params.kernel}: no such file")
        if params.modules is None or not host.exists(str(params.modules)):
            problems.append(f"--modules {params.modules}: no such directory (the one holding "
                            "virtio_net.ko and its dependencies)")
        return problems
    if host.which("apt-get") is None or host.which("dpkg") is None:
        return ["no guest kernel: without apt-get and dpkg, pass --kernel PATH --modules PATH"]
    if not host.kernel_available():
        return ["no guest kernel package: apt-get update (so that apt-cache depends "
                "linux-image-amd64 names it), or pass --kernel PATH --modules PATH"]
    return []


def check_tracefs(root: Path) -> list[str]:
    """What tracefs itself must offer, once mounted: uprobe events and the x86-tsc clock."""
    problems = []
    if not (root / "uprobe_events").exists():
        problems.append(f"no {root}/uprobe_events: the host kernel needs CONFIG_UPROBE_EVENTS")
    clocks = (_read(str(root / "trace_clock")) or "").replace("[", " ").replace("]", " ")
    if "x86-tsc" not in clocks.split():
        problems.append("no x86-tsc trace clock (an x86 host with a TSC is needed): "
                        f"{root}/trace_clock offers {' '.join(clocks.split()) or 'nothing'}")
    return problems
