"""Catalog data: vhost-net, the host kernel doing virtio-net's data path without QEMU.

Both directions run in one vhost worker per device: the guest's kick (an
ioeventfd) and the tap's "data ready" wake it, ``handle_tx`` moves TX
buffers to tun with ``sendmsg``, ``handle_rx`` moves packets from tun's ring
into RX buffers with ``recvmsg``, and a used buffer is signalled through the
call eventfd, a KVM irqfd, straight into the guest. The set-up steps show
QEMU handing the rings and the tap to the kernel; they have ``Phase.SETUP``.
Line numbers are definition lines in the trees listed in ``docs/sources.md``.
"""

from __future__ import annotations

from vtrace.catalog.base import Site, Step, at, step
from vtrace.catalog.send_steps import QVN, QVP, TUN
from vtrace.model import Phase

__all__ = ["STEPS"]

NET = "drivers/vhost/net.c"
VHOST = "drivers/vhost/vhost.c"
EVENTFD = "virt/kvm/eventfd.c"
IRQ = "arch/x86/kvm/irq_comm.c"
QVHN = "hw/net/vhost_net.c"
QVH = "hw/virtio/vhost.c"
QVB = "hw/virtio/vhost-backend.c"


STEPS: tuple[Step, ...] = (
    # -- waking the worker -------------------------------------------------------------------
    step("vhost_poll_wakeup", "linux", VHOST, at(v4_19=169, v6_1=164, v7_2=172), "vhost",
         Phase.DEVICE, 80,
         "Wait-queue callback on an eventfd or the tap's socket: the kick's ioeventfd (set "
         "with VHOST_SET_VRING_KICK) or tun's sk_data_ready lands here, in the signaller's "
         "context. It queues the poll's work for the worker.",
         lesson="The lesson's command line runs -netdev tap,vhost=on but follows QEMU's own "
                "virtio-net. With vhost=on, KVM's ioeventfd wakes this kernel worker "
                "instead, and QEMU does not see the packets at all."),
    step("vhost_poll_queue", "linux", VHOST, at(v4_19=280, v6_1=271, v7_2=333), "vhost",
         Phase.DEVICE, 30, "Queue the work item of a poll on the worker of its device."),
    step("vhost_work_queue", "linux", VHOST,
         {"4.19": Site(257), "6.1": Site(248), "7.2": Site(257, function="vhost_vq_work_queue")},
         "vhost", Phase.DEVICE, 60,
         "Add the work to the worker's lock-free list, unless it is queued already, and wake "
         "the worker.",
         notes={"7.2": "Linux 7.2 queues on the virtqueue's own worker (a device may have "
                       "several) with vhost_vq_work_queue."}),
    step("vhost_worker", "linux", VHOST,
         {"4.19": Site(333), "6.1": Site(336), "7.2": Site(449, function="vhost_run_work_list")},
         "vhost", Phase.DEVICE, 300,
         "The worker, named vhost-<QEMU pid>: take the queued works and run each, here "
         "handle_tx_kick, handle_rx_net or handle_rx_kick, then sleep until woken.",
         notes={"4.19": "Linux 4.19 runs vhost_worker in a kthread.",
                "6.1": "Linux 6.1 runs vhost_worker in a kthread.",
                "7.2": "Linux 7.2 runs vhost_run_work_list in a vhost_task forked from QEMU "
                       "by default; with fork_owner set to kthread, "
                       "vhost_run_work_kthread_list runs in a kthread instead."}),
    # -- TX ----------------------------------------------------------------------------------
    step("handle_tx_kick", "linux", NET, at(v4_19=1030, v6_1=1265, v7_2=1297), "vhost",
         Phase.DEVICE, 20, "The TX queue's kick work: run handle_tx for the device."),
    step("handle_tx", "linux", NET, at(v4_19=699, v6_1=972, v7_2=974), "vhost", Phase.DEVICE,
         60,
         "With the queue's mutex held, turn guest kicks off (vhost_disable_notify) and stop "
         "polling the socket for room, then send by copy, or by zero copy when the socket "
         "allows it and experimental_zcopytx is set (it is 0 by default)."),
    step("vhost_disable_notify", "linux", VHOST, at(v4_19=2468, v6_1=2595, v7_2=3324),
         "vhost", Phase.DEVICE, 30,
         "Stop guest kicks: write VRING_USED_F_NO_NOTIFY to the used ring; with EVENT_IDX "
         "only the flag in vhost's copy, and avail_event, left behind, stops the kicks."),
    step("handle_tx_copy", "linux", NET, at(v4_19=537, v6_1=773, v7_2=761), "vhost",
         Phase.DEVICE, 100,
         "Loop over available TX buffers until none is left or the round's weight is used: "
         "get the descriptors, give the packet to tun, note the head for the used ring.",
         notes={"4.19": "Linux 4.19 calls sendmsg once per packet (MSG_MORE while more "
                        "follow) and signals used buffers every 64 (VHOST_NET_BATCH).",
                "6.1": "Linux 6.1, when the tap's sndbuf is unlimited (QEMU's default), "
                       "builds an XDP buffer per packet and sends 64 at a time with "
                       "vhost_tx_batch; a packet too big for one page goes alone through "
                       "sendmsg.",
                "7.2": "Linux 7.2 batches like 6.1: vhost_net_build_xdp per packet, "
                       "vhost_tx_batch every 64."}),
    step("handle_tx_zerocopy", "linux", NET, at(v4_19=600, v6_1=863, v7_2=864), "vhost",
         Phase.DEVICE, 120,
         "Send large packets (at least 256 bytes) with their guest pages pinned instead of "
         "copied; the used entry is written when tun releases the pages."),
    step("get_tx_bufs", "linux", NET, at(v4_19=500, v6_1=625, v7_2=647), "vhost",
         Phase.DEVICE, 40,
         "Get the next available descriptor chain (busy-polling briefly if configured) and "
         "set up the message over its buffers, minus the vnet header if QEMU strips it."),
    step("vhost_get_vq_desc", "linux", VHOST, at(v4_19=2103, v6_1=2218, v7_2=3030), "vhost",
         Phase.DEVICE, 120,
         "Read avail->idx and the head at last_avail_idx, walk the descriptor chain and "
         "translate guest addresses to the QEMU process's memory. No new buffer returns "
         "vq->num."),
    step("vhost_net_build_xdp", "linux", NET, at(v6_1=699, v7_2=688), "vhost", Phase.DEVICE,
         150,
         "Copy the packet from guest memory into a page fragment laid out as an XDP buffer, "
         "vnet header in front, to be sent in a batch. -ENOSPC if it does not fit a page."),
    step("vhost_tx_batch", "linux", NET, at(v6_1=466, v7_2=480), "vhost", Phase.DEVICE, 60,
         "Send the gathered XDP buffers to tun in one sendmsg (TUN_MSG_PTR), then signal "
         "their used entries."),
    step("tun_sendmsg", "linux", TUN, at(v4_19=2376, v6_1=2559, v7_2=2526), "tun", Phase.HOST,
         120,
         "tun's socket sendmsg: for a batch of XDP buffers run tun_xdp_one on each; for a "
         "plain message copy it in through tun_get_user.",
         notes={"4.19": "Linux 4.19 has no batch type: every message goes to "
                        "tun_get_user."}),
    step("tun_xdp_one", "linux", TUN, at(v6_1=2434, v7_2=2390), "tun", Phase.HOST, 400,
         "Run the tap's XDP program if there is one, build an skb around the buffer without "
         "copying, apply the vnet header and pass it to the host stack."),
    step("vhost_exceeds_weight", "linux", VHOST, at(v4_19=416, v6_1=418, v7_2=552), "vhost",
         Phase.DEVICE, 20,
         "End the round after 256 packets or 0x80000 bytes, re-queueing the work so that "
         "other queues get a turn."),
    step("vhost_enable_notify", "linux", VHOST, at(v4_19=2430, v6_1=2546, v7_2=3288),
         "vhost", Phase.DEVICE, 40,
         "Nothing left: ask the guest for kicks again, and report whether buffers arrived "
         "meanwhile, in which case the loop goes on."),
    # -- completion --------------------------------------------------------------------------
    step("vhost_net_signal_used", "linux", NET, at(v4_19=435, v6_1=454, v7_2=466), "vhost",
         Phase.COMPLETE, 20, "Flush the heads gathered so far to the used ring, with one "
         "signal."),
    step("vhost_add_used_and_signal_n", "linux", VHOST, at(v4_19=2402, v6_1=2508, v7_2=3261),
         "vhost", Phase.COMPLETE, 40, "Write the used elements, then signal the guest."),
    step("vhost_add_used_n", "linux", VHOST, at(v4_19=2309, v6_1=2413, v7_2=3171), "vhost",
         Phase.COMPLETE, 80,
         "Copy {id, len} entries into used->ring in guest memory, then after a barrier "
         "publish the new used->idx."),
    step("vhost_signal", "linux", VHOST, at(v4_19=2383, v6_1=2489, v7_2=3242), "vhost",
         Phase.COMPLETE, 30,
         "If vhost_notify says the guest wants an interrupt, signal the queue's call "
         "eventfd."),
    step("vhost_notify", "linux", VHOST, at(v4_19=2345, v6_1=2451, v7_2=3204), "vhost",
         Phase.COMPLETE, 30,
         "The interrupt decision: with EVENT_IDX vring_need_event(used_event, new, old), "
         "without it the guest's VRING_AVAIL_F_NO_INTERRUPT flag."),
    step("eventfd_signal", "linux", "fs/eventfd.c",
         {"4.19": Site(56), "6.1": Site(88), "7.2": Site(87, file="include/linux/eventfd.h")},
         "vhost", Phase.INTERRUPT, 80,
         "Add to the eventfd's counter and wake its waiters: the call eventfd is a KVM irqfd, "
         "so its wait-queue callback is irqfd_wakeup.",
         notes={"7.2": "In Linux 7.2 eventfd_signal is an inline without a count argument; "
                       "the work is in eventfd_signal_mask (fs/eventfd.c:56)."}),
    step("irqfd_wakeup", "linux", EVENTFD, at(v4_19=197, v6_1=193, v7_2=203), "kvm",
         Phase.INTERRUPT, 100,
         "KVM's callback on the irqfd: try to inject the MSI at once from this context; if "
         "that cannot be done without sleeping, leave it to a work item."),
    step("kvm_arch_set_irq_inatomic", "linux", IRQ,
         {"4.19": Site(171), "6.1": Site(157), "7.2": Site(241, file="arch/x86/kvm/irq.c")},
         "kvm", Phase.INTERRUPT, 300,
         "Deliver the MSI to the target vCPU's local APIC on the fast path and kick the vCPU; "
         "the guest takes the interrupt without QEMU.",
         notes={"7.2": "In Linux 7.2 this moved to arch/x86/kvm/irq.c."}),
    step("irqfd_inject", "linux", EVENTFD, at(v4_19=54, v6_1=42, v7_2=43), "kvm",
         Phase.INTERRUPT, 400,
         "The slow path, from a work item: raise the interrupt with kvm_set_irq."),
    # -- RX ----------------------------------------------------------------------------------
    step("handle_rx_net", "linux", NET, at(v4_19=1055, v6_1=1290, v7_2=1322), "vhost",
         Phase.DEVICE, 20,
         "The work queued when the tap's socket has data: run handle_rx."),
    step("handle_rx_kick", "linux", NET, at(v4_19=1039, v6_1=1274, v7_2=1306), "vhost",
         Phase.DEVICE, 20,
         "The RX queue's kick work, after the guest posted buffers: run handle_rx."),
    step("handle_rx", "linux", NET, at(v4_19=884, v6_1=1119, v7_2=1140), "vhost",
         Phase.DEVICE, 100,
         "Turn guest kicks and socket polling off, then loop: peek at the next packet's "
         "length, get enough RX buffers, recvmsg the packet into them, write num_buffers. "
         "Without buffers it turns kicks on and waits; packets stay in tun's ring.",
         notes={"4.19": "Linux 4.19 signals used buffers once more than 64 are gathered, "
                        "and at the end of the round.",
                "6.1": "Linux 6.1 signals used buffers once more than 64 are gathered, "
                       "and at the end of the round.",
                "7.2": "Linux 7.2 signals used buffers once more than 64 are gathered, "
                       "and at the end of the round."}),
    step("vhost_net_rx_peek_head_len", "linux", NET, at(v4_19=756, v6_1=1019, v7_2=1021),
         "vhost", Phase.DEVICE, 40,
         "Length of the next packet in tun's ring, busy-polling for a while if configured."),
    step("vhost_net_buf_peek", "linux", NET, at(v4_19=202, v6_1=210, v7_2=212), "vhost",
         Phase.DEVICE, 30,
         "Look at vhost's own batch of skbs taken from tun's ring, refilling it when empty."),
    step("vhost_net_buf_produce", "linux", NET, at(v4_19=169, v6_1=177, v7_2=179), "vhost",
         Phase.DEVICE, 80,
         "Take up to 64 skbs from tun's ring in one ptr_ring_consume_batched call."),
    step("get_rx_bufs", "linux", NET, at(v4_19=815, v6_1=1050, v7_2=1053), "vhost",
         Phase.DEVICE, 80,
         "Get descriptor chains until they hold the packet and its header: several with "
         "mergeable buffers, one otherwise."),
    step("tun_recvmsg", "linux", TUN, at(v4_19=2392, v6_1=2611, v7_2=2581), "tun",
         Phase.HOST, 80,
         "tun's socket recvmsg, given the skb vhost already took: tun_do_read copies it "
         "into the guest's buffers."),
    # -- set-up: QEMU ------------------------------------------------------------------------
    step("vhost_net_init", "qemu", QVHN, at(v3_1=143, v7_2=158, v10_2=232), "virtio-net",
         Phase.SETUP, 2000,
         "With -netdev tap,vhost=on, net_init_tap_one opens /dev/vhost-net (or takes "
         "vhostfd=) and sets up a vhost device over the tap's fd."),
    step("vhost_dev_init", "qemu", QVH, at(v3_1=1180, v7_2=1412, v10_2=1551), "virtio-net",
         Phase.SETUP, 1500,
         "Initialise the vhost device: the kernel back end, VHOST_SET_OWNER, the features, "
         "each virtqueue, and a memory listener that tracks guest RAM."),
    step("vhost_kernel_set_owner", "qemu", QVB, at(v3_1=160, v7_2=195, v10_2=259),
         "virtio-net", Phase.SETUP, 300,
         "ioctl(VHOST_SET_OWNER): this QEMU process owns the device, and the kernel creates "
         "its worker."),
    step("virtio_net_vhost_status", "qemu", QVN, at(v3_1=132, v7_2=259, v10_2=282),
         "virtio-net", Phase.SETUP, 200,
         "When the driver sets DRIVER_OK (virtio_net_set_status), start vhost for the queue "
         "pairs in use; stop it when the device stops."),
    step("vhost_net_start", "qemu", QVHN, at(v3_1=293, v7_2=339, v10_2=412), "virtio-net",
         Phase.SETUP, 500,
         "Route the guest notifiers through KVM irqfds, then start each queue pair's vhost "
         "device."),
    step("virtio_pci_set_guest_notifiers", "qemu", QVP, at(v3_1=963, v7_2=1051, v10_2=1270),
         "virtio-net", Phase.SETUP, 400,
         "Give each queue a call eventfd and, with MSI-X and KVM, bind it to the queue's "
         "vector as an irqfd."),
    step("kvm_virtio_pci_irqfd_use", "qemu", QVP, at(v3_1=683, v7_2=766, v10_2=893),
         "virtio-net", Phase.SETUP, 200, "Bind one queue's eventfd to its MSI route."),
    step("kvm_irqchip_add_irqfd_notifier_gsi", "qemu", "accel/kvm/kvm-all.c",
         at(v3_1=1408, v7_2=2207, v10_2=2377), "virtio-net", Phase.SETUP, 300,
         "Bind the eventfd to the GSI of the queue's MSI route with kvm_irqchip_assign_irqfd: "
         "KVM will inject the interrupt whenever the eventfd is signalled."),
    step("vhost_net_start_one", "qemu", QVHN, at(v3_1=222, v7_2=244, v10_2=325), "virtio-net",
         Phase.SETUP, 500,
         "Start one queue pair: vhost_dev_start, stop QEMU's own polling of the tap fd, then "
         "hand the tap to the kernel for each ring (VHOST_NET_SET_BACKEND). From here QEMU "
         "is off the data path.",
         notes={"3.1": "QEMU 3.1 turns on the queues' host notifiers here "
                       "(vhost_dev_enable_notifiers).",
                "7.2": "QEMU 7.2 turns on the queues' host notifiers here "
                       "(vhost_dev_enable_notifiers).",
                "10.2": "QEMU 10.2 turns on the host notifiers earlier, in vhost_net_start "
                        "(vhost_net_enable_notifiers)."}),
    step("vhost_dev_start", "qemu", QVH, at(v3_1=1485, v7_2=1860, v10_2=2052), "virtio-net",
         Phase.SETUP, 800,
         "Set the negotiated features, send the guest memory map (VHOST_SET_MEM_TABLE) and "
         "start every virtqueue."),
    step("vhost_kernel_set_mem_table", "qemu", QVB, at(v3_1=94, v7_2=101, v10_2=106),
         "virtio-net", Phase.SETUP, 300,
         "ioctl(VHOST_SET_MEM_TABLE): the guest-physical to QEMU-virtual regions, so that "
         "the kernel can reach the rings and buffers."),
    step("vhost_virtqueue_start", "qemu", QVH, at(v3_1=944, v7_2=1142, v10_2=1256),
         "virtio-net", Phase.SETUP, 500,
         "Tell the kernel about one ring: VHOST_SET_VRING_NUM, _BASE (QEMU's "
         "last_avail_idx), _ADDR (desc, avail and used in QEMU's address space), _KICK (the "
         "ioeventfd KVM signals) and _CALL (the irqfd)."),
    step("vhost_kernel_set_vring_addr", "qemu", QVB, at(v3_1=100, v7_2=107, v10_2=112),
         "virtio-net", Phase.SETUP, 200,
         "ioctl(VHOST_SET_VRING_ADDR): where the ring's three parts are in QEMU's address "
         "space."),
    step("vhost_kernel_set_vring_kick", "qemu", QVB, at(v3_1=130, v7_2=137, v10_2=142),
         "virtio-net", Phase.SETUP, 200,
         "ioctl(VHOST_SET_VRING_KICK): the queue's ioeventfd now wakes the vhost worker."),
    step("vhost_kernel_set_vring_call", "qemu", QVB, at(v3_1=136, v7_2=143, v10_2=148),
         "virtio-net", Phase.SETUP, 200,
         "ioctl(VHOST_SET_VRING_CALL): the worker signals this eventfd, the irqfd, for an "
         "interrupt."),
    step("vhost_kernel_net_set_backend", "qemu", QVB, at(v3_1=65, v7_2=72, v10_2=77),
         "virtio-net", Phase.SETUP, 200,
         "ioctl(VHOST_NET_SET_BACKEND) with the tap's fd, once per ring."),
    # -- set-up: the host kernel -------------------------------------------------------------
    step("vhost_net_open", "linux", NET, at(v4_19=1062, v6_1=1297, v7_2=1329), "vhost",
         Phase.SETUP, 1500,
         "open(/dev/vhost-net): allocate the device with its TX and RX virtqueues and the "
         "polls on the tap's socket; handle_tx_kick, handle_rx_kick, handle_tx_net and "
         "handle_rx_net become their works."),
    step("vhost_net_ioctl", "linux", NET, at(v4_19=1466, v6_1=1698, v7_2=1740), "vhost",
         Phase.SETUP, 200,
         "The vhost-net ioctls: SET_BACKEND and SET_OWNER here, the rest through "
         "vhost_dev_ioctl (memory table) and vhost_vring_ioctl (rings)."),
    step("vhost_dev_set_owner", "linux", VHOST, at(v4_19=512, v6_1=575, v7_2=1104), "vhost",
         Phase.SETUP, 2000,
         "Record the owner's mm and create the worker, vhost-<pid>.",
         notes={"4.19": "Linux 4.19 creates a kthread running vhost_worker and attaches "
                        "it to the owner's cgroups.",
                "6.1": "Linux 6.1 creates a kthread running vhost_worker and attaches it "
                       "to the owner's cgroups.",
                "7.2": "Linux 7.2 creates the worker with vhost_worker_create."}),
    step("vhost_worker_create", "linux", VHOST, at(v7_2=838), "vhost", Phase.SETUP, 1500,
         "Create a worker: by default a vhost_task forked from the owner "
         "(vhost_task_create), which shares its cgroups and limits; a kthread if "
         "fork_owner says so."),
    step("vhost_task_create", "linux", "kernel/vhost_task.c", at(v7_2=119), "vhost",
         Phase.SETUP, 1500, "Fork the worker as a task of the owner's process."),
    step("vhost_set_memory", "linux", VHOST, at(v4_19=1341, v6_1=1430, v7_2=1991), "vhost",
         Phase.SETUP, 500,
         "VHOST_SET_MEM_TABLE: copy the regions in and swap in the new translation table."),
    step("vhost_vring_ioctl", "linux", VHOST, at(v4_19=1409, v6_1=1594, v7_2=2164), "vhost",
         Phase.SETUP, 200,
         "VHOST_SET_VRING_*: ring size, base index, ring addresses, the kick eventfd (polled "
         "with vhost_poll_wakeup) and the call eventfd."),
    step("vhost_net_set_backend", "linux", NET, at(v4_19=1263, v6_1=1503, v7_2=1535), "vhost",
         Phase.SETUP, 400,
         "Find the tap's socket (tun_get_socket) and its ring (tun_get_tx_ring), attach them "
         "to the virtqueue and start polling the socket."),
    step("kvm_irqfd", "linux", EVENTFD, at(v4_19=578, v6_1=584, v7_2=620), "kvm", Phase.SETUP,
         300,
         "KVM_IRQFD: register a wait-queue entry on the eventfd whose callback is "
         "irqfd_wakeup (kvm_irqfd_assign)."),
)
