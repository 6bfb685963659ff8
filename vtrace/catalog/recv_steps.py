"""Catalog data: a frame from a program on the host to the guest's virtio-net, through QEMU.

The host's stack hands the frame to the tap's ``tun_net_xmit``, which queues it
on the tun file's ring and wakes QEMU's main loop. QEMU reads it with
``tap_send``, passes it through its net queue to virtio-net, which copies it
into receive buffers the guest posted, returns them on the used ring and
interrupts the guest (``recv_guest_steps`` takes it from there). With no
buffer posted, the frame waits in the net queue and QEMU stops reading the
tap until the guest refills and kicks the RX queue. Line numbers are
definition lines in the trees listed in ``docs/sources.md``.
"""

from __future__ import annotations

from vtrace.catalog.base import Step, at, step
from vtrace.catalog.send_steps import DEV, QV, QVN, TUN
from vtrace.model import Phase

__all__ = ["STEPS"]

NET = "net/net.c"
QUEUE = "net/queue.c"
TAP = "net/tap.c"


STEPS: tuple[Step, ...] = (
    # -- the host sends ----------------------------------------------------------------------
    step("host_sys_sendto", "linux", "net/socket.c", at(v4_19=1756, v6_1=2120, v7_2=2217),
         "host-stack", Phase.HOST, 250,
         "A program on the host calls sendto() on a UDP socket addressed to the guest (or, "
         "with --proto tcp, on a TCP socket connected to it); this is the kernel side of that "
         "call.",
         function="__sys_sendto"),
    step("host_udp_sendmsg", "linux", "net/ipv4/udp.c", at(v4_19=919, v6_1=1067, v7_2=1233),
         "host-stack", Phase.HOST, 700,
         "UDP and IP on the host build the datagram; the route to the guest's address leads "
         "out through the tap interface (directly or through a bridge).", function="udp_sendmsg"),
    step("host_tcp_sendmsg", "linux", "net/ipv4/tcp.c", at(v4_19=1447, v6_1=1489, v7_2=1446),
         "host-stack", Phase.HOST, 2000,
         "The host program writes to a TCP socket connected to the guest; TCP builds one skb "
         "of up to 64 KiB, gso_size the MSS, checksum partial. If QEMU told the tap "
         "(TUNSETOFFLOAD) that the guest takes TSO, nobody on the host cuts it; if not, "
         "validate_xmit_skb does before the tap.",
         function="tcp_sendmsg"),
    step("host_dev_queue_xmit", "linux", DEV, at(v4_19=3768, v6_1=4277, v7_2=4813),
         "host-stack", Phase.HOST, 250,
         "Queue the frame on the tap device; through dev_hard_start_xmit it reaches the tap's "
         "transmit function. Sending on the tap means delivering to whoever holds its file.",
         function="__dev_queue_xmit"),
    step("tun_net_xmit", "linux", TUN, at(v4_19=1076, v6_1=1071, v7_2=1003), "tun",
         Phase.HOST, 300,
         "The tap's ndo_start_xmit: orphan the skb, put it on the tun file's ptr_ring "
         "(tx_ring; dropped if the ring is full) and call the socket's sk_data_ready."),
    step("tun_sk_data_ready", "linux", "net/core/sock.c", at(v4_19=2691, v6_1=3318, v7_2=3656),
         "tun", Phase.HOST, 200,
         "Wake whoever waits on the tun file: QEMU's main loop polls its fd, or with vhost-net "
         "the vhost worker's poll entry on the tun socket.", function="sock_def_readable"),
    # -- QEMU reads the tap ------------------------------------------------------------------
    step("tap_send", "qemu", TAP, at(v3_1=183, v7_2=184, v10_2=180), "tap", Phase.BACKEND, 150,
         "The tap fd's read handler in QEMU's main loop: read packets one by one and pass each "
         "to the NIC. It stops when read() finds nothing, after 50 packets, or when a packet "
         "could not be delivered; then it turns reading off.",
         notes={"7.2": "QEMU 7.2 pads frames shorter than 60 bytes when the peer needs it.",
                "10.2": "QEMU 10.2 also pads short frames, and stops at a packet no longer "
                        "than the vnet header."}),
    step("tap_read_packet", "qemu", TAP, at(v3_1=171, v7_2=172, v10_2=168), "tap",
         Phase.BACKEND, 80,
         "read() one packet, with its virtio_net_hdr in front, from the tap fd into the "
         "TAPState buffer: a system call into the host kernel."),
    step("tun_chr_read_iter", "linux", TUN, at(v4_19=2205, v6_1=2251, v7_2=2208), "tun",
         Phase.HOST, 300,
         "The tun character device's read handler: read one packet for this file, without "
         "blocking (QEMU opened the tap non-blocking)."),
    step("tun_do_read", "linux", TUN, at(v4_19=2166, v6_1=2214, v7_2=2171), "tun",
         Phase.HOST, 120,
         "Take the next skb from the file's ring, unless the caller (vhost-net) brings one it "
         "already took, and copy it out; an XDP frame goes through tun_put_user_xdp instead."),
    step("tun_ring_recv", "linux", TUN, at(v4_19=2125, v6_1=2173, v7_2=2130), "tun",
         Phase.HOST, 80,
         "ptr_ring_consume from the file's tx_ring; empty and non-blocking means -EAGAIN, "
         "which ends QEMU's read loop."),
    step("tun_put_user", "linux", TUN, at(v4_19=2031, v6_1=2081, v7_2=2046), "tun",
         Phase.HOST, 500,
         "Write a virtio_net_hdr built from the skb (checksum and GSO state), then copy the "
         "frame itself to the reader's buffer: the payload's copy into user space (or, for "
         "vhost, straight into guest memory).",
         notes={"7.2": "Linux 7.2 builds the header with the helpers of drivers/net/tun_vnet.h, "
                       "which also know UDP tunnel offloads."}),
    # -- QEMU's net layer --------------------------------------------------------------------
    step("qemu_send_packet_async", "qemu", NET, at(v3_1=663, v7_2=716, v10_2=763), "net-queue",
         Phase.BACKEND, 30,
         "Send a packet from the tap to its peer, the virtio-net NIC, with tap_send_completed "
         "as the callback for a packet that has to wait."),
    step("qemu_send_packet_async_with_flags", "qemu", NET, at(v3_1=628, v7_2=681, v10_2=728),
         "net-queue", Phase.BACKEND, 40,
         "Run the tap's TX filters and the NIC's RX filters, then hand the packet to the NIC's "
         "incoming queue."),
    step("qemu_net_queue_send", "qemu", QUEUE, at(v3_1=185, v7_2=207, v10_2=196), "net-queue",
         Phase.BACKEND, 40,
         "If the queue is delivering or the NIC cannot receive, append the packet and return 0. "
         "Otherwise deliver it; a delivery that returns 0 appends it too. After a delivery, "
         "flush packets queued earlier."),
    step("qemu_can_send_packet", "qemu", NET, at(v3_1=525, v7_2=584, v10_2=631), "net-queue",
         Phase.BACKEND, 20,
         "The VM must be running, and the peer must not have receiving disabled and must say "
         "yes through its can_receive.",
         notes={"7.2": "QEMU 7.2 asks the peer through qemu_can_receive_packet.",
                "10.2": "QEMU 10.2 asks the peer through qemu_can_receive_packet."}),
    step("qemu_net_queue_deliver", "qemu", QUEUE, at(v3_1=151, v7_2=151, v10_2=151),
         "net-queue", Phase.BACKEND, 30,
         "Mark the queue as delivering and call its deliver function, qemu_deliver_packet_iov, "
         "with the packet as a one-element iovec."),
    step("nc_sendv_compat", "qemu", NET, at(v3_1=682, v7_2=764, v10_2=801), "net-queue",
         Phase.BACKEND, 40,
         "virtio-net has no receive_iov, so the iovec is made one flat buffer (copied if it "
         "has several parts) and given to the NIC's receive function."),
    step("qemu_net_queue_append", "qemu", QUEUE, at(v3_1=93, v7_2=93, v10_2=93), "net-queue",
         Phase.BACKEND, 60,
         "Copy the packet into a NetPacket at the tail of the queue, with its sent callback; "
         "without a callback, a full queue drops it."),
    step("qemu_net_queue_flush", "qemu", QUEUE, at(v3_1=251, v7_2=273, v10_2=262), "net-queue",
         Phase.BACKEND, 40,
         "Deliver queued packets in order; each delivered one runs its sent callback. A "
         "delivery that returns 0 puts the packet back at the head and stops.",
         lesson="The lesson's chain qemu_net_queue_send_iov → qemu_net_queue_flush → "
                "qemu_net_queue_deliver is the path of packets queued earlier, not of every "
                "packet: an idle queue whose peer can receive hands the packet to "
                "qemu_net_queue_deliver_iov at once, and the flush after it delivers only "
                "what had to wait (here, what came while the guest had no buffer)."),
    # -- virtio-net receives -----------------------------------------------------------------
    step("virtio_net_receive", "qemu", QVN, at(v3_1=1295, v7_2=2582, v10_2=2670), "virtio-net",
         Phase.DEVICE, 30,
         "The NIC's receive function (net_virtio_info.receive).",
         notes={"3.1": "QEMU 3.1 takes the RCU read lock and calls virtio_net_receive_rcu "
                       "itself.",
                "7.2": "QEMU 7.2 passes the packet to receive-segment coalescing when RSC "
                       "is on, else to virtio_net_do_receive.",
                "10.2": "QEMU 10.2 passes the packet to receive-segment coalescing when RSC "
                        "is on, else to virtio_net_do_receive."}),
    step("virtio_net_do_receive", "qemu", QVN, at(v7_2=1981, v10_2=2054), "virtio-net",
         Phase.DEVICE, 20,
         "Hold the RCU read lock around virtio_net_receive_rcu."),
    step("virtio_net_receive_rcu", "qemu", QVN, at(v3_1=1191, v7_2=1835, v10_2=1903),
         "virtio-net", Phase.DEVICE, 150,
         "Check the queue can receive and has room, filter by MAC, then pop RX buffers and "
         "copy header and frame into them until the frame fits: one buffer, or with "
         "mergeable buffers as many as it takes, counted in num_buffers. Then return them on "
         "the used ring and notify the guest. No room returns 0: the packet must wait.",
         notes={"3.1": "QEMU 3.1 fills each element into the used ring inside the pop loop.",
                "7.2": "QEMU 7.2 keeps the popped elements, fills them all after the loop, "
                       "and on an error detaches them instead.",
                "10.2": "QEMU 10.2 fills after the loop like 7.2, and runs software RSS "
                        "before checking that the queue can receive."}),
    step("virtio_net_process_rss", "qemu", QVN, at(v7_2=1782, v10_2=1849), "virtio-net",
         Phase.DEVICE, 200,
         "With software RSS on: hash the packet's addresses and ports and pick its RX queue "
         "from the indirection table; off by default (rss=on turns it on, as vtrace does "
         "with --queues above 1)."),
    step("virtio_net_can_receive", "qemu", QVN, at(v3_1=1038, v7_2=1576, v10_2=1629),
         "virtio-net", Phase.DEVICE, 20,
         "The VM runs, the queue pair is in use, the RX queue is set up and the driver has "
         "set DRIVER_OK. It does not look for buffers."),
    step("virtio_net_has_buffers", "qemu", QVN, at(v3_1=1060, v7_2=1598, v10_2=1651),
         "virtio-net", Phase.DEVICE, 60,
         "Are there enough posted buffers for this packet? If not, turn guest notifications "
         "on, so that the guest's next refill kicks, and check once more. If so, turn them "
         "off.",
         notes={"3.1": "QEMU 3.1 checks virtio_queue_empty (and, for mergeable buffers, "
                       "virtqueue_avail_bytes), enables notification and checks again.",
                "7.2": "Debian's QEMU 7.2 has the upstream fix that loops with "
                       "virtio_queue_enable_notification_and_check.",
                "10.2": "QEMU 10.2 loops with virtio_queue_enable_notification_and_check."}),
    step("virtio_queue_enable_notification_and_check", "qemu", QV, at(v7_2=1198, v10_2=815),
         "virtio-net", Phase.DEVICE, 40,
         "Turn guest notifications on and report whether buffers were added since the "
         "available bytes were counted, closing the race with a refill."),
    step("receive_filter", "qemu", QVN, at(v3_1=1140, v7_2=1685, v10_2=1738), "virtio-net",
         Phase.DEVICE, 40,
         "Accept or drop by destination: promiscuous mode, broadcast, multicast and unicast "
         "MAC tables, VLAN filter. A dropped packet counts as delivered."),
    step("receive_header", "qemu", QVN, at(v3_1=1118, v7_2=1663, v10_2=1716), "virtio-net",
         Phase.DEVICE, 40,
         "Copy the virtio_net_hdr that came from the tap into the first buffer (fixing the "
         "checksum of some DHCP replies on the way); mergeable buffers get num_buffers after "
         "the copy."),
    step("virtqueue_fill", "qemu", QV, at(v3_1=477, v7_2=1377, v10_2=1044), "virtio-net",
         Phase.COMPLETE, 40,
         "Unmap the element and write {id, len} into used->ring at used_idx + idx; the guest "
         "does not see it before virtqueue_flush."),
    step("virtqueue_split_fill", "qemu", QV, at(v7_2=1314, v10_2=931), "virtio-net",
         Phase.COMPLETE, 30, "The split-ring body of virtqueue_fill: write the used element."),
    step("virtqueue_detach_element", "qemu", QV, at(v3_1=432, v7_2=1244, v10_2=861),
         "virtio-net", Phase.DEVICE, 30,
         "Give an element up without returning it to the guest: unmap it and count it as "
         "no longer in flight."),
    step("virtqueue_flush", "qemu", QV, at(v3_1=502, v7_2=1447, v10_2=1183), "virtio-net",
         Phase.COMPLETE, 40,
         "After a write barrier, publish used->idx += count: the guest can now see the "
         "filled buffers."),
    step("virtqueue_split_flush", "qemu", QV, at(v7_2=1396, v10_2=1065), "virtio-net",
         Phase.COMPLETE, 30, "The split-ring body of virtqueue_flush: publish used->idx."),
    # -- the stall and the restart -----------------------------------------------------------
    step("tap_read_poll", "qemu", TAP, at(v3_1=79, v7_2=80, v10_2=102), "tap", Phase.BACKEND,
         40,
         "Turn reading of the tap fd on or off in the main loop (tap_update_fd_handler). Off, "
         "packets pile up in the tun file's ring, up to the tap's tx_queue_len."),
    step("virtio_net_handle_rx", "qemu", QVN, at(v3_1=1030, v7_2=1568, v10_2=1621),
         "virtio-net", Phase.DEVICE, 40,
         "The RX queue's kick handler: the guest has posted buffers, so deliver the packets "
         "waiting in the NIC's incoming queue.",
         lesson="The lesson calls virtio_net_handle_rx the function that receives packets. "
                "It runs only when the guest kicks the RX queue after refilling it; packets "
                "arrive through tap_send and virtio_net_receive."),
    step("qemu_flush_queued_packets", "qemu", NET, at(v3_1=623, v7_2=676, v10_2=723),
         "net-queue", Phase.BACKEND, 40,
         "Re-enable receiving on the NIC and flush its incoming queue through "
         "qemu_flush_or_purge_queued_packets; an emptied queue wakes the main loop."),
    step("tap_send_completed", "qemu", TAP, at(v3_1=177, v7_2=178, v10_2=174), "tap",
         Phase.BACKEND, 30,
         "The sent callback of the packet that waited: it was delivered, so read the tap "
         "again."),
)
