"""Where a traced name is drawn: its catalog ``Place``, or one built for a name outside it.

A name the catalog knows for the traced project's real version gets the place
a replay of that version uses, so captured and replayed events of one step
share it. Any other name keeps its own step (the name itself, no line), with
the lifeline its prefix points to, and ``in_catalog`` false.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Collection

from vtrace import catalog
from vtrace.model import ACTOR_LAYER, Layer, Phase, Place

__all__ = ["PHASE_OF_ACTOR", "Placer", "base_name", "catalog_functions", "guest_actor",
           "host_actor", "qemu_actor"]

#: The phase a name outside the catalog is given, by the lifeline it is drawn on.
PHASE_OF_ACTOR: dict[str, Phase] = {
    "app": Phase.APP, "stack": Phase.XMIT, "virtio_net": Phase.XMIT, "vring": Phase.XMIT,
    "kvm": Phase.EXIT, "virtio-net": Phase.DEVICE, "net-queue": Phase.BACKEND,
    "tap": Phase.BACKEND, "tun": Phase.HOST, "host-stack": Phase.HOST,
}

#: Suffixes the compiler adds to a function's symbol (``__netif_receive_skb_core.constprop.0``).
_CLONE = re.compile(r"\.(?:constprop|isra|part|cold|llvm)(?:\.\d+)*$")
_VIRTIO_DRIVER = ("virtnet_", "virtqueue_", "vring_", "vp_", "virtio_", "skb_xmit_done",
                  "skb_recv_done", "start_xmit", "xmit_skb", "free_old_xmit", "receive_buf",
                  "page_to_skb", "try_fill_recv", "add_recvbuf")
_NET_QUEUE = ("qemu_net_queue_", "qemu_send", "qemu_flush_queued", "qemu_deliver")


def base_name(function: str) -> str:
    """The source name of a compiler clone: ``foo.constprop.0`` is ``foo``."""
    return _CLONE.sub("", function)


def guest_actor(name: str) -> str:
    """Lifeline of a guest kernel name: virtio's driver and ring, or the network stack."""
    return "virtio_net" if name.startswith(_VIRTIO_DRIVER) else "stack"


def qemu_actor(name: str) -> str:
    """Lifeline of a QEMU name: the net queue, the tap backend, or the virtio device."""
    if name.startswith(_NET_QUEUE):
        return "net-queue"
    return "tap" if name.startswith("tap_") else "virtio-net"


def host_actor(name: str) -> str:
    """Lifeline of a host kernel event: tun (the tap's reads and writes) or the host stack."""
    if name.startswith(("tun_", "sys_read", "sys_write", "sys_readv", "sys_writev")):
        return "tun"
    return "host-stack"


class Placer:
    """Places of one project at the version a real system reported, built once per name."""

    def __init__(self, project: str, reported: str | None, actor_of: Callable[[str], str],
                 layers: Collection[Layer] = ()) -> None:
        self.project = project
        self._layers = frozenset(layers)
        self.version = catalog.known_version(project, reported) if reported else None
        self._spelled = self.version or reported or ""
        self._actor_of = actor_of
        self._places: dict[str, tuple[Place, bool]] = {}

    def place(self, name: str, actor: str | None = None) -> tuple[Place, bool]:
        """(the place of ``name``, whether the catalog has it); ``actor`` overrides the guess."""
        key = name if actor is None else f"{name}\0{actor}"
        known = self._places.get(key)
        if known is None:
            known = self._places[key] = self._build(name, actor)
        return known

    def _build(self, name: str, actor: str | None) -> tuple[Place, bool]:
        source_name = base_name(name)
        if self.version is not None:
            step = self._step(source_name)
            found = catalog.place(step, self.version) if step is not None else None
            if found is not None:
                return found, True
        lifeline = actor or self._actor_of(source_name)
        return Place(name, source_name, None, None, self.project, self._spelled,
                     PHASE_OF_ACTOR[lifeline], ACTOR_LAYER[lifeline], lifeline), False

    def _step(self, function: str) -> catalog.Step | None:
        """The catalog's step of ``function`` on this side: the guest's and the host's Linux
        share names (``sock_def_readable`` wakes the tap's reader and the guest's socket)."""
        assert self.version is not None
        steps = _steps_of(self.project, self.version).get(function, [])
        for step in steps:
            if step.layer in self._layers:
                return step
        return steps[0] if steps else None


@functools.cache
def _steps_of(project: str, version: str) -> dict[str, list[catalog.Step]]:
    """The catalog's steps of one project's version, by function, in catalog order."""
    found: dict[str, list[catalog.Step]] = {}
    for item in catalog.CATALOG.values():
        site = item.sites.get(version)
        if item.project == project and site is not None:
            found.setdefault(site.function or item.function, []).append(item)
    return found


@functools.cache
def catalog_functions(project: str) -> frozenset[str]:
    """Every function the catalog names for ``project``, in any version."""
    return frozenset(site.function or item.function for item in catalog.CATALOG.values()
                     if item.project == project for site in item.sites.values())
