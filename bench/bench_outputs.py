"""Writing the files outside tools read (pcapng, classic pcap, Chrome and Perfetto traces) against
writing the JSON Lines recording of the same run, as ratios of time and of size.

Run from the repository root: ``.venv/bin/python bench/bench_outputs.py [--frames N]``.
It prints a Markdown section (``## Capture and trace files``) on standard output.

The events of one ``vtrace send`` replay are built once and kept in memory; each
renderer then writes them to an in-memory file, best of ``--repeat`` runs, so the
figures are the writers' own cost. Targets: pcapng at most 2× the JSON Lines time;
the Chrome trace no larger than the JSON Lines.
"""

from __future__ import annotations

import argparse
import io
import time
from collections.abc import Callable
from typing import Any

from vtrace.model import Event, Header
from vtrace.renderers.base import Renderer
from vtrace.renderers.chrome import ChromeTraceRenderer
from vtrace.renderers.jsonl import JsonLinesRenderer
from vtrace.renderers.pcap import PcapngRenderer, PcapRenderer
from vtrace.renderers.perfetto import PerfettoRenderer
from vtrace.session import Session, replayed


def written(renderer: Renderer, header: Header, events: list[Event]) -> tuple[float, int]:
    """(seconds, bytes) of one render into memory."""
    out: Any = io.BytesIO() if renderer.binary else io.StringIO()
    started = time.perf_counter()
    renderer.render(Session(header, events), out)
    seconds = time.perf_counter() - started
    value = out.getvalue()
    return seconds, len(value if isinstance(value, bytes) else value.encode("utf-8"))


def best(repeat: int, make: Callable[[], Renderer], header: Header,
         events: list[Event]) -> tuple[float, int]:
    runs = [written(make(), header, events) for _ in range(repeat)]
    return min(seconds for seconds, _ in runs), runs[0][1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--frames", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    session = replayed("send", {"frames": options.frames}, "modern", 1)
    header, events = session.header, list(session.events())
    floor_s, floor_size = best(options.repeat, JsonLinesRenderer, header, events)
    rows: list[tuple[str, Callable[[], Renderer], float | None, float | None]] = [
        ("pcapng, every hop (.pcapng)", PcapngRenderer, 2.0, None),
        ("classic pcap, the tap (.pcap)", PcapRenderer, None, None),
        ("Chrome trace (.json)", ChromeTraceRenderer, None, 1.0),
        ("Perfetto trace (.perfetto-trace)", PerfettoRenderer, None, None),
    ]
    print("## Capture and trace files\n")
    print(f"`vtrace send` of {options.frames:,} frames ({len(events):,} events), modern era, "
          "seed 1, written from events already in memory to an in-memory file; best of "
          f"{options.repeat} runs, against the JSON Lines recording of the same events "
          f"({floor_s * 1000:.0f} ms, {floor_size / 2**20:.1f} MiB).\n")
    print("| output | time | ratio | size | ratio | target | met |")
    print("|---|---:|---:|---:|---:|---|---|")
    for name, make, time_target, size_target in rows:
        seconds, size = best(options.repeat, make, header, events)
        time_ratio, size_ratio = seconds / floor_s, size / floor_size
        targets, met = [], []
        if time_target is not None:
            targets.append(f"time ≤ {time_target:g}×")
            met.append(time_ratio <= time_target)
        if size_target is not None:
            targets.append(f"size ≤ {size_target:g}×")
            met.append(size_ratio <= size_target)
        print(f"| {name} | {seconds * 1000:.0f} ms | {time_ratio:.2f}× | "
              f"{size / 2**20:.1f} MiB | {size_ratio:.2f}× | {', '.join(targets) or '—'} | "
              f"{('yes' if all(met) else 'no') if met else '—'} |")
    print("\npcapng writes a packet for a frame's hops only (6 of the 69 events of a sent frame). "
          "The Chrome and Perfetto writers write a record for every call: the Chrome trace "
          "puts each together from JSON pieces cached per place; the Perfetto trace copies a "
          "protobuf message built once per place and adds the call's time, seq, frame and "
          "flow, and the protobuf calls are where its time goes.")


if __name__ == "__main__":
    main()
