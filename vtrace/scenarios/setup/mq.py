"""The set-up's last step with several queue pairs: the driver turns them on.

Once the device is live (DRIVER_OK), the probe asks for one queue pair per vCPU
(``virtnet_set_queues``) with a VIRTIO_NET_CTRL_MQ command on the control queue
(``virtnet_send_command``): the kick goes through the control queue's ioeventfd
to QEMU's main loop, whose ``virtio_net_handle_ctrl`` hands it to
``virtio_net_handle_mq``, which sets ``curr_queue_pairs`` and enables that many
of the tap's queues (``virtio_net_set_queue_pairs``). The driver spins until the
command's buffer is used, then spreads the pairs over the CPUs
(``virtnet_set_affinity``). The replay shows queue pair 0's queues being set up;
the other pairs' are set up alike, before DRIVER_OK.
"""

from __future__ import annotations

from collections.abc import Iterator

from vtrace.catalog import Era, first_present
from vtrace.engine.kvm import ept_exit, vm_entry
from vtrace.engine.sim import Action, Do, Signal, Wait
from vtrace.scenarios.send.device import EVENTFD_WAKEUP_NS
from vtrace.scenarios.setup.walk import walk

__all__ = ["COMMAND", "set_queue_pairs", "take_command"]

COMMAND = "VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET"


def set_queue_pairs(era: Era, pairs: int, kicked: Signal, used: Signal) -> Iterator[Action]:
    """The guest's side: the command, the control queue's kick, the wait, the CPUs."""
    yield from walk(era, (("virtnet_set_queues", {"queue_pairs": pairs}),
                          ("virtnet_send_command", {"cmd": COMMAND, "queue_pairs": pairs})),
                    "virtio_net")
    yield Do("virtqueue_notify", None)
    # The control queue follows every RX and TX queue of the device's pairs.
    yield Do("vp_notify", None, detail={"queue_index": 2 * pairs})
    yield ept_exit(None)
    yield Do("kvm_io_bus_write", None, detail={"bus": "KVM_FAST_MMIO_BUS", "match": True})
    yield Do("ioeventfd_write", None)
    kicked.raise_(kicked.on.now())
    yield vm_entry("handle_ept_misconfig", None, src="kvm")
    yield Wait((used,), 0)
    yield from walk(era, (("virtnet_set_affinity", {"queue_pairs": pairs}),), "virtio_net")


def take_command(era: Era, pairs: int, kicked: Signal, used: Signal) -> Iterator[Action]:
    """QEMU's main loop: the control queue's handler runs the command and answers it."""
    yield Wait((kicked,), EVENTFD_WAKEUP_NS)
    kicked.clear()
    yield from walk(era, (
        ("virtio_queue_host_notifier_read", {}),
        ("virtio_queue_notify_vq", {}),
        ("virtio_net_handle_ctrl", {}),
        ("virtio_net_handle_mq", {"cmd": COMMAND, "queue_pairs": pairs}),
        (first_present(era, "virtio_net_set_queue_pairs", "virtio_net_set_queues"),
         {"queue_pairs": pairs}),
    ), "kvm")
    used.raise_(used.on.now())
