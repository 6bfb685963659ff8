"""Catalog data: several queue pairs, the transmit queue a packet takes and how the driver
turns the queues on.

``netdev_pick_tx`` is where the guest's stack picks a TX queue (XPS, from the map
``virtnet_set_affinity`` writes). At set-up, the driver tells the device how many
queue pairs to use with a VIRTIO_NET_CTRL_MQ command on the control queue
(``virtnet_set_queues`` → ``virtnet_send_command``), which QEMU handles in
``virtio_net_handle_mq``. The receive side's choice, ``virtio_net_process_rss``,
is in ``recv_steps``. Line numbers are definition lines in the trees of
``docs/sources.md``.
"""

from __future__ import annotations

from vtrace.catalog.base import Site, Step, at, step
from vtrace.catalog.send_steps import DEV, QVN, VN
from vtrace.model import Phase

__all__ = ["STEPS"]

STEPS: tuple[Step, ...] = (
    step("netdev_pick_tx", "linux", DEV, at(v4_19=3713, v6_1=4201, v7_2=4738), "stack",
         Phase.XMIT, 60,
         "Pick the skb's transmit queue: the socket's cached queue if it is still valid, else "
         "the queue the XPS map gives the sending CPU (get_xps_queue), else a hash of the flow "
         "(skb_tx_hash). virtnet_set_affinity gave each queue pair its own CPUs, so a flow "
         "sent from CPU n goes out on queue n.",
         notes={"4.19": "Linux 4.19's netdev_pick_tx returns the netdev_queue; the choice is "
                        "made in __netdev_pick_tx, defined just above it."}),
    step("virtnet_set_affinity", "linux", VN, at(v4_19=1940, v6_1=2343, v7_2=3975),
         "virtio_net", Phase.SETUP, 2000,
         "Spread the queue pairs over the online CPUs: each pair's interrupts go to its CPUs, "
         "and the XPS map (__netif_set_xps_queue) sends what those CPUs transmit on that "
         "pair's TX queue."),
    step("virtnet_set_queues", "linux", VN,
         {**at(v4_19=1799, v7_2=3725), "6.1": Site(2177, function="_virtnet_set_queues")},
         "virtio_net", Phase.SETUP, 300,
         "Ask the device to use this many queue pairs (the probe asks for as many as there "
         "are CPUs, at most the device's max_virtqueue_pairs), with a control-queue command; "
         "then the stack's real number of TX and RX queues follows.",
         notes={"6.1": "Linux 6.1's probe calls _virtnet_set_queues, the body of "
                       "virtnet_set_queues without the RTNL lock it takes.",
                "7.2": "With RSS negotiated, Linux 7.2 sends the number inside the RSS "
                       "command (virtnet_commit_rss_command) and skips VQ_PAIRS_SET."}),
    step("virtnet_send_command", "linux", VN, at(v4_19=1640, v6_1=2036, v7_2=3611),
         "virtio_net", Phase.SETUP, 400,
         "Put the command's class and code, its data and a status byte for the answer on the "
         "control queue, kick it, and spin until the device has used the buffer; the status "
         "says VIRTIO_NET_OK or VIRTIO_NET_ERR.",
         notes={"7.2": "Linux 7.2 does it in virtnet_send_command_reply, which this wraps, "
                       "under the control queue's mutex."}),
    step("virtio_net_handle_ctrl", "qemu", QVN, at(v3_1=975, v7_2=1541, v10_2=1594),
         "virtio-net", Phase.DEVICE, 150,
         "The control queue's handler: pop each command, read its class and code, hand it "
         "to the handler of that class, write the status byte and return the buffer."),
    step("virtio_net_handle_mq", "qemu", QVN, at(v3_1=940, v7_2=1445, v10_2=1498),
         "virtio-net", Phase.DEVICE, 100,
         "VIRTIO_NET_CTRL_MQ: for VQ_PAIRS_SET, check the number against the device's maximum "
         "and set curr_queue_pairs; for RSS_CONFIG, read the key and indirection table "
         "(virtio_net_handle_rss) and turn RSS on.",
         notes={"3.1": "QEMU 3.1 knows VQ_PAIRS_SET only: it has no RSS."}),
    step("virtio_net_set_queue_pairs", "qemu", QVN, at(v7_2=757, v10_2=768), "virtio-net",
         Phase.DEVICE, 200,
         "Enable the first curr_queue_pairs pairs of the peer (for a tap, its queue fds) "
         "and disable the rest."),
    step("virtio_net_set_queues", "qemu", QVN, at(v3_1=578), "virtio-net", Phase.DEVICE, 200,
         "QEMU 3.1's name for virtio_net_set_queue_pairs: enable the first curr_queues pairs "
         "of the peer and disable the rest."),
)
