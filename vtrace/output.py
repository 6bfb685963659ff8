"""Writing output files atomically: all of the file appears, or none of it.

Data goes to a temporary file beside the target, which replaces the target
only when the writer finishes. An error removes the temporary file; an
interruption (Ctrl-C, SIGTERM, SIGHUP: ``vtrace.stop``) keeps what was written
so far when the caller asks for that, because every line of an event stream is
complete on its own.

A target that exists and is not a regular file (``/dev/null``, a named pipe,
a terminal) is written straight to: it has no contents to keep whole, and
replacing it would put a regular file where the device or pipe was. A
symbolic link stays a link; the file it points to is the one replaced. ``-`` is
no file: a command's standard output is its ``Environment``'s (``Environment.output``).

Messages name the user's path, never the temporary file's; ``check_apart``
refuses an output that would replace a file the command reads, or that
another output of the same command writes.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any, TypeVar

from vtrace.stop import interruption

T = TypeVar("T")

__all__ = ["OutputError", "atomic_output", "check_apart", "check_writable", "same_file"]


class OutputError(Exception):
    """An output path cannot be written."""


def check_writable(path: str) -> None:
    """Fail before any work if ``path`` (not ``-``) cannot be created."""
    if path == "-":
        return
    if not path:
        raise OutputError("an empty name is not a file: name one, or '-' for standard output")
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


def check_apart(outputs: Sequence[tuple[str, str | None]], inputs: Iterable[str] = ()) -> None:
    """Refuse an output that is a file among ``inputs`` (or already in an input directory),
    or the file of an earlier output. ``outputs``: (what names it, path or None), e.g.
    ``("--events", "run.jsonl")``. Standard output and devices may be named twice."""
    named = [(what, path) for what, path in outputs if path and _replaceable(path)]
    sources = [source for source in inputs if source != "-"]
    for number, (what, path) in enumerate(named):
        for source in sources:
            if same_file(path, source) or _inside(path, source):
                where = "is" if same_file(path, source) else "is a file in"
                raise OutputError(f"{what} {path} {where} {source}, which this command reads; "
                                  "write to another file")
        for other, earlier in named[:number]:
            if same_file(path, earlier):
                raise OutputError(f"{other} {earlier} and {what} {path} are one file; give "
                                  "each its own")


def _replaceable(path: str) -> bool:
    """Whether ``path`` would be replaced (not ``-``, not a device or pipe written through)."""
    target = _resolved(path)
    return path != "-" and (target.is_file() or not target.exists())


def _inside(path: str, directory: str) -> bool:
    """Whether ``path`` is a file already in ``directory`` (or below it)."""
    folder = _resolved(directory)
    target = _resolved(path)
    return folder.is_dir() and target.is_file() and folder in target.parents


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
        with _opened(_named(path, os.open, target, os.O_WRONLY), mode) as handle:
            yield handle
        return
    # The name is chosen before the file is made, so that a signal that comes as it is
    # made (before Python holds its descriptor) still finds it to remove or keep.
    temporary = str(target.parent / f".{target.name}.{secrets.token_hex(4)}.tmp")
    descriptor: int | None = None
    try:
        descriptor = _named(path, os.open, temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL,
                            0o600)
        with _opened(descriptor, mode) as handle:
            yield handle
    except BaseException as error:
        interrupted = interruption(error) is not None  # Ctrl-C, SIGTERM, SIGHUP (vtrace.stop)
        if descriptor is None and not interrupted:
            raise  # the file was not made (or the name was another's)
        if keep_on_interrupt and interrupted and os.path.exists(temporary):
            _publish(path, temporary, target)
        else:
            with suppress(FileNotFoundError):
                os.unlink(temporary)
        raise
    _publish(path, temporary, target)


def _publish(path: str, temporary: str, target: Path) -> None:
    """Put the finished (or kept) temporary file in place with the mode a plain ``open``
    would have given it (the temporary file is made 0600, whatever the umask says)."""
    try:
        os.chmod(temporary, 0o666 & ~_umask())
        _named(path, os.replace, temporary, target)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def _named(path: str, call: Callable[..., T], *args: Any, **options: Any) -> T:
    """``call(...)``, with an OSError told as an OutputError about ``path``, the user's
    name, and not about the temporary file beside it."""
    try:
        return call(*args, **options)
    except OSError as error:
        raise OutputError(f"{path}: cannot be written: {error.strerror or error}") from None


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
