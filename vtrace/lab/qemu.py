"""QEMU for the lab: its command line, and the process started, found and stopped by pid.

QEMU starts behind a gate: a shell that waits for one line on its stdin and
then ``exec``s ``timeout ... qemu-system-x86_64``. Its pid goes into the
trace instance's pid filter before the line is sent, so (with
``event-fork``) every thread QEMU ever has is traced from its first
instruction. Only the pids started here are ever signalled.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from vtrace.lab.errors import LabError
from vtrace.lab.features import device_properties
from vtrace.lab.params import GUEST_MAC, TCP_WARMUP, Accel, Backend, LabParams, Proto, Ring
from vtrace.rss import DEFAULT_KEY

__all__ = ["NET_DEVICE", "QEMU", "RSS_TRACE_EVENTS", "TRACE_EVENTS", "Files", "GuestNet", "Qemu",
           "kernel_command_line", "qemu_command", "qemu_path", "trace_events"]

QEMU = "qemu-system-x86_64"
#: QEMU's own trace events, for its ``-trace events=FILE``.
TRACE_EVENTS = ("virtio_set_status", "virtio_queue_notify", "virtio_pci_notify_write",
                "virtio_pci_notify_write_pio", "virtqueue_alloc_element", "virtqueue_pop",
                "virtqueue_fill", "virtqueue_flush", "virtio_notify", "virtio_notify_irqfd",
                "virtio_pci_notify")
#: A receive over several queue pairs adds RSS's: the guest's command taken or refused,
#: and each hash QEMU's software RSS computes (net_rx_pkt_calc_rss_hash).
RSS_TRACE_EVENTS = ("virtio_net_rss_enable", "virtio_net_rss_error", "net_rx_pkt_rss_hash")
#: The virtio-net device's id: QMP names it /machine/peripheral/vnet0/virtio-backend.
NET_DEVICE = "vnet0"
TIMEOUT_S = 300
_STOP_GRACE_S = 5.0
_STAMP = re.compile(r"^\d{4}-\d\d-\d\dT[\d:.]+Z ")  # what -msg timestamp=on puts first


@dataclass(frozen=True, slots=True)
class Files:
    """Where QEMU writes: the console (ttyS0), the guest trace (ttyS1) and its trace log."""

    console: Path
    guest_trace: Path
    log: Path
    events: Path  # the -trace events file QEMU reads


@dataclass(frozen=True, slots=True)
class GuestNet:
    tap: str
    host_ip: str
    guest_ip: str
    host_port: int
    guest_port: int


def qemu_path() -> str:
    """The QEMU binary on PATH, symbolic links followed (uprobes name the file itself)."""
    found = shutil.which(QEMU)
    if found is None:
        raise LabError(f"no {QEMU}: apt-get install qemu-system-x86")
    return os.path.realpath(found)


def trace_events(params: LabParams) -> tuple[str, ...]:
    """QEMU's trace events of a run, for its ``-trace events=FILE``."""
    return TRACE_EVENTS + (RSS_TRACE_EVENTS if params.receive_flows else ())


def kernel_command_line(params: LabParams, net: GuestNet) -> str:
    """The guest kernel's command line; the ``vtrace_*`` words are read by the guest's /init."""
    words = {
        "vtrace_mode": params.scenario.value, "vtrace_frames": params.frames,
        "vtrace_payload": params.payload_size, "vtrace_gap_ms": params.gap_ms,
        "vtrace_host": net.host_ip, "vtrace_guest": net.guest_ip,
        "vtrace_port": net.host_port, "vtrace_rx_port": net.guest_port,
        "vtrace_clock": "x86-tsc", "vtrace_proto": params.proto.value,
        "vtrace_queues": params.queues,
    }
    if params.proto is Proto.TCP:
        words["vtrace_warmup"] = TCP_WARMUP
    if params.receive_flows:
        words["vtrace_rss_key"] = DEFAULT_KEY.hex()
    return " ".join(["console=ttyS0", "panic=-1", "quiet", "ipv6.disable=1",
                     *(f"{key}={value}" for key, value in words.items())])


def qemu_command(params: LabParams, accel: Accel, kernel: Path, initramfs: Path,
                 files: Files, net: GuestNet, qemu: str = QEMU,
                 qmp: Path | None = None) -> list[str]:
    """QEMU's argv for one run; ``accel`` is resolved (KVM or TCG, never AUTO). With ``qmp``,
    QEMU listens for QMP on that Unix socket without waiting for a client."""
    if accel is Accel.AUTO:
        raise ValueError("resolve --accel auto before building the command line")
    machine = ["-machine", f"pc,accel={accel.value}"]
    if accel is Accel.KVM:
        machine += ["-cpu", "host"]
    vhost = "on" if params.backend is Backend.VHOST_NET else "off"
    device = f"virtio-net-pci,netdev=n0,id={NET_DEVICE},mac={GUEST_MAC}"
    if not params.ioeventfd:
        device += ",ioeventfd=off"
    if params.ring is Ring.PACKED:
        device += ",packed=on"
    device += "".join(f",{switch}" for switch in device_properties(params.features))
    netdev = f"tap,id=n0,ifname={net.tap},script=no,downscript=no,vhost={vhost}"
    if params.queues > 1:
        # two vectors a queue pair, one for the control queue, one for configuration changes
        device += f",mq=on,vectors={2 * params.queues + 2}"
        if params.receive_flows:
            device += ",rss=on"
        netdev += f",queues={params.queues}"
    return [
        qemu, "-name", "vtrace,debug-threads=on", *machine,
        "-m", "256", "-smp", str(params.queues), "-display", "none", "-monitor", "none",
        "-no-reboot",
        "-kernel", str(kernel), "-initrd", str(initramfs),
        "-append", kernel_command_line(params, net),
        "-serial", f"file:{files.console}", "-serial", f"file:{files.guest_trace}",
        "-netdev", netdev,
        "-device", device,
        "-trace", f"events={files.events}", "-D", str(files.log), "-msg", "timestamp=on",
        *(["-qmp", f"unix:{qmp},server=on,wait=off"] if qmp is not None else []),
    ]


