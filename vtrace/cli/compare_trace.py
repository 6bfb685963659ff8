"""``vtrace compare-trace REAL.jsonl``: a capture beside the replay of the same parameters."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from pathlib import Path

import click

from vtrace.catalog import ERAS
from vtrace.compare import Comparison, FrameComparison, compare
from vtrace.model import Event, Header
from vtrace.scenarios import of
from vtrace.session import from_file, replayed

__all__ = ["compare_capture", "compare_trace_command", "report_lines"]

EPILOG = """\b
Examples:
  vtrace lab send --frames 3 --events real.jsonl
  vtrace compare-trace real.jsonl
  vtrace compare-trace real.jsonl --json | jq .agreement
"""


@click.command("compare-trace", epilog=EPILOG)
@click.argument("real", metavar="REAL.jsonl", type=click.Path(exists=True, dir_okay=False,
                                                              path_type=Path))
@click.option("--era", type=click.Choice(sorted(ERAS)),
              help="Replay this era (default: the era the capture's header names).")
@click.option("--seed", type=int, default=1, show_default=True,
              help="Seed of the replay's modelled timing.")
@click.option("--json", "as_json", is_flag=True, help="Write the comparison as JSON.")
def compare_trace_command(real: Path, era: str | None, seed: int, as_json: bool) -> None:
    """Compare a captured stream with the replay of its parameters, hop by hop."""
    with open(real, encoding="utf-8") as handle:
        captured = from_file(handle)
        try:
            result, chosen = compare_capture(captured.header, captured.source, era, seed)
        except ValueError as problem:
            raise click.UsageError(f"{real}: {problem}") from None
    if as_json:
        click.echo(json.dumps(result.as_dict(), indent=1))
    else:
        click.echo("\n".join(report_lines(result, chosen)))
    sys.stdout.flush()


def compare_capture(header: Header, events: Iterable[Event], era: str | None = None,
                    seed: int = 1) -> tuple[Comparison, str]:
    """A capture beside the replay of its scenario, parameters and era (``era`` overrides the
    header's); ValueError says why there is nothing to compare with."""
    scenario = of(header)
    if not scenario.replayable:
        raise ValueError(f"vtrace has no replay of the {header.scenario!r} scenario to "
                         "compare with")
    chosen = era or header.params.get("era")
    if chosen not in ERAS:
        raise ValueError("the capture names no era vtrace replays; choose one with --era")
    replay = replayed(scenario.name, scenario.given_by(header.params), str(chosen), seed)
    return compare(events, replay.source), str(chosen)


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
