"""The ``vtrace`` command group.

Commands are imported only when one runs: ``vtrace --help`` needs their
names and one-line summaries, which live in ``COMMANDS`` (a test keeps them
equal to each command's own help), so listing them costs no import of the
engine, the catalog or the renderers.
"""

from __future__ import annotations

import importlib

import click

from vtrace import __version__

__all__ = ["COMMANDS", "cli"]

#: name -> (module, attribute, one-line summary), in the order ``--help`` lists them.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "send": (
        "vtrace.cli.replay", "send_command",
        "Send frames from the guest and watch each step of their way to the host.",
    ),
    "recv": ("vtrace.cli.replay", "recv_command",
             "Send frames from the host into the guest and watch each step of their way in."),
    "play": ("vtrace.cli.play", "play_command",
             "Play a recorded stream (a JSON Lines file, '-' for stdin) through a terminal view."),
    "diagram": (
        "vtrace.cli.diagram", "diagram_command",
        "Draw a sequence diagram, the layered overview, or a trace, into OUT ('-': stdout).",
    ),
    "setup": ("vtrace.cli.replay", "setup_command",
              "Replay the set-up before any packet moves: tap, virtio-net device, guest driver."),
    "steps": ("vtrace.cli.steps", "steps_command",
              "List every step vtrace replays: function, source location, layer and actor."),
    "explain": ("vtrace.cli.explain", "explain_command",
                "Explain one step: a catalog key or a function name (e.g. free_old_xmit)."),
    "lab": ("vtrace.cli.lab", "lab_command",
            "Boot a real guest and capture its datagrams on the guest, QEMU and host layers."),
    "import": ("vtrace.cli.importer", "import_command",
               "Turn real traces (ftrace, trace-cmd, QEMU's log, retis, pwru, a lab capture) "
               "into vtrace's events."),
    "compare": ("vtrace.cli.compare", "compare_command",
                "Compare the costs of QEMU's virtio-net and vhost-net for the same frames."),
    "compare-trace": ("vtrace.cli.compare_trace", "compare_trace_command",
                      "Compare a capture (stream, trace file, lab directory) with the replay of "
                      "its parameters, hop by hop."),
    "diff": ("vtrace.cli.diff", "diff_command",
             "Show two eras' paths side by side, with the changed steps marked and explained."),
}

EPILOG = """\b
Examples:
  vtrace send --frames 3                 watch three frames leave the guest
  vtrace send --frames 1000 --batch 32 --events run.jsonl --view quiet
  vtrace send --no-ioeventfd             the exit-to-QEMU path the 2019 lesson draws
  vtrace diagram send.svg                the sequence diagram of one frame
  vtrace send --era lesson --lang zh     the 2019 lesson's versions, explained in Chinese
  vtrace setup                           how the tap and the device came to exist
  vtrace play run.jsonl                  a recorded run, in the live view
  vtrace explain virtio_net_flush_tx     where a function is, and what changed
"""


class LazyGroup(click.Group):
    """A group whose commands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        module, attribute, _ = entry
        command: click.Command = getattr(importlib.import_module(module), attribute)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, summary) for name, (_, _, summary) in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, epilog=EPILOG,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="vtrace")
def cli() -> None:
    """Trace and visualise how a packet leaves a QEMU/KVM guest through virtio-net."""
