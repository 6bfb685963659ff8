"""The Chrome trace as Chrome DevTools reads it, and its size against the JSON Lines recording.

tests/trace_engine/driver.mjs loads the trace in DevTools' own trace engine
(npm ``@paulirish/trace_engine``, pinned by tests/trace_engine/package-lock.json,
installed by ``npm ci --prefix tests/trace_engine``) and reports the flows it
bound; the engine binds a flow event to a slice only on equal ts, pid, tid and
category, and drops a flow whose ends bound to nothing.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from outside_tools import require

from vtrace.renderers.chrome import ChromeTraceRenderer
from vtrace.renderers.jsonl import JsonLinesRenderer
from vtrace.session import replayed

DRIVER = Path(__file__).resolve().parent / "trace_engine" / "driver.mjs"
ENGINE = DRIVER.parent / "node_modules" / "@paulirish" / "trace_engine"


def devtools(path: Path) -> dict[str, Any]:
    require(None if shutil.which("node") and ENGINE.is_dir() else
            "needs node and `npm ci --prefix tests/trace_engine` (@paulirish/trace_engine)")
    done = subprocess.run(["node", str(DRIVER), str(path)], capture_output=True, text=True,
                          check=True, timeout=300)
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def expected_flows(document: dict[str, Any]) -> list[list[int]]:
    """For each flow of the file, the seq of the slice at each of its two ends."""
    records = document["traceEvents"]
    slices = {(r["ts"], r["pid"], r["tid"]): r["args"]["seq"] for r in records if r["ph"] == "X"}
    ends: dict[int, list[int]] = {}
    for record in records:
        if record["ph"] in ("s", "f"):
            ends.setdefault(record["id"], []).append(
                slices[record["ts"], record["pid"], record["tid"]])
    return list(ends.values())


def test_devtools_binds_every_flow_to_its_slices(tmp_path: Path) -> None:
    for scenario in ("send", "recv"):
        session = replayed(scenario, {"frames": 3}, "modern", 1)
        path = tmp_path / f"{scenario}.json"
        with path.open("w", encoding="utf-8") as out:
            ChromeTraceRenderer().render(session, out)
        document = json.loads(path.read_text(encoding="utf-8"))
        report = devtools(path)
        assert report["starts"] > 0
        assert report["flows"] == [2] * report["starts"]
        bound = sorted(sorted(ends) for ends in report["slices"])
        assert bound == sorted(sorted(ends) for ends in expected_flows(document))


class _Counted:
    """A text sink that only counts the UTF-8 bytes written to it."""

    def __init__(self) -> None:
        self.size = 0

    def write(self, text: str) -> int:
        self.size += len(text.encode("utf-8"))
        return len(text)


def test_a_ten_thousand_frame_trace_is_no_larger_than_its_recording() -> None:
    sizes = []
    for renderer in (ChromeTraceRenderer(), JsonLinesRenderer()):
        session = replayed("send", {"frames": 10_000}, "modern", 1)
        sink = _Counted()
        renderer.render(session, sink)  # type: ignore[arg-type]
        sizes.append(sink.size)
    trace, recording = sizes
    assert 0 < trace <= recording