class Qemu:
    """QEMU behind its gate: ``gate_pid`` once ``start`` has run, QEMU's own pid once it
    runs. Made first and started after, so that ``stop`` can be set up before there is a
    process to stop."""

    def __init__(self, argv: list[str], stderr: Path) -> None:
        self.argv = argv
        self.binary = os.path.realpath(argv[0])
        self.stderr = stderr
        self._started: subprocess.Popen[bytes] | None = None
        self.pid: int | None = None

    def start(self) -> None:
        with self.stderr.open("wb") as errors:
            self._started = subprocess.Popen(
                ["/bin/sh", "-c", 'read -r _ && exec "$@"', "vtrace-gate", "timeout",
                 str(TIMEOUT_S), *self.argv],
                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=errors,
                start_new_session=True)

    @property
    def _gate(self) -> subprocess.Popen[bytes]:
        if self._started is None:
            raise LabError("QEMU has not been started")
        return self._started

    @property
    def gate_pid(self) -> int:
        return self._gate.pid

    def open_gate(self) -> None:
        stdin = self._gate.stdin
        if stdin is not None:
            stdin.write(b"go\n")
            stdin.close()

    def find(self, deadline_s: float = 10.0) -> int:
        """QEMU's pid: the child of ``timeout`` once it runs QEMU's binary."""
        def look() -> int | None:
            return next((child for child in _children(self.gate_pid)
                         if _is_qemu(child, self.binary)), None)

        self.pid = self._until(look, deadline_s, "QEMU's process")
        return self.pid

    def _until(self, look: Callable[[], int | None], deadline_s: float, what: str) -> int:
        """``look()`` again and again until it finds something, QEMU exits, or time is up."""
        end = time.monotonic() + deadline_s
        while time.monotonic() < end:
            found = look()
            if found is not None:
                return found
            if self._gate.poll() is not None:
                raise LabError(f"QEMU exited (status {self._gate.returncode}) before "
                               f"{what} was there{self.said()}")
            time.sleep(0.01)
        raise LabError(f"no {what} after {deadline_s:g} s")

    def said(self) -> str:
        """QEMU's last lines on stderr (up to three, their time stamps dropped), as
        ``: LINE; LINE``, or nothing."""
        try:
            lines = self.stderr.read_text(errors="replace").strip().splitlines()
        except OSError:
            return ""
        kept = [_STAMP.sub("", line).strip() for line in lines[-3:] if line.strip()]
        return f": {'; '.join(kept)}" if kept else ""

    def poll(self) -> int | None:
        return self._gate.poll()

    def wait(self, timeout_s: float) -> int:
        try:
            return self._gate.wait(timeout_s)
        except subprocess.TimeoutExpired:
            raise LabError(f"QEMU still running after {timeout_s:g} s") from None

    def threads(self) -> dict[str, str]:
        """Thread id -> comm of every thread QEMU has now."""
        if self.pid is None:
            return {}
        found = {}
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{self.pid}/task").iterdir():
                with contextlib.suppress(OSError):
                    found[task.name] = (task / "comm").read_text().rstrip("\n")
        return dict(sorted(found.items(), key=lambda item: int(item[0])))

    def tap_fd(self, deadline_s: float = 10.0) -> int:
        """QEMU's descriptor of the tap: the one open on /dev/net/tun."""
        def look() -> int | None:
            with contextlib.suppress(OSError):
                for fd in Path(f"/proc/{self.pid}/fd").iterdir():
                    with contextlib.suppress(OSError):
                        if os.readlink(fd) == "/dev/net/tun":
                            return int(fd.name)
            return None

        return self._until(look, deadline_s, "QEMU's descriptor of the tap")

    def stop(self) -> None:
        """Stop QEMU, then its gate, by their pids; wait for both. Safe to call twice, and
        before ``start``."""
        if self._started is None:
            return
        if self._gate.poll() is None:
            if self.pid is not None:
                _signal_if_qemu(self.pid, self.binary, signal.SIGTERM)
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.gate_pid, signal.SIGTERM)
            try:
                self._gate.wait(_STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                if self.pid is not None:
                    _signal_if_qemu(self.pid, self.binary, signal.SIGKILL)
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.gate_pid, signal.SIGKILL)
                self._gate.wait()
        if self.pid is not None:
            _reap_wait(self.pid, self.binary)
        if self._gate.stdin is not None and not self._gate.stdin.closed:
            self._gate.stdin.close()


def _children(pid: int) -> list[int]:
    found: list[int] = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError):
                found += [int(child) for child in (task / "children").read_text().split()]
    return found


def _is_qemu(pid: int, binary: str) -> bool:
    try:
        return os.readlink(f"/proc/{pid}/exe") == binary
    except OSError:
        return False


def _signal_if_qemu(pid: int, binary: str, number: signal.Signals) -> None:
    """Signal ``pid`` only while it is still our QEMU (not a pid reused since)."""
    if _is_qemu(pid, binary):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, number)


def _reap_wait(pid: int, binary: str) -> None:
    """QEMU is ``timeout``'s child; once the gate is gone it has exited, or is being reaped
    by init: wait briefly until its pid no longer runs QEMU."""
    end = time.monotonic() + _STOP_GRACE_S
    while _is_qemu(pid, binary) and time.monotonic() < end:
        time.sleep(0.01)
    _signal_if_qemu(pid, binary, signal.SIGKILL)
