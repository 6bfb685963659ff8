"""vhost-net's part of the set-up: QEMU hands the rings and the tap to the host kernel.

At ``-netdev tap,vhost=on`` QEMU opens /dev/vhost-net next to the tap and
makes itself the device's owner, which creates the kernel's worker. At the
driver's DRIVER_OK, ``virtio_net_vhost_status`` starts vhost: each data queue's
interrupt becomes a KVM irqfd, each data queue's kick an ioeventfd that vhost
polls, the kernel learns guest memory and the rings, and
``VHOST_NET_SET_BACKEND`` gives it the tap. From then on QEMU is off the data
path. Order from QEMU's ``hw/net/vhost_net.c``, ``hw/virtio/vhost.c`` and Linux's
``drivers/vhost/`` of each era (docs/sources.md).
"""

from __future__ import annotations

from collections.abc import Iterator

from vtrace.catalog import Era
from vtrace.engine.kvm import ept_exit, exit_to_qemu, vm_entry
from vtrace.engine.sim import Action, Do
from vtrace.model import Kind
from vtrace.scenarios.setup.walk import ioeventfd, status_rows, walk

__all__ = ["VHOST_QUEUES", "vhost_driver_ok", "vhost_net_init"]

#: The queues vhost takes over; the control queue stays with QEMU.
VHOST_QUEUES = ("rx0", "tx0")
#: VHOST_SET_VRING_* in the order vhost_virtqueue_start sends them, and QEMU's function.
_VRING_IOCTLS = (
    ("VHOST_SET_VRING_NUM", None),
    ("VHOST_SET_VRING_BASE", None),
    ("VHOST_SET_VRING_ADDR", "vhost_kernel_set_vring_addr"),
    ("VHOST_SET_VRING_KICK", "vhost_kernel_set_vring_kick"),
    ("VHOST_SET_VRING_CALL", "vhost_kernel_set_vring_call"),
)


def _ioctl(era: Era, cmd: str, *rows: tuple[str, dict[str, str]]) -> Iterator[Action]:
    """One vhost ioctl from QEMU's thread into the kernel's ``vhost_net_ioctl``."""
    yield from walk(era, (("vhost_net_ioctl", {"syscall": "ioctl", "cmd": cmd}), *rows),
                    "virtio-net")


def vhost_net_init(era: Era) -> Iterator[Action]:
    """In ``net_init_tap_one``: open /dev/vhost-net, then ``vhost_net_init`` and SET_OWNER."""
    yield from walk(era, (("vhost_net_open", {"syscall": "open", "path": "/dev/vhost-net"}),),
                    "tap")
    yield from walk(era, (
        ("vhost_net_init", {"fact": "vhost", "backend": "kernel"}),
        ("vhost_dev_init", {"queues": len(VHOST_QUEUES)}),
        ("vhost_kernel_set_owner", {"ioctl": "VHOST_SET_OWNER"}),
    ), "tap")
    yield from _ioctl(era, "VHOST_SET_OWNER",
                      ("vhost_dev_set_owner", {"fact": "worker", "worker": "vhost-<QEMU pid>"}),
                      ("vhost_worker_create", {}),
                      ("vhost_task_create", {"fn": "vhost_run_work_list"}))


def _guest_notifiers(era: Era) -> Iterator[Action]:
    """Each data queue's MSI-X vector gets a call eventfd bound as a KVM irqfd."""
    yield from walk(era, (("virtio_pci_set_guest_notifiers",
                           {"queues": len(VHOST_QUEUES)}),), "virtio-net")
    for queue in VHOST_QUEUES:
        yield from walk(era, (
            ("kvm_virtio_pci_irqfd_use", {"queue": queue}),
            ("kvm_irqchip_add_irqfd_notifier_gsi", {}),
            ("kvm_irqchip_assign_irqfd", {"ioctl": "KVM_IRQFD"}),
            ("kvm_irqfd", {"fact": "irqfd", "queue": queue, "callback": "irqfd_wakeup"}),
            ("kvm_irqfd_assign", {}),
        ), "virtio-net")


def _host_notifiers(era: Era) -> Iterator[Action]:
    """vhost grabs the data queues' ioeventfds, even if the device says ioeventfd=off."""
    for queue in VHOST_QUEUES:
        yield from ioeventfd(era, queue)


def _start_one(era: Era, early_notifiers: bool) -> Iterator[Action]:
    """``vhost_net_start_one``: memory, rings, then the tap for each ring."""
    yield from walk(era, (("vhost_net_start_one", {}),), "virtio-net")
    if not early_notifiers:
        yield from _host_notifiers(era)
    yield from walk(era, (
        ("vhost_dev_start", {}),
        ("vhost_kernel_set_mem_table", {"ioctl": "VHOST_SET_MEM_TABLE"}),
    ), "virtio-net")
    yield from _ioctl(era, "VHOST_SET_MEM_TABLE", ("vhost_set_memory", {}))
    for queue in VHOST_QUEUES:
        yield from walk(era, (("vhost_virtqueue_start", {"queue": queue}),), "virtio-net")
        for cmd, function in _VRING_IOCTLS:
            if function is not None:
                yield from walk(era, ((function, {"ioctl": cmd, "queue": queue}),),
                                "virtio-net")
            yield from _ioctl(era, cmd, ("vhost_vring_ioctl", {"cmd": cmd, "queue": queue}))
    for queue in VHOST_QUEUES:
        yield from walk(era, (("vhost_kernel_net_set_backend",
                               {"ioctl": "VHOST_NET_SET_BACKEND", "queue": queue}),),
                        "virtio-net")
        yield from _ioctl(era, "VHOST_NET_SET_BACKEND",
                          ("vhost_net_set_backend", {"fact": "backend", "queue": queue}))
    yield Do("vhost_net_start_one", None, Kind.NOTE,
             detail={"fact": "qemu_off_data_path"}, cost=False)


def vhost_driver_ok(era: Era, early_notifiers: bool) -> Iterator[Action]:
    """DRIVER_OK exits to QEMU's vCPU thread, which starts vhost instead of its own ioeventfd
    handlers; the control queue keeps exiting to QEMU. ``early_notifiers``: the ioeventfds
    are set up in ``vhost_net_start``, before the irqfds (QEMU 10.2)."""
    yield ept_exit(None)
    yield from exit_to_qemu(None, fact="status_write", status="DRIVER_OK")
    yield from walk(era, (
        *status_rows("DRIVER_OK"),
        ("virtio_net_vhost_status", {"status": "DRIVER_OK"}),
        ("vhost_net_start", {"queue_pairs": 1}),
    ), "virtio-net")
    if early_notifiers:
        yield from _host_notifiers(era)
    yield from _guest_notifiers(era)
    yield from _start_one(era, early_notifiers)
    yield vm_entry("kvm_cpu_exec", None, src="virtio-net")
