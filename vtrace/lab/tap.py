"""The host's end of the guest's link: a tap of our own on a private /24 nobody else uses.

The tap's name is new (checked before it is made) and only that tap is
deleted on exit. The /24 is the first of 192.168.77.0/24, 192.168.78.0/24,
... that no route of the host's overlaps, so datagrams go nowhere but to the
guest. IPv6 is off on the tap: no router solicitations in the capture.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from vtrace.lab.errors import LabError
from vtrace.lab.params import GUEST_MAC, HOST_MAC

__all__ = ["Link", "choose_subnet", "new_tap_name", "tap"]

_NET = Path("/sys/class/net")


@dataclass(frozen=True, slots=True)
class Link:
    name: str
    host_ip: str
    guest_ip: str


def _ip(*args: str) -> str:
    """Run ``ip ARGS`` in a session of its own: a Ctrl-C at the terminal reaches only vtrace,
    which then lets a clean-up's ``ip`` finish."""
    done = subprocess.run(["ip", *args], capture_output=True, text=True, check=False,
                          start_new_session=True)
    if done.returncode != 0:
        raise LabError(f"ip {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


def new_tap_name(pid: int | None = None,
                 exists: Callable[[Path], bool] = Path.exists) -> str:
    """``vt<pid>``, with a letter after it where that name is taken."""
    stem = f"vt{os.getpid() if pid is None else pid}"
    for suffix in ("", *"abcdefghij"):
        if not exists(_NET / f"{stem}{suffix}"):
            return f"{stem}{suffix}"
    raise LabError(f"no free interface name {stem}[a-j]")


def choose_subnet(routes: list[str]) -> ipaddress.IPv4Network:
    """The first 192.168.N.0/24 (N from 77) that overlaps none of ``routes`` (prefixes)."""
    taken = []
    for route in routes:
        with contextlib.suppress(ValueError):
            taken.append(ipaddress.ip_network(route, strict=False))
    for third in range(77, 100):
        candidate = ipaddress.IPv4Network(f"192.168.{third}.0/24")
        if not any(candidate.overlaps(network) for network in taken
                   if isinstance(network, ipaddress.IPv4Network) and network.prefixlen > 0):
            return candidate
    raise LabError("no free private /24 in 192.168.77.0 to 192.168.99.0 for the lab's tap")


def _routes() -> list[str]:
    shown = _ip("-4", "-o", "route", "show", "table", "all")
    return [line.split()[0] for line in shown.splitlines()
            if line.split() and line.split()[0] not in ("default", "local", "broadcast")]


@contextlib.contextmanager
def tap(name: str, neighbour: bool, queues: int = 1) -> Iterator[Link]:
    """Create tap ``name``, address it, bring it up; ``neighbour`` adds the guest's MAC so the
    host's first datagram to the guest needs no ARP; several ``queues`` make it a
    multi-queue tap (QEMU opens one file a queue). Deleted on exit, however the run ends:
    the deletion is set up before the tap is made (the name is new, so a tap of that name
    is ours)."""
    subnet = choose_subnet(_routes())
    host_ip, guest_ip = str(subnet.network_address + 1), str(subnet.network_address + 2)
    try:
        _ip("tuntap", "add", "dev", name, "mode", "tap",
            *(["multi_queue"] if queues > 1 else []))
        _ip("link", "set", name, "address", HOST_MAC)
        ipv6 = Path("/proc/sys/net/ipv6/conf") / name / "disable_ipv6"
        if ipv6.exists():
            ipv6.write_text("1\n")
        _ip("addr", "add", f"{host_ip}/24", "dev", name)
        _ip("link", "set", name, "up")
        if neighbour:
            _ip("neigh", "replace", guest_ip, "lladdr", GUEST_MAC, "dev", name, "nud",
                "permanent")
        yield Link(name, host_ip, guest_ip)
    finally:
        if (_NET / name).exists():
            subprocess.run(["ip", "link", "del", name], capture_output=True, check=False,
                           start_new_session=True)
