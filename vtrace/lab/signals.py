"""SIGTERM as an exception while a run works, and no signal at all while it cleans up."""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator
from types import FrameType

from vtrace.lab.errors import Terminated

__all__ = ["deferred", "terminable"]


def _raise_terminated(number: int, frame: FrameType | None) -> None:
    raise Terminated()


@contextlib.contextmanager
def terminable() -> Iterator[None]:
    """SIGTERM raises ``Terminated`` (Ctrl-C already raises KeyboardInterrupt)."""
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def deferred() -> Iterator[list[int]]:
    """SIGINT and SIGTERM are noted, not acted on, until the block ends: a clean-up runs to its
    end. Yields the list of signals that came meanwhile."""
    arrived: list[int] = []

    def note(number: int, frame: FrameType | None) -> None:
        arrived.append(number)

    previous = {number: signal.signal(number, note) for number in (signal.SIGINT,
                                                                    signal.SIGTERM)}
    try:
        yield arrived
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
