"""What the lab reads in ELF files: exported functions' file offsets (for uprobes), whether a
program is static (busybox for the initramfs), whether a kernel has a PVH entry.

``nm -D --defined-only`` gives each dynamic symbol's virtual address (QEMU's
binary is otherwise stripped); the loadable segment that holds the address
turns it into a file offset.
"""

from __future__ import annotations

import struct
import subprocess
from pathlib import Path
from typing import BinaryIO, NamedTuple

from vtrace.lab.errors import LabError

__all__ = ["has_pvh_entry", "is_static", "symbol_offsets"]

_PT_LOAD, _PT_INTERP, _PT_NOTE = 1, 3, 4
_PVH_NOTE = (b"Xen", 18)  # XEN_ELFNOTE_PHYS32_ENTRY


class _Segment(NamedTuple):
    kind: int
    offset: int
    vaddr: int
    filesz: int


def _segments(image: BinaryIO) -> list[_Segment] | None:
    """The program headers of a 64-bit little-endian ELF file; None for any other file."""
    header = image.read(64)
    if len(header) < 64 or header[:4] != b"\x7fELF" or header[4] != 2 or header[5] != 1:
        return None
    phoff, = struct.unpack_from("<Q", header, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", header, 0x36)
    image.seek(phoff)
    table = image.read(phentsize * phnum)
    found = []
    for index in range(phnum):
        kind, _, offset, vaddr, _, filesz = struct.unpack_from("<IIQQQQ", table,
                                                               index * phentsize)
        found.append(_Segment(kind, offset, vaddr, filesz))
    return found


def symbol_offsets(binary: Path, names: set[str]) -> dict[str, int]:
    """File offsets of those of ``names`` that ``binary`` exports as functions."""
    listed = subprocess.run(["nm", "-D", "--defined-only", str(binary)], capture_output=True,
                            text=True, check=False)
    if listed.returncode != 0:
        raise LabError(f"nm -D {binary} failed: {listed.stderr.strip()}")
    with binary.open("rb") as image:
        segments = _segments(image)
    if segments is None:
        raise LabError(f"{binary}: not a 64-bit little-endian ELF file")
    loads = [segment for segment in segments if segment.kind == _PT_LOAD]
    offsets: dict[str, int] = {}
    for line in listed.stdout.splitlines():
        fields = line.split()
        if len(fields) == 3 and fields[1] in ("T", "t") and fields[2] in names:
            offsets[fields[2]] = _file_offset(int(fields[0], 16), loads, binary)
    return offsets


def _file_offset(address: int, loads: list[_Segment], binary: Path) -> int:
    for segment in loads:
        if segment.vaddr <= address < segment.vaddr + segment.filesz:
            return address - segment.vaddr + segment.offset
    raise LabError(f"{binary}: address {address:#x} is in no loadable segment")


def is_static(binary: Path) -> bool:
    """True when ``binary`` is an ELF file with no program interpreter (statically linked)."""
    try:
        with binary.open("rb") as image:
            segments = _segments(image)
    except OSError:
        return False
    return segments is not None and all(segment.kind != _PT_INTERP for segment in segments)


def has_pvh_entry(binary: Path) -> bool:
    """True when ``binary`` is an ELF kernel with a PVH entry point (the Xen ELF note
    XEN_ELFNOTE_PHYS32_ENTRY), which QEMU's ``-kernel`` boots without decompressing."""
    try:
        with binary.open("rb") as image:
            for segment in _segments(image) or []:
                if segment.kind == _PT_NOTE:
                    image.seek(segment.offset)
                    if _PVH_NOTE in _notes(image.read(segment.filesz)):
                        return True
    except OSError:
        return False
    return False


def _notes(data: bytes) -> set[tuple[bytes, int]]:
    found = set()
    at = 0
    while at + 12 <= len(data):
        namesz, descsz, kind = struct.unpack_from("<III", data, at)
        found.add((data[at + 12:at + 12 + namesz].rstrip(b"\0"), kind))
        at += 12 + (namesz + 3) // 4 * 4 + (descsz + 3) // 4 * 4
    return found
