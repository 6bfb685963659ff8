"""``vtrace compare-trace REAL``: a capture beside the replay of the same parameters, hop by hop.

REAL is a stream vtrace wrote (``vtrace import``, ``vtrace lab --events``, a
replay's ``--events``) or any file or directory ``vtrace import`` reads, imported
on the way.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

import click

from vtrace.catalog import ERAS
from vtrace.cli.lab_ring import compare_lab_ring
from vtrace.codec import DecodeError, decode_line
from vtrace.compare import SAME_HOP, Comparison, FrameComparison, compare_hops, hops
from vtrace.model import Event, Header, Source
from vtrace.ring_compare import report_lines as ring_lines
from vtrace.scenarios import REGISTERED, of
from vtrace.session import from_file, replayed
from vtrace.sources.files import Versions, open_traces

__all__ = ["compare_capture", "compare_trace_command", "report_lines"]

COMPARABLE = tuple(name for name, item in REGISTERED.items()
                   if item.replayable and item.frames_param is not None)

EPILOG = """\b
Examples:
  vtrace lab send --frames 3 --events real.jsonl
  vtrace compare-trace real.jsonl
  vtrace compare-trace real.jsonl --json | jq .agreement
  vtrace compare-trace capture/                          a directory vtrace lab --save wrote
                                                         (with its ring beside the replay's)
  vtrace compare-trace guest.txt --scenario send --linux-version 6.1.0-57-amd64
"""


@click.command("compare-trace", epilog=EPILOG)
@click.argument("real", metavar="REAL", type=click.Path(exists=True, path_type=Path))
@click.option("--scenario", type=click.Choice(COMPARABLE),
              help="The scenario the capture ran (default: the one its header names; a "
                   "plain trace file names none).")
@click.option("--era", type=click.Choice(sorted(ERAS)),
              help="Replay this era (default: the era the capture's header names).")
@click.option("--linux-version", help="A trace file's guest kernel version, e.g. "
                                      "6.1.0-57-amd64 (places its functions, names the era).")
@click.option("--qemu-version", help="A trace file's QEMU version, e.g. 7.2.22.")
@click.option("--seed", type=int, default=1, show_default=True,
              help="Seed of the replay's modelled timing.")
@click.option("--json", "as_json", is_flag=True, help="Write the comparison as JSON.")
def compare_trace_command(real: Path, scenario: str | None, era: str | None,
                          linux_version: str | None, qemu_version: str | None, seed: int,
                          as_json: bool) -> None:
    """Compare a capture (stream, trace file, lab directory) with the replay of
    its parameters, hop by hop."""
    with _captured(real, Versions(linux_version, qemu_version)) as (header, events):
        try:
            result, chosen = compare_capture(header, events, era, seed, scenario)
            ring = compare_lab_ring(real, header, chosen) if real.is_dir() else None
        except ValueError as problem:
            raise click.UsageError(f"{real}: {problem}") from None
    if as_json:
        click.echo(json.dumps({**result.as_dict(), **({"ring": ring.as_dict()} if ring else {})},
                              indent=1))
    else:
        click.echo("\n".join(report_lines(result, chosen)))
        if ring is not None:
            click.echo("\n" + "\n".join(ring_lines(ring)))
    sys.stdout.flush()


@contextlib.contextmanager
def _captured(real: Path, versions: Versions) -> Iterator[tuple[Header, Iterable[Event]]]:
    """A vtrace stream as it is, anything else through ``vtrace import``'s readers."""
    if real.is_file() and _is_stream(real):
        with open(real, encoding="utf-8") as handle:
            captured = from_file(handle)
            yield captured.header, captured.source
    else:
        yield open_traces([real], versions=versions)


def _is_stream(path: Path) -> bool:
    with open(path, encoding="utf-8", errors="replace") as handle:
        first = next((line for line in itertools.islice(handle, 20) if line.strip()), "")
    try:
        return isinstance(decode_line(first), Header)
    except DecodeError:
        return False


def compare_capture(header: Header, events: Iterable[Event], era: str | None = None,
                    seed: int = 1, scenario_name: str | None = None) -> tuple[Comparison, str]:
    """A capture beside the replay of its scenario, parameters and era (``era`` and
    ``scenario_name`` override the header's); ValueError says why there is nothing to
    compare with."""
    name = scenario_name or header.scenario
    scenario = REGISTERED.get(name, of(header))
    if not scenario.replayable:
        raise ValueError(f"the capture names no scenario vtrace replays ({name}); choose one "
                         f"with --scenario {'|'.join(COMPARABLE)}")
    if scenario.frames_param is None:
        raise ValueError(f"a {scenario.name} stream moves no frame, so there are no hops to "
                         f"compare; compare-trace compares {' or '.join(COMPARABLE)} streams")
    chosen = era or header.params.get("era")
    if chosen not in ERAS:
        raise ValueError("the capture names no era vtrace replays; choose one with --era "
                         "(or give --linux-version and --qemu-version)")
    captured = hops(events, carry=header.source is Source.REPLAY, names=SAME_HOP)
    given = scenario.given_by(header.params) if scenario.name == header.scenario else {}
    given.setdefault(scenario.frames_param, max(len(captured), 1))
    replay = replayed(scenario.name, given, str(chosen), seed)
    lab = "alignment" in header.params  # what vtrace.sources.lab writes of its clocks
    return compare_hops(captured, hops(replay.source, carry=True), lab=lab), str(chosen)


def report_lines(result: Comparison, era: str) -> list[str]:
    """The comparison as a text table, one block per frame, the agreement last."""
    lines = []
    for frame in result.frames:
        lines.extend(_frame_lines(frame))
        lines.append("")
    lines.append(f"agreement ({era}): {result.in_order} of {result.replay_hops} replay hops "
                 f"seen in order ({result.agreement:.0%})")
    return lines


def _frame_lines(frame: FrameComparison) -> list[str]:
    seen = "no capture frame" if frame.real_frame is None else f"capture frame {frame.real_frame}"
    lines = [f"frame {frame.replay_frame} ({seen}): {len(frame.matched)} of "
             f"{frame.replay_hops} replay hops in order",
             f"  {'hop':<34} {'layer':<13} {'real µs':>9} {'model µs':>9}"]
    lines += [f"  {hop.function:<34} {hop.layer:<13} {hop.real_ns / 1000:>9.2f} "
              f"{hop.model_ns / 1000:>9.2f}" for hop in frame.matched]
    if frame.out_of_order:
        lines.append("  in the capture, but in another order: " + ", ".join(frame.out_of_order))
    if frame.unseen:
        lines.append("  in the replay only:")
        lines += [f"    {name:<32} {why}" for name, why in frame.unseen]
    if frame.extra:
        lines.append("  in the capture only: " + ", ".join(frame.extra))
    return lines
