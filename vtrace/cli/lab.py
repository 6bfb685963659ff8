"""``vtrace lab``: capture a real guest's datagrams on the guest, QEMU and host layers.

The capture itself lives in ``vtrace.lab``; this command checks the options,
shows the phases as they pass, keeps the raw captures where ``--save`` says,
and hands the directory to the importer (``vtrace.sources.lab``) for the
event stream, the views and the pcap file.
"""

from __future__ import annotations

import shutil
import signal
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from vtrace.cli.compare_trace import compare_capture, report_lines
from vtrace.cli.env import Environment, current
from vtrace.cli.lab_packets import compare_lab_packets, packet_lines
from vtrace.cli.lab_ring import compare_lab_rings
from vtrace.cli.playback import Playback, play, view_options
from vtrace.lab.capture import PhaseReport, capture
from vtrace.lab.features import switched_off
from vtrace.lab.manifest import FILES
from vtrace.lab.params import (
    MAX_FRAME,
    MAX_QUEUES,
    MAX_TCP_SIZE,
    MIN_TCP_SIZE,
    Accel,
    Backend,
    LabParams,
    Proto,
    Ring,
    Scenario,
    min_frame_size,
)
from vtrace.netfeatures import FeatureError
from vtrace.output import OutputError, check_apart, check_writable
from vtrace.ring_compare import report_lines as ring_lines
from vtrace.session import Session
from vtrace.sources.lab import load
from vtrace.stop import Stopped

__all__ = ["lab_command"]

MAX_LAB_FRAMES = 1000  # the guest's 4 MiB trace buffer holds about this many datagrams

EPILOG = """\b
Examples:
  sudo vtrace lab send --frames 3
  sudo vtrace lab recv --frames 3 --save run/
  sudo vtrace lab send --no-ioeventfd --events real.jsonl --view quiet
  sudo vtrace lab send --pcap send.pcap
  sudo vtrace lab recv --frames 3 --compare
  sudo vtrace lab send --ring packed --compare
  sudo vtrace lab send --proto tcp --size 65000 --compare
  sudo vtrace lab recv --proto tcp --size 65000 --compare
  sudo vtrace lab recv --proto tcp --features -guest_tso4 --compare
  sudo vtrace lab send --queues 2 --frames 4 --compare
  sudo vtrace lab recv --queues 2 --frames 4 --compare
"""


#: What ``--size`` means for each protocol, and its default.
TCP_SIZE = 65000


@click.command("lab", epilog=EPILOG)
@click.argument("scenario", type=click.Choice([s.value for s in Scenario]))
@click.option("--frames", "-n", type=click.IntRange(1, MAX_LAB_FRAMES), default=3,
              show_default=True,
              help="Frames to send (guest to host, or host to guest): datagrams, or TCP "
                   "blocks.")
@click.option("--size", type=int,
              help="UDP: Ethernet frame length in bytes (default: the smallest that holds "
                   "'vtrace seq=N', 54 for up to 9 frames). TCP: the bytes of each block the "
                   f"sender writes (default {TCP_SIZE}, at most {MAX_TCP_SIZE}).")
@click.option("--proto", type=click.Choice([p.value for p in Proto]), default="udp",
              show_default=True,
              help="UDP datagrams, or TCP: one connection between the guest and a peer on "
                   "the host, a 4 MiB warm-up outside the trace window, then one write a "
                   "frame (GSO packets under TSO).")
@click.option("--queues", type=click.IntRange(1, MAX_QUEUES), default=1, show_default=True,
              help="Queue pairs (mq=on, one vCPU each); with 2, frames alternate between two "
                   "flows: sent from a vCPU each (send), or from a host port each, spread "
                   "by QEMU's RSS (rss=on) with a key the guest commits (recv).")
@click.option("--features", "features", default="", metavar="-NAME,...",
              help="Switch device features off (QEMU's properties: -guest_tso4 gives "
                   "guest_tso4=off), spelt as vtrace send|recv --features spells them; the "
                   "replay compared takes the same list. Without guest TSO the host cuts each "
                   "TCP write before the tap and the guest's GRO merges the segments.")
@click.option("--ioeventfd/--no-ioeventfd", default=True, show_default=True,
              help="Let a kick signal an eventfd, or handle it on QEMU's vCPU thread.")
@click.option("--accel", type=click.Choice([a.value for a in Accel]), default="auto",
              show_default=True, help="KVM, TCG, or KVM where it works (auto).")
