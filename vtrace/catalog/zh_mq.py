"""Chinese texts for the multiqueue steps: ``text`` and one entry per version note.

Keys match ``mq_steps``; function names and fields stay as they are in the sources.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["ZH"]

ZH: Mapping[str, Mapping[str, str]] = {
    "netdev_pick_tx": {
        "text": "为 skb 选发送队列：套接字缓存的队列仍然有效就用它，否则用 XPS 映射给发送 CPU 的队"
                "列（get_xps_queue），再不然按流哈希选（skb_tx_hash）。virtnet_set_affinity 给每个"
                "队列对分配了自己的 CPU，所以从 CPU n 发出的流走队列 n。",
        "4.19": "Linux 4.19 的 netdev_pick_tx 返回 netdev_queue；真正的选择在紧挨着定义在它上面的 "
                "__netdev_pick_tx 里。",
    },
    "virtnet_set_affinity": {
        "text": "把队列对分给在线的 CPU：每个队列对的中断发往它的 CPU，XPS 映射（__netif_set_xps_q"
                "ueue）让这些 CPU 发出的包走该队列对的 TX 队列。",
    },
    "virtnet_set_queues": {
        "text": "通过控制队列的命令让设备使用这么多队列对（探测时要的数目等于 CPU 数，最多为设备的"
                " max_virtqueue_pairs）；之后协议栈实际的 TX、RX 队列数随之改变。",
        "6.1": "Linux 6.1 的探测函数调用 _virtnet_set_queues，即不加 RTNL 锁的 virtnet_set_queues "
               "函数体。",
        "7.2": "协商了 RSS 时，Linux 7.2 把这个数放在 RSS 命令里发送（virtnet_commit_rss_command）"
               "，不再发 VQ_PAIRS_SET。",
    },
    "virtnet_send_command": {
        "text": "把命令的类别和代码、数据以及一个用于应答的状态字节放进控制队列，通知设备，然后自"
                "旋等待设备用掉这个缓冲区；状态字节为 VIRTIO_NET_OK 或 VIRTIO_NET_ERR。",
        "7.2": "Linux 7.2 在它所包装的 virtnet_send_command_reply 中完成，持有控制队列的互斥锁。",
    },
    "virtio_net_handle_ctrl": {
        "text": "控制队列的处理函数：弹出每条命令，读出类别和代码，交给该类别的处理函数，写状态字"
                "节并归还缓冲区。",
    },
    "virtio_net_handle_mq": {
        "text": "VIRTIO_NET_CTRL_MQ：对 VQ_PAIRS_SET，检查数目不超过设备的最大值并设置 curr_queue_"
                "pairs；对 RSS_CONFIG，读出密钥和间接表（virtio_net_handle_rss）并打开 RSS。",
        "3.1": "QEMU 3.1 只认识 VQ_PAIRS_SET：它没有 RSS。",
    },
    "virtio_net_set_queue_pairs": {
        "text": "启用后端（对 tap 来说是它的各个队列 fd）的前 curr_queue_pairs 个队列对，停用其余"
                "的。",
    },
    "virtio_net_set_queues": {
        "text": "QEMU 3.1 中 virtio_net_set_queue_pairs 的名字：启用后端的前 curr_queues 个队列对"
                "，停用其余的。",
    },
}
