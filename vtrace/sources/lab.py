"""The directory ``vtrace lab --save`` writes, loaded into one time-ordered event stream.

The directory holds ``manifest.json`` (format ``vtrace-lab/1``: scenario,
parameters, versions, the host's clock calibration, file names) and three
captures: the guest's ftrace, the host's tracefs instance (uprobes on QEMU,
tracepoints) and QEMU's trace log.

One clock for all three. Guest and host both count the x86 TSC; under TCG
the guest's counter is the host's minus a constant C (the host's count when
the guest's clock started). Every kick is seen on both sides: the guest's
``vp_notify`` and then, on QEMU's vCPU thread, ``event_notifier_set`` (or
``virtio_queue_notify`` where ioeventfd is off). Each difference is C plus a
latency of at least zero, so C is the smallest. The host's trace_marker
calibration pairs (TSC, wall clock) fit the TSC to nanoseconds of the wall
clock, the clock QEMU's log timestamps are in.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vtrace import __version__
from vtrace.catalog import ERAS
from vtrace.model import Event, Header, Source
from vtrace.sources import TraceError, ftrace, qemu_log
from vtrace.sources.convert import Draft, Sides, from_ftrace, from_qemu_log, numbered
from vtrace.sources.ftrace import LineKind, TraceLine

__all__ = ["FORMAT", "Fit", "LabError", "clock_offset", "era_of", "load"]

FORMAT = "vtrace-lab/1"
_GUEST_KICK = "vp_notify"
_HOST_SIGNAL = "event_notifier_set"  # the vCPU thread signals the kick's ioeventfd
_HOST_READ = "virtio_queue_host_notifier_read"  # the main loop reads it
_HOST_NOTIFY = "virtio_queue_notify"  # ioeventfd off: the vCPU thread runs it
_CANDIDATE_KICKS = 64  # guest kicks tried as the one with the shortest latency


class LabError(TraceError):
    """A capture directory is incomplete or its captures cannot be aligned."""


@dataclass(frozen=True, slots=True)
class Fit:
    """Host TSC to wall-clock nanoseconds: ``ns = origin_ns + (tsc - origin_tsc) * ns_per_tick``."""

    origin_tsc: int
    origin_ns: int
    ns_per_tick: float

    @classmethod
    def through(cls, points: Sequence[tuple[int, int]]) -> Fit:
        """The line through the first and last (tsc, ns) calibration points."""
        if len(points) < 2 or points[-1][0] == points[0][0]:
            raise LabError("the calibration needs two (tsc, realtime_ns) points at different "
                           "times")
        (tsc0, ns0), (tsc1, ns1) = points[0], points[-1]
        return cls(tsc0, ns0, (ns1 - ns0) / (tsc1 - tsc0))

    def ns(self, tsc: int) -> int:
        return self.origin_ns + round((tsc - self.origin_tsc) * self.ns_per_tick)


def clock_offset(guest_kicks: Sequence[int], host_kicks: Sequence[int]) -> tuple[int, int]:
    """(C, spread): C such that guest TSC = host TSC - C, from the kicks seen on both sides.

    The vCPU thread signals eventfds for more than kicks, so the host list is
    longer. Each candidate C (one guest kick taken to meet one host signal) puts
    every guest kick at ``kick + C`` and waits for the next host signal; the
    candidate whose longest wait is shortest wins. The spread is that wait: how
    much the kicks' latencies differ.
    """
    if not guest_kicks or not host_kicks:
        raise LabError("no kick is seen on both sides (guest vp_notify and a host "
                       "event_notifier_set or virtio_queue_notify): cannot align the clocks")
    hosts = sorted(host_kicks)
    best: tuple[int, int] | None = None  # (longest wait, C)
    for guest in guest_kicks[:_CANDIDATE_KICKS]:
        for host in hosts:
            offset = host - guest
            wait = _longest_wait(guest_kicks, hosts, offset)
            if wait is not None and (best is None or (wait, offset) < best):
                best = (wait, offset)
    if best is None:
        raise LabError("the guest's kicks come after every host signal: cannot align the "
                       "clocks")
    return best[1], best[0]


def _longest_wait(guest_kicks: Sequence[int], hosts: Sequence[int], offset: int) -> int | None:
    """The longest time from a guest kick (moved by ``offset``) to the next host signal."""
    longest = 0
    for guest in guest_kicks:
        moved = guest + offset
        index = bisect.bisect_left(hosts, moved)
        if index == len(hosts):
            return None
        longest = max(longest, hosts[index] - moved)
    return longest


def era_of(guest: str | None, qemu: str | None) -> str | None:
    """The era whose versions are the ones the capture ran, if one is."""
    for name, chosen in ERAS.items():
        if chosen.linux == guest and chosen.qemu == qemu:
            return name
    return None


def load(directory: str | Path, argv: tuple[str, ...] = ()) -> tuple[Header, Iterator[Event]]:
    """The header and the aligned events of a saved capture directory."""
    root = Path(directory)
    manifest = _manifest(root)
    files = manifest["files"]
    sides = Sides.reported(manifest["guest"].get("kernel"), manifest["qemu"].get("version"),
                           manifest.get("host", {}).get("kernel"))
    guest = list(ftrace.read(_file(root, files, "guest_trace")))
    host = list(ftrace.read(_file(root, files, "host_trace")))
    fit = Fit.through(_calibration(manifest, host))
    offset, spread = clock_offset(_kicks(guest, guest_side=True), _kicks(host, guest_side=False))
    threads = {int(tid): str(comm) for tid, comm in manifest["qemu"].get("threads", {}).items()}
    drafts: list[Draft] = [
        *from_ftrace(guest, sides, guest=True, clock=lambda ts: fit.ns(ts + offset)),
        *from_ftrace(host, sides, guest=False, clock=fit.ns),
    ]
    log = files.get("qemu_log")
    if log and (root / log).is_file():
        drafts.extend(from_qemu_log(qemu_log.read(root / log), sides, threads=threads))
    drafts.sort(key=lambda draft: draft.t_ns)
    era = era_of(sides.guest.version, sides.qemu.version)
    params: dict[str, Any] = {**manifest.get("params", {}),
                              "alignment": {"offset_ticks": offset, "spread_ns":
                                            round(spread * fit.ns_per_tick),
                                            "ns_per_tick": fit.ns_per_tick}}
    if era is not None:
        params["era"] = era
    header = Header(__version__, str(manifest.get("scenario", "trace")), params, 0, argv,
                    Source.TRACE)
    return header, numbered(drafts)


def _manifest(root: Path) -> dict[str, Any]:
    path = root / "manifest.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LabError(f"{root}: no manifest.json (not a directory vtrace lab --save wrote)") \
            from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise LabError(f"{path}: not JSON: {error}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise LabError(f"{path}: format is not {FORMAT!r}")
    for key in ("files", "guest", "qemu"):
        if not isinstance(manifest.get(key), dict):
            raise LabError(f"{path}: {key!r} is missing")
    return manifest


def _file(root: Path, files: Mapping[str, Any], key: str) -> Path:
    name = files.get(key)
    if not isinstance(name, str) or not (root / name).is_file():
        raise LabError(f"{root}: the manifest's {key} file {name!r} is missing")
    return root / name


def _calibration(manifest: Mapping[str, Any], host: Sequence[TraceLine]) -> list[tuple[int, int]]:
    """(tsc, realtime ns) pairs: the manifest's, or the host trace's calibration markers."""
    points = [(int(point["tsc"]), int(point["realtime_ns"]))
              for point in manifest.get("calibration") or ()]
    if len(points) >= 2:
        return sorted(points)
    return [(record.ts, int(record.body.rpartition("realtime_ns=")[2]))
            for record in host
            if record.kind is LineKind.PRINT and record.ts is not None
            and record.body.startswith("vtrace-calib ") and "realtime_ns=" in record.body]


def _kicks(records: Sequence[TraceLine], *, guest_side: bool) -> list[int]:
    """TSC counts of the kicks: the guest's ``vp_notify``s, or the host's anchors.

    The vCPU thread signals many eventfds; a kick's signal is the last one before
    the main loop reads the queue's host notifier. Where ioeventfd is off, the
    vCPU thread runs ``virtio_queue_notify`` itself.
    """
    if guest_side:
        return sorted(record.ts for record in records
                      if record.name == _GUEST_KICK and record.ts is not None
                      and record.kind in (LineKind.FUNCTION, LineKind.ENTRY, LineKind.LEAF))
    signals: list[int] = []
    kicks: list[int] = []
    for record in records:
        if record.kind is not LineKind.PROBE or record.ts is None:
            continue
        if record.name == _HOST_SIGNAL and record.comm.startswith("CPU "):
            signals.append(record.ts)
        elif record.name == _HOST_READ and signals and (not kicks or kicks[-1] != signals[-1]):
            kicks.append(signals[-1])
    if kicks:
        return kicks
    return sorted(record.ts for record in records
                  if record.kind is LineKind.PROBE and record.name == _HOST_NOTIFY
                  and record.comm.startswith("CPU ") and record.ts is not None)
