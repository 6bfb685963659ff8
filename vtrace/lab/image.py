"""The guest's boot files: a kernel and an initramfs with busybox, the modules and the helpers.

The initramfs is built once per kernel version and version of the guest's
files (``/init``, the helpers' C sources, the filter lists, busybox itself),
and kept in the cache under a name made of both; a run whose files are
unchanged boots the cached one.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from vtrace.lab.errors import LabError
from vtrace.lab.kernel import KernelFiles

__all__ = ["BUSYBOX", "HELPERS", "GuestImage", "build_image", "cache_root", "guest_files"]

BUSYBOX = Path("/bin/busybox")
#: Static programs compiled from the C sources shipped with the package.
HELPERS = ("udpsend", "udprecv", "tcpsend", "tcprecv", "rsskey")
_CONFIG = ("modules", "send.functions", "recv.functions", "send.events", "recv.events")


@dataclass(frozen=True, slots=True)
class GuestImage:
    kernel: KernelFiles
    initramfs: Path
    reused: bool  # True when the cached initramfs was booted as it was


def cache_root(environ: dict[str, str] | None = None) -> Path:
    """``$XDG_CACHE_HOME/vtrace/lab``, or ``~/.cache/vtrace/lab``."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_CACHE_HOME") or str(Path(env.get("HOME", "/root")) / ".cache")
    return Path(base) / "vtrace" / "lab"


def guest_files() -> dict[str, bytes]:
    """The guest's own files as shipped with the package, by name."""
    folder = resources.files("vtrace.lab").joinpath("guest")
    names = ("init", *(f"{helper}.c" for helper in HELPERS), *_CONFIG)
    return {name: folder.joinpath(name).read_bytes() for name in names}


def build_image(kernel: KernelFiles, cache: Path, busybox: Path = BUSYBOX) -> GuestImage:
    """The initramfs for ``kernel`` from the cache, or built and cached now."""
    files = guest_files()
    key = _key(kernel.version, files, busybox)
    target = cache / f"initramfs-{kernel.version}-{key}.cpio.gz"
    if target.is_file():
        return GuestImage(kernel, target, reused=True)
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache, prefix=".initramfs-") as work_dir:
        root = Path(work_dir) / "root"
        _populate(root, kernel, files, busybox)
        packed = Path(work_dir) / "initramfs.cpio.gz"
        packed.write_bytes(gzip.compress(_cpio(root), compresslevel=1))
        packed.rename(target)
    return GuestImage(kernel, target, reused=False)


def _key(version: str, files: dict[str, bytes], busybox: Path) -> str:
    digest = hashlib.sha256(version.encode())
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + files[name])
    digest.update(busybox.read_bytes())
    return digest.hexdigest()[:12]


def _populate(root: Path, kernel: KernelFiles, files: dict[str, bytes], busybox: Path) -> None:
    for folder in ("bin", "dev", "proc", "sys", "tmp", "etc/vtrace", "lib/modules"):
        (root / folder).mkdir(parents=True)
    shutil.copyfile(busybox, root / "bin" / "busybox")
    (root / "bin" / "busybox").chmod(0o755)
    listed = subprocess.run([str(busybox), "--list"], capture_output=True, text=True,
                            check=True).stdout.split()
    for applet in listed:
        if applet != "busybox":
            (root / "bin" / applet).symlink_to("busybox")
    for module in kernel.modules:
        shutil.copyfile(module, root / "lib" / "modules" / module.name)
    for name in _CONFIG:
        (root / "etc" / "vtrace" / name).write_bytes(files[name])
    (root / "init").write_bytes(files["init"])
    (root / "init").chmod(0o755)
    for helper in HELPERS:
        _compile(files[f"{helper}.c"], root / "bin" / helper)


def _compile(source: bytes, output: Path) -> None:
    c_file = output.with_suffix(".c")
    c_file.write_bytes(source)
    built = subprocess.run(["gcc", "-static", "-O2", "-Wall", "-o", str(output), str(c_file)],
                           capture_output=True, text=True, check=False)
    c_file.unlink()
    if built.returncode != 0:
        raise LabError(f"gcc could not build {output.name}: "
                       f"{(built.stderr.strip().splitlines() or ['?'])[-1]}")


def _cpio(root: Path) -> bytes:
    names = sorted(str(path.relative_to(root)) for path in root.rglob("*"))
    listing = "\n".join([".", *names]) + "\n"
    packed = subprocess.run(["cpio", "-o", "-H", "newc", "--quiet"], cwd=root,
                            input=listing.encode(), capture_output=True, check=False)
    if packed.returncode != 0:
        raise LabError(f"cpio failed: {packed.stderr.decode(errors='replace').strip()}")
    return packed.stdout