@click.option("--backend", type=click.Choice([b.value for b in Backend]), default="qemu",
              show_default=True,
              help="QEMU's own virtio-net datapath, or the host's vhost-net (needs "
                   "/dev/vhost-net).")
@click.option("--ring", type=click.Choice([r.value for r in Ring]), default="split",
              show_default=True,
              help="The virtqueue layout: virtio 1.0's split ring, or virtio 1.1's packed "
                   "ring (the device gets packed=on; the run checks VIRTIO_F_RING_PACKED).")
@click.option("--save", "save_dir", metavar="DIR",
              help="Keep the raw captures and a manifest in DIR (new or empty).")
@click.option("--kernel", type=click.Path(dir_okay=False, path_type=Path),
              help="A guest kernel (bzImage) instead of Debian's package.")
@click.option("--modules", type=click.Path(file_okay=False, path_type=Path),
              help="The directory with that kernel's virtio and failover modules.")
@click.option("--pcap", "pcap_path", metavar="PATH",
              help="Write the frames as they crossed the tap (a packet socket on it saw "
                   "them) to a pcap file.")
@click.option("--compare", "compare", is_flag=True,
              help="After the capture, print it hop by hop beside the replay of the same "
                   "parameters and era (as vtrace compare-trace does), then (send) each "
                   "frame's descriptors and virtio_net_hdr as QEMU passed them to the tap, "
                   "then QEMU's view of the ring after the last frame beside the replay's.")
@view_options(speed_help="Pace of the view (default: max).")
def lab_command(scenario: str, frames: int, size: int | None, proto: str, queues: int,
                features: str, ioeventfd: bool, accel: str, backend: str, ring: str,
                save_dir: str | None,
                kernel: Path | None, modules: Path | None, pcap_path: str | None, compare: bool,
                events_path: str | None, view: str | None,
                speed: float | str | None, step: bool, lang: str) -> None:
    """Boot a real guest and capture its datagrams on the guest, QEMU and host layers."""
    if (kernel is None) != (modules is None):
        raise click.UsageError("--kernel and --modules go together")
    if pcap_path == "-" and (compare or events_path or view or step):
        raise click.UsageError("--pcap - writes the capture to standard output; leave out "
                               "--compare, --events and the view options with it")
    if ring == Ring.PACKED.value and backend == Backend.VHOST_NET.value:
        raise click.UsageError("--ring packed: Linux's vhost-net has no packed ring (QEMU would "
                               "fall back to the split ring); use --backend qemu")
    if queues > 1 and proto == Proto.TCP.value and scenario == Scenario.RECV.value:
        raise click.UsageError(f"--queues {queues} --proto tcp: one TCP connection is one "
                               "flow, on one queue; receive flows are UDP")
    try:
        switched_off(features)
    except FeatureError as problem:
        raise click.UsageError(str(problem)) from None
    chosen_size = _frame_size(Scenario(scenario), Proto(proto), frames, size)
    params = LabParams(Scenario(scenario), frames, chosen_size, ioeventfd, Accel(accel),
                       Backend(backend), kernel, modules, ring=Ring(ring), proto=Proto(proto),
                       queues=queues, features=features)
    save = _save_target(save_dir)
    if pcap_path is not None:
        check_writable(pcap_path)
    check_apart([("--pcap", pcap_path), ("--events", events_path)])
    wants_events = bool(events_path or view or step)
    env = current()
    playback = Playback.settle(env, view=view, events_path=events_path, speed=speed, step=step,
                               lang=lang, classroom=False) if wants_events else None
    with _directory(save) as work:
        _capture(params, work)
        directory = _keep(work, save)
        click.echo(f"vtrace lab: {_captured(directory)}", err=True)
        if pcap_path is not None:
            with env.output(pcap_path, binary=True) as out:
                out.write((directory / FILES["tap_pcap"]).read_bytes())
        if save is not None:
            click.echo(f"vtrace lab: saved to {save}", err=True)
        if playback is not None:
            _show(directory, playback, env)
        if compare:
            _compare(directory, env)


def _frame_size(scenario: Scenario, proto: Proto, frames: int, size: int | None) -> int:
    """``--size`` checked for the protocol, or its default."""
    smallest = min_frame_size(frames)
    if proto is Proto.TCP:
        if size is not None and not MIN_TCP_SIZE <= size <= MAX_TCP_SIZE:
            raise click.UsageError(f"--size {size}: a TCP block is {MIN_TCP_SIZE} to "
                                   f"{MAX_TCP_SIZE} bytes")
        return TCP_SIZE if size is None else size
    if size is not None and not smallest <= size <= MAX_FRAME:
        raise click.UsageError(f"--size {size}: a UDP frame holding 'vtrace seq={frames}' is "
                               f"{smallest} to {MAX_FRAME} bytes")
    return smallest if size is None else size


