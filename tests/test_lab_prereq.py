"""The lab's prerequisites, checked on hosts made up for the test, and their messages."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import root

from vtrace.lab.params import Accel, Backend, LabParams, Scenario
from vtrace.lab.prereq import HostView, check_host, check_tracefs, resolve_accel

PROGRAMS = {"qemu-system-x86_64", "gcc", "cpio", "nm", "apt-get", "dpkg"}
FILES = {"/dev/net/tun", "/sys/kernel/tracing/trace_clock", "/bin/busybox",
         "/usr/lib/x86_64-linux-gnu/libc.a"}
CPUINFO = "processor\t: 0\nflags\t\t: fpu tsc vmx sse2\n"


def host(files: set[str] = FILES, programs: set[str] = PROGRAMS, euid: int = 0,
         status: str = "CapEff:\t0000000000000000\n", cpuinfo: str = CPUINFO,
         static: bool = True, kernel: bool = True) -> HostView:
    texts = {"/proc/self/status": status, "/proc/cpuinfo": cpuinfo}
    return HostView(euid=lambda: euid, read=texts.get, exists=files.__contains__,
                    which=lambda name: f"/usr/bin/{name}" if name in programs else None,
                    static=lambda path: static, kernel_available=lambda: kernel)


SEND = LabParams(Scenario.SEND)


def test_a_host_with_everything_has_no_problem() -> None:
    assert check_host(SEND, host()) == []


def test_each_missing_piece_is_one_line_with_its_fix() -> None:
    problems = check_host(SEND, host(files=set(), programs=set(), euid=1000, static=False))
    assert all("\n" not in line and ":" in line for line in problems)
    text = "\n".join(problems)
    for fix in ("sudo vtrace lab", "modprobe tun", "CONFIG_TRACING",
                "apt-get install qemu-system-x86", "apt-get install gcc",
                "apt-get install cpio", "apt-get install binutils", "apt-get install libc6-dev",
                "apt-get install busybox-static", "--kernel PATH --modules PATH"):
        assert fix in text


def test_capabilities_stand_in_for_root() -> None:
    both = "CapEff:\t0000000000201000\n"  # CAP_SYS_ADMIN (21) and CAP_NET_ADMIN (12)
    assert check_host(SEND, host(euid=1000, status=both)) == []
    only_net = "CapEff:\t0000000000001000\n"
    assert "not root" in check_host(SEND, host(euid=1000, status=only_net))[0]


def test_a_dynamic_busybox_will_not_do() -> None:
    assert check_host(SEND, host(static=False)) == [
        "no static busybox at /bin/busybox: apt-get install busybox-static"]


def test_no_kernel_package_says_how_to_get_one() -> None:
    problem, = check_host(SEND, host(kernel=False))
    assert "apt-get update" in problem and "--kernel PATH --modules PATH" in problem
    given = replace(SEND, kernel=Path("/k/vmlinuz"), modules=Path("/k/mods"))
    assert [line.split(":")[0] for line in check_host(given, host())] == [
        "--kernel /k/vmlinuz", "--modules /k/mods"]
    assert check_host(given, host(files=FILES | {"/k/vmlinuz", "/k/mods"}, kernel=False)) == []


def test_vhost_net_without_its_device_says_so() -> None:
    vhost = replace(SEND, backend=Backend.VHOST_NET)
    problem, = check_host(vhost, host())
    assert problem.startswith("--backend vhost-net needs /dev/vhost-net")
    assert problem.endswith("or use --backend qemu")
    assert check_host(vhost, host(files=FILES | {"/dev/vhost-net"})) == []


def test_auto_takes_kvm_only_where_the_cpu_can_run_it() -> None:
    with_kvm = host(files=FILES | {"/dev/kvm"})
    assert resolve_accel(Accel.AUTO, with_kvm)[0] is Accel.KVM
    no_vmx = host(files=FILES | {"/dev/kvm"}, cpuinfo="flags\t: fpu tsc\n")
    accel, note = resolve_accel(Accel.AUTO, no_vmx)
    assert accel is Accel.TCG and "no vmx or svm" in note
    assert resolve_accel(Accel.AUTO, host())[1].endswith("(no /dev/kvm)")
    assert resolve_accel(Accel.TCG, with_kvm)[0] is Accel.TCG
    problem, = check_host(replace(SEND, accel=Accel.KVM), no_vmx)
    assert problem.startswith("--accel kvm does not work here") and "--accel tcg" in problem


def test_tracefs_must_offer_uprobes_and_the_tsc_clock(tmp_path: Path) -> None:
    (tmp_path / "trace_clock").write_text("[local] global counter uptime perf\n")
    problems = check_tracefs(tmp_path)
    assert "CONFIG_UPROBE_EVENTS" in problems[0]
    assert "no x86-tsc trace clock" in problems[1] and "local global counter" in problems[1]
    (tmp_path / "uprobe_events").write_text("")
    (tmp_path / "trace_clock").write_text("[local] global x86-tsc\n")
    assert check_tracefs(tmp_path) == []


def run_lab(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "vtrace", "lab", *args], capture_output=True,
                          text=True, timeout=60, check=False)


@pytest.mark.skipif(os.path.exists("/dev/vhost-net"),
                    reason="this host has /dev/vhost-net, so the run would capture")
@root()  # elsewhere "not root" comes first
def test_the_command_refuses_vhost_net_here_with_one_line_and_status_1() -> None:
    done = run_lab("send", "--backend", "vhost-net")
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "vtrace lab: --backend vhost-net needs /dev/vhost-net, which this host does not have: "
        "modprobe vhost_net (a kernel with CONFIG_VHOST_NET), or use --backend qemu"]


@pytest.mark.parametrize("args, message", [
    (("send", "--kernel", "/boot/vmlinuz"), "--kernel and --modules go together"),
    (("send", "--size", "50"), "--size 50: a UDP frame holding 'vtrace seq=3' is 54 to 1514"),
    (("send", "--size", "1515"), "--size 1515: a UDP frame holding 'vtrace seq=3' is 54 to"),
    (("send", "--proto", "tcp", "--size", "65484"), "--size 65484: a TCP block is 16 to 65483"),
    (("recv", "--proto", "tcp", "--size", "15"), "--size 15: a TCP block is 16 to 65483"),
    (("send", "--queues", "3"), "3 is not in the range 1<=x<=2"),
    (("recv", "--queues", "2", "--proto", "tcp"),
     "--queues 2 --proto tcp: one TCP connection is one flow, on one queue"),
    (("recv", "--features", "+mq"), "--features +mq: the lab only switches features off"),
    (("send", "--features", "-no_such"), "unknown feature 'no_such'"),
    (("sideways",), "'sideways' is not one of 'send', 'recv'"),
    (("send", "--frames", "0"), "0 is not in the range 1<=x<=1000"),
])
def test_usage_errors_are_one_line_and_status_2(args: tuple[str, ...], message: str) -> None:
    done = run_lab(*args)
    assert done.returncode == 2
    line, = done.stderr.splitlines()
    assert message in line


def test_save_into_a_directory_with_files_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "old.txt").write_text("kept")
    done = run_lab("send", "--save", str(tmp_path))
    assert done.returncode == 2 and "is not an empty directory" in done.stderr
    assert (tmp_path / "old.txt").read_text() == "kept"
