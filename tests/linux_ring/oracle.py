"""Linux 6.1's virtio_ring.c as a test oracle: unpacked from Debian's linux-source-6.1,
built in userspace with the kernel's tools/virtio shims and driven by harness.c.

Nothing of the kernel is kept in the repository: the members are unpacked into a
temporary directory when the tests run.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

TARBALL = Path("/usr/src/linux-source-6.1.tar.xz")
PACKAGE = "linux-source-6.1"
HARNESS = Path(__file__).with_name("harness.c")

# What harness.c needs, found with `gcc -M`: the ring itself, the shims, and the
# few kernel headers the shims include by relative path.
_TREES = ("tools/virtio", "tools/include")
_FILES = (
    "drivers/virtio/virtio_ring.c",
    "include/linux/kconfig.h",
    "include/linux/kern_levels.h",
    "include/linux/virtio_ring.h",
    "include/linux/irqreturn.h",
    "include/linux/byteorder/generic.h",
    "include/linux/virtio_byteorder.h",
    "include/uapi/linux/virtio_ring.h",
    "include/uapi/linux/virtio_types.h",
    "include/uapi/linux/virtio_config.h",
)


def missing() -> str | None:
    """Why the oracle cannot be built here, naming what to install; None when it can."""
    if not TARBALL.exists():
        return f"needs Debian's {PACKAGE} package (apt-get install {PACKAGE})"
    if shutil.which("gcc") is None:
        return "needs gcc (apt-get install gcc libc6-dev)"
    return None


def build(workdir: Path) -> Path:
    """Unpack the needed members into ``workdir`` and build the harness; its path."""
    members = [f"{PACKAGE}/{name}" for name in (*_TREES, *_FILES)]
    subprocess.run(["tar", "-xJf", str(TARBALL), "-C", str(workdir), *members],
                   check=True, capture_output=True)
    tree = workdir / PACKAGE
    virtio = tree / "tools" / "virtio"
    harness = workdir / "harness"
    subprocess.run(
        ["gcc", "-O2", "-w", "-I.", "-I../include", f"-I{tree / 'drivers' / 'virtio'}",
         "-fno-strict-overflow", "-fno-strict-aliasing", "-fno-common", "-U_FORTIFY_SOURCE",
         "-include", str(tree / "include" / "linux" / "kconfig.h"),
         str(HARNESS), "-o", str(harness)],
        cwd=virtio, check=True, capture_output=True, text=True,
    )
    return harness


def run(harness: Path, script: list[str]) -> list[str]:
    """The harness's answer lines to ``script`` (its first line is the configuration)."""
    done = subprocess.run([str(harness)], input="\n".join(script) + "\n",
                          capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"harness exit {done.returncode}: {done.stderr.strip()}")
    return done.stdout.splitlines()
