"""``vtrace import``: real traces into vtrace's event stream, as JSON Lines."""

from __future__ import annotations

from pathlib import Path

import click

from vtrace.cli.env import current
from vtrace.codec import tee_jsonl
from vtrace.output import check_apart, check_writable
from vtrace.renderers.progress import progress
from vtrace.sources.files import SIDES, Imported, Versions, format_names, open_traces

__all__ = ["import_command"]

EPILOG = """\b
Examples:
  vtrace import capture/ --events run.jsonl      a directory vtrace lab --save wrote
  vtrace import guest.txt --linux-version 6.1.0-56-amd64 --tsc-mhz 2100 --events -
  vtrace import guest.txt host.txt --offset-ns 0 --offset-ns -3500 --events both.jsonl
  vtrace import qemu.log --format qemu-log --qemu-version 7.2.22
  vtrace import trace.dat --events guest.jsonl     trace-cmd record, through trace-cmd report
  vtrace import host.dat guest.dat                 trace-cmd record -A: one clock
  vtrace import retis.data --side host             retis collect -o (pwru --output-json too)
"""


@click.command("import", epilog=EPILOG)
@click.argument("paths", nargs=-1, required=True, metavar="FILE|DIR...",
                type=click.Path(exists=True, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(format_names()), default="auto",
              show_default=True,
              help="What the files are (default: told from their first bytes).")
@click.option("--offset-ns", "offsets", type=int, multiple=True, metavar="N",
              help="Shift the i-th file's times by N ns (once per file, in order).")
@click.option("--side", "sides", type=click.Choice(SIDES), multiple=True,
              help="Whether the i-th file is the guest's or the host's (default: auto, "
                   "told from the file: see docs/import.md).")
@click.option("--linux-version", help="The guest kernel's version, e.g. 6.1.0-56-amd64.")
@click.option("--qemu-version", help="QEMU's version, e.g. 7.2.22.")
@click.option("--host-version", help="The host kernel's version.")
@click.option("--tsc-mhz", type=click.FloatRange(min=0.001),
              help="Integer ftrace timestamps count a clock of this many MHz (default: ns).")
@click.option("--events", "events_path", default="-", show_default=True, metavar="OUT|-",
              help="Where to write the JSON Lines ('-': standard output).")
def import_command(paths: tuple[Path, ...], fmt: str, offsets: tuple[int, ...],
                   sides: tuple[str, ...], linux_version: str | None,
                   qemu_version: str | None, host_version: str | None, tsc_mhz: float | None,
                   events_path: str) -> None:
    """Turn real traces (ftrace, trace-cmd, QEMU's log, retis, pwru, a lab capture)
    into vtrace's events."""
    if len(offsets) > len(paths) or len(sides) > len(paths):
        raise click.UsageError("give --offset-ns and --side at most once per file")
    check_writable(events_path)
    check_apart([("--events", events_path)], [str(path) for path in paths])
    env = current()
    imported = Imported()
    header, events = open_traces(list(paths), fmt, offsets, sides,
                                 Versions(linux_version, qemu_version, host_version), tsc_mhz,
                                 env.argv, imported)
    with env.output(events_path) as out, progress(env.stderr, None) as track:
        for _ in tee_jsonl(header, track(events), out):
            pass
    if imported.unmapped:
        click.echo(unmapped_line(imported.unmapped), err=True)


def unmapped_line(unmapped: dict[str, int]) -> str:
    """One line naming the records no step was found for, most frequent first."""
    ranked = sorted(unmapped.items(), key=lambda item: (-item[1], item[0]))
    shown = ", ".join(f"{name} ×{count}" for name, count in ranked[:8])
    more = f" and {len(ranked) - 8} more" if len(ranked) > 8 else ""
    total = sum(unmapped.values())
    return (f"vtrace import: {total} record{'' if total == 1 else 's'} name no step of the "
            f"catalog (kept under their own names): {shown}{more}")
