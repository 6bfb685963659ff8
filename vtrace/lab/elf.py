"""Where an exported function of a binary starts in its file: what a uprobe needs.

``nm -D --defined-only`` gives each dynamic symbol's virtual address (QEMU's
binary is otherwise stripped); the loadable segment that holds the address
turns it into a file offset.
"""

from __future__ import annotations

import struct
import subprocess
from pathlib import Path

from vtrace.lab.errors import LabError

__all__ = ["has_pvh_entry", "is_static", "symbol_offsets"]

_PT_LOAD = 1
_PT_INTERP = 3
_PT_NOTE = 4
_PVH_NOTE = (b"Xen", 18)  # XEN_ELFNOTE_PHYS32_ENTRY


def symbol_offsets(binary: Path, names: set[str]) -> dict[str, int]:
    """File offsets of those of ``names`` that ``binary`` exports as functions."""
    listed = subprocess.run(["nm", "-D", "--defined-only", str(binary)], capture_output=True,
                            text=True, check=False)
    if listed.returncode != 0:
        raise LabError(f"nm -D {binary} failed: {listed.stderr.strip()}")
    segments = _load_segments(binary)
    offsets: dict[str, int] = {}
    for line in listed.stdout.splitlines():
        fields = line.split()
        if len(fields) == 3 and fields[1] in ("T", "t") and fields[2] in names:
            offsets[fields[2]] = _file_offset(int(fields[0], 16), segments, binary)
    return offsets


def _load_segments(binary: Path) -> list[tuple[int, int, int]]:
    """(vaddr, file size, file offset) of each PT_LOAD segment of a 64-bit little-endian ELF."""
    with binary.open("rb") as image:
        header = image.read(64)
        if header[:4] != b"\x7fELF" or header[4] != 2 or header[5] != 1:
            raise LabError(f"{binary}: not a 64-bit little-endian ELF file")
        phoff, = struct.unpack_from("<Q", header, 0x20)
        phentsize, phnum = struct.unpack_from("<HH", header, 0x36)
        image.seek(phoff)
        table = image.read(phentsize * phnum)
    segments = []
    for index in range(phnum):
        kind, _, offset, vaddr, _, filesz = struct.unpack_from("<IIQQQQ", table,
                                                               index * phentsize)
        if kind == _PT_LOAD:
            segments.append((vaddr, filesz, offset))
    return segments


def _file_offset(address: int, segments: list[tuple[int, int, int]], binary: Path) -> int:
    for vaddr, filesz, offset in segments:
        if vaddr <= address < vaddr + filesz:
            return address - vaddr + offset
    raise LabError(f"{binary}: address {address:#x} is in no loadable segment")


def is_static(binary: Path) -> bool:
    """True when ``binary`` is an ELF file with no program interpreter (statically linked)."""
    try:
        with binary.open("rb") as image:
            header = image.read(64)
            if header[:4] != b"\x7fELF" or header[4] != 2:
                return False
            phoff, = struct.unpack_from("<Q", header, 0x20)
            phentsize, phnum = struct.unpack_from("<HH", header, 0x36)
            image.seek(phoff)
            table = image.read(phentsize * phnum)
    except OSError:
        return False
    return all(struct.unpack_from("<I", table, index * phentsize)[0] != _PT_INTERP
               for index in range(phnum))


def has_pvh_entry(binary: Path) -> bool:
    """True when ``binary`` is an ELF kernel with a PVH entry point (the Xen ELF note
    XEN_ELFNOTE_PHYS32_ENTRY), which QEMU's ``-kernel`` boots without decompressing."""
    try:
        with binary.open("rb") as image:
            header = image.read(64)
            if header[:4] != b"\x7fELF" or header[4] != 2:
                return False
            phoff, = struct.unpack_from("<Q", header, 0x20)
            phentsize, phnum = struct.unpack_from("<HH", header, 0x36)
            image.seek(phoff)
            table = image.read(phentsize * phnum)
            for index in range(phnum):
                kind, _, offset, _, _, filesz = struct.unpack_from("<IIQQQQ", table,
                                                                   index * phentsize)
                if kind == _PT_NOTE:
                    image.seek(offset)
                    if _PVH_NOTE in _notes(image.read(filesz)):
                        return True
    except OSError:
        return False
    return False


def _notes(data: bytes) -> set[tuple[bytes, int]]:
    found = set()
    at = 0
    while at + 12 <= len(data):
        namesz, descsz, kind = struct.unpack_from("<III", data, at)
        name = data[at + 12:at + 12 + namesz].rstrip(b"\0")
        found.add((name, kind))
        at += 12 + (namesz + 3) // 4 * 4 + (descsz + 3) // 4 * 4
    return found
