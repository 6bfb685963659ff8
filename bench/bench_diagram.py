"""How long a diagram of 10,000 frames takes next to one of a single frame (target: 3x).

Run from the repository root: ``python bench/bench_diagram.py [--frames N] [--repeat R]``.
It prints a Markdown section (``## Diagrams``) on standard output.

What is measured: the renderer alone, from events already in memory to the
finished file. The events are recorded as ``vtrace send --events`` records
them (JSON Lines), then decoded into a list before timing starts; neither
the replay (about 20 µs an event) nor decoding is counted, since both
grow with the stream whatever draws it. The list is frozen out of the
garbage collector's way, as a streaming run never holds it. Each figure is
the best of several runs. Besides the whole renderer, the table splits off
the fold (one pass over every event, linear by nature) from the drawing
(DOT source and the Graphviz program, which folding keeps the same size).
"""

from __future__ import annotations

import argparse
import gc
import io
import time
from collections.abc import Callable

from vtrace.catalog import era
from vtrace.codec import tee_jsonl
from vtrace.model import Event, Header
from vtrace.renderers.folding import batch_of, fold
from vtrace.renderers.graphviz_run import find_program, render_source
from vtrace.renderers.mermaid import MermaidRenderer
from vtrace.renderers.sequence import SequenceRenderer, sequence_source
from vtrace.scenarios.send import SendParams, send
from vtrace.session import Session, from_file, replayed


def recorded(frames: int) -> tuple[Header, list[Event], float]:
    """Header and decoded events of a recording of ``frames`` frames, and the decoding time."""
    session = replayed("send", {"frames": frames}, "modern", 1)
    text = io.StringIO()
    for _ in tee_jsonl(session.header, session.events(), text):
        pass
    text.seek(0)
    start = time.perf_counter()
    read_back = from_file(text)
    events = list(read_back.events())
    return read_back.header, events, time.perf_counter() - start


def best(repeat: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--frames", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    assert send(SendParams(frames=1), era("modern"), 1)  # the engine imports and runs

    one_header, one, _ = recorded(1)
    many_header, many, decode_s = recorded(options.frames)
    gc.collect()
    gc.freeze()
    program = find_program()

    def svg(header: Header, events: list[Event]) -> Callable[[], object]:
        return lambda: SequenceRenderer(output_format="svg").render(Session(header, events),
                                                                  io.BytesIO())

    def mmd(header: Header, events: list[Event]) -> Callable[[], object]:
        return lambda: MermaidRenderer().render(Session(header, events), io.StringIO())

    def folding(header: Header, events: list[Event]) -> Callable[[], object]:
        return lambda: fold(events, batch=batch_of(header.params))

    def drawing(header: Header, events: list[Event]) -> Callable[[], object]:
        # What folding hands on: the drawn rounds only, whatever the stream's length.
        drawn = [event for done in fold(events).rounds for event in done.events]
        return lambda: render_source(sequence_source(Session(header, drawn)), "svg", program)

    rows = [
        (f"SVG ({program.name}), whole renderer", svg),
        ("Mermaid (.mmd), whole renderer", mmd),
        (f"SVG ({program.name}), drawing only: DOT and {program.name} on the folded rounds",
         drawing),
    ]
    one_svg, many_svg = io.BytesIO(), io.BytesIO()
    SequenceRenderer(output_format="svg").render(Session(one_header, one), one_svg)
    SequenceRenderer(output_format="svg").render(Session(many_header, many), many_svg)

    print("## Diagrams\n")
    print(f"`vtrace diagram` of 1 frame ({len(one):,} events) and of {options.frames:,} "
          f"identical frames ({len(many):,} events), modern era, seed 1. Renderer time on "
          "events already decoded in memory from a `vtrace send --events` recording (decoding "
          f"them took {decode_s:.1f} s and is not counted, nor is the replay); best of "
          f"{options.repeat} runs.\n")
    print(f"| output | 1 frame | {options.frames:,} frames | ratio | target | met |")
    print("|---|---:|---:|---:|---:|---|")
    for name, make in rows:
        small = best(options.repeat, make(one_header, one))
        large = best(options.repeat, make(many_header, many))
        ratio = large / small
        print(f"| {name} | {small * 1000:.1f} ms | {large * 1000:.1f} ms | {ratio:.1f}× | "
              f"≤ 3× | {'yes' if ratio <= 3 else 'no'} |")
    fold_s = best(options.repeat, folding(many_header, many))
    print(f"\nFolding keeps the picture the same size ({len(one_svg.getvalue()) / 1024:.0f} KiB "
          f"of SVG for one frame, {len(many_svg.getvalue()) / 1024:.0f} KiB for "
          f"{options.frames:,}), so drawing stays within the target. The fold itself reads "
          f"every event once: {fold_s * 1000:.0f} ms for {len(many):,} events, "
          f"{fold_s / len(many) * 1e9:.0f} ns an event, which is what puts the whole "
          "renderer over 3×.")


if __name__ == "__main__":
    main()
