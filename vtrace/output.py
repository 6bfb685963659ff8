"""Writing output files atomically: all of the file appears, or none of it.

Data goes to a temporary file beside the target, which replaces the target
only when the writer finishes. An error removes the temporary file; an
interruption (Ctrl-C) keeps what was written so far when the caller asks for
that, because every line of an event stream is complete on its own.

A target that exists and is not a regular file (``/dev/null``, a named pipe,
a terminal) is written straight to: it has no contents to keep whole, and
replacing it would put a regular file where the device or pipe was. A
symbolic link stays a link; the file it points to is the one replaced. ``-`` is
no file: a command's standard output is its ``Environment``'s (``Environment.output``).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

__all__ = ["OutputError", "atomic_output", "check_writable", "same_file"]


class OutputError(Exception):
    """An output path cannot be written."""


def check_writable(path: str) -> None:
    """Fail before any work if ``path`` (not ``-``) cannot be created."""
    if path == "-":
        return
    target = _resolved(path)
    if target.is_dir():
        raise OutputError(f"{path}: is a directory")
    if target.exists() and not target.is_file():
        if not os.access(target, os.W_OK):
            raise OutputError(f"{path}: is not writable")
        return
    parent = target.parent
    if not parent.is_dir():
        raise OutputError(f"{path}: directory {str(parent)!r} does not exist")
    if not os.access(parent, os.W_OK):
        raise OutputError(f"{path}: directory {str(parent)!r} is not writable")
    if target.exists() and not os.access(target, os.W_OK):
        raise OutputError(f"{path}: file is not writable")


def same_file(output: str, source: str) -> bool:
    """Whether writing ``output`` would replace ``source`` (links followed), so that a
    command can refuse to overwrite the file it reads."""
    if "-" in (output, source):
        return False
    target, read = _resolved(output), _resolved(source)
    if target == read:
        return True
    try:
        return os.path.samefile(target, read)
    except OSError:
        return False


@contextmanager
def atomic_output(path: str, *, binary: bool = False,
                  keep_on_interrupt: bool = False) -> Iterator[IO[Any]]:
    """Open ``path`` for writing through a temporary file."""
    if path == "-":
        raise ValueError("'-' is the command's standard output: use Environment.output")
    check_writable(path)
    target = _resolved(path)
    mode = "wb" if binary else "w"
    if target.exists() and not target.is_file():
        with _opened(os.open(target, os.O_WRONLY), mode) as handle:
            yield handle
        return
    descriptor, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp",
                                             dir=target.parent)
    try:
        with _opened(descriptor, mode) as handle:
            yield handle
    except KeyboardInterrupt:
        if keep_on_interrupt:
            _publish(temporary, target)
        else:
            os.unlink(temporary)
        raise
    except BaseException:
        os.unlink(temporary)
        raise
    _publish(temporary, target)


def _publish(temporary: str, target: Path) -> None:
    """Put the finished (or kept) temporary file in place with the mode a plain ``open``
    would have given it: mkstemp makes it 0600, whatever the umask says."""
    os.chmod(temporary, 0o666 & ~_umask())
    os.replace(temporary, target)


def _resolved(path: str) -> Path:
    """``path`` with symbolic links followed, so a link is kept and its file replaced."""
    return Path(os.path.realpath(path))


def _opened(descriptor: int, mode: str) -> IO[Any]:
    if mode == "wb":
        return os.fdopen(descriptor, mode)
    return os.fdopen(descriptor, mode, encoding="utf-8", newline="\n")


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
