"""KVM's side of a guest's store to a device register, and of QEMU's interrupts, as every
scenario replays them.

On x86 with EPT, a store to the virtio-net BAR exits as an EPT misconfiguration.
When no ioeventfd matches on the fast MMIO bus, KVM_RUN returns to QEMU's vCPU
thread with KVM_EXIT_MMIO; after QEMU handles the store, the vCPU enters the
guest again. An interrupt QEMU raises goes the other way, as an MSI message into KVM.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from vtrace.engine.sim import Action, Do, Doing
from vtrace.model import Kind

__all__ = ["MSI_STEPS", "ept_exit", "exit_to_qemu", "msi_to_guest", "vm_entry"]


def ept_exit(frame: int | None) -> Doing:
    """The guest's store traps: ``handle_ept_misconfig``."""
    return Do("handle_ept_misconfig", frame, src="virtio_net", detail={"exit": "EPT_MISCONFIG"})


def exit_to_qemu(frame: int | None, **fact: Any) -> Iterator[Action]:
    """No ioeventfd matched: the store goes out to QEMU's vCPU thread as KVM_EXIT_MMIO."""
    yield Do("kvm_io_bus_write", frame, detail={"bus": "KVM_FAST_MMIO_BUS", "match": False})
    yield Do("vcpu_mmio_write", frame, detail={"exit_reason": "KVM_EXIT_MMIO"})
    yield Do("kvm_cpu_exec", frame, src="kvm", detail={"exit_reason": "KVM_EXIT_MMIO", **fact})


def vm_entry(step: str, frame: int | None, src: str) -> Doing:
    """The vCPU enters the guest again, back at the store that trapped."""
    return Do(step, frame, Kind.RETURN, src=src, dst="virtio_net", detail={"vm_entry": True},
              cost=False)


#: QEMU's MSI write on its way into the guest: QEMU's side, then the KVM_SIGNAL_MSI ioctl
#: into KVM's in-kernel APIC, which accepts the interrupt for the vCPU (the last step).
MSI_STEPS = ("msi_send_message", "kvm_apic_mem_write", "kvm_irqchip_send_msi",
             "kvm_send_userspace_msi", "kvm_set_msi", "__apic_accept_irq")


def msi_to_guest(frame: int | None) -> Iterator[Action]:
    """The MSI write of QEMU's ``msix_notify`` reaches KVM's in-kernel APIC through the
    KVM_SIGNAL_MSI ioctl, which injects the interrupt into the vCPU."""
    for step in MSI_STEPS:
        # The ioctl is QEMU's call into the kernel: drawn from QEMU's device.
        yield Do(step, frame, src="virtio-net" if step == "kvm_send_userspace_msi" else None)
