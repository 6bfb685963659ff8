"""``vtrace diagram OUT``: draw a replay, or a recorded event file, as a picture or a trace."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import PurePath
from typing import Any

import click
from click.core import ParameterSource

from vtrace.cli.options import lang_option, scenario_options, send_params
from vtrace.output import atomic_output, check_writable
from vtrace.renderers.base import Renderer, count_param
from vtrace.renderers.chrome import ChromeTraceRenderer
from vtrace.renderers.graphviz_run import CHOICES
from vtrace.renderers.mermaid import MermaidRenderer
from vtrace.renderers.overview import OverviewRenderer
from vtrace.renderers.progress import progress
from vtrace.renderers.rows import DETAILS
from vtrace.renderers.sequence import SequenceRenderer
from vtrace.session import from_file, replay_send

__all__ = ["diagram_command"]

#: Output formats and what writes them.
FORMATS = {"svg": "graphviz", "png": "graphviz", "pdf": "graphviz", "dot": "graphviz",
           "mmd": "mermaid", "json": "chrome"}
#: Options that describe a replay, meaningless with --from.
REPLAY_OPTIONS = ("frames", "size", "batch", "queue_size", "event_idx", "ioeventfd",
                  "interval_us", "era", "seed")

EPILOG = """\b
Examples:
  vtrace diagram send.svg                   one frame, every step, top to bottom
  vtrace diagram --overview path.svg        the layers, with the path numbered on them
  vtrace diagram --no-ioeventfd exit.png    the exit to QEMU's vCPU thread
  vtrace send --frames 5 --batch 5 --events run.jsonl --view quiet
  vtrace diagram --from run.jsonl run.svg   one kick serving five frames
  vtrace diagram -n 1000 run.json           a trace to open in ui.perfetto.dev
  vtrace diagram --detail summary send.mmd  Mermaid, one arrow per layer crossing
"""


def _format_of(out: str, chosen: str | None) -> str:
    if chosen:
        return chosen
    if out == "-":
        raise click.UsageError("writing to standard output needs --format")
    suffix = PurePath(out).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise click.UsageError(f"cannot tell the format of {out!r} from its extension; "
                               f"use .{', .'.join(FORMATS)} or --format")
    return suffix


def _renderer(output_format: str, overview: bool, detail: str, program: str,
              lang: str) -> Renderer:
    writer = FORMATS[output_format]
    if overview and writer != "graphviz":
        raise click.UsageError("--overview is drawn by Graphviz: write .svg, .png, .pdf or .dot")
    if detail != "full" and (overview or writer == "chrome"):
        raise click.UsageError("--detail applies to sequence diagrams, not to "
                               + ("the overview" if overview else "the Chrome trace"))
    if overview:
        return OverviewRenderer(output_format=output_format, renderer=program, lang=lang)
    if writer == "graphviz":
        return SequenceRenderer(output_format=output_format, detail=detail, renderer=program,
                                lang=lang)
    if writer == "mermaid":
        return MermaidRenderer(detail=detail, lang=lang)
    return ChromeTraceRenderer(lang=lang)


@click.command("diagram", epilog=EPILOG)
@click.argument("out", metavar="OUT")
@scenario_options(default_frames=1)
@click.option("--from", "from_path", metavar="EVENTS.jsonl",
              type=click.Path(exists=True, dir_okay=False, allow_dash=True),
              help="Draw a file written by 'vtrace send --events' ('-' for standard input) "
                   "instead of a new replay.")
@click.option("--format", "output_format", type=click.Choice(tuple(FORMATS)),
              help="svg, png, pdf, dot (Graphviz), mmd (Mermaid) or json (Chrome trace); "
                   "default: OUT's extension.")
@click.option("--overview", is_flag=True,
              help="Draw the layers of the machine with the path numbered on them.")
@click.option("--detail", type=click.Choice(DETAILS), default="full", show_default=True,
              help="full: every step; summary: one arrow per layer crossing.")
@click.option("--renderer", "program", type=click.Choice(CHOICES), default="auto",
              show_default=True,
              help="What draws svg, png and pdf: dot (Graphviz) when on PATH, else graphviz-pure.")
@lang_option
@click.pass_context
def diagram_command(ctx: click.Context, /, out: str, from_path: str | None,
                    output_format: str | None, overview: bool, detail: str, program: str,
                    lang: str, era: str, seed: int, **scenario: Any) -> None:
    """Draw a sequence diagram, the layered overview, or a trace, into OUT ('-': stdout)."""
    check_writable(out)
    if from_path is not None:
        given = [name for name in REPLAY_OPTIONS
                 if ctx.get_parameter_source(name) is ParameterSource.COMMANDLINE]
        if given:
            flags = ", ".join("--" + name.replace("_", "-") for name in given)
            raise click.UsageError(f"--from draws a recorded file; leave out the options of a "
                                   f"replay: {flags}")
    renderer = _renderer(_format_of(out, output_format), overview, detail, program, lang)
    if from_path is None:
        session = replay_send(send_params(**scenario), era, seed, tuple(sys.argv[1:]))
    else:
        session = from_file(sys.stdin if from_path == "-" else _lines(from_path))
    frames = count_param(session.header.params, "frames")
    with (atomic_output(out, binary=renderer.binary) as sink,
          progress(sys.stderr, frames, lang) as track):
        renderer.render(session.header, track(session.events()), sink)


def _lines(path: str) -> Iterator[str]:
    # Bytes that are not UTF-8 stay readable (as U+FFFD in every output), so a damaged
    # label does not hide the rest of a recording.
    with open(path, encoding="utf-8", errors="surrogateescape") as handle:
        yield from handle
