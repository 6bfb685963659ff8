"""``vtrace compare``: the same frames through QEMU's virtio-net and vhost-net, side by side;
with ``--ring split --ring packed``, on the split and on the packed ring.

The figures come from ``vtrace.scenarios.costs`` and ``vtrace.era_diff.measure_rings``
(replays, counted); this module lays them out as a terminal table, JSON, or an SVG
table drawn by a Graphviz program.
"""

from __future__ import annotations

import html
import json
import unicodedata
from collections.abc import Callable, Mapping
from typing import Any

import click

from vtrace.catalog import ERAS
from vtrace.cli.env import current
from vtrace.cli.options import lang_option
from vtrace.era_diff import RING_COUNTS, RingMeasure, measure_rings
from vtrace.i18n import worded
from vtrace.output import check_writable
from vtrace.scenarios.costs import (
    EXPLAINED,
    FIGURES,
    Measured,
    measure_backends,
    measure_queues,
)
from vtrace.scenarios.params import MAX_QUEUES, RINGS

__all__ = ["RING_LABELS", "compare_command", "dot_source", "ring_dot_source",
           "ring_table_lines", "table_lines"]

#: Each of ``RING_COUNTS`` in words.
RING_LABELS: Mapping[str, Mapping[str, str]] = {
    "en": {"driver_reads": "reads by the driver", "driver_writes": "writes by the driver",
           "device_reads": "reads by the device", "device_writes": "writes by the device",
           "bytes_read": "bytes read", "bytes_written": "bytes written",
           "cache_lines": "64-byte lines touched", "shared_lines": "lines both sides touch",
           "driver_descriptors": "descriptors the driver writes",
           "device_descriptors": "descriptors the device writes",
           "kicks": "kicks", "kicks_suppressed": "kicks suppressed",
           "interrupts": "interrupts injected", "interrupts_suppressed": "interrupts suppressed"},
    "zh": {"driver_reads": "驱动的读", "driver_writes": "驱动的写",
           "device_reads": "设备的读", "device_writes": "设备的写",
           "bytes_read": "读的字节", "bytes_written": "写的字节",
           "cache_lines": "触及的 64 字节缓存行", "shared_lines": "两侧都触及的缓存行",
           "driver_descriptors": "驱动写的描述符", "device_descriptors": "设备写的描述符",
           "kicks": "通知", "kicks_suppressed": "被抑制的通知",
           "interrupts": "注入的中断", "interrupts_suppressed": "被抑制的中断"},
}

_WORDS: Mapping[str, Mapping[str, str]] = {
    "en": {
        "title": "{frames} frames, {era} era (total / per frame)",
        "not_replayed": "{name} (not replayed)",
        "where": "where", "costs": "costs", "gives_up": "gives up", "sources": "sources",
        "ring_title": "{frames} frames, {era} era, the split ring beside the packed ring "
                      "(total / per frame)",
        "ring_head": "{ring} ring",
        "ring_note": "Counted from the events: each load or store of a ring field as the code "
                     "of Linux 6.1 (drivers/virtio/virtio_ring.c) and QEMU 7.2 "
                     "(hw/virtio/virtio.c) makes it; lines: the 64-byte lines of ring memory "
                     "each frame touches, added up. The split device writes used-ring "
                     "entries, not descriptors.",
        "twice": "give --ring twice: --ring split --ring packed",
        "queues": "{name}, {queues} queues",
    },
    "zh": {
        "title": "{frames} 帧，{era} 时代（总数 / 每帧）",
        "not_replayed": "{name}（没有回放）",
        "where": "位置", "costs": "代价", "gives_up": "放弃", "sources": "来源",
        "ring_title": "{frames} 帧，{era} 时代，split 环与 packed 环并排（总数 / 每帧）",
        "ring_head": "{ring} 环",
        "ring_note": "从事件数出：每一次对环字段的读或写，按 Linux 6.1"
                     "（drivers/virtio/virtio_ring.c）和 QEMU 7.2（hw/virtio/virtio.c）"
                     "代码的做法计数；缓存行：每帧触及的环内存 64 字节行，逐帧相加。"
                     "split 环的设备写的是 used 环的条目，不是描述符。",
        "twice": "请给两次 --ring：--ring split --ring packed",
        "queues": "{name}，{queues} 个队列",
    },
}

