"""``vtrace diagram OUT``: draw a replay of any scenario, or a recorded stream, into a file.

The renderer comes from the registry: ``--overview`` names one, otherwise OUT's
extension (or ``--format``) picks the renderer of that format. Which options a
renderer takes, and what it needs, are the renderer's own declarations.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import PurePath
from typing import IO, Any

import click
from click.core import ParameterSource

from vtrace.cli.env import current
from vtrace.cli.options import era_option, lang_option, param_options, seed_option
from vtrace.cli.play import read_lines
from vtrace.i18n import worded
from vtrace.output import check_writable, same_file
from vtrace.renderers import UnknownRenderer, by_name, for_format, format_of, formats
from vtrace.renderers.base import Renderer, count_param
from vtrace.renderers.graphviz_run import CHOICES
from vtrace.renderers.packets import empty_notice
from vtrace.renderers.pcap import PcapRenderer
from vtrace.renderers.progress import progress
from vtrace.renderers.ring_figure import figure_svg, ring_at
from vtrace.renderers.rows import DETAILS
from vtrace.renderers.sequence import SequenceRenderer
from vtrace.renderers.sequence_look import MIN_ROWS
from vtrace.scenarios import REGISTERED, Param, all_params, scenario
from vtrace.session import Session, from_file, replayed

__all__ = ["diagram_command", "page_path"]

REPLAYABLE = tuple(name for name, item in REGISTERED.items() if item.replayable)
#: Every parameter of every replayable scenario, once (scenarios share some).
PARAMS: tuple[Param, ...] = all_params(REPLAYABLE)
REPLAY_OPTIONS = ("scenario_name", "era", "seed", *(param.name for param in PARAMS))

#: A Chrome trace larger than this opens slowly in Perfetto and Chrome: say so, and name the
#: HTML player, which holds the same steps in a small fraction of the bytes.
LARGE_TRACE = 50_000_000
_WORDS: Mapping[str, Mapping[str, str]] = {
    "en": {
        "large": "vtrace diagram: {out} is {size}, slow to open in Perfetto or Chrome; the HTML "
                 "player holds the same steps far smaller: write {html} instead",
        "fewer_pages": "vtrace diagram: {drawn} pages of at least {rows} rows hold this diagram "
                       "(--pages {asked} asked for more)",
        "no_ring": "the {scenario} stream has no ring to draw",
        "no_step": "--ring-at {step}: the stream has {steps} steps",
    },
    "zh": {
        "large": "vtrace diagram：{out} 有 {size}，在 Perfetto 或 Chrome 中打开很慢；HTML 播放器"
                 "用小得多的文件装下同样的步骤：改写 {html}",
        "fewer_pages": "vtrace diagram：这张图用 {drawn} 页（每页至少 {rows} 行）就够了"
                       "（--pages {asked} 要的更多）",
        "no_ring": "{scenario} 的流里没有可画的环",
        "no_step": "--ring-at {step}：这个流只有 {steps} 步",
    },
}

EPILOG = """\b
Examples:
  vtrace diagram send.svg                   one frame, every step, top to bottom
  vtrace diagram --overview path.svg        the layers, with the path numbered on them
  vtrace diagram --no-ioeventfd exit.png    the exit to QEMU's vCPU thread
  vtrace diagram --scenario setup setup.svg the set-up before any packet moves
  vtrace send --frames 5 --batch 5 --events run.jsonl --view quiet
  vtrace diagram --from run.jsonl run.svg   one kick serving five frames
  vtrace diagram -n 1000 run.json           a trace for ui.perfetto.dev or Chrome DevTools
  vtrace diagram -n 3 run.perfetto-trace    a native Perfetto trace, guest and host
  vtrace diagram -n 3 run.pcapng            each frame at every hop, for Wireshark
  vtrace diagram --detail summary send.mmd  Mermaid, one arrow per layer crossing
  vtrace diagram --detail summary talk.svg  large type for a projector (1920x1080)
  vtrace diagram -n 3 --pages 3 talk.svg    talk-1.svg, talk-2.svg, talk-3.svg
  vtrace diagram send.txt                   the plain text view, one line per step
  vtrace diagram --ring-at 14 ring.svg      the ring at step 14 (vtrace send --step's)
"""


def _format(out: str, chosen: str | None) -> str:
    """The format to write: ``--format``, or OUT's extension; the two must agree."""
    if out == "-":
        if chosen is None:
            raise click.UsageError("writing to standard output needs --format")
        return chosen
    if chosen is None:
        try:
            return format_of(out)
        except UnknownRenderer as error:
            raise click.UsageError(str(error)) from None
    suffix = PurePath(out).suffix.lower().lstrip(".")
    if suffix in formats() and suffix != chosen:
        raise click.UsageError(f"--format {chosen} disagrees with the extension of {out!r}; "
                               f"name the file .{chosen} or leave --format out")
    return chosen


def _renderer(output_format: str, overview: bool, lang: str,
              chosen: dict[str, tuple[Any, Any]]) -> Renderer:
    """The registered renderer for the format (or the overview), with the options it takes.

    ``chosen`` maps an option to (its value, its default); an option the renderer does
    not take is an error unless it was left at its default.
    """
    cls = by_name("overview") if overview else for_format(output_format)
    if output_format not in cls.formats:
        raise click.UsageError(f"{cls.description} is written as "
                               f".{', .'.join(cls.formats)}, not .{output_format}")
    options: dict[str, Any] = {"lang": lang}
    if "output_format" in cls.options:
        options["output_format"] = output_format
    for name, (value, default) in chosen.items():
        if name in cls.options:
            options[name] = value
        elif value != default:
            raise click.UsageError(f"--{name} does not apply to {cls.description}")
    return cls(**options)


@click.command("diagram", epilog=EPILOG)
@click.argument("out", metavar="OUT")
@click.option("--scenario", "scenario_name", type=click.Choice(REPLAYABLE), default="send",
              show_default=True, help="Which scenario to replay.")
@param_options(PARAMS, defaults={"frames": 1}, checked=False)
@era_option
@seed_option
@click.option("--from", "from_path", metavar="EVENTS.jsonl",
              type=click.Path(exists=True, dir_okay=False, allow_dash=True),
              help="Draw a file written by '--events' ('-' for standard input) "
                   "instead of a new replay.")
@click.option("--format", "output_format", type=click.Choice(formats()),
              help="What to write; default: OUT's extension.")
@click.option("--overview", is_flag=True,
              help="Draw the layers of the machine with the path numbered on them.")
@click.option("--detail", type=click.Choice(DETAILS), default="full", show_default=True,
              help="full: every step; summary: one arrow per layer crossing.")
@click.option("--renderer", "program", type=click.Choice(CHOICES), default="auto",
              show_default=True,
              help="What draws svg, png and pdf: dot (Graphviz) when on PATH, else graphviz-pure.")
@click.option("--pages", type=click.IntRange(1, 999), default=1, show_default=True,
              help="Cut the sequence diagram into this many numbered pages: OUT-1.svg, "
                   "OUT-2.svg, ...")
@click.option("--max-steps-per-page", type=click.IntRange(1, 100_000),
              help="Cut the sequence diagram into pages of at most this many rows.")
@click.option("--ring-at", type=click.IntRange(min=1), metavar="STEP",
              help="Draw the ring as it is at the end of STEP (numbered as --step numbers "
                   "steps) as an SVG figure, instead of a diagram.")
@click.option("--fold/--no-fold", default=True, show_default=True,
              help="Sequence diagram: draw a loop inside a round (a refill posting 256 "
                   "buffers) once with a count; --no-fold draws every pass.")
@lang_option
@click.pass_context
def diagram_command(ctx: click.Context, /, out: str, scenario_name: str, from_path: str | None,
                    output_format: str | None, overview: bool, detail: str, program: str,
                    pages: int, max_steps_per_page: int | None, ring_at: int | None,
                    fold: bool, lang: str, era: str, seed: int, **given: Any) -> None:
    """Draw a sequence diagram, the layered overview, or a trace, into OUT ('-': stdout)."""
    env = current()
    check_writable(out)
    on_line = [name for name in REPLAY_OPTIONS
               if ctx.get_parameter_source(name) is ParameterSource.COMMANDLINE]
    chosen = scenario(scenario_name)
    if from_path is not None:
        if same_file(out, from_path):
            raise click.UsageError(f"OUT {out!r} is the recording --from reads; "
                                   "write the picture to another file")
        if on_line:
            flags = ", ".join("--" + name.replace("_name", "").replace("_", "-")
                              for name in on_line)
            raise click.UsageError(f"--from draws a recorded file; leave out the options of a "
                                   f"replay: {flags}")
    own = {param.name for param in chosen.params}
    foreign = [param.flag for param in PARAMS if param.name in on_line and param.name not in own]
    if foreign:
        raise click.UsageError(f"--{foreign[0]} is not a parameter of the {chosen.name} "
                               "scenario")
    paged = pages > 1 or max_steps_per_page is not None
    if ring_at is not None:
        _ring_options(_format(out, output_format), overview, paged, detail)
    elif paged and out == "-":
        raise click.UsageError("pages are written to files OUT-1, OUT-2, ...; name a file")
    renderer = None if ring_at is not None else _renderer(
        _format(out, output_format), overview, lang,
        {"detail": (detail, "full"), "renderer": (program, "auto"),
         "pages": (pages, 1), "max_steps_per_page": (max_steps_per_page, None),
         "fold": (fold, True)})
    if from_path is None:
        session = replayed(chosen, {name: given[name] for name in own}, era, seed,
                           env.argv)
    else:
        session = from_file(read_lines(from_path))
    if renderer is None:
        _write_ring(session, ring_at or 1, out, lang)
        return
    frames_param = session.scenario.frames_param
    frames = count_param(session.header.params, frames_param) if frames_param else None
    if paged and isinstance(renderer, SequenceRenderer):
        with progress(env.stderr, frames, lang) as track:
            drawn = renderer.render_pages(session.fed(track(session.source)))
        for number, page in enumerate(drawn, 1):
            with env.output(page_path(out, number), binary=True) as sink:
                sink.write(page)
        if len(drawn) < pages:
            click.echo(worded(_WORDS, "fewer_pages", lang, drawn=len(drawn), rows=MIN_ROWS,
                              asked=pages), file=env.stderr)
        return
    with (env.output(out, binary=renderer.binary) as sink,
          progress(env.stderr, frames, lang) as track):
        renderer.render(session.fed(track(session.source)), sink)
    if isinstance(renderer, PcapRenderer) and renderer.packets_written == 0:
        click.echo(empty_notice(out, lang), file=env.stderr)
    if out != "-" and renderer.name == "chrome":
        _point_to_the_player(out, lang, env.stderr)


def _ring_options(output_format: str, overview: bool, paged: bool, detail: str) -> None:
    """``--ring-at`` writes one SVG figure: nothing else a diagram takes goes with it."""
    if output_format != "svg":
        raise click.UsageError(f"--ring-at writes an SVG figure, not .{output_format}")
    for name, given in (("--overview", overview), ("--pages", paged),
                        ("--detail", detail != "full")):
        if given:
            raise click.UsageError(f"{name} does not apply to --ring-at")


def _write_ring(session: Session, step: int, out: str, lang: str) -> None:
    """The ring at the end of ``step`` as an SVG figure in ``out``."""
    figure, steps, queue = ring_at(session, step)
    if figure is None:
        key = "no_step" if steps < step else "no_ring"
        raise click.UsageError(worded(_WORDS, key, lang, step=step, steps=steps,
                                      scenario=session.header.scenario))
    with current().output(out) as sink:
        sink.write(figure_svg(figure, lang, step, queue))


def _point_to_the_player(out: str, lang: str, stderr: IO[str]) -> None:
    """A Chrome trace too large to open quickly: name the HTML player."""
    size = os.path.getsize(out)
    if size > LARGE_TRACE:
        html = str(PurePath(out).with_suffix(".html"))
        click.echo(worded(_WORDS, "large", lang, out=out, size=f"{size / 1e6:,.0f} MB",
                          html=html), file=stderr)


def page_path(out: str, number: int) -> str:
    """``talk.svg`` -> ``talk-2.svg``: where page ``number`` goes."""
    path = PurePath(out)
    return str(path.with_name(f"{path.stem}-{number}{path.suffix}"))
