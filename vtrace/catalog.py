"""The step catalog: every function vtrace shows, where it lives, and what it does.

This module is data. Each ``Step`` names a real function, the file that
holds it, and the first line of its definition in each version vtrace
knows (``None`` where the line has not been checked against a real tree).
``Era`` picks one Linux and one QEMU version. The engine walks these steps;
renderers read their text. Line numbers come from the Linux and QEMU trees
listed in ``docs/sources.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from vtrace.model import ACTOR_LAYER, Layer, Phase

__all__ = ["CATALOG", "ERAS", "Era", "Site", "Step", "UnknownEra", "era", "site_of"]

VN = "drivers/net/virtio_net.c"
VR = "drivers/virtio/virtio_ring.c"
VPC = "drivers/virtio/virtio_pci_common.c"
QV = "hw/virtio/virtio.c"
QVN = "hw/net/virtio-net.c"
QVP = "hw/virtio/virtio-pci.c"
TUN = "drivers/net/tun.c"
DEV = "net/core/dev.c"


@dataclass(frozen=True, slots=True)
class Era:
    """A pair of versions whose code paths vtrace replays."""

    name: str
    linux: str
    qemu: str
    label: str
    napi_tx: bool  # the virtio_net ``napi_tx`` module parameter's default


ERAS: Mapping[str, Era] = {
    "lesson": Era("lesson", "4.19", "3.1", "Linux 4.19 + QEMU 3.1 (the 2019 lesson)", False),
    "modern": Era("modern", "6.1", "7.2", "Linux 6.1 + QEMU 7.2 (Debian 12)", True),
    "newest": Era("newest", "7.2", "10.2", "Linux 7.2 + QEMU 10.2", True),
}


class UnknownEra(KeyError):
    """No era has that name."""


def era(name: str) -> Era:
    try:
        return ERAS[name]
    except KeyError:
        raise UnknownEra(name) from None


@dataclass(frozen=True, slots=True)
class Site:
    """Where a function is defined in one version; ``line`` None means not checked."""

    line: int | None
    file: str | None = None  # overrides the step's file when it moved
    function: str | None = None  # overrides the step's name when it was renamed


@dataclass(frozen=True, slots=True)
class Step:
    """One function on the path, with its location per version and its explanation."""

    key: str
    function: str
    project: str  # linux, qemu or app
    file: str | None
    sites: Mapping[str, Site]  # a version missing here lacks the function; the era skips it
    actor: str
    phase: Phase
    cost_ns: int  # modelled cost, not a measurement
    text: Mapping[str, str]
    calls: tuple[str, ...] = ()
    lesson: Mapping[str, str] = field(default_factory=dict)

    @property
    def layer(self) -> Layer:
        return ACTOR_LAYER[self.actor]


def _lines(**by_version: int | None) -> dict[str, Site]:
    """``_lines(v4_19=1562, v6_1=1886)`` -> {"4.19": Site(1562), "6.1": Site(1886)}."""
    return {key[1:].replace("_", "."): Site(line) for key, line in by_version.items()}


def _step(key: str, function: str, project: str, file: str | None, sites: dict[str, Site],
          actor: str, phase: Phase, cost_ns: int, en: str, calls: tuple[str, ...] = (),
          lesson: str | None = None) -> Step:
    return Step(key, function, project, file, sites, actor, phase, cost_ns, {"en": en}, calls,
                {"en": lesson} if lesson else {})


_STEPS = [
    # -- guest user space and stack --------------------------------------------------------
    _step("sendto", "sendto", "app", None, {}, "app", Phase.APP, 400,
          "The application hands a UDP datagram to the kernel with the sendto system call.",
          ("udp_sendmsg",)),
    _step("udp_sendmsg", "udp_sendmsg", "linux", "net/ipv4/udp.c",
          _lines(v4_19=None, v6_1=None, v7_2=None), "stack", Phase.APP, 1200,
          "The socket layer builds an skb with UDP, IP and Ethernet headers and routes it to "
          "the virtio NIC; the qdisc layer then dequeues it.", ("dev_hard_start_xmit",)),
    _step("dev_hard_start_xmit", "dev_hard_start_xmit", "linux", DEV,
          _lines(v4_19=None, v6_1=None, v7_2=None), "stack", Phase.XMIT, 200,
          "The core network code calls the driver's ndo_start_xmit, marking whether more "
          "packets follow right behind this one (xmit_more).", ("start_xmit",)),
    # -- guest driver ---------------------------------------------------------------------
    _step("start_xmit", "start_xmit", "linux", VN, _lines(v4_19=1562, v6_1=1886, v7_2=3336),
          "virtio_net", Phase.XMIT, 120,
          "virtio_net's transmit entry point: reclaim buffers the device has finished with, "
          "queue this skb, then decide whether the device must be told.",
          ("free_old_xmit_skbs", "xmit_skb", "virtqueue_kick_prepare")),
    _step("virtqueue_disable_cb", "virtqueue_disable_cb", "linux", VR,
          _lines(v4_19=None, v6_1=None, v7_2=None), "virtio_net", Phase.XMIT, 30,
          "With NAPI TX the driver reclaims from start_xmit, so it first asks the device not to "
          "interrupt for TX completions."),
    _step("free_old_xmit_skbs", "free_old_xmit_skbs", "linux", VN,
          {"4.19": Site(1363), "6.1": Site(1625), "7.2": Site(953, function="free_old_xmit")},
          "virtio_net", Phase.COMPLETE, 80,
          "Take back every buffer the device has put on the used ring since last time and free "
          "its skb: descriptors return to the free list.", ("virtqueue_get_buf",)),
    _step("virtqueue_get_buf", "virtqueue_get_buf", "linux", VR,
          _lines(v4_19=None, v6_1=None, v7_2=None), "virtio_net", Phase.COMPLETE, 60,
          "Read one used element (head id, length) at last_used_idx, detach its descriptor "
          "chain and, if interrupts are wanted, publish used_event = last_used_idx."),
    _step("virtqueue_enable_cb_delayed", "virtqueue_enable_cb_delayed", "linux", VR,
          _lines(v4_19=None, v6_1=None, v7_2=None), "virtio_net", Phase.XMIT, 40,
          "Before kicking, ask for one interrupt once three quarters of the buffers in flight "
          "are used, instead of one per buffer."),
    _step("xmit_skb", "xmit_skb", "linux", VN, _lines(v4_19=1515, v6_1=1839, v7_2=3278),
          "virtio_net", Phase.XMIT, 150,
          "Write the 12-byte virtio_net_hdr in front of the frame and turn the skb into a "
          "scatter-gather list.", ("virtqueue_add_outbuf",)),
    _step("virtqueue_add_outbuf", "virtqueue_add_outbuf", "linux", VR,
          _lines(v4_19=484, v6_1=2164, v7_2=2926), "virtio_net", Phase.XMIT, 40,
          "Add a buffer the device may only read (an 'out' buffer).", ("virtqueue_add",)),
    _step("virtqueue_add", "virtqueue_add", "linux", VR, _lines(v4_19=259, v6_1=2099, v7_2=2856),
          "virtio_net", Phase.XMIT, 40,
          "Pick the ring format: this queue is a split ring.", ("virtqueue_add_split",),
          lesson="In Linux 4.19 virtqueue_add fills the split ring itself; the split and packed "
                 "variants came in 5.0."),
    _step("virtqueue_add_split", "virtqueue_add_split", "linux", VR,
          _lines(v6_1=517, v7_2=648), "virtio_net", Phase.XMIT, 90,
          "Fill a descriptor from the free list, put its index in avail->ring, then (after a "
          "write barrier) bump avail->idx so the device can see it."),
    _step("virtqueue_kick_prepare", "virtqueue_kick_prepare", "linux", VR,
          _lines(v4_19=550, v6_1=2230, v7_2=3085), "virtio_net", Phase.KICK, 30,
          "Decide whether to notify the device: with EVENT_IDX, only if the device's avail_event "
          "lies among the entries added since the last kick; without, unless the device set "
          "VRING_USED_F_NO_NOTIFY.", ("virtqueue_notify",),
          lesson="The lesson calls virtqueue_kick(); start_xmit calls its two halves, "
                 "virtqueue_kick_prepare() and virtqueue_notify(), so it can count kicks."),
    _step("virtqueue_notify", "virtqueue_notify", "linux", VR,
          _lines(v4_19=592, v6_1=2247, v7_2=3101), "virtio_net", Phase.KICK, 20,
          "Call the transport's notify hook for this queue.", ("vp_notify",)),
    _step("vp_notify", "vp_notify", "linux", VPC, _lines(v4_19=44, v6_1=41, v7_2=51),
          "virtio_net", Phase.KICK, 40,
          "Write the queue index to the notify address in the device's PCI BAR. That store is "
          "the kick; the CPU cannot complete it inside the guest.", ("handle_ept_misconfig",)),
    # -- KVM -------------------------------------------------------------------------------
    _step("handle_ept_misconfig", "handle_ept_misconfig", "linux", "arch/x86/kvm/vmx/vmx.c",
          {"4.19": Site(7720, file="arch/x86/kvm/vmx.c"), "6.1": Site(5737), "7.2": Site(5983)},
          "kvm", Phase.EXIT, 900,
          "VM exit: the store hit a page that EPT marks as MMIO, so the CPU leaves the guest and "
          "KVM takes over on the same physical CPU.", ("kvm_io_bus_write",)),
    _step("kvm_io_bus_write", "kvm_io_bus_write", "linux", "virt/kvm/kvm_main.c",
          _lines(v4_19=3554, v6_1=5284, v7_2=5881), "kvm", Phase.EXIT, 80,
          "Look the address up on KVM's fast MMIO bus, where QEMU registered an ioeventfd for "
          "the notify address.", ("ioeventfd_write",)),
    _step("ioeventfd_write", "ioeventfd_write", "linux", "virt/kvm/eventfd.c",
          _lines(v4_19=740, v6_1=752, v7_2=805), "kvm", Phase.EXIT, 120,
          "Signal the eventfd and resume the guest at once: the vCPU never goes to QEMU. "
          "QEMU's main loop is woken instead.",
          lesson="The lesson draws a VM exit that returns to QEMU's vCPU thread; with ioeventfd "
                 "(on by default) KVM handles the kick itself. --no-ioeventfd replays the "
                 "lesson's path."),
    _step("vcpu_mmio_write", "vcpu_mmio_write", "linux", "arch/x86/kvm/x86.c",
          _lines(v4_19=4873, v6_1=7156, v7_2=7316), "kvm", Phase.EXIT, 300,
          "No in-kernel device claims the address, so KVM fills kvm_run with KVM_EXIT_MMIO and "
          "returns from the KVM_RUN ioctl to QEMU's vCPU thread.", ("kvm_cpu_exec",)),
    # -- QEMU: the notification ------------------------------------------------------------
    _step("kvm_cpu_exec", "kvm_cpu_exec", "qemu", "accel/kvm/kvm-all.c",
          _lines(v3_1=1942, v7_2=2869, v10_2=3154), "virtio-net", Phase.DEVICE, 600,
          "QEMU's vCPU thread returns from KVM_RUN, sees KVM_EXIT_MMIO and dispatches the write "
          "through address_space_rw to the memory region that owns it.",
          ("virtio_pci_notify_write",)),
    _step("virtio_pci_notify_write", "virtio_pci_notify_write", "qemu", QVP,
          _lines(v3_1=1355, v7_2=1467, v10_2=1782), "virtio-net", Phase.DEVICE, 60,
          "The notify region's write handler turns the address into a queue number.",
          ("virtio_queue_notify",)),
    _step("virtio_queue_notify", "virtio_queue_notify", "qemu", QV,
          _lines(v3_1=1545, v7_2=2919, v10_2=2492), "virtio-net", Phase.DEVICE, 40,
          "With no ioeventfd to re-signal, call the queue's output handler directly.",
          ("virtio_net_handle_tx_bh",)),
    _step("virtio_queue_host_notifier_read", "virtio_queue_host_notifier_read", "qemu", QV,
          _lines(v3_1=2467, v7_2=4203, v10_2=3955), "virtio-net", Phase.DEVICE, 400,
          "QEMU's main loop wakes on the eventfd, clears it and handles the queue.",
          ("virtio_queue_notify_vq",)),
    _step("virtio_queue_notify_vq", "virtio_queue_notify_vq", "qemu", QV,
          _lines(v3_1=1531, v7_2=2901, v10_2=2474), "virtio-net", Phase.DEVICE, 40,
          "Call the handler registered for this queue: the TX handler.",
          ("virtio_net_handle_tx_bh",)),
    _step("virtio_net_handle_tx_bh", "virtio_net_handle_tx_bh", "qemu", QVN,
          _lines(v3_1=1451, v7_2=2760, v10_2=2849), "virtio-net", Phase.DEVICE, 60,
          "Do not transmit here: mark tx_waiting, turn guest notifications off and schedule "
          "the TX bottom half, so one run can drain many buffers.",
          ("virtio_queue_set_notification", "qemu_bh_schedule")),
    _step("virtio_queue_set_notification", "virtio_queue_set_notification", "qemu", QV,
          _lines(v3_1=328, v7_2=973, v10_2=590), "virtio-net", Phase.DEVICE, 30,
          "Tell the guest whether kicks are wanted: with EVENT_IDX by writing avail_event (only "
          "while notifications are on), without it by the VRING_USED_F_NO_NOTIFY flag."),
    _step("qemu_bh_schedule", "qemu_bh_schedule", "qemu", "util/async.c",
          _lines(v3_1=None, v7_2=None, v10_2=None), "virtio-net", Phase.DEVICE, 40,
          "Queue the bottom half; the main loop runs it on its next iteration."),
    _step("virtio_net_tx_bh", "virtio_net_tx_bh", "qemu", QVN,
          _lines(v3_1=1496, v7_2=2836, v10_2=2925), "virtio-net", Phase.DEVICE, 150,
          "The TX bottom half: flush the queue; then turn notifications back on and look once "
          "more, so a buffer added meanwhile is not missed.", ("virtio_net_flush_tx",)),
    _step("virtio_net_flush_tx", "virtio_net_flush_tx", "qemu", QVN,
          _lines(v3_1=1325, v7_2=2628, v10_2=2716), "virtio-net", Phase.DEVICE, 60,
          "Loop: pop an element, send its bytes to the peer, push it back as used and maybe "
          "interrupt the guest.", ("virtqueue_pop", "qemu_sendv_packet_async", "virtqueue_push")),
    _step("virtqueue_pop", "virtqueue_pop", "qemu", QV, _lines(v3_1=850, v7_2=2230, v10_2=2007),
          "virtio-net", Phase.DEVICE, 180,
          "Read avail->ring at last_avail_idx, walk the descriptor chain and map the guest "
          "buffers into QEMU's address space."),
    # -- QEMU: net layer and tap -----------------------------------------------------------
    _step("qemu_sendv_packet_async", "qemu_sendv_packet_async", "qemu", "net/net.c",
          _lines(v3_1=744, v7_2=839, v10_2=883), "net-queue", Phase.BACKEND, 60,
          "Run the packet through any netdev filters, then hand it to the peer's queue: the "
          "peer of this NIC is the tap backend.", ("qemu_net_queue_send_iov",)),
    _step("qemu_net_queue_send_iov", "qemu_net_queue_send_iov", "qemu", "net/queue.c",
          _lines(v3_1=210, v7_2=232, v10_2=221), "net-queue", Phase.BACKEND, 40,
          "Deliver now if the peer can take it, otherwise append to the queue and return 0 so "
          "virtio-net waits.", ("qemu_deliver_packet_iov",)),
    _step("qemu_deliver_packet_iov", "qemu_deliver_packet_iov", "qemu", "net/net.c",
          _lines(v3_1=713, v7_2=795, v10_2=828), "net-queue", Phase.BACKEND, 40,
          "Call the receiving client's receive_iov: tap_receive_iov.", ("tap_receive_iov",)),
    _step("tap_receive_iov", "tap_receive_iov", "qemu", "net/tap.c",
          _lines(v3_1=116, v7_2=117, v10_2=137), "tap", Phase.BACKEND, 40,
          "The tap was opened with IFF_VNET_HDR, so the guest's virtio_net_hdr goes through "
          "unchanged in front of the frame.", ("tap_write_packet",)),
    _step("tap_write_packet", "tap_write_packet", "qemu", "net/tap.c",
          _lines(v3_1=100, v7_2=101, v10_2=123), "tap", Phase.BACKEND, 80,
          "writev() the header and frame to the tap file descriptor: a system call into the "
          "host kernel.", ("tun_chr_write_iter",)),
    # -- host kernel -----------------------------------------------------------------------
    _step("tun_chr_write_iter", "tun_chr_write_iter", "linux", TUN,
          _lines(v4_19=1979, v6_1=2030, v7_2=1998), "tun", Phase.HOST, 500,
          "The tun character device's write handler: the bytes QEMU wrote become a packet "
          "arriving on the tap interface.", ("tun_get_user",)),
    _step("tun_get_user", "tun_get_user", "linux", TUN, _lines(v4_19=1706, v6_1=1742, v7_2=1700),
          "tun", Phase.HOST, 700,
          "Read the virtio_net_hdr, copy the frame into a new skb and apply the header's "
          "checksum and GSO hints to it.", ("tun_rx_batched",)),
    _step("tun_rx_batched", "tun_rx_batched", "linux", TUN,
          _lines(v4_19=1524, v6_1=1537, v7_2=1481), "tun", Phase.HOST, 60,
          "Hand the skb to the host stack with bottom halves disabled.", ("netif_receive_skb",),
          lesson="The lesson shows netif_rx_ni(); that branch is only built with "
                 "CONFIG_4KSTACKS (32-bit). On x86-64 tun_get_user goes through "
                 "tun_rx_batched() to netif_receive_skb()."),
    _step("netif_receive_skb", "netif_receive_skb", "linux", DEV,
          _lines(v4_19=None, v6_1=None, v7_2=None), "host-stack", Phase.HOST, 1200,
          "The host stack receives the frame as if it came in on the tap interface: a bridge "
          "or routing takes it from here."),
    # -- completion -----------------------------------------------------------------------
    _step("virtqueue_push", "virtqueue_push", "qemu", QV, _lines(v3_1=526, v7_2=1461, v10_2=1199),
          "virtio-net", Phase.COMPLETE, 80,
          "virtqueue_fill writes {id, len} into used->ring, virtqueue_flush then publishes the "
          "new used->idx."),
    _step("virtio_notify", "virtio_notify", "qemu", QV, _lines(v3_1=1692, v7_2=3127, v10_2=2707),
          "virtio-net", Phase.COMPLETE, 40,
          "Ask virtio_should_notify whether the guest wants an interrupt: with EVENT_IDX, only "
          "if used_event lies among the entries used since the last interrupt.",
          ("msix_notify",)),
    _step("msix_notify", "msix_notify", "qemu", "hw/pci/msix.c",
          _lines(v3_1=None, v7_2=None, v10_2=None), "virtio-net", Phase.INTERRUPT, 1500,
          "Send the MSI-X message for the TX queue's vector; KVM injects the interrupt into the "
          "vCPU.", ("vring_interrupt",)),
    _step("vring_interrupt", "vring_interrupt", "linux", VR,
          _lines(v4_19=936, v6_1=2455, v7_2=3302), "virtio_net", Phase.INTERRUPT, 250,
          "The guest's interrupt handler for the queue: if there are used buffers, run the "
          "queue's callback.", ("skb_xmit_done",)),
    _step("skb_xmit_done", "skb_xmit_done", "linux", VN, _lines(v4_19=349, v6_1=411, v7_2=766),
          "virtio_net", Phase.INTERRUPT, 50,
          "The TX callback: turn further TX interrupts off and let NAPI reclaim the buffers "
          "(without NAPI TX, just wake the queue).", ("virtnet_poll_tx",),
          lesson="In the lesson's kernels napi_tx is off, so completions are reaped only on the "
                 "next start_xmit; since Linux 6.1's default, NAPI TX does it right away."),
    _step("virtnet_poll_tx", "virtnet_poll_tx", "linux", VN,
          _lines(v4_19=1489, v6_1=1793, v7_2=3223), "virtio_net", Phase.COMPLETE, 200,
          "The TX NAPI poll: free completed skbs, re-enable interrupts and wake the queue if "
          "it was stopped for lack of room.", ("free_old_xmit_skbs",)),
]

CATALOG: Mapping[str, Step] = {step.key: step for step in _STEPS}


def site_of(step: Step, chosen: Era) -> tuple[str, str | None, int | None, str] | None:
    """(function, file, line, version) of ``step`` in the era's version of its project.

    None when the function does not exist in that version, so the era skips the step.
    """
    if step.project == "app":
        return step.function, step.file, None, ""
    version = chosen.linux if step.project == "linux" else chosen.qemu
    site = step.sites.get(version)
    if site is None:
        return None
    return site.function or step.function, site.file or step.file, site.line, version
