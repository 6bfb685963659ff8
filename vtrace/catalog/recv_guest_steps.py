"""Catalog data: the guest's side of receiving, from the RX interrupt to ``recvfrom``.

The interrupt schedules NAPI; ``virtnet_poll`` takes up to a budget of used
buffers, builds an skb from each, hands it to GRO and so to the stack, and
refills the ring when enough buffers are gone. Line numbers are definition
lines in the trees listed in ``docs/sources.md``.
"""

from __future__ import annotations

from vtrace.catalog.base import Site, Step, at, step
from vtrace.catalog.send_steps import DEV, VN, VR
from vtrace.model import Phase

__all__ = ["STEPS"]

GRO = "net/core/gro.c"
GRO_H = "include/net/gro.h"
IP_IN = "net/ipv4/ip_input.c"
UDP = "net/ipv4/udp.c"


STEPS: tuple[Step, ...] = (
    # -- interrupt and NAPI ------------------------------------------------------------------
    step("skb_recv_done", "linux", VN, at(v4_19=1253, v6_1=1511, v7_2=2792), "virtio_net",
         Phase.INTERRUPT, 50,
         "The RX queue's callback, run by vring_interrupt: schedule the queue's NAPI.",
         notes={"7.2": "Linux 7.2 also counts the call for dynamic interrupt moderation."}),
    step("__napi_schedule", "linux", DEV, at(v4_19=5880, v6_1=6098, v7_2=6766), "stack",
         Phase.INTERRUPT, 80,
         "Put the NAPI instance on this CPU's poll list and raise NET_RX_SOFTIRQ; "
         "virtqueue_napi_schedule has already turned the queue's interrupts off."),
    step("net_rx_action", "linux", DEV, at(v4_19=6307, v6_1=6784, v7_2=7962), "stack",
         Phase.INTERRUPT, 150,
         "The receive softirq: poll each scheduled NAPI with its weight (64 for virtio_net) "
         "until netdev_budget (300 packets) or two jiffies are spent."),
    step("virtnet_poll", "linux", VN, at(v4_19=1428, v6_1=1699, v7_2=3004), "virtio_net",
         Phase.COMPLETE, 120,
         "The RX NAPI poll: reclaim the paired TX queue, receive up to the budget, and if "
         "fewer packets came than the budget, complete NAPI and re-arm interrupts.",
         notes={"7.2": "Linux 7.2 first turns the RX queue's interrupts off "
                       "(virtqueue_disable_cb) whenever it has a budget."}),
    step("virtnet_poll_cleantx", "linux", VN, at(v4_19=1409, v6_1=1671, v7_2=2957),
         "virtio_net", Phase.COMPLETE, 60,
         "With NAPI TX, reclaim the paired TX queue's used buffers here too, and wake the TX "
         "queue if it has room again.",
         notes={"4.19": "napi_tx is off by default in Linux 4.19, so this returns at once.",
                "6.1": "Linux 6.1 loops, with TX interrupts off, until "
                       "virtqueue_enable_cb_delayed succeeds.",
                "7.2": "Linux 7.2 loops like 6.1 and wakes the queue through "
                       "virtnet_tx_wake_queue."}),
    step("virtnet_receive", "linux", VN, at(v4_19=1320, v6_1=1578, v7_2=2917), "virtio_net",
         Phase.COMPLETE, 80,
         "Take used buffers one by one while fewer than the budget are done, turn each into "
         "an skb, then refill the ring if enough buffers are free.",
         notes={"4.19": "Linux 4.19 refills when more than half the ring is free "
                        "(num_free > size / 2); a failed refill schedules refill_work.",
                "6.1": "Linux 6.1 refills when num_free > min(budget, size) / 2, i.e. more "
                       "than 32 free with the default budget; a failed refill schedules "
                       "refill_work.",
                "7.2": "Linux 7.2 receives in virtnet_receive_packets; it refills at "
                       "num_free > min(budget, size) / 2, and a failed refill returns the "
                       "whole budget so that NAPI polls again."}),
    step("virtnet_receive_packets", "linux", VN, at(v7_2=2889), "virtio_net", Phase.COMPLETE,
         40,
         "The receive loop: with a page pool (mergeable or small buffers) through "
         "virtnet_rq_get_buf, for big packets through virtqueue_get_buf."),
    step("virtnet_rq_get_buf", "linux", VN, at(v7_2=930), "virtio_net", Phase.COMPLETE, 20,
         "Get the next used buffer and its context from the RX queue."),
    step("virtqueue_get_buf_ctx", "linux", VR, at(v4_19=698, v6_1=2300, v7_2=3154),
         "virtio_net", Phase.COMPLETE, 60,
         "Read the used element at last_used_idx (head and written length), free its "
         "descriptors and return the buffer's token and context.",
         notes={"6.1": "Linux 6.1 does the work in virtqueue_get_buf_ctx_split (line 787).",
                "7.2": "Linux 7.2 does the work in virtqueue_get_buf_ctx_split (line 964) "
                       "through VIRTQUEUE_CALL."}),
    step("receive_buf", "linux", VN, at(v4_19=1022, v6_1=1274, v7_2=2541), "virtio_net",
         Phase.COMPLETE, 60,
         "Build an skb the way the buffers were posted: mergeable, big or small. Then apply "
         "the virtio_net_hdr (checksum, GSO), set the protocol and hand the skb to GRO.",
         notes={"7.2": "Linux 7.2 leaves the header and the hand-over to "
                       "virtnet_receive_done."}),
    step("receive_mergeable", "linux", VN, at(v4_19=790, v6_1=973, v7_2=2376), "virtio_net",
         Phase.COMPLETE, 150,
         "Mergeable buffers (VIRTIO_NET_F_MRG_RXBUF, on by default): build the skb around the "
         "first buffer, then take num_buffers - 1 more used buffers and add them as "
         "fragments.",
         notes={"7.2": "Linux 7.2 takes the further buffers through virtnet_rq_get_buf and "
                       "adds them with virtnet_skb_append_frag."}),
    step("receive_small", "linux", VN, at(v4_19=640, v6_1=795, v7_2=1939), "virtio_net",
         Phase.COMPLETE, 100,
         "Small buffers (no mergeable buffers, no big packets): the whole frame is in one "
         "buffer, and build_skb wraps it without copying.",
         notes={"7.2": "Linux 7.2 builds it in receive_small_build_skb."}),
    step("receive_big", "linux", VN, at(v4_19=767, v6_1=939, v7_2=1994), "virtio_net",
         Phase.COMPLETE, 150,
         "Big packets (guest GSO without mergeable buffers): a chain of pages per buffer, "
         "made into an skb by page_to_skb."),
    step("page_to_skb", "linux", VN, at(v4_19=382, v6_1=464, v7_2=836), "virtio_net",
         Phase.COMPLETE, 200,
         "Allocate an skb, copy the virtio_net_hdr and the start of the frame into its head "
         "and attach the rest of the page as a fragment."),
    step("guest_virtio_net_hdr_to_skb", "linux", "include/linux/virtio_net.h",
         {**at(v4_19=26, v6_1=46),
          "7.2": Site(296, function="virtio_net_hdr_tnl_to_skb")},
         "virtio_net", Phase.COMPLETE, 60,
         "Apply the header QEMU copied from the tap: NEEDS_CSUM makes the skb "
         "CHECKSUM_PARTIAL (TCP trusts it); the GSO fields make it a GSO skb of gso_size "
         "segments, like LRO, marked SKB_GSO_DODGY (a device wrote them).",
         function="virtio_net_hdr_to_skb",
         notes={"7.2": "Linux 7.2 calls virtio_net_hdr_tnl_to_skb, which also knows UDP "
                       "tunnel offloads, from virtnet_receive_done."}),
    step("virtnet_receive_done", "linux", VN, at(v7_2=2500), "virtio_net", Phase.COMPLETE, 60,
         "Apply the RSS hash, the checksum flags and the header (tunnel offloads included), "
         "set the protocol and hand the skb to GRO."),
    # -- GRO and the stack -------------------------------------------------------------------
    step("napi_gro_receive", "linux", DEV,
         {"4.19": Site(5617), "6.1": Site(654, file=GRO),
          "7.2": Site(4318, file="include/linux/netdevice.h")},
         "stack", Phase.APP, 150,
         "Offer the skb to GRO, which may merge it with others of the same flow; what GRO "
         "does not keep goes on to the stack.",
         notes={"4.19": "In Linux 4.19 a packet GRO does not merge goes up at once: "
                        "napi_skb_finish calls netif_receive_skb_internal.",
                "6.1": "Linux 6.1 (net/core/gro.c) puts a packet GRO does not merge on the "
                       "NAPI's rx_list; the stack sees it when 8 are gathered "
                       "(gro_normal_batch) or when the poll ends.",
                "7.2": "In Linux 7.2 it is an inline wrapper of gro_receive_skb "
                       "(net/core/gro.c:638), which batches like 6.1."}),
    step("dev_gro_receive", "linux", DEV, {"4.19": Site(5445), "6.1": Site(488, file=GRO),
                                           "7.2": Site(476, file=GRO)},
         "stack", Phase.APP, 120,
         "Run the protocol GRO handlers (IPv4, then UDP or TCP). A plain UDP socket without "
         "UDP GRO asks for a flush, as does a GSO skb from a device: not held, GRO_NORMAL. A "
         "TCP segment is held (GRO_HELD) or merged into a held one (GRO_MERGED)."),
    step("inet_gro_receive", "linux", "net/ipv4/af_inet.c", at(v4_19=1388, v6_1=1487,
                                                             v7_2=1468),
         "stack", Phase.APP, 100,
         "IPv4's GRO handler: compare the IP header with the packets GRO holds, then call "
         "the transport's handler, tcp4_gro_receive."),
    step("tcp4_gro_receive", "linux", "net/ipv4/tcp_offload.c", at(v4_19=308, v6_1=399,
                                                                   v7_2=428),
         "stack", Phase.APP, 120,
         "TCP's GRO: check the segment's checksum unless it is partial or flushed anyway, then "
         "tcp_gro_receive appends a segment to a held one it continues. A superframe (the tap "
         "took TSO) is already GSO, which dev_gro_receive flushes: nothing is held. MSS-sized "
         "segments (no guest TSO, the host cut them) merge.",
         notes={"4.19": "Linux 4.19's dev_gro_receive flushes every GSO skb; two superframes "
                        "could not merge anyway, as skb_gro_receive stops at 64 KiB.",
                "6.1": "Linux 6.1's dev_gro_receive flushes a GSO skb marked SKB_GSO_DODGY, "
                       "as virtio_net_hdr_to_skb marks every one; skb_gro_receive stops at "
                       "64 KiB (gro_max_size).",
                "7.2": "Linux 7.2's dev_gro_receive flushes a GSO skb marked SKB_GSO_DODGY, "
                       "as virtio_net_hdr_to_skb marks every one; skb_gro_receive stops at "
                       "64 KiB (gro_max_size)."}),
    step("netif_receive_skb_internal", "linux", DEV, at(v4_19=5127, v6_1=5797, v7_2=6435),
         "stack", Phase.APP, 150,
         "Pass one skb to the stack: RPS may move it to another CPU, otherwise "
         "__netif_receive_skb runs the protocol handler, ip_rcv for IPv4."),
    step("gro_normal_one", "linux", GRO_H, at(v6_1=441, v7_2=537), "stack", Phase.APP, 30,
         "Add the skb to the NAPI's rx_list; when the list holds gro_normal_batch (8) "
         "packets, pass them all up."),
    step("gro_normal_list", "linux", GRO_H, at(v6_1=429, v7_2=519), "stack", Phase.APP, 40,
         "Pass the gathered list to the stack in one call, netif_receive_skb_list_internal."),
    step("netif_receive_skb_list_internal", "linux", DEV, at(v6_1=5824, v7_2=6462), "stack",
         Phase.APP, 150,
         "Receive a list of skbs: the protocol handler gets them as a list too, ip_list_rcv "
         "for IPv4. (Linux 4.19 has it too, but its GRO path does not use it.)"),
    step("ip_rcv", "linux", IP_IN, at(v4_19=516, v6_1=560, v7_2=603), "stack", Phase.APP, 200,
         "IPv4 input for one packet: check the header, run the PRE_ROUTING hook, route it; "
         "for a local address ip_local_deliver."),
    step("ip_list_rcv", "linux", IP_IN, at(v4_19=589, v6_1=643, v7_2=687), "stack", Phase.APP,
         200,
         "IPv4 input for a list: check each header, route the list in sublists, deliver the "
         "local ones through ip_local_deliver."),
    step("ip_local_deliver", "linux", IP_IN, at(v4_19=244, v6_1=242, v7_2=250), "stack",
         Phase.APP, 100,
         "Reassemble fragments, run the LOCAL_IN hook and call the transport protocol's "
         "handler, udp_rcv."),
    step("udp_rcv", "linux", UDP, at(v4_19=2422, v6_1=2647, v7_2=2588), "stack", Phase.APP,
         60,
         "UDP input: check length and checksum, look up the socket by addresses and ports "
         "and queue the datagram to it.",
         notes={"7.2": "Linux 7.2 does the work in udp_rcv itself; __udp4_lib_rcv is gone."}),
    step("__udp4_lib_rcv", "linux", UDP, at(v4_19=2201, v6_1=2411), "stack", Phase.APP, 150,
         "The body of udp_rcv: validate the header, find the socket and pass the skb on."),
    step("udp_queue_rcv_skb", "linux", UDP, at(v4_19=1939, v6_1=2231, v7_2=2422), "stack",
         Phase.APP, 150,
         "Run the socket filter and charge the skb to the socket's receive buffer, then put "
         "it on the socket's receive queue (__udp_enqueue_schedule_skb) and wake readers.",
         notes={"6.1": "Linux 6.1 splits GSO packets here and queues each segment through "
                       "udp_queue_rcv_one_skb.",
                "7.2": "Linux 7.2 splits GSO packets here and queues each segment through "
                       "udp_queue_rcv_one_skb."}),
    step("tcp_v4_rcv", "linux", "net/ipv4/tcp_ipv4.c", at(v4_19=1686, v6_1=1948, v7_2=2070),
         "stack", Phase.APP, 300,
         "TCP input: check the header (a CHECKSUM_PARTIAL skb needs no checksum pass), look "
         "up the established socket and process the segment under its lock."),
    step("tcp_v4_do_rcv", "linux", "net/ipv4/tcp_ipv4.c", at(v4_19=1519, v6_1=1663,
                                                            v7_2=1830),
         "stack", Phase.APP, 400,
         "An established socket: tcp_rcv_established queues the in-order data on the "
         "receive queue (tcp_data_queue), schedules the ACK and wakes the reader."),
    step("sock_def_readable", "linux", "net/core/sock.c", at(v4_19=2691, v6_1=3318, v7_2=3656),
         "stack", Phase.APP, 200,
         "The socket's sk_data_ready: wake the task waiting in recvfrom() on this socket."),
    step("napi_complete_done", "linux", DEV, at(v4_19=5935, v6_1=6160, v7_2=6827), "stack",
         Phase.COMPLETE, 80,
         "End the NAPI poll: flush what GRO holds and the rx_list of packets not yet "
         "passed up; then clear the scheduled state.",
         notes={"4.19": "Linux 4.19 has no rx_list: the stack has already seen every packet "
                        "GRO did not hold."}),
    step("virtqueue_napi_complete", "linux", VN, at(v4_19=335, v6_1=397, v7_2=734),
         "virtio_net", Phase.COMPLETE, 60,
         "Re-arm the queue's interrupts (virtqueue_enable_cb_prepare), complete NAPI, and if "
         "used buffers arrived meanwhile (virtqueue_poll), schedule NAPI again."),
    step("virtqueue_enable_cb_prepare", "linux", VR, at(v4_19=795, v6_1=2347, v7_2=3197),
         "virtio_net", Phase.COMPLETE, 30,
         "Clear the no-interrupt flag, or with EVENT_IDX publish used_event = last_used_idx, "
         "and return that index for virtqueue_poll."),
    step("virtqueue_poll", "linux", VR, at(v4_19=827, v6_1=2368, v7_2=3217), "virtio_net",
         Phase.COMPLETE, 20,
         "After a barrier, whether used->idx has moved past the index "
         "virtqueue_enable_cb_prepare returned."),
    # -- refilling the ring ------------------------------------------------------------------
    step("try_fill_recv", "linux", VN, at(v4_19=1226, v6_1=1482, v7_2=2758), "virtio_net",
         Phase.XMIT, 100,
         "Post new receive buffers until the ring is full or memory runs out, then kick the "
         "device if it asked for a notification."),
    step("refill_work", "linux", VN, at(v4_19=1298, v6_1=1556), "virtio_net",
         Phase.XMIT, 300,
         "The delayed work virtnet_open (or a failed refill) schedules when the ring could "
         "not be filled: with NAPI disabled, try_fill_recv once more from a kworker; still "
         "empty, it tries again half a second later."),
    step("add_recvbuf_mergeable", "linux", VN, at(v4_19=1176, v6_1=1432, v7_2=2713),
         "virtio_net", Phase.XMIT, 80,
         "Carve a buffer of about the average packet length (at least one page fragment of "
         "min_buf_len) and post it as one device-writable descriptor.",
         notes={"7.2": "Linux 7.2 takes the buffer from the queue's page pool "
                       "(page_pool_alloc_va) of 4 KiB pages, not from 32 KiB page "
                       "fragments: more than half a page gets a whole page; a smaller "
                       "buffer is a fragment, and takes the rest of its page when the next "
                       "one of its size would not fit, so 1600 bytes asked give 1600, 2496, "
                       "1600, 2496 and so on. vtrace posts what the pool gives, at its "
                       "pages' addresses."}),
    step("get_mergeable_buf_len", "linux", VN, at(v4_19=1160, v6_1=1415, v7_2=2696),
         "virtio_net", Phase.XMIT, 20,
         "Size the next mergeable buffer: the header plus the average packet length "
         "receive_mergeable keeps (an EWMA of weight 1/64, include/linux/average.h), no "
         "less than min_buf_len and no more than a page, rounded up to a cache line.",
         notes={"4.19": "Linux 4.19 counts the header as sizeof(struct "
                        "virtio_net_hdr_mrg_rxbuf), 12 bytes; 6.1 and 7.2 take vi->hdr_len, "
                        "which is 24 under Linux 7.2 and QEMU 10.2 (UDP tunnel offloads)."},
         lesson="The lesson shows virtnet_find_vqs setting min_buf_len from "
                "mergeable_min_buf_len and says no more: it is the floor of every mergeable "
                "buffer, chosen so that a full ring holds a 64 KiB packet, and the EWMA of "
                "received lengths lifts the buffers toward a page."),
    step("page_pool_alloc_va", "linux", "include/net/page_pool/helpers.h", at(v7_2=191),
         "virtio_net", Phase.XMIT, 40,
         "Take the buffer from the receive queue's page pool of 4 KiB pages "
         "(page_pool_alloc_netmem): more than half a page gets a whole page; less, a fragment "
         "of the pool's current page, or of a new one when it has no room, which takes the "
         "rest of the page when another of its size would not fit. alloc_len says what it "
         "gave."),
    step("add_recvbuf_small", "linux", VN, at(v4_19=1085, v6_1=1340, v7_2=2619), "virtio_net",
         Phase.XMIT, 60,
         "Post one buffer big enough for a full-sized frame and its header."),
    step("add_recvbuf_big", "linux", VN, at(v4_19=1111, v6_1=1366, v7_2=2647), "virtio_net",
         Phase.XMIT, 120,
         "Post a buffer of pages, header first, big enough for a 64 KiB GSO packet: 19 "
         "scatter-gather entries, which go into one indirect descriptor when INDIRECT_DESC "
         "is negotiated (for big packets virtnet_find_vqs gives the receive queues no "
         "context, so vq->indirect stays on), a chain of 19 descriptors otherwise."),
    step("virtnet_rq_submit", "linux", VN, at(v7_2=2596), "virtio_net", Phase.XMIT, 30,
         "Describe the buffer in one scatter-gather entry and add it, premapped when the page "
         "pool did the DMA mapping."),
    step("virtqueue_add_inbuf", "linux", VR, at(v4_19=506, v6_1=2186, v7_2=2971), "virtio_net",
         Phase.XMIT, 40,
         "Add a buffer the device may only write (an 'in' buffer)."),
    step("virtqueue_add_inbuf_ctx", "linux", VR, at(v4_19=529, v6_1=2209, v7_2=3022),
         "virtio_net", Phase.XMIT, 40,
         "Add an 'in' buffer with a context pointer, which comes back with it from "
         "virtqueue_get_buf_ctx."),
    # -- the application ---------------------------------------------------------------------
    step("recvfrom", "app", None, {}, "app", Phase.APP, 400,
         "The application waits for a datagram in the recvfrom() system call."),
    step("__sys_recvfrom", "linux", "net/socket.c", at(v4_19=1817, v6_1=2183, v7_2=2277),
         "stack", Phase.APP, 250,
         "The kernel side of recvfrom(): find the socket and call its recvmsg."),
    step("tcp_recvmsg", "linux", "net/ipv4/tcp.c", at(v4_19=1929, v6_1=2709, v7_2=2930),
         "stack", Phase.APP, 400,
         "Copy the queued bytes to the user's buffer (from the skb's page fragments: the "
         "last copy of the payload) and free the skbs; the host's TCP sees the window open "
         "in the next ACK."),
    step("udp_recvmsg", "linux", UDP, at(v4_19=1665, v6_1=1842, v7_2=2031), "stack",
         Phase.APP, 400,
         "Take the next datagram from the receive queue (sleeping until sock_def_readable "
         "wakes it), copy the payload to the user's buffer and free the skb: the last copy "
         "of the payload."),
)