EPILOG = """\b
Examples:
  vtrace compare                          3 frames, modern era, qemu vs vhost-net
  vtrace compare --frames 300 --batch 100 --era lesson
  vtrace compare --json | jq '.rows[] | {backend, total}'
  vtrace compare --out costs.svg
  vtrace compare --ring split --ring packed      the same frames on both rings
  vtrace compare --ring split --ring packed --frames 300 --json
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
@click.option("--ring", "rings", type=click.Choice(RINGS), multiple=True,
              help="Compare the rings instead of the back ends: give it twice, "
                   "--ring split --ring packed.")
@click.option("--json", "as_json", is_flag=True, help="Write the table as JSON.")
@click.option("--out", metavar="FILE.svg", help="Also draw the table as an SVG picture.")
@click.option("--queues", type=click.IntRange(1, MAX_QUEUES), default=1, show_default=True,
              help="Compare one queue pair with this many on QEMU's back end (as many "
                   "flows), instead of the back ends.")
@lang_option
def compare_command(frames: int, batch: int, era: str, seed: int, rings: tuple[str, ...],
                    as_json: bool, out: str | None, queues: int, lang: str) -> None:
    """Compare the costs of QEMU's virtio-net and vhost-net for the same frames.

    With --ring split --ring packed, the costs of the two rings instead."""
    if out is not None:
        if not out.endswith(".svg"):
            raise click.UsageError(f"--out {out}: the picture is an SVG; name it FILE.svg")
        check_writable(out)
    if rings:
        if queues != 1:
            raise click.UsageError("--ring and --queues compare different things: give one")
        if len(rings) != 2 or rings[0] == rings[1]:
            raise click.UsageError(worded(_WORDS, "twice", "en"))
        _compare_rings(measure_rings(frames, era, seed, batch, (rings[0], rings[1])),
                       batch, seed, as_json, out, lang)
        return
    rows = measure_backends(frames, era, seed, batch) if queues == 1 else \
        measure_queues(frames, era, seed, queues, batch)
    _show({"era": era, "frames": frames, "batch": batch, "seed": seed,
           "rows": [row.as_dict() for row in rows],
           "explained": [item.as_dict() for item in EXPLAINED]} if as_json else None,
          lambda: table_lines(rows, lang), lambda: dot_source(rows, lang), out)


def _compare_rings(measures: tuple[RingMeasure, ...], batch: int, seed: int, as_json: bool,
                   out: str | None, lang: str) -> None:
    _show({"era": measures[0].era, "frames": measures[0].frames, "batch": batch, "seed": seed,
           "rings": [measure.as_dict() for measure in measures]} if as_json else None,
          lambda: ring_table_lines(measures, lang), lambda: ring_dot_source(measures, lang),
          out)


def _show(document: dict[str, Any] | None, table: Callable[[], list[str]],
          dot: Callable[[], str], out: str | None) -> None:
    """The comparison as JSON (``document``) or a table on standard output, and as an SVG
    picture in ``out`` when given."""
    stdout = current().stdout
    if document is not None:
        stdout.write(json.dumps(document, indent=1, ensure_ascii=False) + "\n")
    else:
        stdout.write("\n".join(table()) + "\n")
    if out is not None:
        from vtrace.renderers.graphviz_run import find_program, render_source

        picture = render_source(dot(), "svg", find_program("auto"))
        with current().output(out, binary=True) as stream:
            stream.write(picture)


def _ring_title(measures: tuple[RingMeasure, ...], lang: str) -> str:
    return worded(_WORDS, "ring_title", lang, frames=f"{measures[0].frames:,}",
                  era=measures[0].era)


def _ring_cell(measure: RingMeasure, name: str) -> str:
    return f"{measure.totals[name]:,} / {measure.per_frame(name):,.2f}"


def ring_table_lines(measures: tuple[RingMeasure, ...], lang: str) -> list[str]:
    """Per ring: each count's total and per-frame figure, then what was counted."""
    head = f"{'':<30}" + "".join(
        f"{worded(_WORDS, 'ring_head', lang, ring=measure.ring):>22}" for measure in measures)
    lines = [_ring_title(measures, lang), head]
    for name in RING_COUNTS:
        cells = "".join(f"{_ring_cell(measure, name):>22}" for measure in measures)
        lines.append(f"{_label(worded(RING_LABELS, name, lang), 30)}{cells}")
    return [*lines, "", worded(_WORDS, "ring_note", lang)]


def ring_dot_source(measures: tuple[RingMeasure, ...], lang: str) -> str:
    """The rings' table as one Graphviz HTML-like label."""
    header = "".join(
        f"<td><b>{html.escape(worded(_WORDS, 'ring_head', lang, ring=measure.ring))}</b></td>"
        for measure in measures)
    body = "".join(
        f"<tr><td align=\"left\">{html.escape(worded(RING_LABELS, name, lang))}</td>"
        + "".join(f"<td>{_ring_cell(measure, name)}</td>" for measure in measures)
        + "</tr>" for name in RING_COUNTS)
    return _table_dot(html.escape(_ring_title(measures, lang)), len(measures), header, body)


def _table_dot(title: str, columns: int, header: str, body: str) -> str:
    # One run of text: an SVG viewer drops the space that would start a second one.
    return ("digraph compare {\n  node [shape=plaintext fontname=\"sans-serif\"];\n"
            f"  table [label=<<table border=\"0\" cellborder=\"1\" cellspacing=\"0\">"
            f"<tr><td colspan=\"{columns + 1}\"><b>{title}</b></td></tr>"
            f"<tr><td></td>{header}</tr>{body}</table>>];\n}}\n")


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
    return _table_dot(html.escape(_title(rows, lang)), len(rows), header, body)
