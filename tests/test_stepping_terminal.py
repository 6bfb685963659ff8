"""Reading keys on a real terminal (a pty): cbreak while stepping, again after fg, restored."""

from __future__ import annotations

import os
import pty
import signal
import termios

from vtrace.terminal import keypresses


def test_cbreak_comes_back_after_sigcont_and_the_terminal_is_restored() -> None:
    controller, device = pty.openpty()
    before_handler = signal.getsignal(signal.SIGCONT)
    try:
        with os.fdopen(device, "r", closefd=False) as stream:
            before = termios.tcgetattr(device)
            assert before[3] & termios.ICANON
            with keypresses(stream) as read_key:
                assert not termios.tcgetattr(device)[3] & termios.ICANON
                termios.tcsetattr(device, termios.TCSANOW, before)  # as a shell does on ^Z
                os.kill(os.getpid(), signal.SIGCONT)
                assert not termios.tcgetattr(device)[3] & termios.ICANON
                os.write(controller, b"\x1b[6~")
                assert read_key() == "\x1b[6~"
            assert termios.tcgetattr(device) == before
        assert signal.getsignal(signal.SIGCONT) == before_handler
    finally:
        os.close(controller)
        os.close(device)
