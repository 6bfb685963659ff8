"""The ``vtrace`` command group."""

from __future__ import annotations

import click

from vtrace import __version__
from vtrace.cli.diagram import diagram_command
from vtrace.cli.explain import explain_command
from vtrace.cli.send import send_command
from vtrace.cli.setup import setup_command
from vtrace.cli.steps import steps_command

__all__ = ["cli"]

EPILOG = """\b
Examples:
  vtrace send --frames 3                 watch three frames leave the guest
  vtrace send --frames 1000 --batch 32 --events run.jsonl --view quiet
  vtrace send --no-ioeventfd             the exit-to-QEMU path the 2019 lesson draws
  vtrace diagram send.svg                the sequence diagram of one frame
  vtrace send --era lesson --lang zh     the 2019 lesson's versions, explained in Chinese
  vtrace setup                           how the tap and the device came to exist
  vtrace explain virtio_net_flush_tx     where a function is, and what changed
"""


@click.group(epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="vtrace")
def cli() -> None:
    """Trace and visualise how a packet leaves a QEMU/KVM guest through virtio-net."""


cli.add_command(send_command)
cli.add_command(diagram_command)
cli.add_command(setup_command)
cli.add_command(steps_command)
cli.add_command(explain_command)
