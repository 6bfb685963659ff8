"""The set-up replay: how the tap, the virtio-net device and the guest's driver come to be.

It replays what happens before any packet moves, as chains of catalog
steps. QEMU's main thread creates the tap back end (entering the host
kernel for ``open()`` and ``TUNSETIFF``) and realizes the device. The
guest's vCPU then probes the device; the driver's DRIVER_OK write exits to
QEMU, which moves every queue's kicks to an ioeventfd in KVM
(``virtio_bus_set_host_notifier`` → ``memory_region_add_eventfd`` → KVM_IOEVENTFD).
No irqfd is bound here: QEMU's own virtio-net raises interrupts with
KVM_SIGNAL_MSI, and only vhost-net's set-up (``vhost``) makes each queue's
interrupt a KVM irqfd (KVM_IRQFD). A step whose function an era lacks is
skipped by the scheduler.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from vtrace.catalog import Era
from vtrace.engine.kvm import ept_exit, exit_to_qemu, vm_entry
from vtrace.engine.sim import Action, Do, Run, Scheduler, Signal, Thread, Wait
from vtrace.model import Kind
from vtrace.netfeatures import (
    Feature,
    Offer,
    Switched,
    device_offer,
    driver_features,
    feature_names,
    hdr_len,
    negotiate,
)
from vtrace.scenarios.setup.mq import set_queue_pairs, take_command
from vtrace.scenarios.setup.vhost import vhost_driver_ok, vhost_net_init
from vtrace.scenarios.setup.walk import Row, ioeventfd, status_rows, status_value, walk

__all__ = ["QUEUES", "SWITCHES", "TAP_FLAGS", "SetupEra", "setup"]

TAP_FLAGS = "IFF_TAP|IFF_NO_PI|IFF_VNET_HDR"
TAP_NAME = "tap0"
UNSWITCHED = Switched()
BOOT_NS = 20_000  # from realize to the driver's probe; a real boot takes far longer

#: The queues of one queue pair and the control queue: name, guest callback, QEMU handler.
QUEUES: tuple[tuple[str, str | None, str], ...] = (
    ("rx0", "skb_recv_done", "virtio_net_handle_rx"),
    ("tx0", "skb_xmit_done", "virtio_net_handle_tx_bh"),
    ("ctrl", None, "virtio_net_handle_ctrl"),
)



@dataclass(frozen=True, slots=True)
class SetupEra:
    """The set-up's behaviour in one era's QEMU (see docs/sources.md)."""

    bh_new: str = "qemu_bh_new_guarded"  # how virtio-net creates its TX bottom half
    realize_all_queues: bool = False  # realize adds every queue pair, not only pair 0
    vhost_notifiers_early: bool = False  # vhost_net_start, not _start_one, sets up ioeventfds


SWITCHES = {
    "lesson": SetupEra(bh_new="qemu_bh_new", realize_all_queues=True),
    "modern": SetupEra(),
    "newest": SetupEra(vhost_notifiers_early=True),
}


def _netdev(era: Era) -> Iterator[Action]:
    """``-netdev tap``: QEMU opens /dev/net/tun and the host kernel creates the interface."""
    yield from walk(era, (
        ("net_init_clients", {}),
        ("net_init_netdev", {"netdev": "tap"}),
        ("net_client_init", {}),
        ("net_client_init1", {"type": "tap"}),
        ("net_init_tap", {"ifname": TAP_NAME}),
        ("net_tap_init", {}),
        ("tap_open", {"fact": "tunsetiff", "path": "/dev/net/tun", "flags": TAP_FLAGS}),
        ("tun_chr_open", {"syscall": "open"}),
    ), None)
    yield from walk(era, (
        ("tun_chr_ioctl", {"syscall": "ioctl", "cmd": "TUNSETIFF"}),
        ("__tun_chr_ioctl", {"cmd": "TUNSETIFF"}),
        ("tun_set_iff", {"fact": "tap_created", "ifname": TAP_NAME}),
        ("register_netdevice", {"ifname": TAP_NAME}),
    ), "tap")
    yield from walk(era, (
        ("net_init_tap_one", {}),
        ("net_tap_fd_init", {"fact": "fd_handler", "handler": "tap_send"}),
    ), "tap")


def _device(era: Era) -> Iterator[Action]:
    """``-device virtio-net-pci,netdev=...``: realize, queues, and the NIC peered with the tap."""
    switches = SWITCHES[era.name]
    realize = "realize_all" if switches.realize_all_queues else "realize_first"
    yield from walk(era, (
        ("virtio_net_class_init", {"fact": "qom", "type": "virtio-net",
                                   "parent": "virtio-device"}),
        ("virtio_net_device_realize", {"fact": realize}),
        ("virtio_init", {"device": "virtio-net"}),
        ("virtio_net_add_queue", {"fact": "tx_bh", "bh": "virtio_net_tx_bh",
                                  "via": switches.bh_new}),
    ), None)
    for name, _, handler in QUEUES:
        yield Do("virtio_add_queue", None, src="virtio-net", detail={
            "fact": "queue_added", "queue": name, "handler": handler})
    yield from walk(era, (
        ("qemu_new_nic", {"fact": "peer", "peer": TAP_NAME}),
        ("qemu_net_client_setup", {"deliver": "qemu_deliver_packet_iov"}),
    ), "virtio-net")


def _store(era: Era, *rows: Row, **fact: str) -> Iterator[Action]:
    """A store to the common configuration: it exits to QEMU's vCPU thread, which runs
    ``rows``, then enters the guest again."""
    yield ept_exit(None)
    yield from exit_to_qemu(None, **fact)
    yield from walk(era, rows, "virtio-net")
    yield vm_entry("kvm_cpu_exec", None, src="virtio-net")


def _set_status(era: Era, status: str, caller: str | None) -> Iterator[Action]:
    """``virtio_add_status``: the guest sets one more status bit, QEMU records it."""
    yield from walk(era, (
        ("virtio_add_status", {"status": status}),
        ("vp_set_status", {"status": status, "value": status_value(status)}),
    ), caller)
    yield from _store(era, *status_rows(status), fact="status_write", status=status)


def _features(era: Era, packed: bool, switched: Switched) -> Iterator[Action]:
    """DRIVER, then the features: the device's offer (``packed=on`` adds
    VIRTIO_F_RING_PACKED), the driver's answer, FEATURES_OK; with ``--features`` or
    ``--no-offload``, the header length they lead to."""
    device = device_offer(era.qemu, switched.features, no_offload=not switched.offload,
                          offer=Offer(packed=packed))
    accepted = negotiate(device, driver_features(era.linux, Feature.VERSION_1 in device))
    fact = {"fact": "features"} if switched == UNSWITCHED else {
        "fact": "features_hdr", "hdr_len": hdr_len(accepted)}
    yield from walk(era, (("virtio_dev_probe", {"driver": "virtio_net"}),), "virtio_net")
    yield from _set_status(era, "DRIVER", "virtio_net")
    yield from walk(era, (("vp_finalize_features", {
        "fact": "features_accepted", "count": len(accepted),
        "offered": " ".join(feature_names(device)),
        "refused": " ".join(feature_names(device - accepted))}),), "virtio_net")
    yield from _store(era, ("virtio_pci_common_write", {"field": "guest_feature"}),
                      ("virtio_set_features", {**fact,
                                               "features": " ".join(feature_names(accepted))}),
                      fact="config_write", field="guest_feature")
    yield from walk(era, (("virtio_features_ok", {}),), "virtio_net")
    yield from _set_status(era, "FEATURES_OK", "virtio_net")


def _acknowledge(era: Era) -> Iterator[Action]:
    """virtio-pci registers the device and sets ACKNOWLEDGE."""
    yield from walk(era, (("register_virtio_device", {}),), None)
    yield from _set_status(era, "ACKNOWLEDGE", "virtio_net")


def _enable_queues(era: Era, layout: dict[str, str]) -> Iterator[Action]:
    """queue_enable for each queue: QEMU takes the ring addresses the guest wrote earlier
    (of a packed ring: the descriptor ring and the driver's and device's event areas)."""
    for name, _, _ in QUEUES:
        yield from walk(era, (("vp_modern_set_queue_enable", {"queue": name}),), "virtio_net")
        yield from _store(
            era,
            ("virtio_pci_common_write", {"field": "queue_enable", "queue": name}),
            ("virtio_queue_set_rings", {"fact": "rings", "queue": name, **layout}),
            ("virtio_queue_enable", {"queue": name}),
            fact="config_write", field="queue_enable")


def _probe(era: Era, packed: bool, switched: Switched) -> Iterator[Action]:
    """The guest's virtio_net driver finds the device and builds its three queues."""
    layout = {"layout": "packed"} if packed else {}
    yield from _acknowledge(era)
    yield from _features(era, packed, switched)
    yield from walk(era, (
        ("virtnet_probe", {}),
        ("init_vqs", {}),
        ("virtnet_alloc_queues", {"rx_poll": "virtnet_poll", "tx_poll": "virtnet_poll_tx"}),
        ("virtnet_find_vqs", {"queues": len(QUEUES)}),
        ("vp_modern_find_vqs", {}),
        ("vp_find_vqs", {}),
        ("vp_find_vqs_msix", {"per_vq_vectors": True}),
    ), None)
    for name, callback, _ in QUEUES:
        yield from walk(era, (
            ("vp_find_one_vq_msix", {"queue": name}),
            ("vp_setup_vq", {"queue": name}),
            ("setup_vq", {"queue": name}),
            ("vring_create_virtqueue", {"fact": "vring", "queue": name, "notify": "vp_notify",
                                        "callback": callback or "-", **layout}),
            *((("vring_create_virtqueue_packed", {"queue": name}),) if packed else ()),
            ("vp_active_vq", {"queue": name}),
        ), "virtio_net")
        yield from _store(era, ("virtio_pci_common_write",
                                {"field": "queue_desc queue_avail queue_used", "queue": name}),
                          fact="config_write", field="queue_desc, queue_avail and queue_used")
    yield from _enable_queues(era, layout)
    yield from walk(era, (("register_netdev", {}),), "virtio_net")
    yield Do("virtnet_probe", None, Kind.NOTE, detail={"fact": "driver_ok"}, cost=False)
    yield from walk(era, (
        ("virtio_device_ready", {}),
        ("virtio_add_status", {"status": "DRIVER_OK"}),
        ("vp_set_status", {"status": "DRIVER_OK", "value": status_value("DRIVER_OK")}),
    ), "virtio_net")


