"""Running ``vtrace ARGS`` in a test, through ``main`` (where exit codes are decided)."""

from __future__ import annotations

import signal

from click.testing import CliRunner

from vtrace.cli import main


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """(exit status, standard output, standard error) of ``vtrace ARGS``."""
    runner = CliRunner()
    with runner.isolation(env=env) as streams:
        try:
            main(list(args))
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else 1
        out, err = streams[0].getvalue(), streams[1].getvalue()
    return code, out.decode(), err.decode()


def interruptible() -> None:
    """For a child process (``preexec_fn``): Ctrl-C as at a terminal, even where the tests
    run in the background of a shell, which starts its children ignoring SIGINT."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
