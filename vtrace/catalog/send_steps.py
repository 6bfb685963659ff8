"""Catalog data: the functions a frame passes through from ``sendto`` to the host, and back.

Line numbers are definition lines in the trees listed in ``docs/sources.md``;
``None`` means the function exists there but its line was not read. What
runs before and after a step is not written here: ``vtrace.scenarios.paths``
reads it off the replays, so it cannot disagree with them.
"""

from __future__ import annotations

from vtrace.catalog.base import Site, Step, at, step
from vtrace.model import Phase

__all__ = ["DEV", "QV", "QVN", "QVP", "STEPS", "TUN", "VN", "VPC", "VPM", "VR"]

VN = "drivers/net/virtio_net.c"
VR = "drivers/virtio/virtio_ring.c"
VPC = "drivers/virtio/virtio_pci_common.c"
VPM = "drivers/virtio/virtio_pci_modern.c"
QV = "hw/virtio/virtio.c"
QVN = "hw/net/virtio-net.c"
QVP = "hw/virtio/virtio-pci.c"
TUN = "drivers/net/tun.c"
DEV = "net/core/dev.c"
KVM_ALL = "accel/kvm/kvm-all.c"

STEPS: tuple[Step, ...] = (
    # -- guest user space and stack ----------------------------------------------------------
    step("sendto", "app", None, {}, "app", Phase.APP, 400,
         "The application hands its data to the kernel with the sendto() system call: one "
         "UDP datagram, or (--proto tcp) bytes for its connected TCP socket's stream."),
    step("__sys_sendto", "linux", "net/socket.c", at(v4_19=1756, v6_1=2120, v7_2=2217),
         "stack", Phase.APP, 250,
         "The kernel side of sendto(): find the socket behind the file descriptor, wrap the "
         "user's buffer in a message and pass it to the protocol's sendmsg."),
    step("udp_sendmsg", "linux", "net/ipv4/udp.c", at(v4_19=919, v6_1=1067, v7_2=1233),
         "stack", Phase.APP, 700,
         "UDP routes the destination, builds an skb with the payload behind UDP and IP headers "
         "and sends it down through IP toward the network device."),
    step("tcp_sendmsg", "linux", "net/ipv4/tcp.c", at(v4_19=1447, v6_1=1489, v7_2=1446),
         "stack", Phase.APP, 2000,
         "TCP copies the user's bytes into page fragments of one skb of up to 64 KiB and "
         "leaves its checksum partial: with TSO the device (here the host) cuts it into "
         "segments of one MSS each; without, the guest's validate_xmit_skb does."),
    step("__dev_queue_xmit", "linux", DEV, at(v4_19=3768, v6_1=4277, v7_2=4813), "stack",
         Phase.XMIT, 250,
         "Pick a transmit queue of the virtio NIC and pass the skb through its queueing "
         "discipline; when the queue is free, the skb goes on to the driver."),
    step("validate_xmit_skb", "linux", DEV, at(v4_19=3312, v6_1=3766, v7_2=4066), "stack",
         Phase.XMIT, 3000,
         "The device lacks what this skb needs. Without TSO, skb_gso_segment and "
         "tcp_gso_segment cut the GSO skb here, in the guest, into one skb per MSS, each "
         "handed to the driver alone; without checksum offload the checksums are computed "
         "here too and the segments are linear (no scatter-gather).",
         notes={"7.2": "Linux 7.2 first drops unreadable (device-memory) skbs with "
                       "validate_xmit_unreadable_skb; the segmenting is the same."}),
    step("dev_hard_start_xmit", "linux", DEV, at(v4_19=3264, v6_1=3701, v7_2=3937), "stack",
         Phase.XMIT, 200,
         "Hand the skb to the driver's ndo_start_xmit, saying whether more packets are right "
         "behind it (the xmit_more hint).",
         notes={"4.19": "Linux 4.19 carries the hint in the skb itself: skb->xmit_more.",
                "6.1": "By Linux 5.2 the hint had left the skb; drivers read it with "
                       "netdev_xmit_more().",
                "7.2": "Drivers read the hint with netdev_xmit_more(), backed in 7.2 by "
                       "per-CPU or per-task state."}),
    # -- guest driver ------------------------------------------------------------------------
    step("start_xmit", "linux", VN, at(v4_19=1562, v6_1=1886, v7_2=3336), "virtio_net",
         Phase.XMIT, 120,
         "virtio_net's transmit function: take back buffers the device has finished with, put "
         "this skb on the TX virtqueue, then decide whether the device must be notified.",
         notes={"4.19": "Linux 4.19: kick = !skb->xmit_more. NAPI TX is off, so used buffers "
                        "are reclaimed here, on the next transmit.",
                "6.1": "Linux 6.1: kick = !netdev_xmit_more(). With NAPI TX (the default) it "
                       "turns TX interrupts off while it reclaims, and back on before a kick.",
                "7.2": "Linux 7.2: with NAPI TX it reclaims nothing here and only turns TX "
                       "interrupts off; byte queue limits (__netdev_tx_sent_queue) decide the "
                       "kick, and interrupts are re-armed after it."}),
    step("virtqueue_disable_cb", "linux", VR, at(v4_19=770, v6_1=2324, v7_2=3177), "virtio_net",
         Phase.XMIT, 30,
         "Ask the device not to interrupt for this queue: set VRING_AVAIL_F_NO_INTERRUPT, or "
         "with EVENT_IDX move used_event out of the way.",
         notes={"4.19": "With EVENT_IDX, Linux 4.19 only sets the flag in the driver's shadow "
                        "copy and writes nothing to the ring.",
                "6.1": "Linux 6.1 (virtqueue_disable_cb_split) writes used_event = 0 when "
                       "EVENT_IDX is on, unless an interrupt has already fired.",
                "7.2": "Linux 7.2 (virtqueue_disable_cb_split) writes used_event = 0 when "
                       "EVENT_IDX is on, unless an interrupt has already fired."}),
    step("free_old_xmit_skbs", "linux", VN,
         {"4.19": Site(1363), "6.1": Site(1625), "7.2": Site(953, function="free_old_xmit")},
         "virtio_net", Phase.COMPLETE, 80,
         "Take back every buffer the device has returned on the used ring since last time and "
         "free its skb; its descriptors go back on the free list.",
         notes={"7.2": "Linux 7.2 names it free_old_xmit; through __free_old_xmit it also "
                       "reports the completed bytes to byte queue limits "
                       "(netdev_tx_completed_queue)."}),
    step("virtqueue_get_buf", "linux", VR, at(v4_19=756, v6_1=2310, v7_2=3163), "virtio_net",
         Phase.COMPLETE, 60,
         "Read one used element (head id and length) at last_used_idx, put its descriptor "
         "chain back on the free list and, if interrupts are wanted, publish used_event = "
         "last_used_idx.",
         notes={"4.19": "In Linux 4.19 virtqueue_get_buf_ctx holds the whole implementation.",
                "6.1": "Linux 6.1 goes through virtqueue_get_buf_ctx to "
                       "virtqueue_get_buf_ctx_split (line 787), which does the work.",
                "7.2": "Linux 7.2 goes through virtqueue_get_buf_ctx to "
                       "virtqueue_get_buf_ctx_split (line 964) or its in-order variant."}),
    step("virtqueue_enable_cb_delayed", "linux", VR, at(v4_19=867, v6_1=2413, v7_2=3262),
         "virtio_net", Phase.XMIT, 40,
         "Ask for one interrupt after three quarters of the buffers in flight are used: "
         "used_event = last_used_idx + 3/4 of them. It returns false if that many are already "
         "used.",
         notes={"6.1": "Linux 6.1 does the work in virtqueue_enable_cb_delayed_split (line 902).",
                "7.2": "Linux 7.2 does the work in virtqueue_enable_cb_delayed_split "
                       "(line 1133)."}),
    step("xmit_skb", "linux", VN, at(v4_19=1515, v6_1=1839, v7_2=3278), "virtio_net",
         Phase.XMIT, 150,
         "Put the virtio_net_hdr (checksum and segmentation hints; vi->hdr_len bytes: 12 with "
         "VERSION_1 or MRG_RXBUF, 20 with HASH_REPORT, 10 on a legacy device without "
         "either) in front of the frame and describe both as a scatter-gather list.",
         notes={"7.2": "Linux 7.2 fills the header with virtio_net_hdr_tnl_from_skb, which "
                       "knows UDP tunnel offloads, and adds the buffer through "
                       "virtnet_add_outbuf."}),
    step("virtio_net_hdr_from_skb", "linux", "include/linux/virtio_net.h",
         at(v4_19=95, v6_1=188, v7_2=247), "virtio_net", Phase.XMIT, 30,
         "Fill the header from the GSO skb: NEEDS_CSUM with csum_start and csum_offset (where "
         "the TCP checksum starts and lies), gso_type TCPV4 or TCPV6, gso_size (the MSS) and "
         "hdr_len (the headers' length)."),
    step("virtnet_add_outbuf", "linux", VN, at(v7_2=561), "virtio_net", Phase.XMIT, 30,
         "Tag the token with the buffer's type (an skb here), so that completion knows how to "
         "free it, then add the buffer."),
    step("virtqueue_add_outbuf", "linux", VR, at(v4_19=484, v6_1=2164, v7_2=2926), "virtio_net",
         Phase.XMIT, 40,
         "Add a buffer the device may only read (an 'out' buffer), given as one scatter-gather "
         "list."),
    step("virtqueue_add", "linux", VR, at(v4_19=259, v6_1=2099, v7_2=2856), "virtio_net",
         Phase.XMIT, 40,
         "Add a chain of buffers through the code for the queue's ring layout; vtrace's queue "
         "is a split ring.",
         notes={"4.19": "Linux 4.19 has one implementation: virtqueue_add itself fills the "
                        "descriptors, avail->ring and avail->idx.",
                "6.1": "Linux 6.1 picks virtqueue_add_split or virtqueue_add_packed; the split "
                       "came in Linux 5.0.",
                "7.2": "Linux 7.2 dispatches with VIRTQUEUE_CALL through per-layout operation "
                       "tables (split, packed, and an in-order variant of each)."}),
    step("virtqueue_add_split", "linux", VR, at(v6_1=517, v7_2=648), "virtio_net", Phase.XMIT,
         90,
         "Fill a descriptor from the free list, put its index in avail->ring, then after a "
         "write barrier bump avail->idx so that the device can see it."),
    step("virtqueue_kick_prepare", "linux", VR, at(v4_19=550, v6_1=2230, v7_2=3085),
         "virtio_net", Phase.KICK, 30,
         "Decide whether the device needs a notification: with EVENT_IDX, only if the "
         "device's avail_event lies among the entries added since the last kick; without it, "
         "unless the device set VRING_USED_F_NO_NOTIFY.",
         lesson="The lesson's start_xmit calls virtqueue_kick(). Since Linux 4.19 start_xmit "
                "calls its two halves, virtqueue_kick_prepare() and virtqueue_notify(), "
                "itself, so that it can count kicks.",
         notes={"6.1": "Linux 6.1 does the test in virtqueue_kick_prepare_split (line 700).",
                "7.2": "Linux 7.2 reaches virtqueue_kick_prepare_split (line 843) through "
                       "VIRTQUEUE_CALL."}),
    step("virtqueue_kick", "linux", VR, at(v4_19=620, v6_1=2275, v7_2=3129), "virtio_net",
         Phase.KICK, 50,
         "virtqueue_kick_prepare and virtqueue_notify in one call. Other drivers use it; "
         "virtio_net's start_xmit does not.",
         lesson="This is the call the lesson shows at the end of start_xmit; the replay shows "
                "the two calls start_xmit really makes."),
    step("virtqueue_notify", "linux", VR, at(v4_19=592, v6_1=2247, v7_2=3101), "virtio_net",
         Phase.KICK, 20,
         "Call the transport's notify hook for this queue; if the hook fails, mark the queue "
         "broken."),
    step("vp_notify", "linux", VPC, at(v4_19=44, v6_1=41, v7_2=51), "virtio_net", Phase.KICK, 40,
         "Write the queue's index to its notify address in the device's PCI BAR. That one store "
         "is the kick, and the guest cannot complete it on its own.",
         notes={"7.2": "When VIRTIO_F_NOTIFICATION_DATA is negotiated, Linux 7.2 uses "
                       "vp_notify_with_data instead: a 32-bit write that also carries the ring "
                       "position."}),
    # -- KVM ---------------------------------------------------------------------------------
    step("handle_ept_misconfig", "linux", "arch/x86/kvm/vmx/vmx.c",
         {"4.19": Site(7720, file="arch/x86/kvm/vmx.c"), "6.1": Site(5737), "7.2": Site(5983)},
         "kvm", Phase.EXIT, 900,
         "VM exit: the store hit a guest page that EPT marks as MMIO, so the CPU leaves the "
         "guest and KVM handles the exit on the same physical CPU.",
         notes={"4.19": "In Linux 4.19 all of VMX is one file, arch/x86/kvm/vmx.c; it later "
                        "moved to arch/x86/kvm/vmx/vmx.c."}),
    step("kvm_io_bus_write", "linux", "virt/kvm/kvm_main.c", at(v4_19=3554, v6_1=5284, v7_2=5881),
         "kvm", Phase.EXIT, 80,
         "Look the address up on KVM's fast MMIO bus, where QEMU registers an ioeventfd for "
         "each queue's notify address; a match is handled inside the kernel."),
    step("ioeventfd_write", "linux", "virt/kvm/eventfd.c", at(v4_19=740, v6_1=752, v7_2=805),
         "kvm", Phase.EXIT, 120,
         "Signal the eventfd and go straight back into the guest: the vCPU thread never "
         "returns to QEMU. QEMU's main loop wakes up on the eventfd instead.",
         lesson="The lesson draws the kick as a VM exit that returns to QEMU's vCPU thread. "
                "With ioeventfd, on by default for virtio-net-pci, KVM handles the kick itself "
                "and the vCPU goes straight back to the guest; --no-ioeventfd replays the "
                "lesson's path.",
         notes={"7.2": "In Linux 7.2 eventfd_signal() no longer takes a count argument."}),
    step("vcpu_mmio_write", "linux", "arch/x86/kvm/x86.c", at(v4_19=4873, v6_1=7156, v7_2=7316),
         "kvm", Phase.EXIT, 300,
         "Nothing in the kernel claims the address, so KVM fills kvm_run with KVM_EXIT_MMIO and "
         "returns from the KVM_RUN ioctl to QEMU's vCPU thread."),
    # -- QEMU: the notification --------------------------------------------------------------
    step("kvm_cpu_exec", "qemu", KVM_ALL, at(v3_1=1942, v7_2=2869, v10_2=3154), "virtio-net",
         Phase.DEVICE, 600,
         "QEMU's vCPU thread comes back from KVM_RUN, sees KVM_EXIT_MMIO and dispatches the "
         "write through address_space_rw to the memory region that owns the address.",
         notes={"3.1": "In QEMU 3.1 the vCPU thread runs qemu_kvm_cpu_thread_fn in cpus.c, and "
                       "the memory dispatch code is in memory.c.",
                "7.2": "In QEMU 7.2 the vCPU thread runs kvm_vcpu_thread_fn in "
                       "accel/kvm/kvm-accel-ops.c; memory dispatch is in softmmu/memory.c.",
                "10.2": "In QEMU 10.2 the vCPU thread runs kvm_vcpu_thread_fn; memory "
                        "dispatch moved to system/memory.c."}),
    step("virtio_pci_notify_write", "qemu", QVP, at(v3_1=1355, v7_2=1467, v10_2=1782),
         "virtio-net", Phase.DEVICE, 60,
         "The notify region's write handler: turn the offset of the write into a queue number "
         "and notify that queue."),
    step("virtio_queue_notify", "qemu", QV, at(v3_1=1545, v7_2=2919, v10_2=2492), "virtio-net",
         Phase.DEVICE, 40,
         "Notify one queue: if its ioeventfd handling is on, signal the host notifier; "
         "otherwise call the queue's output handler directly, as here.",
         notes={"3.1": "QEMU 3.1 chooses by testing vq->handle_aio_output.",
                "7.2": "QEMU 7.2 chooses by testing vq->host_notifier_enabled.",
                "10.2": "QEMU 10.2 chooses by testing vq->host_notifier_enabled."}),
    step("virtio_queue_host_notifier_read", "qemu", QV, at(v3_1=2467, v7_2=4203, v10_2=3955),
         "virtio-net", Phase.DEVICE, 400,
         "QEMU's main loop wakes on the queue's eventfd, clears it and runs the queue's "
         "handler."),
    step("virtio_queue_notify_vq", "qemu", QV, at(v3_1=1531, v7_2=2901, v10_2=2474),
         "virtio-net", Phase.DEVICE, 40,
         "Call the output handler registered for this queue; for a TX queue that is "
         "virtio_net_handle_tx_bh."),
    step("virtio_net_handle_tx_bh", "qemu", QVN, at(v3_1=1451, v7_2=2760, v10_2=2849),
         "virtio-net", Phase.DEVICE, 60,
         "Do not transmit yet: set tx_waiting, turn off guest notifications for the queue and "
         "schedule the TX bottom half, so that one pass can drain many buffers.",
         notes={"10.2": "QEMU 10.2 schedules through replay_bh_schedule_event, and drops the "
                        "data if vhost has taken over the queue."}),
    step("virtio_queue_set_notification", "qemu", QV, at(v3_1=328, v7_2=973, v10_2=590),
         "virtio-net", Phase.DEVICE, 30,
         "Tell the guest whether kicks are wanted: with EVENT_IDX by writing avail_event (only "
         "while notifications are on), without it by setting or clearing "
         "VRING_USED_F_NO_NOTIFY.",
         notes={"10.2": "QEMU 10.2 splits the work into virtio_queue_split_set_notification and "
                        "virtio_queue_packed_set_notification."}),
    step("replay_bh_schedule_event", "qemu", "replay/replay-events.c", at(v10_2=125),
         "virtio-net", Phase.DEVICE, 20,
         "Record/replay's way to schedule a bottom half; with record/replay off, as here, it "
         "simply calls qemu_bh_schedule."),
    step("qemu_bh_schedule", "qemu", "util/async.c", at(v3_1=155, v7_2=225, v10_2=234),
         "virtio-net", Phase.DEVICE, 40,
         "Mark the bottom half as scheduled and wake the event loop; the main loop runs it on "
         "its next pass."),
    step("virtio_net_tx_bh", "qemu", QVN, at(v3_1=1496, v7_2=2836, v10_2=2925), "virtio-net",
         Phase.DEVICE, 150,
         "The TX bottom half: flush the queue. After a whole burst it schedules itself again; "
         "otherwise it turns notifications back on and flushes once more, so that a buffer "
         "added meanwhile is not missed."),
    step("virtio_net_flush_tx", "qemu", QVN, at(v3_1=1325, v7_2=2628, v10_2=2716), "virtio-net",
         Phase.DEVICE, 60,
         "Loop: pop an element, send its bytes to the peer, return it on the used ring and "
         "maybe interrupt the guest."),
    step("virtqueue_pop", "qemu", QV, at(v3_1=850, v7_2=2230, v10_2=2007), "virtio-net",
         Phase.DEVICE, 120,
         "Take the next available element: read avail->ring at last_avail_idx, walk its "
         "descriptor chain and map the guest buffers into QEMU's address space.",
         notes={"3.1": "QEMU 3.1 has one implementation, for the split ring, in "
                       "virtqueue_pop itself.",
                "7.2": "QEMU 7.2 dispatches to virtqueue_split_pop or virtqueue_packed_pop.",
                "10.2": "QEMU 10.2 dispatches to virtqueue_split_pop or "
                        "virtqueue_packed_pop."}),
    step("virtqueue_split_pop", "qemu", QV, at(v7_2=1958, v10_2=1710), "virtio-net",
         Phase.DEVICE, 60,
         "The split-ring body of virtqueue_pop: read the head from avail->ring, advance "
         "last_avail_idx, publish avail_event while notifications are on, and map the chain."),
    # -- QEMU: net layer and tap -------------------------------------------------------------
    step("qemu_sendv_packet_async", "qemu", "net/net.c", at(v3_1=744, v7_2=839, v10_2=883),
         "net-queue", Phase.BACKEND, 60,
         "Pass the packet through any netdev filters, then to the peer's incoming queue; the "
         "peer of this NIC is the tap back end."),
    step("qemu_net_queue_send_iov", "qemu", "net/queue.c", at(v3_1=210, v7_2=232, v10_2=221),
         "net-queue", Phase.BACKEND, 40,
         "Deliver the packet now if the queue is idle and the peer can take it; otherwise "
         "append it and return 0, which makes virtio-net wait. After a delivery it flushes "
         "packets queued earlier."),
    step("qemu_deliver_packet_iov", "qemu", "net/net.c", at(v3_1=713, v7_2=795, v10_2=828),
         "net-queue", Phase.BACKEND, 40,
         "Hand the packet to the receiving client: its receive_iov if it has one, else "
         "nc_sendv_compat, which calls its receive.",
         notes={"10.2": "QEMU 10.2 adds a reentrancy guard here."}),
    step("tap_receive_iov", "qemu", "net/tap.c", at(v3_1=116, v7_2=117, v10_2=137), "tap",
         Phase.BACKEND, 40,
         "The tap was opened with IFF_VNET_HDR, so the guest's virtio_net_hdr goes through "
         "unchanged in front of the frame."),
    step("tap_write_packet", "qemu", "net/tap.c", at(v3_1=100, v7_2=101, v10_2=123), "tap",
         Phase.BACKEND, 80,
         "writev() the header and the frame to the tap's file descriptor: a system call into "
         "the host kernel. If the tap is full, it waits until it is writable and returns 0.",
         notes={"10.2": "QEMU 10.2 wraps the writev() in RETRY_ON_EINTR."}),
    # -- host kernel -------------------------------------------------------------------------
    step("tun_chr_write_iter", "linux", TUN, at(v4_19=1979, v6_1=2030, v7_2=1998), "tun",
         Phase.HOST, 500,
         "The tun character device's write handler: the bytes QEMU wrote become a packet "
         "arriving on the tap interface."),
    step("tun_get_user", "linux", TUN, at(v4_19=1706, v6_1=1742, v7_2=1700), "tun", Phase.HOST,
         700,
         "Read the virtio_net_hdr, copy the frame into a new skb and apply the header's "
         "checksum and segmentation hints to it.",
         notes={"7.2": "Linux 7.2 applies the header through tun_vnet_hdr_tnl_to_skb in "
                       "drivers/net/tun_vnet.h, which also knows UDP tunnel offloads."}),
    step("tun_rx_batched", "linux", TUN, at(v4_19=1524, v6_1=1537, v7_2=1481), "tun", Phase.HOST,
         60,
         "Hand the skb to the host's network stack with bottom halves disabled, in batches "
         "when rx_batched is set and more packets follow.",
         lesson="The lesson shows netif_rx_ni() here. That branch is built only with "
                "CONFIG_4KSTACKS (32-bit); on x86-64, tun_get_user goes through "
                "tun_rx_batched() to netif_receive_skb()."),
    step("netif_rx_ni", "linux", DEV, at(v4_19=4523), "host-stack", Phase.HOST, 400,
         "Queue the skb on this CPU's backlog and run pending softirqs. tun uses it only on "
         "kernels built with 4 KiB stacks.",
         lesson="The lesson's tun_get_user ends in netif_rx_ni(); an x86-64 host takes "
                "tun_rx_batched() instead. netif_rx_ni() is gone by Linux 6.1, which has only "
                "netif_rx()."),
    step("netif_receive_skb", "linux", DEV, at(v4_19=5202, v6_1=5872, v7_2=6510), "host-stack",
         Phase.HOST, 1200,
         "The host stack receives the frame as if it had come in on the tap interface; a "
         "bridge or the routing code takes it from here."),
    step("virtio_net_hdr_to_skb", "linux", "include/linux/virtio_net.h",
         at(v4_19=26, v6_1=46, v7_2=207), "tun", Phase.HOST, 60,
         "Check the guest's header and copy it into the skb: the partial checksum's start and "
         "offset, and the gso fields (marked SKB_GSO_DODGY: a guest wrote them)."),
    step("skb_gso_segment", "linux", "include/linux/netdevice.h",
         {**at(v4_19=4263, v6_1=4836), "7.2": Site(80, "include/net/gso.h")}, "host-stack",
         Phase.HOST, 400,
         "The superframe leaves through a device that cannot segment TCP: the host's GSO "
         "cuts it now. A packet delivered to a local socket is never cut."),
    step("tcp_gso_segment", "linux", "net/ipv4/tcp_offload.c", at(v4_19=57, v6_1=132, v7_2=133),
         "host-stack", Phase.HOST, 3000,
         "Make one wire frame per MSS of payload: the headers copied, sequence numbers "
         "advanced, PSH and FIN only on the last, and each segment's checksum completed."),
    # -- completion --------------------------------------------------------------------------
    step("virtqueue_push", "qemu", QV, at(v3_1=526, v7_2=1461, v10_2=1199), "virtio-net",
         Phase.COMPLETE, 80,
         "Return the element: virtqueue_fill writes {id, len} into used->ring, then "
         "virtqueue_flush publishes the new used->idx.",
         notes={"7.2": "QEMU 7.2 dispatches fill and flush to virtqueue_split_fill and "
                       "virtqueue_split_flush.",
                "10.2": "QEMU 10.2 dispatches fill and flush to virtqueue_split_fill and "
                        "virtqueue_split_flush."}),
    step("virtio_notify", "qemu", QV, at(v3_1=1692, v7_2=3127, v10_2=2707), "virtio-net",
         Phase.COMPLETE, 40,
         "Ask virtio_should_notify whether the guest wants an interrupt: with EVENT_IDX, only "
         "if used_event lies among the entries used since the last interrupt.",
         notes={"10.2": "When the device runs in an IOThread, QEMU 10.2 raises the interrupt "
                        "through an irqfd instead."}),
    step("msix_notify", "qemu", "hw/pci/msix.c", at(v3_1=479, v7_2=516, v10_2=540),
         "virtio-net", Phase.INTERRUPT, 200,
         "Look up the MSI-X table entry of the queue's vector (address and data) and send "
         "that message, unless the vector is masked."),
    # -- the way back: QEMU's MSI write reaches KVM, which injects the interrupt -------------
    step("msi_send_message", "qemu", "hw/pci/msi.c", at(v3_1=335, v7_2=376, v10_2=378),
         "virtio-net", Phase.INTERRUPT, 100,
         "The MSI write: store the message's data at its address (0xfee..., the local APIC's "
         "window) in the device's bus-master address space, as a real PCI device would.",
         notes={"3.1": "QEMU 3.1 does the store here itself (address_space_stl_le).",
                "7.2": "QEMU 7.2 calls the device's msi_trigger hook, pci_msi_trigger in "
                       "hw/pci/pci.c, which does the store.",
                "10.2": "QEMU 10.2 calls the device's msi_trigger hook, pci_msi_trigger in "
                        "hw/pci/pci.c, which does the store."}),
    step("kvm_apic_mem_write", "qemu", "hw/i386/kvm/apic.c", at(v3_1=198, v7_2=205, v10_2=210),
         "virtio-net", Phase.INTERRUPT, 60,
         "With KVM's in-kernel APIC the MSI window is QEMU's kvm-apic-msi region; its write "
         "handler turns the store back into a message and passes it on (kvm_send_msi)."),
    step("kvm_irqchip_send_msi", "qemu", KVM_ALL, at(v3_1=1166, v7_2=1933, v10_2=2189),
         "virtio-net", Phase.INTERRUPT, 700,
         "Hand the message to KVM with the KVM_SIGNAL_MSI ioctl on the VM's file descriptor: a "
         "system call from QEMU into the host kernel."),
    step("kvm_send_userspace_msi", "linux", "virt/kvm/irqchip.c",
         at(v4_19=61, v6_1=49, v7_2=48), "kvm", Phase.INTERRUPT, 150,
         "KVM_SIGNAL_MSI in the kernel: check that the interrupt controller is in the kernel, "
         "turn the message into a routing entry and deliver it with kvm_set_msi."),
    step("kvm_set_msi", "linux", "arch/x86/kvm/irq_comm.c",
         {"4.19": Site(144), "6.1": Site(130), "7.2": Site(225, file="arch/x86/kvm/irq.c")},
         "kvm", Phase.INTERRUPT, 100,
         "Decode the MSI address and data into a local-APIC interrupt (destination, vector, "
         "delivery mode) and deliver it to the APIC of the vCPU it names.",
         notes={"7.2": "In Linux 7.2 it moved from irq_comm.c to arch/x86/kvm/irq.c."}),
    step("__apic_accept_irq", "linux", "arch/x86/kvm/lapic.c",
         at(v4_19=1031, v6_1=1140, v7_2=1400), "kvm", Phase.INTERRUPT, 190,
         "The vCPU's local APIC accepts the vector: post it, or set it in the IRR and request "
         "an event, then kick the vCPU. The guest takes the interrupt when the vCPU next "
         "enters it, or at once if it was halted and is woken.",
         notes={"4.19": "Linux 4.19 tries kvm_x86_ops->deliver_posted_interrupt first and "
                        "falls back to the IRR, KVM_REQ_EVENT and kvm_vcpu_kick.",
                "6.1": "Linux 6.1 delivers through the deliver_interrupt static call (posted "
                       "interrupts on VMX when available), then kicks the vCPU.",
                "7.2": "Linux 7.2 delivers through kvm_x86_call(deliver_interrupt), then kicks "
                       "the vCPU."}),
    step("vring_interrupt", "linux", VR, at(v4_19=936, v6_1=2455, v7_2=3302), "virtio_net",
         Phase.INTERRUPT, 250,
         "The guest's interrupt handler for the queue: if the used ring holds new entries, run "
         "the queue's callback."),
    step("skb_xmit_done", "linux", VN, at(v4_19=349, v6_1=411, v7_2=766), "virtio_net",
         Phase.INTERRUPT, 50,
         "The TX queue's callback: turn further TX interrupts off, then let NAPI reclaim the "
         "buffers, or without NAPI TX just wake the queue.",
         notes={"4.19": "napi_tx is off by default in Linux 4.19: the interrupt only wakes the "
                        "queue, and buffers are reclaimed on the next start_xmit.",
                "6.1": "napi_tx is on by default in Linux 6.1 (it was off in 4.19 and 5.2): "
                       "the interrupt schedules NAPI, which reclaims the buffers at once.",
                "7.2": "napi_tx is on by default in Linux 7.2; without it the queue is woken "
                       "through virtnet_tx_wake_queue."}),
    step("virtqueue_napi_schedule", "linux", VN, at(v4_19=326, v6_1=388, v7_2=725),
         "virtio_net", Phase.INTERRUPT, 60,
         "Schedule the queue's NAPI poll, which runs soon after in softirq context."),
    step("virtnet_poll_tx", "linux", VN, at(v4_19=1489, v6_1=1793, v7_2=3223), "virtio_net",
         Phase.COMPLETE, 200,
         "The TX NAPI poll: reclaim completed buffers, wake the queue if it was stopped for "
         "lack of room, and turn interrupts back on.",
         notes={"4.19": "Linux 4.19 has it, but napi_tx is off by default, so it does not "
                        "run."}),
)
