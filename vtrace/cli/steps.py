"""``vtrace steps``: the step catalog of one era, as a table or as JSON."""

from __future__ import annotations

import json

import click

from vtrace.catalog import ERAS, era, steps
from vtrace.cli.options import lang_option
from vtrace.renderers.catalog_view import step_record, steps_lines

__all__ = ["steps_command"]

EPILOG = """\b
Examples:
  vtrace steps
  vtrace steps --era lesson --lang zh
  vtrace steps --json | jq '.[] | select(.line == null) | .function'
"""


@click.command("steps", epilog=EPILOG)
@click.option("--era", "era_name", type=click.Choice(sorted(ERAS)), default="modern",
              show_default=True, help="Which Linux and QEMU versions to list.")
@click.option("--json", "as_json", is_flag=True,
              help="Print a JSON array of steps instead of a table.")
@lang_option
def steps_command(era_name: str, as_json: bool, lang: str) -> None:
    """List every step vtrace replays: function, source location, layer and actor."""
    chosen = era(era_name)
    if as_json:
        records = [step_record(item, chosen, lang) for item in steps(chosen)]
        click.echo(json.dumps(records, ensure_ascii=False, indent=2))
        return
    click.echo("\n".join(steps_lines(chosen, lang)))
