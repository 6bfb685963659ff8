"""``vtrace compare``: the same frames through QEMU's virtio-net and vhost-net, side by side.

The figures come from ``vtrace.scenarios.costs`` (replays, counted); this
module lays them out as a terminal table, JSON, or an SVG table drawn by a
Graphviz program.
"""

from __future__ import annotations

import html
import json
import unicodedata
from collections.abc import Mapping

import click

from vtrace.catalog import ERAS
from vtrace.cli.env import current
from vtrace.cli.options import lang_option
from vtrace.i18n import worded
from vtrace.output import check_writable
from vtrace.scenarios.costs import (
    EXPLAINED,
    FIGURES,
    Measured,
    measure_backends,
    measure_queues,
)
from vtrace.scenarios.params import MAX_QUEUES

__all__ = ["compare_command", "dot_source", "table_lines"]

_WORDS: Mapping[str, Mapping[str, str]] = {
    "en": {
        "title": "{frames} frames, {era} era (total / per frame)",
        "not_replayed": "{name} (not replayed)",
        "where": "where", "costs": "costs", "gives_up": "gives up", "sources": "sources",
        "queues": "{name}, {queues} queues",
    },
    "zh": {
        "title": "{frames} 帧，{era} 时代（总数 / 每帧）",
        "not_replayed": "{name}（没有回放）",
        "where": "位置", "costs": "代价", "gives_up": "放弃", "sources": "来源",
        "queues": "{name}，{queues} 个队列",
    },
}

EPILOG = """\b
Examples:
  vtrace compare                          3 frames, modern era, qemu vs vhost-net
  vtrace compare --frames 300 --batch 100 --era lesson
  vtrace compare --json | jq '.rows[] | {backend, total}'
  vtrace compare --out costs.svg
  vtrace compare --queues 2 -n 8          one queue pair vs two, QEMU's back end
"""


@click.command("compare", epilog=EPILOG)
@click.option("--frames", "-n", type=click.IntRange(1, 100_000), default=3, show_default=True,
              help="Frames each back end moves.")
@click.option("--batch", "-b", type=click.IntRange(1, 100_000), default=1, show_default=True,
              help="Frames handed over back to back, where the scenario has batches.")
@click.option("--era", type=click.Choice(sorted(ERAS)), default="modern", show_default=True,
              help="The versions of Linux and QEMU replayed.")
@click.option("--seed", type=int, default=1, show_default=True,
              help="Seed of the replays' modelled timing.")
@click.option("--json", "as_json", is_flag=True, help="Write the table as JSON.")
@click.option("--out", metavar="FILE.svg", help="Also draw the table as an SVG picture.")
@click.option("--queues", type=click.IntRange(1, MAX_QUEUES), default=1, show_default=True,
              help="Compare one queue pair with this many on QEMU's back end (as many "
                   "flows), instead of the back ends.")
@lang_option
def compare_command(frames: int, batch: int, era: str, seed: int, as_json: bool,
                    out: str | None, queues: int, lang: str) -> None:
    """Compare the costs of QEMU's virtio-net and vhost-net for the same frames."""
    if out is not None:
        if not out.endswith(".svg"):
            raise click.UsageError(f"--out {out}: the picture is an SVG; name it FILE.svg")
        check_writable(out)
    rows = measure_backends(frames, era, seed, batch) if queues == 1 else \
        measure_queues(frames, era, seed, queues, batch)
    stdout = current().stdout
    if as_json:
        stdout.write(json.dumps({"era": era, "frames": frames, "batch": batch, "seed": seed,
                               "rows": [row.as_dict() for row in rows],
                               "explained": [item.as_dict() for item in EXPLAINED]},
                              indent=1, ensure_ascii=False) + "\n")
    else:
        stdout.write("\n".join(table_lines(rows, lang)) + "\n")
    if out is not None:
        from vtrace.renderers.graphviz_run import find_program, render_source

        picture = render_source(dot_source(rows, lang), "svg", find_program("auto"))
        with current().output(out, binary=True) as stream:
            stream.write(picture)


def _cell(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _label(text: str, width: int = 24) -> str:
    """``text`` padded to ``width`` terminal columns (a CJK character takes two)."""
    used = sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)
    return text + " " * max(0, width - used)


def _title(rows: tuple[Measured, ...], lang: str) -> str:
    """``3 frames, modern era (total / per frame)``."""
    return worded(_WORDS, "title", lang, frames=f"{rows[0].frames:,}",
                  era=rows[0].era) if rows else ""


def _name(row: Measured, lang: str) -> str:
    """``send qemu``, or with several queue pairs ``send qemu, 2 queues``."""
    name = f"{row.scenario} {row.backend}"
    return name if row.queues == 1 else worded(_WORDS, "queues", lang, name=name,
                                               queues=row.queues)


def _both(row: Measured, name: str) -> str:
    return f"{_cell(row.totals[name], 0)} / {_cell(row.per_frame(name), 2)}"


def table_lines(rows: tuple[Measured, ...], lang: str) -> list[str]:
    """Per scenario and back end: total and per-frame figures, then the explained rows."""
    head = f"{'':<24}" + "".join(f"{_name(row, lang):>24}" for row in rows)
    lines = [_title(rows, lang), head]
    for figure in FIGURES:
        cells = "".join(f"{_both(row, figure.name):>24}" for row in rows)
        lines.append(f"{_label(figure.label[lang])}{cells}")
    lines.append("")
    for item in EXPLAINED:
        lines.append(worded(_WORDS, "not_replayed", lang, name=item.name))
        for key, text in (("where", item.where), ("costs", item.costs),
                          ("gives_up", item.gives_up), ("sources", None)):
            said = text[lang] if text is not None else "  ".join(item.sources)
            lines.append(f"  {_label(worded(_WORDS, key, lang), 9)}{said}")
    return lines


def dot_source(rows: tuple[Measured, ...], lang: str) -> str:
    """The table as one Graphviz HTML-like label."""
    header = "".join(f"<td><b>{html.escape(_name(row, lang))}</b></td>" for row in rows)
    body = "".join(
        f"<tr><td align=\"left\">{html.escape(figure.label[lang])}</td>"
        + "".join(f"<td>{_both(row, figure.name)}</td>" for row in rows)
        + "</tr>" for figure in FIGURES)
    # One run of text: an SVG viewer drops the space that would start a second one.
    title = html.escape(_title(rows, lang))
    return ("digraph compare {\n  node [shape=plaintext fontname=\"sans-serif\"];\n"
            f"  table [label=<<table border=\"0\" cellborder=\"1\" cellspacing=\"0\">"
            f"<tr><td colspan=\"{len(rows) + 1}\"><b>{title}</b></td></tr>"
            f"<tr><td></td>{header}</tr>{body}</table>>];\n}}\n")
