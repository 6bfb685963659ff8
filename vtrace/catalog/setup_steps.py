"""Catalog data: how the tap, the virtio-net device and the guest's driver come to exist.

QEMU creates its -netdev back ends first (the tap, and the host's tun
interface behind it), then realizes the virtio-net device; the guest's
driver later probes the device, and once it is ready QEMU moves the queue
kicks to ioeventfds in KVM. ``None`` lines exist but were not read.
"""

from __future__ import annotations

from collections.abc import Mapping

from vtrace.catalog.base import Site, Step, at, step
from vtrace.catalog.send_steps import DEV, QV, QVN, QVP, TUN, VN, VPC, VPM, VR
from vtrace.model import Phase

__all__ = ["STEPS"]

NET = "net/net.c"
TAP = "net/tap.c"
KVM_ALL = "accel/kvm/kvm-all.c"
EVENTFD = "virt/kvm/eventfd.c"
VIRTIO = "drivers/virtio/virtio.c"
VIRTIO_CONFIG = "include/linux/virtio_config.h"
VPM_DEV = "drivers/virtio/virtio_pci_modern_dev.c"


def _setup(key: str, project: str, file: str, sites: Mapping[str, Site], actor: str,
           cost_ns: int, en: str, *,
           notes: Mapping[str, str] | None = None) -> Step:
    return step(key, project, file, sites, actor, Phase.SETUP, cost_ns, en,
                notes=notes)


