"""The guest kernel and its virtio-net modules: Debian's package, cached, or paths given.

Debian's ``linux-image-amd64`` depends on the current ABI's package
(``linux-image-6.1.0-N-amd64``); ``apt-get download`` fetches it without
installing, ``dpkg -x`` unpacks it, and only ``vmlinuz`` and the eight modules
the guest loads are kept under the cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import lzma
import re
import shutil
import subprocess
import tempfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from vtrace.lab.elf import has_pvh_entry
from vtrace.lab.errors import LabError

__all__ = ["MODULES", "KernelFiles", "boot_image", "bzimage_version", "cached_kernel",
           "current_package", "kernel_package", "user_kernel"]

#: The modules the guest inserts, in dependency order (each one's ``depends=`` comes first).
MODULES = ("failover", "net_failover", "virtio_ring", "virtio", "virtio_pci_legacy_dev",
           "virtio_pci_modern_dev", "virtio_pci", "virtio_net")
_META_PACKAGE = "linux-image-amd64"
_APT_LISTS = Path("/var/lib/apt/lists")


@dataclass(frozen=True, slots=True)
class KernelFiles:
    version: str  # the release the kernel reports (``uname -r``)
    vmlinuz: Path
    modules: tuple[Path, ...]  # in ``MODULES`` order
    boot: Path  # what QEMU's -kernel gets: the unpacked PVH kernel where there is one


def boot_image(vmlinuz: Path, unpacked: Path) -> Path:
    """The kernel QEMU should boot: ``unpacked`` (the ELF inside ``vmlinuz``, kept there) when
    it has a PVH entry, else ``vmlinuz`` itself. Under TCG, booting the PVH entry skips the
    real-mode set-up and the decompressor: seconds of every boot."""
    if unpacked.is_file():
        return unpacked
    packed = vmlinuz.read_bytes()
    for magic, opener in ((b"\xfd7zXZ\x00", _unxz), (b"\x1f\x8b\x08\x00", _gunzip)):
        start = packed.find(magic)
        if start < 0:
            continue
        try:
            elf = opener(packed[start:])
        except (lzma.LZMAError, zlib.error, EOFError):
            continue
        temporary = unpacked.with_name(f".{unpacked.name}.tmp")
        temporary.write_bytes(elf)
        if has_pvh_entry(temporary):
            temporary.replace(unpacked)
            return unpacked
        temporary.unlink()
    return vmlinuz


def _unxz(data: bytes) -> bytes:
    return lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(data)


def _gunzip(data: bytes) -> bytes:
    return zlib.decompressobj(wbits=31).decompress(data)


def bzimage_version(vmlinuz: Path) -> str:
    """The release string a bzImage carries in its set-up header (boot protocol 2.0+)."""
    with vmlinuz.open("rb") as image:
        header = image.read(0x210)
        if len(header) < 0x210 or header[0x202:0x206] != b"HdrS":
            raise LabError(f"{vmlinuz}: not a bzImage kernel")
        image.seek(int.from_bytes(header[0x20E:0x210], "little") + 0x200)
        text = image.read(256).split(b"\0", 1)[0].decode("ascii", "replace")
    if not text.strip():
        raise LabError(f"{vmlinuz}: no kernel version in its header")
    return text.split()[0]


def kernel_package() -> str | None:
    """The package ``linux-image-amd64`` depends on now, or None where apt does not say."""
    try:
        shown = subprocess.run(["apt-cache", "depends", _META_PACKAGE], capture_output=True,
                               text=True, check=False).stdout
    except FileNotFoundError:
        return None
    found = re.search(r"Depends:\s*(linux-image-\S+-amd64)", shown)
    return found.group(1) if found else None


def user_kernel(vmlinuz: Path, modules: Path, unpack_to: Path) -> KernelFiles:
    """A kernel and a directory of its modules given on the command line (compressed modules
    and the unpacked kernel go to ``unpack_to``)."""
    if not vmlinuz.is_file():
        raise LabError(f"--kernel {vmlinuz}: no such file")
    if not modules.is_dir():
        raise LabError(f"--modules {modules}: no such directory")
    version = bzimage_version(vmlinuz)
    unpack_to.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(vmlinuz.read_bytes()).hexdigest()[:12]
    return KernelFiles(version, vmlinuz, _find_modules(modules, unpack_to),
                       boot_image(vmlinuz, unpack_to / f"vmlinux-{version}-{digest}"))


def _apt_stamp() -> str:
    """Changes whenever ``apt-get update`` rewrites the package lists."""
    try:
        return str(_APT_LISTS.stat().st_mtime_ns)
    except OSError:
        return ""


def current_package(cache: Path) -> str | None:
    """``kernel_package()``, remembered in the cache until apt's lists change (asking apt
    costs about a second, most of a warm run's preparation)."""
    remembered = cache / "kernel" / "current"
    stamp = _apt_stamp()
    with contextlib.suppress(OSError, ValueError):
        seen, known = remembered.read_text().split()
        if stamp and seen == stamp:
            return known
    package = kernel_package()
    if package is not None and stamp:
        remembered.parent.mkdir(parents=True, exist_ok=True)
        remembered.write_text(f"{stamp} {package}\n")
    return package


