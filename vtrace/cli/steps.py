"""``vtrace steps``: the step catalog of one era, as a table or as JSON."""

from __future__ import annotations

import json

import click

from vtrace.catalog import ERAS, era, steps
from vtrace.cli.options import lang_option
from vtrace.i18n import era_label, say
from vtrace.renderers.catalog_view import step_record, steps_lines
from vtrace.renderers.path_map import map_lines
from vtrace.scenarios import REGISTERED
from vtrace.session import replayed

__all__ = ["steps_command"]

EPILOG = """\b
Examples:
  vtrace steps
  vtrace steps --era lesson --lang zh
  vtrace steps --map --scenario recv
  vtrace steps --json | jq '.[] | select(.line == null) | .function'
"""


@click.command("steps", epilog=EPILOG)
@click.option("--era", "era_name", type=click.Choice(sorted(ERAS)), default="modern",
              show_default=True, help="Which Linux and QEMU versions to list.")
@click.option("--json", "as_json", is_flag=True,
              help="Print a JSON array of steps instead of a table.")
@click.option("--map", "as_map", is_flag=True,
              help="Show one scenario's path on one 80x24 screen, a row per layer.")
@click.option("--scenario", type=click.Choice(sorted(REGISTERED)), default="send",
              show_default=True, help="Which scenario --map draws.")
@lang_option
def steps_command(era_name: str, as_json: bool, as_map: bool, scenario: str, lang: str) -> None:
    """List every step vtrace replays: function, source location, layer and actor."""
    chosen = era(era_name)
    if as_map and as_json:
        raise click.UsageError("--map and --json are two different outputs: choose one")
    if as_map:
        title = REGISTERED[scenario].title
        heading = say("steps.map", lang, title=title.get(lang, title["en"]),
                      era=era_label(chosen, lang))
        chosen_scenario = REGISTERED[scenario]
        one = {"frames": 1} if any(p.name == "frames" for p in chosen_scenario.params) else {}
        one_frame = replayed(scenario, one, era_name, 1).source
        click.echo("\n".join(map_lines(one_frame, heading, lang)))
        return
    if as_json:
        records = [step_record(item, chosen, lang) for item in steps(chosen)]
        click.echo(json.dumps(records, ensure_ascii=False, indent=2))
        return
    click.echo("\n".join(steps_lines(chosen, lang)))