def _captured(directory: Path) -> str:
    """How much each layer saw, in lines."""
    counts = {name: _lines(directory / file) for name, file in
              (("guest trace", FILES["guest_trace"]), ("QEMU log", FILES["qemu_log"]),
               ("host trace", FILES["host_trace"]))}
    return "captured " + ", ".join(f"{name} {count} lines" for name, count in counts.items())


def _lines(path: Path) -> int:
    with path.open("rb") as capture:
        return sum(1 for _ in capture)


def _save_target(save_dir: str | None) -> Path | None:
    if save_dir is None:
        return None
    target = Path(save_dir)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise click.UsageError(f"--save {save_dir}: exists and is not an empty directory")
    if not target.resolve().parent.is_dir():
        raise click.UsageError(f"--save {save_dir}: its parent directory does not exist")
    return target


@contextmanager
def _directory(save: Path | None) -> Iterator[Path]:
    """Where the run writes: a temporary directory (beside ``save``), gone at the end unless
    ``_keep`` made it ``save``."""
    parent = save.resolve().parent if save is not None else None
    try:
        work = Path(tempfile.mkdtemp(prefix=".vtrace-lab-", dir=parent))
    except OSError as error:
        raise _unwritable(save, error) from None
    try:
        yield work
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _keep(work: Path, save: Path | None) -> Path:
    """The captured directory renamed to ``save`` as soon as the capture is whole, so that
    what the views or the comparison do next cannot lose it; ``work`` without ``save``."""
    if save is None:
        return work
    if save.is_dir():
        save.rmdir()
    try:
        work.rename(save)
    except OSError as error:
        raise _unwritable(save, error) from None
    return save


def _unwritable(save: Path | None, error: OSError) -> OutputError:
    """The message names ``--save``'s directory (or the system's temporary one), never the
    run's temporary directory inside it."""
    where = f"--save {save}" if save is not None else tempfile.gettempdir()
    return OutputError(f"{where}: cannot be written: {error.strerror}")


def _capture(params: LabParams, directory: Path) -> None:
    """Errors go to ``vtrace.cli.errors``; a signal gets one more line, once the host is
    clean again."""
    try:
        capture(params, directory, _progress)
    except Stopped as stopped:
        click.echo(f"vtrace lab: stopped by {signal.Signals(stopped.number).name}; the host is "
                   "as it was", err=True)
        raise
    except KeyboardInterrupt:
        click.echo("vtrace lab: interrupted; the host is as it was", err=True)
        raise


def _progress(report: PhaseReport) -> None:
    if report.note:
        click.echo(f"vtrace lab: {report.note}", err=True)
    elif report.done:
        click.echo(f"vtrace lab: {report.phase} done in {report.seconds:.1f} s", err=True)
    else:
        click.echo(f"vtrace lab: {report.phase} ...", err=True)


def _show(directory: Path, playback: Playback, env: Environment) -> None:
    """The capture as vtrace's event stream, through the importer of saved directories."""
    header, events = load(directory, env.argv)
    play(Session(header, events), playback, env)


def _compare(directory: Path, env: Environment) -> None:
    """The capture beside its replay, hop by hop: ``vtrace compare-trace``'s report."""
    header, events = load(directory, env.argv)
    try:
        result, era = compare_capture(header, events)
    except ValueError as problem:
        click.echo(f"vtrace lab: no comparison: {problem}", err=True)
        return
    click.echo("\n".join(report_lines(result, era)))
    packets = compare_lab_packets(directory, header, era)
    if packets is not None:
        click.echo("\n" + "\n".join(packet_lines(packets)))
    try:
        rings = compare_lab_rings(directory, header, era)
    except ValueError as problem:
        click.echo(f"vtrace lab: no ring comparison: {problem}", err=True)
        return
    if not rings:
        click.echo("vtrace lab: no ring comparison: QEMU's rings were not read", err=True)
        return
    for ring in rings:
        click.echo("\n" + "\n".join(ring_lines(ring)))
    if len(rings) > 1:
        click.echo(f"ring: {sum(ring.agreeing for ring in rings)} of "
                   f"{sum(ring.compared for ring in rings)} fields agree "
                   f"({len(rings)} queues)")
