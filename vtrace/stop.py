"""SIGTERM and SIGHUP end a run the way Ctrl-C does.

``timeout``, a closed terminal or a job scheduler stop a program with SIGTERM
or SIGHUP. Under ``stoppable`` either one raises ``Stopped``, a kind of
``KeyboardInterrupt``, so every path that already handles Ctrl-C (a stream
file keeps its complete lines, a temporary file goes, the terminal gets its
cursor back, the summary says the run was interrupted) handles them too; the
exit status is 128 plus the signal's number, as the shell reports a process
the signal killed.

``guarded`` holds these signals and Ctrl-C while a clean-up runs, and raises
the first that came once it is over: a clean-up runs to its end, and the
signal still ends the program.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType

__all__ = ["ENDING", "Stopped", "guarded", "interruption", "raise_for", "stoppable"]

#: The signals that end a run as Ctrl-C does (SIGINT raises KeyboardInterrupt by itself).
ENDING = (signal.SIGTERM, signal.SIGHUP)


class Stopped(KeyboardInterrupt):
    """SIGTERM or SIGHUP arrived; ``number`` says which."""

    def __init__(self, number: int) -> None:
        super().__init__(signal.Signals(number).name)
        self.number = number

    @property
    def status(self) -> int:
        return 128 + self.number


def interruption(error: BaseException) -> KeyboardInterrupt | None:
    """The Ctrl-C or signal behind ``error``: itself, or one it was raised while handling
    (after SIGHUP, the live view's last redraw fails on the closed terminal)."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, KeyboardInterrupt):
            return seen
        seen = seen.__context__
    return None


def _raise_stopped(number: int, frame: FrameType | None) -> None:
    raise Stopped(number)


@contextlib.contextmanager
def stoppable() -> Iterator[None]:
    """SIGTERM and SIGHUP raise ``Stopped`` inside the block; a signal the process was
    started ignoring (``nohup``) stays ignored. Off the main thread, which alone receives
    signals, nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {}
    for number in ENDING:
        if signal.getsignal(number) is not signal.SIG_IGN:
            previous[number] = signal.signal(number, _raise_stopped)
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def raise_for(number: int) -> None:
    """Raise what signal ``number`` raises in a run: KeyboardInterrupt or ``Stopped``."""
    if number == signal.SIGINT:
        raise KeyboardInterrupt
    raise Stopped(number)


@contextlib.contextmanager
def guarded(clean_up: Callable[[], object]) -> Iterator[None]:
    """Run the block, then ``clean_up`` to its end whichever way the block ends.

    In the block the first Ctrl-C, SIGTERM or SIGHUP raises as it does in a run. From then
    on, and while ``clean_up`` runs, these signals are only noted: after the clean-up the
    first noted one is raised, unless the block already ends with a signal of its own.
    """
    arrived: list[int] = []
    raising = True

    def handle(number: int, frame: FrameType | None) -> None:
        nonlocal raising
        if raising:
            raising = False
            raise_for(number)
        arrived.append(number)

    previous = {number: signal.signal(number, handle)
                for number in (signal.SIGINT, *ENDING)
                if signal.getsignal(number) is not signal.SIG_IGN}
    try:
        try:
            yield
        finally:
            raising = False
            clean_up()
    except KeyboardInterrupt:
        raise
    except BaseException:
        if arrived:
            raise_for(arrived[0])
        raise
    else:
        if arrived:
            raise_for(arrived[0])
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