def cached_kernel(cache: Path, say: Callable[[str], None]) -> KernelFiles:
    """The current Debian kernel under ``cache``, downloaded and unpacked on first use
    (``say`` hears of the download before it starts)."""
    package = current_package(cache)
    if package is None:
        kept = sorted(cache.glob("kernel/*/vmlinuz"))
        if not kept:
            raise LabError(f"apt-cache does not name the package {_META_PACKAGE} depends on: "
                           "run apt-get update, or pass --kernel PATH --modules PATH")
        return _kept(kept[-1].parent)
    target = cache / "kernel" / package.removeprefix("linux-image-")
    if not (target / "vmlinuz").is_file():
        say(f"downloading {package} (once: it is kept in {cache})")
        _download(package, target)
    return _kept(target)


def _kept(directory: Path) -> KernelFiles:
    vmlinuz = directory / "vmlinuz"
    return KernelFiles(bzimage_version(vmlinuz), vmlinuz,
                       tuple(directory / f"{name}.ko" for name in MODULES),
                       boot_image(vmlinuz, directory / "vmlinux"))


def _download(package: str, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".unpack-") as work_dir:
        work = Path(work_dir)
        fetched = subprocess.run(["apt-get", "download", package], cwd=work,
                                 capture_output=True, text=True, check=False)
        debs = list(work.glob("*.deb"))
        if fetched.returncode != 0 or not debs:
            reason = (fetched.stderr.strip().splitlines() or ["no .deb"])[-1]
            raise LabError(f"apt-get download {package} failed ({reason}): run apt-get update, "
                           "or pass --kernel PATH --modules PATH")
        tree = work / "tree"
        subprocess.run(["dpkg", "-x", str(debs[0]), str(tree)], check=True)
        kernels = sorted(tree.glob("boot/vmlinuz-*"))
        if not kernels:
            raise LabError(f"{debs[0].name}: no boot/vmlinuz-* inside")
        keep = work / "keep"
        keep.mkdir()
        shutil.copyfile(kernels[0], keep / "vmlinuz")
        found = _find_modules(tree / "lib" / "modules", keep)
        for name, module in zip(MODULES, found, strict=True):
            if module.parent != keep:
                shutil.copyfile(module, keep / f"{name}.ko")
        keep.rename(target)


def _find_modules(root: Path, unpack_to: Path) -> tuple[Path, ...]:
    """Each of ``MODULES`` under ``root`` (``NAME.ko`` or ``NAME.ko.xz``, unpacked into
    ``unpack_to``)."""
    found: dict[str, Path] = {}
    for path in _module_files(root.rglob("*.ko*")):
        name = path.name.split(".ko")[0]
        if name in MODULES and name not in found:
            found[name] = path
    missing = [name for name in MODULES if name not in found]
    if missing:
        raise LabError(f"{root}: no module {', '.join(missing)} (.ko or .ko.xz)")
    return tuple(_plain(found[name], unpack_to) for name in MODULES)


def _module_files(paths: Iterable[Path]) -> list[Path]:
    return sorted(path for path in paths if path.name.endswith((".ko", ".ko.xz")))


def _plain(module: Path, unpack_to: Path) -> Path:
    if module.name.endswith(".ko"):
        return module
    plain = unpack_to / module.name.removesuffix(".xz")
    plain.write_bytes(lzma.decompress(module.read_bytes()))
    return plain
