"""The lab's QEMU command line, guest command line, probes and payloads, built as data."""

from __future__ import annotations

import ipaddress
import subprocess
import sys
from pathlib import Path

import pytest

from vtrace.lab.errors import LabError
from vtrace.lab.params import Accel, Backend, LabParams, Scenario, min_frame_size
from vtrace.lab.probes import Uprobe, tracepoints, uprobe_definition, uprobes
from vtrace.lab.qemu import Files, GuestNet, kernel_command_line, qemu_command
from vtrace.lab.tap import choose_subnet, new_tap_name
from vtrace.lab.traffic import payload, seq_of

FILES = Files(Path("c.txt"), Path("g.txt"), Path("q.log"), Path("e.txt"))
NET = GuestNet("vt42", "192.168.77.1", "192.168.77.2", 40000, 47001)


def command(**changes: object) -> list[str]:
    params = LabParams(Scenario.SEND, **changes)  # type: ignore[arg-type]
    return qemu_command(params, Accel.TCG, Path("vmlinuz"), Path("initrd"), FILES, NET)


def option(argv: list[str], name: str) -> list[str]:
    return [argv[i + 1] for i, arg in enumerate(argv) if arg == name]


def test_the_guest_gets_its_kernel_two_serial_files_and_a_virtio_net_on_the_tap() -> None:
    argv = command()
    assert option(argv, "-name") == ["vtrace,debug-threads=on"]
    assert option(argv, "-machine") == ["pc,accel=tcg"]
    assert option(argv, "-serial") == ["file:c.txt", "file:g.txt"]
    assert option(argv, "-netdev") == ["tap,id=n0,ifname=vt42,script=no,downscript=no,vhost=off"]
    assert option(argv, "-device") == ["virtio-net-pci,netdev=n0,id=vnet0,mac=52:54:00:77:00:02"]
    assert option(argv, "-trace") == ["events=e.txt"]
    assert option(argv, "-D") == ["q.log"] and option(argv, "-msg") == ["timestamp=on"]
    assert "-cpu" not in argv


def test_no_ioeventfd_vhost_net_and_kvm_change_the_device_netdev_and_machine() -> None:
    argv = command(ioeventfd=False, backend=Backend.VHOST_NET)
    assert option(argv, "-device")[0].endswith(",ioeventfd=off")
    assert option(argv, "-netdev")[0].endswith(",vhost=on")
    params = LabParams(Scenario.SEND)
    kvm = qemu_command(params, Accel.KVM, Path("k"), Path("i"), FILES, NET)
    assert option(kvm, "-machine") == ["pc,accel=kvm"] and option(kvm, "-cpu") == ["host"]


def test_auto_must_be_resolved_before_the_command_line_is_built() -> None:
    with pytest.raises(ValueError, match="auto"):
        qemu_command(LabParams(Scenario.SEND), Accel.AUTO, Path("k"), Path("i"), FILES, NET)


def test_the_guest_command_line_carries_what_init_reads() -> None:
    line = kernel_command_line(LabParams(Scenario.RECV, frames=5, size=60), NET)
    words = dict(word.split("=", 1) for word in line.split() if "=" in word)
    assert words["console"] == "ttyS0" and words["vtrace_mode"] == "recv"
    assert words["vtrace_frames"] == "5" and words["vtrace_payload"] == "18"
    assert words["vtrace_host"] == "192.168.77.1" and words["vtrace_guest"] == "192.168.77.2"
    assert words["vtrace_port"] == "40000" and words["vtrace_rx_port"] == "47001"
    assert words["vtrace_clock"] == "x86-tsc"


def test_uprobe_lines_name_the_group_the_binary_and_the_offset() -> None:
    probe = Uprobe("virtqueue_pop", "vq=%di:x64", returns=True)
    assert uprobe_definition(probe, "vtrace_7", "/usr/bin/q", 0x7357C0) == [
        "p:vtrace_7/virtqueue_pop /usr/bin/q:0x7357c0 vq=%di:x64",
        "r:vtrace_7/virtqueue_pop__return /usr/bin/q:0x7357c0 ret=$retval",
    ]
    plain = uprobe_definition(Uprobe("virtio_notify"), "g", "/q", 16)
    assert plain == ["p:g/virtio_notify /q:0x10"]


def test_receiving_probes_the_tap_read_and_keeps_every_sending_probe() -> None:
    send = {probe.symbol for probe in uprobes(Scenario.SEND)}
    recv = {probe.symbol for probe in uprobes(Scenario.RECV)}
    assert {"virtio_queue_notify", "qemu_sendv_packet_async"} <= send < recv
    assert "tap_read_packet" in recv - send
    events = {point.event for point in tracepoints(Scenario.RECV)}
    assert {"syscalls/sys_enter_read", "net/net_dev_xmit"} <= events


def test_filters_are_filled_with_the_tap_its_descriptor_and_our_pid() -> None:
    points = {point.event: point for point in tracepoints(Scenario.RECV)}
    writev = points["syscalls/sys_enter_writev"]
    assert writev.needs_tap_fd and writev.filter_for(tap_fd=9) == "fd == 9"
    assert points["net/netif_receive_skb"].filter_for(tap="vt1") == 'name == "vt1"'
    assert points["syscalls/sys_enter_sendto"].filter_for(own_pid=5) == "common_pid == 5"


def test_payloads_carry_the_seq_and_fill_the_frame() -> None:
    assert payload(3, 12) == b"vtrace seq=3"
    assert payload(3, 16) == b"vtrace seq=3 ..."
    assert seq_of(b"vtrace seq=12 ...") == 12 and seq_of(b"nothing") is None
    assert min_frame_size(3) == 54 and min_frame_size(10) == 55


def test_the_subnet_is_the_first_private_24_no_route_overlaps() -> None:
    assert choose_subnet([]) == ipaddress.IPv4Network("192.168.77.0/24")
    taken = ["192.168.77.0/24", "192.168.78.128/25", "10.0.0.0/8"]
    assert choose_subnet(taken) == ipaddress.IPv4Network("192.168.79.0/24")
    with pytest.raises(LabError, match="no free private /24"):
        choose_subnet(["192.168.0.0/16"])


def test_a_tap_name_already_taken_gets_a_letter() -> None:
    taken = {"vt12", "vt12a"}
    assert new_tap_name(12, exists=lambda path: path.name in taken) == "vt12b"
    assert new_tap_name(12, exists=lambda path: False) == "vt12"


def test_the_lab_layer_imports_no_rich_or_click() -> None:
    code = "import vtrace.lab, vtrace.lab.capture, sys; print('\\n'.join(sys.modules))"
    loaded = set(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                check=True).stdout.split())
    assert "vtrace.lab.capture" in loaded
    assert not {"rich", "click"} & loaded
