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
clock, the clock QEMU's log timestamps are in; that fit is good to tens of µs
only, so the log is then fitted to the uprobes it shares with the host trace
(``log_fit``). Where the directory holds ``tap.pcap``, each datagram's bytes
as the tap saw them go to the host event of its frame nearest that moment.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from vtrace import __version__
from vtrace.catalog import ERAS
from vtrace.model import Event, Header, Source
from vtrace.pcap import read_packets
from vtrace.sources import TraceError, ftrace, qemu_log
from vtrace.sources.convert import Draft, Sides, numbered
from vtrace.sources.ftrace import LineKind, TraceLine, from_ftrace
from vtrace.sources.qemu_log import from_qemu_log
from vtrace.sources.registry import Format, register

__all__ = ["FORMAT", "MANIFEST_FORMAT", "Fit", "LabError", "LogFit", "clock_offset", "era_of",
           "load", "log_fit", "read_manifest"]

MANIFEST_FORMAT = "vtrace-lab/1"
_GUEST_KICK = "vp_notify"
_HOST_SIGNAL = "event_notifier_set"  # the vCPU thread signals the kick's ioeventfd
_HOST_READ = "virtio_queue_host_notifier_read"  # the main loop reads it
_HOST_NOTIFY = "virtio_queue_notify"  # ioeventfd off: the vCPU thread runs it
_CANDIDATE_KICKS = 64  # guest kicks tried as the one with the shortest latency
#: Functions that print a QEMU trace event and carry a uprobe at their entry.
_TWINS = ("virtqueue_fill", "virtqueue_flush", "virtio_notify", "virtio_queue_notify")
_CANDIDATE_EVENTS = 16  # log events of each name tried as the one nearest its probe
_SHIFT_WINDOW_NS = 5_000_000  # how far the calibration may put the log from the probes
_HOST_SOURCES = (Source.HOST_TRACEPOINT, Source.HOST_UPROBE)
_PAYLOAD_SEQ = re.compile(rb"vtrace seq=(\d+)")  # the lab's datagrams say which they are
_PAIR_WINDOW_NS = 100_000  # how far a log event may still be from its probe after the shift


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


@dataclass(frozen=True, slots=True)
class LogFit:
    """QEMU log wall-clock ns onto the host trace's clock:
    ``ns + shift_ns + (ns - origin_ns) * drift``."""

    shift_ns: int = 0
    origin_ns: int = 0
    drift: float = 0.0

    def ns(self, logged: int) -> int:
        return logged + self.shift_ns + round((logged - self.origin_ns) * self.drift)


def log_fit(events: Mapping[str, Sequence[int]], probes: Mapping[str, Sequence[int]]) -> LogFit:
    """The fit that puts each QEMU log event just after the uprobe of its function.

    QEMU stamps its log with the wall clock (in µs) and the host trace counts
    the TSC; the calibration markers map one to the other only to within tens
    of µs, and their slope drifts by tens of ppm. A function's trace event is
    printed inside it, just after the uprobe at its entry fired. First a
    constant shift: among those that put one log event on one probe of its
    function, the one whose longest gap from a probe to the next log event of
    its name is shortest. Then each log event pairs with the probe nearest it,
    a line through the pairs takes the drift out, and the line moves so that no
    event comes before its probe (identity: no function seen on both sides).
    """
    shared = [(sorted(events[name]), sorted(probes[name]))
              for name in events if events[name] and probes.get(name)]
    best: tuple[int, int] | None = None  # (longest gap, shift)
    for logged, probed in shared:
        for event in logged[:_CANDIDATE_EVENTS]:
            low = bisect.bisect_left(probed, event - _SHIFT_WINDOW_NS)
            high = bisect.bisect_right(probed, event + _SHIFT_WINDOW_NS)
            for probe in probed[low:high]:
                shift = probe - event
                gap = _longest_gap(shared, shift)
                if gap is not None and (best is None or (gap, abs(shift)) < (best[0],
                                                                              abs(best[1]))):
                    best = (gap, shift)
    if best is None:
        return LogFit()
    pairs = [(event, nearest - event) for logged, probed in shared for event in logged
             if (nearest := _nearest(probed, event + best[1])) is not None]
    origin = round(sum(event for event, _ in pairs) / len(pairs))
    mean = sum(lag for _, lag in pairs) / len(pairs)
    spread = sum((event - origin) ** 2 for event, _ in pairs)
    drift = (sum((event - origin) * (lag - mean) for event, lag in pairs) / spread
             if spread else 0.0)
    line = LogFit(round(mean), origin, drift)
    earliest = min(line.ns(event) - (event + lag) for event, lag in pairs)
    return LogFit(line.shift_ns - earliest, origin, drift)


def _nearest(probed: Sequence[int], moved: int) -> int | None:
    """The probe nearest ``moved``, if one is within ``_PAIR_WINDOW_NS``."""
    index = bisect.bisect_left(probed, moved)
    near = [probe for probe in probed[max(index - 1, 0):index + 1]
            if abs(probe - moved) <= _PAIR_WINDOW_NS]
    return min(near, key=lambda probe: abs(probe - moved)) if near else None


