"""The guest's boot files: kernel versions, modules, the cached initramfs, ELF facts."""

from __future__ import annotations

import gzip
import lzma
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import needs, program

from vtrace.lab.elf import has_pvh_entry, is_static, symbol_offsets
from vtrace.lab.errors import LabError
from vtrace.lab.image import BUSYBOX, build_image, cache_root
from vtrace.lab.kernel import MODULES, KernelFiles, boot_image, bzimage_version, user_kernel

needs_build_tools = needs(
    not all(shutil.which(tool) for tool in ("gcc", "cpio")) or not BUSYBOX.exists(),
    "building the initramfs needs gcc, cpio and busybox-static: apt-get install gcc cpio "
    "busybox-static")


def fake_bzimage(path: Path, version: str, payload: bytes = b"") -> Path:
    """The boot protocol's set-up header, enough of it to carry a version string."""
    image = bytearray(0x400)
    image[0x202:0x206] = b"HdrS"
    image[0x20E:0x210] = (0x300 - 0x200).to_bytes(2, "little")
    text = f"{version} (builder@example) #1 SMP".encode() + b"\0"
    image[0x300:0x300 + len(text)] = text
    path.write_bytes(bytes(image) + payload)
    return path


def test_the_kernel_version_is_read_from_the_bzimage_header(tmp_path: Path) -> None:
    assert bzimage_version(fake_bzimage(tmp_path / "k", "6.1.0-57-amd64")) == "6.1.0-57-amd64"
    (tmp_path / "junk").write_bytes(b"\0" * 0x400)
    with pytest.raises(LabError, match="not a bzImage"):
        bzimage_version(tmp_path / "junk")


def test_a_kernel_without_a_pvh_elf_inside_is_booted_as_it_is(tmp_path: Path) -> None:
    packed = fake_bzimage(tmp_path / "k", "6.1.0", lzma.compress(b"not an ELF",
                                                                   format=lzma.FORMAT_XZ))
    assert boot_image(packed, tmp_path / "vmlinux") == packed
    assert not (tmp_path / "vmlinux").exists()


def test_user_modules_are_found_below_the_directory_and_unpacked(tmp_path: Path) -> None:
    tree = tmp_path / "lib" / "modules" / "drivers"
    tree.mkdir(parents=True)
    for name in MODULES:
        body = f"module {name}".encode()
        if name == "virtio_net":
            (tree / f"{name}.ko.xz").write_bytes(lzma.compress(body, format=lzma.FORMAT_XZ))
        else:
            (tree / f"{name}.ko").write_bytes(body)
    kernel = user_kernel(fake_bzimage(tmp_path / "vmlinuz", "6.1.0-9-amd64"),
                         tmp_path / "lib", tmp_path / "cache")
    assert kernel.version == "6.1.0-9-amd64"
    assert [path.name for path in kernel.modules] == [f"{name}.ko" for name in MODULES]
    assert kernel.modules[-1].read_bytes() == b"module virtio_net"
    (tree / "failover.ko").unlink()
    with pytest.raises(LabError, match="no module failover"):
        user_kernel(tmp_path / "vmlinuz", tmp_path / "lib", tmp_path / "cache")


@needs_build_tools
def test_the_initramfs_holds_init_busybox_helpers_and_modules_and_is_reused(
        tmp_path: Path) -> None:
    modules = []
    for name in MODULES:
        modules.append(tmp_path / f"{name}.ko")
        modules[-1].write_bytes(b"\x7fELF module")
    kernel = KernelFiles("6.1.0-9-amd64", tmp_path / "vmlinuz", tuple(modules),
                         tmp_path / "vmlinuz")
    first = build_image(kernel, tmp_path / "cache")
    assert not first.reused and first.initramfs.name.startswith("initramfs-6.1.0-9-amd64-")
    listing = subprocess.run(["cpio", "-t", "--quiet"], input=gzip.decompress(
        first.initramfs.read_bytes()), capture_output=True, check=True).stdout.decode().split()
    for member in ("init", "bin/busybox", "bin/sh", "bin/insmod", "bin/udpsend",
                   "bin/udprecv", "lib/modules/virtio_net.ko", "etc/vtrace/modules",
                   "etc/vtrace/send.functions", "etc/vtrace/recv.events"):
        assert member in listing
    again = build_image(kernel, tmp_path / "cache")
    assert again.reused and again.initramfs == first.initramfs


def test_the_cache_follows_xdg_cache_home_or_home() -> None:
    assert cache_root({"XDG_CACHE_HOME": "/c"}) == Path("/c/vtrace/lab")
    assert cache_root({"HOME": "/home/t"}) == Path("/home/t/.cache/vtrace/lab")


@program("gcc", "gcc")
def test_symbol_offsets_turn_addresses_into_file_offsets(tmp_path: Path) -> None:
    source = tmp_path / "lib.c"
    source.write_text("int vtrace_probe_me(int x) { return x + 1; }\n")
    library = tmp_path / "lib.so"
    subprocess.run(["gcc", "-shared", "-fPIC", "-O2", "-o", str(library), str(source)],
                   check=True)
    offset = symbol_offsets(library, {"vtrace_probe_me", "absent"})
    assert set(offset) == {"vtrace_probe_me"}
    objdump = subprocess.run(["objdump", "-d", "-F", str(library)], capture_output=True,
                             text=True, check=True).stdout
    assert f"<vtrace_probe_me> (File Offset: {offset['vtrace_probe_me']:#x})" in objdump
    assert not has_pvh_entry(library)


@needs(not BUSYBOX.exists(), "needs busybox-static: apt-get install busybox-static")
def test_busybox_static_is_static() -> None:
    assert is_static(BUSYBOX)
    assert not is_static(Path(os.path.realpath(sys.executable)))  # it has an interpreter
    assert not is_static(Path(__file__))
