"""Set-up chains as rows of catalog steps, and the ioeventfd chain both back ends share."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from vtrace.catalog import CATALOG, Era, present
from vtrace.engine.sim import Action, Do

__all__ = ["Row", "ioeventfd", "walk"]

Row = tuple[str, Mapping[str, Any]]  # a step and its event's detail


def walk(era: Era, rows: Iterable[Row], caller: str | None) -> Iterator[Action]:
    """One ``Do`` per row, each drawn from the actor of the step before it in this era.

    ``caller`` is the actor that starts the chain (None: the first step's own).
    """
    for key, detail in rows:
        yield Do(key, None, src=caller, detail=detail)
        if present(CATALOG[key], era):
            caller = CATALOG[key].actor


def ioeventfd(era: Era, queue: str) -> Iterator[Action]:
    """One queue's kicks become an eventfd in KVM (``KVM_IOEVENTFD`` on the fast MMIO bus)."""
    yield from walk(era, (
        ("virtio_pci_ioeventfd_assign", {"fact": "ioeventfd", "queue": queue}),
        ("kvm_mem_ioeventfd_add", {"queue": queue}),
        ("kvm_set_ioeventfd_mmio", {"ioctl": "KVM_IOEVENTFD", "len": 0}),
        ("kvm_ioeventfd", {"ioctl": "KVM_IOEVENTFD"}),
        ("kvm_assign_ioeventfd", {"fact": "fast_mmio", "bus": "KVM_FAST_MMIO_BUS"}),
    ), "virtio-net")

