"""One lab run: prepare, boot, send or receive, collect; the raw captures land in a directory.

Everything the run changes on the host is entered on one ExitStack (its
tracefs mount, the tap, the uprobes, the trace instance, QEMU), each
registered there before it is made, so leaving the run by any path (success,
error, Ctrl-C, SIGTERM, SIGHUP) undoes it in reverse order. Signals are held
off until the clean-up is over, and then take effect.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vtrace.lab import probes, tracefs
from vtrace.lab.elf import symbol_offsets
from vtrace.lab.errors import LabError, PrerequisiteError
from vtrace.lab.features import check_negotiated, switched_off
from vtrace.lab.image import GuestImage, build_image, cache_root
from vtrace.lab.kernel import cached_kernel, current_package, user_kernel
from vtrace.lab.manifest import (
    CALIBRATION_MARK,
    FILES,
    calibration_points,
    qemu_version,
    write_manifest,
)
from vtrace.lab.params import (
    GUEST_RX_PORT,
    HOST_FLOW_PORT,
    TCP_WARMUP,
    Accel,
    LabParams,
    Proto,
    Ring,
    Scenario,
)
from vtrace.lab.prereq import HostView, check_host, check_tracefs, resolve_accel
from vtrace.lab.qemu import Files, GuestNet, Qemu, qemu_command, qemu_path, trace_events
from vtrace.lab.qmp import Qmp, read_rings, socket_directory
from vtrace.lab.qmp_ring import RING_FILE, rings_of_answers
from vtrace.lab.tap import new_tap_name, tap
from vtrace.lab.tap_pcap import recorded, write_pcap
from vtrace.lab.traffic import Console, receive, receive_stream, send, send_stream
from vtrace.netfeatures import Feature
from vtrace.output import atomic_output
from vtrace.stop import guarded

__all__ = ["PHASES", "PhaseReport", "Progress", "capture"]

PHASES = ("prepare", "boot", "send", "recv", "collect")
#: What the guest's /init says once its trace window is closed (the last frame and its
#: completions are in the rings) and before it dumps the trace: the moment to read the rings.
QUIET = "vtrace-guest quiet"
BOOT_TIMEOUT_S = 120.0
TRAFFIC_TIMEOUT_S = 120.0


@dataclass(frozen=True, slots=True)
class PhaseReport:
    phase: str
    done: bool  # False when it starts, True when it ends
    seconds: float = 0.0
    note: str = ""


Progress = Callable[[PhaseReport], None]


class _Phases:
    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.timings: dict[str, float] = {}

    @contextlib.contextmanager
    def phase(self, name: str) -> Iterator[None]:
        self.progress(PhaseReport(name, done=False))
        start = time.monotonic()
        yield
        self.timings[name] = round(time.monotonic() - start, 3)
        self.progress(PhaseReport(name, done=True, seconds=self.timings[name]))

    def note(self, name: str, text: str) -> None:
        self.progress(PhaseReport(name, done=False, note=text))


def _ignore(report: PhaseReport) -> None:
    return None


def _has_kernel() -> bool:
    return current_package(cache_root()) is not None or any(
        cache_root().glob("kernel/*/vmlinuz"))


def capture(params: LabParams, directory: Path, progress: Progress = _ignore,
            host: HostView | None = None) -> dict[str, Any]:
    """Run the lab into ``directory`` (which must exist and be empty); returns the manifest facts.

    Raises PrerequisiteError before the host is touched if something is missing.
    """
    view = host or HostView(kernel_available=_has_kernel)
    problems = check_host(params, view)
    if problems:
        raise PrerequisiteError(problems)
    accel, accel_note = resolve_accel(params.accel, view)
    stack = ExitStack()
    with guarded(stack.close):
        return _run(params, accel, directory, _Phases(progress), accel_note, stack)


def _run(params: LabParams, accel: Accel, directory: Path, phases: _Phases, accel_note: str,
         stack: ExitStack) -> dict[str, Any]:
    files = Files(console=directory / FILES["console"],
                  guest_trace=directory / FILES["guest_trace"],
                  log=directory / FILES["qemu_log"], events=directory / "qemu-events.txt")
    facts: dict[str, Any] = {}
    with phases.phase("prepare"):
        phases.note("prepare", accel_note)
        image = _image(params, lambda text: phases.note("prepare", text))
        phases.note("prepare", f"guest kernel {image.kernel.version}, initramfs "
                               f"{'from the cache' if image.reused else 'built'}")
        root = stack.enter_context(tracefs.private_mount())
        problems = check_tracefs(root)
        if problems:
            raise PrerequisiteError(problems)
        link = stack.enter_context(tap(new_tap_name(), neighbour=params.scenario is Scenario.RECV,
                                       queues=params.queues))
        group = f"vtrace_{os.getpid()}"
        qemu_binary = qemu_path()
        wanted = probes.uprobes(params.scenario, params.proto)
        offsets = symbol_offsets(Path(qemu_binary), {probe.symbol for probe in wanted})
        definitions = [line for probe in wanted
                       if probe.symbol in offsets
                       for line in probes.uprobe_definition(probe, group, qemu_binary,
                                                            offsets[probe.symbol])]
        stack.enter_context(tracefs.uprobes(root, definitions))
        instance = stack.enter_context(tracefs.instance(root, group))
        missing = _configure(instance, params, group, link.name, offsets)
        frames_seen = stack.enter_context(recorded(link.name))
        tcp_peer = params.proto is Proto.TCP and params.scenario is Scenario.SEND
        receiver = stack.enter_context(socket.socket(
            socket.AF_INET, socket.SOCK_STREAM if tcp_peer else socket.SOCK_DGRAM))
        receiver.bind((link.host_ip, 0))
        if tcp_peer:
            receiver.listen(1)
        net = GuestNet(link.name, link.host_ip, link.guest_ip, receiver.getsockname()[1],
                       GUEST_RX_PORT)
        files.events.write_text("\n".join(trace_events(params)) + "\n")
        qmp_socket = stack.enter_context(socket_directory()) / "qmp.sock"
        argv = qemu_command(params, accel, image.kernel.boot, image.initramfs, files, net,
                            qemu_binary, qmp_socket)
        (directory / FILES["cmdline"]).write_text(shlex.join(argv) + "\n")
        calibration = _Calibration(instance)
        qemu = Qemu(argv, directory / "qemu-stderr.txt")
        stack.callback(qemu.stop)
        qemu.start()
        instance.add_pid(qemu.gate_pid)
        instance.set("tracing_on", "1")
        calibration.mark("start")  # trace_marker refuses writes (EBADF) while tracing is off
    console = Console(files.console, lambda: qemu.poll() is None, qemu.said)
    with phases.phase("boot"):
        qemu.open_gate()
        qemu.find()
        tap_fd = qemu.tap_fd()
        for point in probes.tracepoints(params.scenario):
            if point.needs_tap_fd and not instance.enable(point.event,
                                                          point.filter_for(tap_fd=tap_fd)):
                missing.append(point.event)
        guest_kernel = console.wait_for("vtrace-guest kernel=", BOOT_TIMEOUT_S).split("=", 1)[1]
        features = check_negotiated(console.wait_for("eth0:", BOOT_TIMEOUT_S), _wanted(params),
                                    dict.fromkeys(switched_off(params.features),
                                                  f"--features {params.features}"))
        threads = qemu.threads()
        calibration.mark("booted")
    with phases.phase(params.scenario.value):
        sent, received = _traffic(params, console, instance, receiver, net, stack)
        threads.update(qemu.threads())
        console.wait_for(QUIET, TRAFFIC_TIMEOUT_S)
        ring_note = _save_rings(qmp_socket, directory / RING_FILE, params.queues)
        if ring_note:
            phases.note(params.scenario.value, ring_note)
        console.wait_for("vtrace-guest done", TRAFFIC_TIMEOUT_S)
        status = qemu.wait(TRAFFIC_TIMEOUT_S)
        if status != 0:
            raise LabError(f"QEMU exited with status {status}{qemu.said()}")
        calibration.mark("end")
    with phases.phase("collect"):
        instance.set("tracing_on", "0")
        host_trace = instance.read_trace()
        (directory / FILES["host_trace"]).write_bytes(host_trace)
        write_pcap(directory / FILES["tap_pcap"], frames_seen.drain())
        facts.update(
            guest={"kernel": guest_kernel.strip(),
                   "boot": "pvh" if image.kernel.boot != image.kernel.vmlinuz else "bzimage",
                   "features": features},
            qemu={"version": qemu_version(qemu_binary), "binary": qemu_binary,
                  "pid": qemu.pid, "threads": threads},
            missing=missing,
            calibration=calibration_points(host_trace),
            tap={"name": link.name, "fd": tap_fd},
            network={"host_ip": net.host_ip, "guest_ip": net.guest_ip,
                     "host_port": net.host_port, "guest_port": net.guest_port},
            datagrams={"sent": sent, "received": received},
            uprobe_group=group,
        )
    facts["timings"] = phases.timings
    write_manifest(directory, params, accel.value, facts)
    return facts


def _wanted(params: LabParams) -> dict[Feature, str]:
    """The features the run asked QEMU for, which the guest's driver must have taken, each
    with the option that asked."""
    wanted = {}
    if params.ring is Ring.PACKED:
        wanted[Feature.RING_PACKED] = "--ring packed"
    if params.queues > 1:
        wanted[Feature.MQ] = f"--queues {params.queues}"
    if params.receive_flows:
        wanted[Feature.RSS] = f"--queues {params.queues} with recv (rss=on)"
    return wanted


def _save_rings(qmp_socket: Path, target: Path, pairs: int = 1,
                connect_s: float = 10.0) -> str:
    """The rings of ``pairs`` queue pairs as QEMU sees them now, into ``target``; says why
    not when QMP fails, since the capture itself is still good."""
    try:
        qmp = Qmp(qmp_socket, connect_s)
        try:
            rings = rings_of_answers(read_rings(qmp, pairs))
        finally:
            qmp.close()
    except (LabError, ValueError, KeyError) as failed:
        return f"no ring read through QMP: {failed}"
    with atomic_output(str(target)) as out:
        out.write(json.dumps(rings) + "\n")
    return ""


def _image(params: LabParams, say: Callable[[str], None]) -> GuestImage:
    cache = cache_root()
    if params.kernel is not None and params.modules is not None:
        kernel = user_kernel(params.kernel, params.modules, cache / "user-kernel")
    else:
        kernel = cached_kernel(cache, say)
    return build_image(kernel, cache)


def _configure(instance: tracefs.Instance, params: LabParams, group: str, tap_name: str,
               offsets: dict[str, int]) -> list[str]:
    """Clock, buffer and events of the instance; returns the events this host lacks
    (tracepoints its kernel has not, uprobes on functions its QEMU does not export)."""
    instance.set("trace_clock", "x86-tsc")
    instance.set("buffer_size_kb", "8192")
    instance.set("options/event-fork", "1")
    missing = []
    for point in probes.tracepoints(params.scenario):
        if not point.needs_tap_fd and not instance.enable(
                point.event, point.filter_for(tap=tap_name, own_pid=os.getpid())):
            missing.append(point.event)
    for probe in probes.uprobes(params.scenario, params.proto):
        if probe.symbol not in offsets:
            missing.append(f"uprobe {probe.symbol}")
            continue
        instance.enable(f"{group}/{probe.symbol}", probe.event_filter)
        if probe.returns:
            instance.enable(f"{group}/{probe.symbol}__return", probe.event_filter)
    return missing


def _traffic(params: LabParams, console: Console, instance: tracefs.Instance,
             receiver: socket.socket, net: GuestNet,
             stack: ExitStack) -> tuple[list[int], list[int]]:
    """(seqs the host sent, seqs the host received); seq 0 is the guest's first datagram (TCP
    has none: its warm-up bytes come first)."""
    frames = list(range(1, params.frames + 1))
    if params.proto is Proto.TCP and params.scenario is Scenario.RECV:
        console.wait_for("rx ready", TRAFFIC_TIMEOUT_S)
        instance.add_pid(os.getpid())
        # Closed once the rings are read: a FIN now would make the guest answer into its
        # transmit ring.
        connection = stack.enter_context(socket.create_connection(
            (net.guest_ip, net.guest_port), timeout=TRAFFIC_TIMEOUT_S))
        send_stream(connection, TCP_WARMUP, params.size, frames, params.gap_ms / 1000,
                    instance.mark, console, TRAFFIC_TIMEOUT_S)
        return frames, []
    if params.proto is Proto.TCP:
        return [], receive_stream(receiver, TCP_WARMUP, params.size, params.frames,
                                  instance.mark, console, TRAFFIC_TIMEOUT_S,
                                  stack.enter_context)
    if params.scenario is Scenario.SEND:
        return [], receive(receiver, {0, *frames}, instance.mark, console, TRAFFIC_TIMEOUT_S)
    console.wait_for("rx ready", TRAFFIC_TIMEOUT_S)
    instance.add_pid(os.getpid())
    received = receive(receiver, {0}, instance.mark, console, TRAFFIC_TIMEOUT_S)
    time.sleep(0.2)
    senders = [stack.enter_context(_flow_socket(net.host_ip, flow))
               for flow in range(params.queues if params.receive_flows else 1)]
    send((net.guest_ip, net.guest_port), frames, params.payload_size, params.gap_ms / 1000,
         instance.mark, senders)
    return frames, received


def _flow_socket(host_ip: str, flow: int) -> socket.socket:
    """The host's UDP socket of receive flow ``flow``: its own source port, so that RSS
    hashes each flow apart (one flow: any port)."""
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    port = HOST_FLOW_PORT + flow
    try:
        sender.bind((host_ip, port))
    except OSError as error:
        sender.close()
        raise LabError(f"cannot send from {host_ip}:{port}: {error.strerror}") from None
    return sender


class _Calibration:
    """Marker lines that pair a trace timestamp with the wall clock read just before."""

    def __init__(self, instance: tracefs.Instance) -> None:
        self.instance = instance

    def mark(self, label: str) -> None:
        self.instance.mark(f"{CALIBRATION_MARK} {label} realtime_ns={time.time_ns()}\n")