def _driver_ok(era: Era) -> Iterator[Action]:
    """DRIVER_OK is a store to the common config: an exit to QEMU, which starts ioeventfds."""
    yield ept_exit(None)
    yield from exit_to_qemu(None, fact="status_write", status="DRIVER_OK")
    yield from walk(era, (
        *status_rows("DRIVER_OK"),
        ("virtio_device_start_ioeventfd_impl", {"handler": "virtio_queue_host_notifier_read"}),
    ), "virtio-net")  # QEMU's vCPU thread, back from KVM_RUN
    for name, _, _ in QUEUES:
        yield from ioeventfd(era, name)
    yield vm_entry("kvm_cpu_exec", None, src="virtio-net")


def _vcpu(era: Era, machine_ready: Signal, vhost: bool, packed: bool,
          switched: Switched) -> Iterator[Action]:
    yield Wait((machine_ready,), BOOT_NS)
    yield from _probe(era, packed, switched)
    if vhost:
        yield from vhost_driver_ok(era, SWITCHES[era.name].vhost_notifiers_early)
    else:
        yield from _driver_ok(era)


def setup(era: Era, seed: int, backend: str = "qemu", ring: str = "split",
          queues: int = 1, switched: Switched = UNSWITCHED) -> Run:
    """The events of the set-up, in time order; with ``backend`` vhost-net, QEMU also opens
    /dev/vhost-net and, at DRIVER_OK, hands the rings and the tap to the kernel. With
    ``ring`` packed the device has ``packed=on`` and the driver builds packed rings; with
    several ``queues``, the driver then turns them on (``vtrace.scenarios.setup.mq``);
    ``switched`` are the device properties ``--features`` and ``--no-offload`` change."""
    scheduler = Scheduler(era, seed)
    machine_ready = scheduler.signal("machine_ready")
    vhost = backend == "vhost-net"
    kicked, used = scheduler.signal("ioeventfd"), scheduler.signal("ctrl_used")

    def qemu_main(thread: Thread) -> Iterator[Action]:
        yield from _netdev(era)
        if vhost:
            yield from vhost_net_init(era)
        yield from _device(era)
        machine_ready.raise_(thread.clock)
        if queues > 1:
            yield from take_command(era, queues, kicked, used)

    def vcpu(thread: Thread) -> Iterator[Action]:
        yield from _vcpu(era, machine_ready, vhost, ring == "packed", switched)
        if queues > 1:
            yield from set_queue_pairs(era, queues, kicked, used)

    scheduler.spawn("qemu-main", qemu_main)
    scheduler.spawn("vcpu0", vcpu)
    return scheduler.run()