STEPS: tuple[Step, ...] = (
    # -- QEMU creates the tap back end ------------------------------------------------------
    _setup("net_init_clients", "qemu", NET, at(v3_1=1557, v7_2=1631, v10_2=1915), "net-queue",
           2000,
           "At start-up QEMU creates every -netdev back end before any device: it walks the "
           "netdev options and initialises each one.",
           notes={"7.2": "QEMU 7.2 first runs netdev_init_modern() for JSON-style -netdev "
                         "options, which go straight to net_client_init1.",
                  "10.2": "QEMU 10.2 first runs netdev_init_modern() for JSON-style -netdev "
                          "options, which go straight to net_client_init1."}),
    _setup("net_init_netdev", "qemu", NET, at(v3_1=1489, v7_2=1543, v10_2=1808), "net-queue",
           300, "Initialise one -netdev option group as a back end."),
    _setup("net_client_init", "qemu", NET, at(v3_1=1104, v7_2=1181, v10_2=1425), "net-queue",
           500, "Turn the options into a Netdev description with a QAPI visitor and hand it on."),
    _setup("net_client_init1", "qemu", NET, at(v3_1=973, v7_2=1079, v10_2=1319), "net-queue",
           300,
           "Call the init function for the back end's type from the net_client_init_fun "
           "table: net_init_tap for -netdev tap."),
    _setup("net_init_tap", "qemu", TAP, at(v3_1=754, v7_2=799, v10_2=809), "tap", 400,
           "For a tap named by ifname= (or made by a script), open it with net_tap_init, then "
           "build QEMU's side of it with net_init_tap_one."),
    _setup("net_tap_init", "qemu", TAP, at(v3_1=605, v7_2=638, v10_2=658), "tap", 200,
           "Open the tap device with tap_open, then run the ifup script if one is configured."),
    _setup("tap_open", "qemu", "net/tap-linux.c", at(v3_1=41, v7_2=40, v10_2=40), "tap", 300,
           "Open /dev/net/tun and ask for a tap interface with ioctl(TUNSETIFF): IFF_TAP | "
           "IFF_NO_PI, plus IFF_VNET_HDR so that every packet carries a virtio_net_hdr."),
    # -- the host kernel creates the tap interface -------------------------------------
    _setup("tun_chr_open", "linux", TUN, at(v4_19=3217, v6_1=3454, v7_2=3410), "tun", 1500,
           "The open() of /dev/net/tun: allocate a tun_file, with its socket, for this file "
           "descriptor. No interface exists yet."),
    _setup("tun_chr_ioctl", "linux", TUN, at(v4_19=3164, v6_1=3401, v7_2=3351), "tun", 300,
           "The ioctl entry point of /dev/net/tun; it passes the request to __tun_chr_ioctl."),
    _setup("__tun_chr_ioctl", "linux", TUN, at(v4_19=2853, v6_1=3067, v7_2=3057), "tun", 300,
           "Copy the request from user space; for TUNSETIFF, create or attach the interface "
           "with tun_set_iff."),
    _setup("tun_set_iff", "linux", TUN, at(v4_19=2520, v6_1=2739, v7_2=2709), "tun", 2000,
           "Allocate the net_device with tun_setup, initialise it, attach this file to it and "
           "register it: the tap interface now exists on the host.",
           notes={"4.19": "Linux 4.19 calls tun_net_init() directly here.",
                  "6.1": "Linux 6.1 calls tun_net_initialize() here; tun_net_init became "
                         "the device's ndo_init.",
                  "7.2": "Linux 7.2 calls tun_net_initialize() here; tun_net_init is the "
                         "device's ndo_init."}),
    _setup("register_netdevice", "linux", DEV, at(v4_19=8612, v6_1=10135, v7_2=11376),
           "host-stack", 3000,
           "Add the interface to the kernel's list of network devices; from now on it shows up "
           "in ip link."),
    _setup("net_init_tap_one", "qemu", TAP, at(v3_1=642, v7_2=675, v10_2=695), "tap", 300,
           "Build QEMU's side of the tap with net_tap_fd_init; with vhost=on it would also set "
           "up vhost-net here."),
    _setup("net_tap_fd_init", "qemu", TAP, at(v3_1=365, v7_2=385, v10_2=399), "tap", 300,
           "Create the tap's NetClientState, set its offloads and vnet header length, and "
           "register tap_send as the handler for packets waiting on the file descriptor."),
    # -- QEMU realizes the virtio-net device -------------------------------------------
    _setup("virtio_net_device_realize", "qemu", QVN, at(v3_1=1949, v7_2=3540, v10_2=3866),
           "virtio-net", 3000,
           "Realize the virtio-net device: initialise the virtio core, add the data queues and "
           "the control queue, and create the NIC that peers with the tap.",
           notes={"3.1": "QEMU 3.1 adds every queue pair here (max_queues of them).",
                  "7.2": "QEMU 7.2 adds only pair 0 here; virtio_net_change_num_queues adds "
                         "the others when the guest turns them on.",
                  "10.2": "QEMU 10.2 adds only pair 0 here; virtio_net_change_num_queues "
                          "adds the others when the guest turns them on."}),
    _setup("virtio_init", "qemu", QV, at(v3_1=2261, v7_2=3855, v10_2=3546), "virtio-net", 500,
           "Initialise the generic part of the device: its status, its config space and room "
           "for its queues."),
    _setup("virtio_net_add_queue", "qemu", QVN, at(v3_1=1545, v7_2=2885, v10_2=2974),
           "virtio-net", 400,
           "Add one queue pair: an RX queue handled by virtio_net_handle_rx, a TX queue handled "
           "by virtio_net_handle_tx_bh, and the TX bottom half virtio_net_tx_bh.",
           notes={"3.1": "QEMU 3.1 creates the bottom half with qemu_bh_new.",
                  "7.2": "Debian's QEMU 7.2 creates it with qemu_bh_new_guarded and the "
                         "device's reentrancy guard, a stable-branch fix; plain 7.2.0 used "
                         "qemu_bh_new.",
                  "10.2": "QEMU 10.2 creates it with qemu_bh_new_guarded and the device's "
                          "reentrancy guard."}),
    _setup("virtio_add_queue", "qemu", QV, at(v3_1=1584, v7_2=2962, v10_2=2535), "virtio-net",
           200,
           "Take the next free queue slot, set its size and remember the function that handles "
           "guest kicks on it."),
    _setup("qemu_new_nic", "qemu", NET, at(v3_1=283, v7_2=318, v10_2=324), "net-queue", 500,
           "Create the NIC's NetClientState and make it the tap back end's peer."),
    _setup("qemu_net_client_setup", "qemu", NET, at(v3_1=240, v7_2=257, v10_2=263), "net-queue",
           300,
           "Fill in a NetClientState, link it with its peer and give it an incoming queue whose "
           "deliver function is qemu_deliver_packet_iov."),
    # -- QOM: the device's type, before any object exists -----------------------------
    _setup("virtio_net_class_init", "qemu", QVN, at(v3_1=2204, v7_2=3897, v10_2=4316),
           "virtio-net", 500,
           "QOM's class initialiser for TYPE_VIRTIO_NET (TypeInfo virtio_net_info, parent "
           "TYPE_VIRTIO_DEVICE): fill in the VirtioDeviceClass hooks, realize = "
           "virtio_net_device_realize, get_features, set_features, set_status.",
           notes={"3.1": "QEMU 3.1 registers virtio_net_info with type_init at "
                         "hw/net/virtio-net.c:2227; QOM runs this when virtio-net-pci first "
                         "makes its VirtIONet child.",
                  "7.2": "QEMU 7.2 registers virtio_net_info with type_init at "
                         "hw/net/virtio-net.c:3927; QOM runs this when virtio-net-pci first "
                         "makes its VirtIONet child.",
                  "10.2": "QEMU 10.2 registers virtio_net_info with type_init at "
                          "hw/net/virtio-net.c:4346; QOM runs this when virtio-net-pci "
                          "first makes its VirtIONet child."}),
    # -- the guest finds the device: status bits and features --------------------------
    _setup("register_virtio_device", "linux", VIRTIO, at(v4_19=315, v6_1=418, v7_2=539),
           "virtio_net", 500,
           "virtio-pci found the device on the PCI bus and registers it: reset it, then set "
           "ACKNOWLEDGE, the first status bit: the guest has noticed the device."),
    _setup("virtio_dev_probe", "linux", VIRTIO, at(v4_19=190, v6_1=237, v7_2=270),
           "virtio_net", 1000,
           "Bind the virtio_net driver to the device: set DRIVER, read the features the device "
           "offers, keep those the driver knows, write them back, set FEATURES_OK, then call "
           "the driver's probe, virtnet_probe."),
    _setup("virtio_add_status", "linux", VIRTIO, at(v4_19=162, v6_1=163, v7_2=196),
           "virtio_net", 100,
           "Add one bit to the device status: read the status byte and write it back with the "
           "bit set."),
    _setup("vp_set_status", "linux", VPM, at(v4_19=276, v6_1=155, v7_2=535), "virtio_net",
           200,
           "Store the status byte in device_status of the common configuration structure, in "
           "the device's BAR: not guest memory, so the store exits to QEMU."),
    _setup("vp_finalize_features", "linux", VPM, at(v4_19=167, v6_1=43, v7_2=420),
           "virtio_net", 300,
           "Check that the device offered VERSION_1, then write the accepted features to the "
           "common configuration, 32 bits at a time through guest_feature_select and "
           "guest_feature."),
    _setup("virtio_features_ok", "linux", VIRTIO,
           {"4.19": Site(168, function="virtio_finalize_features"), **at(v6_1=171, v7_2=204)},
           "virtio_net", 200,
           "Set FEATURES_OK, then read the status back: a device that refuses the features "
           "clears the bit and the probe fails.",
           notes={"4.19": "Linux 4.19 does this in virtio_finalize_features, which first calls "
                          "the transport's finalize_features (vp_finalize_features) and then "
                          "sets FEATURES_OK."}),
    _setup("vp_active_vq", "linux", VPM, at(v6_1=182, v7_2=567), "virtio_net", 300,
           "Tell the device where the ring is: the queue's size and the guest-physical "
           "addresses of its descriptor table, available ring and used ring, written to "
           "queue_desc, queue_avail and queue_used, and its MSI-X vector."),
    _setup("vp_modern_set_queue_enable", "linux", VPM_DEV,
           {"4.19": Site(405, file=VPM, function="vp_modern_find_vqs"),
            **at(v6_1=587, v7_2=616)},
           "virtio_net", 100,
           "Write 1 to queue_enable for the selected queue: from now on the device may use it.",
           notes={"4.19": "Linux 4.19's vp_modern_find_vqs writes queue_enable itself, once "
                          "every queue is set up.",
                  "6.1": "Linux 6.1's vp_modern_find_vqs enables every queue this way once "
                         "all are set up.",
                  "7.2": "Linux 7.2's vp_modern_find_vqs enables every queue this way once "
                         "all are set up."}),
    # -- QEMU's side of those stores ----------------------------------------------------
    _setup("virtio_pci_common_write", "qemu", QVP, at(v3_1=1251, v7_2=1327, v10_2=1633),
           "virtio-net", 300,
           "QEMU's handler for stores to the common configuration structure. device_status goes "
           "to virtio_set_status, guest_feature to virtio_set_features; queue_desc, queue_avail "
           "and queue_used are only kept in the proxy until queue_enable hands them to "
           "virtio_queue_set_rings."),
    _setup("virtio_set_status", "qemu", QV, at(v3_1=1150, v7_2=2482, v10_2=2259),
           "virtio-net", 300,
           "Record the new status byte and pass it to the device's set_status, "
           "virtio_net_set_status, which starts the device's queues at DRIVER_OK."),
    _setup("virtio_set_features", "qemu", QV, at(v3_1=2016, v7_2=3552, v10_2=3177),
           "virtio-net", 400,
           "Keep the features the driver accepted, refusing any the device did not offer, and "
           "let virtio_net_set_features set the header length and the tap's offloads for them."),
    _setup("virtio_queue_set_rings", "qemu", QV, at(v3_1=1439, v7_2=2821, v10_2=2376),
           "virtio-net", 200,
           "Record the guest-physical addresses of the queue's descriptor table, available "
           "ring and used ring: from now on QEMU finds this ring in guest memory."),
    _setup("virtio_queue_enable", "qemu", QV, at(v7_2=2560, v10_2=2341), "virtio-net", 100,
           "Tell the device class that the queue is enabled, through its queue_enable hook "
           "when it has one."),
    # -- the guest's driver probes the device ------------------------------------------
    _setup("virtnet_probe", "linux", VN, at(v4_19=2923, v6_1=3793, v7_2=6755), "virtio_net",
           5000,
           "The driver's probe: read the device's features, allocate the net_device, set up "
           "the virtqueues, register the interface and tell the device the driver is ready.",
           notes={"6.1": "Linux 6.1 registers the interface with register_netdevice() while "
                         "holding the RTNL lock, then sets DRIVER_OK (virtio_device_ready).",
                  "7.2": "Linux 7.2 registers the interface with register_netdevice() while "
                         "holding the RTNL lock, then sets DRIVER_OK "
                         "(virtio_device_ready)."}),
    _setup("init_vqs", "linux", VN, at(v4_19=2808, v6_1=3650, v7_2=6560), "virtio_net", 300,
           "Allocate the send and receive queue structures, then find the device's "
           "virtqueues."),
    _setup("virtnet_alloc_queues", "linux", VN, at(v4_19=2768, v6_1=3605, v7_2=6514),
           "virtio_net", 400,
           "Allocate the send and receive queues and register their NAPI contexts: "
           "virtnet_poll for RX, virtnet_poll_tx for TX.",
           notes={"4.19": "Linux 4.19 registers them with netif_napi_add and "
                          "netif_tx_napi_add; with napi_tx off, the TX context gets weight 0 "
                          "and stays unused.",
                  "6.1": "Linux 6.1 registers them with netif_napi_add_weight and "
                         "netif_napi_add_tx_weight.",
                  "7.2": "Linux 7.2 registers them with netif_napi_add_config and "
                         "netif_napi_add_tx_weight."}),
    _setup("virtnet_find_vqs", "linux", VN, at(v4_19=2684, v6_1=3520, v7_2=6439), "virtio_net",
           400,
           "List the queues (RX and TX of each pair, then the control queue) with their "
           "callbacks, skb_recv_done and skb_xmit_done, and ask the transport to create them.",
           notes={"4.19": "Linux 4.19 calls vdev->config->find_vqs directly, with "
                          "callbacks[] and names[] arrays.",
                  "6.1": "Linux 6.1 goes through virtio_find_vqs_ctx.",
                  "7.2": "Linux 7.2 goes through virtio_find_vqs, with an array of struct "
                         "virtqueue_info."}),
    _setup("vp_modern_find_vqs", "linux", VPM, at(v4_19=405, v6_1=347, v7_2=744), "virtio_net",
           200,
           "The modern virtio-pci transport's find_vqs; the common virtio-pci code does the "
           "work."),
    _setup("vp_find_vqs", "linux", VPC, at(v4_19=395, v6_1=399, v7_2=519), "virtio_net", 200,
           "Try MSI-X with one vector per queue, then MSI-X with one vector shared by the "
           "queues, and fall back to a legacy INTx interrupt."),
    _setup("vp_find_vqs_msix", "linux", VPC, at(v4_19=282, v6_1=284, v7_2=375), "virtio_net",
           400,
           "Allocate MSI-X vectors, one for configuration changes and one per queue, set up "
           "each queue, and request vring_interrupt as each queue's handler."),
    step("vp_interrupt", "linux", VPC, at(v4_19=85, v6_1=82, v7_2=106), "virtio_net",
         Phase.INTERRUPT, 500,
         "The handler of the shared INTx line: read the ISR register (which clears it), handle "
         "a configuration change, then call vp_vring_interrupt, which runs vring_interrupt for "
         "every queue.",
         lesson="The lesson's guest takes the device's interrupt in vp_interrupt, the INTx "
                "handler. vtrace's guest gets MSI-X, which vp_find_vqs tries first: each "
                "queue has its own vector whose handler is vring_interrupt itself, so "
                "vp_interrupt never runs and no ISR register is read."),
    _setup("vp_find_vqs_intx", "linux", VPC, at(v4_19=356, v6_1=360, v7_2=457), "virtio_net",
           300,
           "The fallback: one shared INTx line, handled by vp_interrupt, then set up each "
           "queue."),
    _setup("vp_find_one_vq_msix", "linux", VPC, at(v7_2=329), "virtio_net", 100,
           "Set up one queue and its MSI-X vector, split out of vp_find_vqs_msix."),
    _setup("vp_setup_vq", "linux", VPC, at(v4_19=177, v6_1=174, v7_2=205), "virtio_net", 200,
           "Set up one queue through the transport's setup_vq and add it to the device's list "
           "of queues."),
    _setup("setup_vq", "linux", VPM, at(v4_19=309, v6_1=291, v7_2=685), "virtio_net", 400,
           "Read the queue size from the device, create the ring with vring_create_virtqueue "
           "(vp_notify as its notify function), tell the device where the ring is, and map the "
           "queue's notify address.",
           notes={"7.2": "Linux 7.2 installs vp_notify_with_data instead when "
                         "VIRTIO_F_NOTIFICATION_DATA is negotiated."}),
    _setup("vring_create_virtqueue", "linux", VR, at(v4_19=1058, v6_1=2546, v7_2=3333),
           "virtio_net", 600,
           "Allocate the descriptor table, the available ring and the used ring in guest "
           "memory, and record the queue's notify function and callback."),
    _setup("register_netdev", "linux", DEV,
           {"4.19": Site(8823), "6.1": Site(10135, function="register_netdevice"),
            "7.2": Site(11376, function="register_netdevice")},
           "stack", 3000,
           "Register the guest's network interface; it now shows up in the guest, as eth0 or "
           "ens3 and the like."),
    _setup("virtio_device_ready", "linux", VIRTIO_CONFIG, at(v4_19=214, v6_1=268, v7_2=344),
           "virtio_net", 100,
           "Set DRIVER_OK, the last status bit: the driver is ready and the device may use "
           "the queues."),
    # -- DRIVER_OK: QEMU moves the kicks to ioeventfds ---------------------------------
    _setup("virtio_device_start_ioeventfd_impl", "qemu", QV,
           at(v3_1=2608, v7_2=4351, v10_2=4113), "virtio-net", 800,
           "Once the driver is ready, move each queue's kicks to an eventfd: assign an "
           "ioeventfd in KVM through the virtio bus, and let the main loop watch it with "
           "virtio_queue_host_notifier_read."),
    _setup("virtio_bus_set_host_notifier", "qemu", "hw/virtio/virtio-bus.c",
           at(v3_1=263, v7_2=276, v10_2=281), "virtio-net", 300,
           "Switch one queue's ioeventfd on: create its host notifier, an eventfd "
           "(event_notifier_init), and hand it to the transport's ioeventfd_assign, "
           "virtio_pci_ioeventfd_assign for virtio-pci."),
    _setup("virtio_pci_ioeventfd_assign", "qemu", QVP, at(v3_1=229, v7_2=242, v10_2=371),
           "virtio-net", 200,
           "Attach the queue's eventfd to its notify address with memory_region_add_eventfd; "
           "with KVM, a zero-length match makes it a fast-MMIO ioeventfd."),
    _setup("memory_region_add_eventfd", "qemu", "softmmu/memory.c",
           {"3.1": Site(2239, file="memory.c"), "7.2": Site(2507),
            "10.2": Site(2582, file="system/memory.c")},
           "virtio-net", 300,
           "Add the eventfd to the memory region's list of ioeventfds, in a memory "
           "transaction; its commit tells every listener of the address space, KVM's "
           "among them."),
    _setup("kvm_mem_ioeventfd_add", "qemu", KVM_ALL, at(v3_1=852, v7_2=1587, v10_2=1889),
           "virtio-net", 100,
           "KVM's listener for memory-region eventfds: pass the new eventfd on to the kernel."),
    _setup("kvm_set_ioeventfd_mmio", "qemu", KVM_ALL, at(v3_1=648, v7_2=1239, v10_2=1391),
           "virtio-net", 200,
           "Issue the KVM_IOEVENTFD ioctl on the VM with the address, the length (0 here) and "
           "the eventfd."),
    _setup("kvm_ioeventfd", "linux", EVENTFD, at(v4_19=967, v6_1=981, v7_2=1032), "kvm", 300,
           "The KVM_IOEVENTFD ioctl in the host kernel: assign (or remove) an ioeventfd."),
    _setup("kvm_assign_ioeventfd", "linux", EVENTFD, at(v4_19=915, v6_1=929, v7_2=980), "kvm",
           600,
           "Register the eventfd on the fast MMIO bus for a zero-length match, so that a later "
           "store to the address ends in ioeventfd_write without leaving the kernel."),
    # -- vhost: the interrupts become irqfds -------------------------------------------
    _setup("kvm_irqchip_assign_irqfd", "qemu", KVM_ALL, at(v3_1=1290, v7_2=2058, v10_2=2288),
           "virtio-net", 200,
           "Issue the KVM_IRQFD ioctl on the VM: the eventfd's file descriptor and the GSI of "
           "the MSI route QEMU set up for the queue's vector."),
    _setup("kvm_irqfd_assign", "linux", EVENTFD, at(v4_19=294, v6_1=309, v7_2=371), "kvm",
           600,
           "Allocate the kernel's irqfd, hook irqfd_wakeup into the eventfd's wait queue and "
           "cache the GSI's MSI route: a signal on the eventfd now injects the interrupt "
           "without QEMU."),
)
