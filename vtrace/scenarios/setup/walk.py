"""Set-up chains as rows of catalog steps, and what both back ends share: the ioeventfd chain
and QEMU's side of a device status write."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from vtrace.catalog import CATALOG, Era, present
from vtrace.engine.sim import Action, Do

__all__ = ["STATUS_BITS", "Row", "ioeventfd", "status_rows", "status_value", "walk"]

Row = tuple[str, Mapping[str, Any]]  # a step and its event's detail

#: The device status bits in the order the guest sets them (include/uapi/linux/virtio_config.h).
STATUS_BITS = (("ACKNOWLEDGE", 1), ("DRIVER", 2), ("FEATURES_OK", 8), ("DRIVER_OK", 4))


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
        ("virtio_bus_set_host_notifier", {"queue": queue}),
        ("virtio_pci_ioeventfd_assign", {"fact": "ioeventfd", "queue": queue}),
        ("memory_region_add_eventfd", {}),
        ("kvm_mem_ioeventfd_add", {"queue": queue}),
        ("kvm_set_ioeventfd_mmio", {"ioctl": "KVM_IOEVENTFD", "len": 0}),
        ("kvm_ioeventfd", {"ioctl": "KVM_IOEVENTFD"}),
        ("kvm_assign_ioeventfd", {"fact": "fast_mmio", "bus": "KVM_FAST_MMIO_BUS"}),
    ), "virtio-net")



def status_value(status: str) -> str:
    """The status byte once ``status`` is added to every bit the guest set before it."""
    names = [name for name, _ in STATUS_BITS]
    return f"0x{sum(bit for _, bit in STATUS_BITS[:names.index(status) + 1]):02x}"


def status_rows(status: str) -> tuple[Row, Row]:
    """QEMU's side of the guest's store to device_status, up to ``virtio_set_status``."""
    value = status_value(status)
    return (("virtio_pci_common_write", {"field": "device_status", "value": value}),
            ("virtio_set_status", {"fact": "status", "status": status, "value": value}))