def _longest_gap(shared: Iterable[tuple[Sequence[int], Sequence[int]]], shift: int) -> int | None:
    """The longest time from a probe to its log event moved by ``shift`` (None: one has no
    probe before it)."""
    longest = 0
    for logged, probed in shared:
        for event in logged:
            moved = event + shift
            index = bisect.bisect_right(probed, moved)
            if index == 0:
                return None
            longest = max(longest, moved - probed[index - 1])
    return longest


def _twins(records: Iterable[qemu_log.LogLine]) -> dict[str, list[int]]:
    """Wall-clock times of the log's events that have a uprobe twin, by name."""
    found: dict[str, list[int]] = {}
    for record in records:
        if record.event in _TWINS and record.time_ns is not None:
            found.setdefault(record.event, []).append(record.time_ns)
    return found


def _probed(host: Iterable[TraceLine], fit: Fit) -> dict[str, list[int]]:
    """Wall-clock times of the host's uprobe hits on the twins' functions, by name."""
    found: dict[str, list[int]] = {}
    for record in host:
        if record.kind is LineKind.PROBE and record.name in _TWINS and record.ts is not None:
            found.setdefault(record.name, []).append(fit.ns(record.ts))
    return found


def _tap_frames(path: Path, origin_ns: int) -> dict[int, tuple[int, bytes]]:
    """The datagrams the lab's packet socket saw on the tap: frame -> (t_ns, bytes), the time
    on the events' clock (the capture's wall clock, from the first event)."""
    found: dict[int, tuple[int, bytes]] = {}
    try:
        for wall_ns, frame in read_packets(path):
            seq = _PAYLOAD_SEQ.search(frame)
            if seq is not None:
                found.setdefault(int(seq.group(1)), (wall_ns - origin_ns, frame))
    except ValueError as problem:
        raise LabError(str(problem)) from None
    return found


def _with_tap_frames(events: Iterable[Event],
                     frames: Mapping[int, tuple[int, bytes]]) -> Iterator[Event]:
    """``events`` with each datagram's bytes from the tap (``frame_hex``) on the host event
    of its frame nearest the time the packet socket saw it."""
    listed = list(events)
    nearest: dict[int, int] = {}  # frame -> index of the event
    for index, event in enumerate(listed):
        frame = event.frame
        if frame is not None and frame in frames and event.source in _HOST_SOURCES:
            seen_ns = frames[frame][0]
            best = nearest.get(frame)
            if best is None or abs(event.t_ns - seen_ns) < abs(listed[best].t_ns - seen_ns):
                nearest[frame] = index
    for frame, index in nearest.items():
        event = listed[index]
        listed[index] = replace(event, detail={**event.detail,
                                               "frame_hex": frames[frame][1].hex()})
    return iter(listed)


def era_of(guest: str | None, qemu: str | None) -> str | None:
    """The era whose versions are the ones the capture ran, if one is."""
    for name, chosen in ERAS.items():
        if chosen.linux == guest and chosen.qemu == qemu:
            return name
    return None


def load(directory: str | Path, argv: tuple[str, ...] = ()) -> tuple[Header, Iterator[Event]]:
    """The header and the aligned events of a saved capture directory."""
    root = Path(directory)
    manifest = read_manifest(root)
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
    log_clock = LogFit()
    if log and (root / log).is_file():
        records = list(qemu_log.read(root / log))
        log_clock = log_fit(_twins(records), _probed(host, fit))
        drafts.extend(from_qemu_log(records, sides, clock=log_clock.ns, threads=threads))
    drafts.sort(key=lambda draft: draft.t_ns)
    era = era_of(sides.guest.version, sides.qemu.version)
    params: dict[str, Any] = {**manifest.get("params", {}),
                              "alignment": {"offset_ticks": offset, "spread_ns":
                                            round(spread * fit.ns_per_tick),
                                            "ns_per_tick": fit.ns_per_tick,
                                            "qemu_log_shift_ns": log_clock.shift_ns,
                                            "qemu_log_drift_ppm":
                                                round(log_clock.drift * 1e6, 3)}}
    if era is not None:
        params["era"] = era
    header = Header(__version__, str(manifest.get("scenario", "trace")), params, 0, argv,
                    Source.TRACE)
    tap = files.get("tap_pcap")
    if tap and (root / tap).is_file() and drafts:
        return header, _with_tap_frames(numbered(drafts), _tap_frames(root / tap,
                                                                      drafts[0].t_ns))
    return header, numbered(drafts)


def read_manifest(root: Path) -> dict[str, Any]:
    """A saved directory's ``manifest.json``, checked for its format and main keys."""
    path = root / "manifest.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LabError(f"{root}: no manifest.json (not a directory vtrace lab --save wrote)") \
            from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise LabError(f"{path}: not JSON: {error}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
        raise LabError(f"{path}: format is not {MANIFEST_FORMAT!r}")
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


FORMAT = register(Format("lab", 10, lambda path, head: path.is_dir(), load=load))
