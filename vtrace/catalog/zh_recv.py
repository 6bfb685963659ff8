"""Chinese texts for the receive path's steps: ``text``, ``lesson`` and one entry per version note.

Keys match ``recv_steps`` and ``recv_guest_steps``; function names and fields stay as they
are in the sources.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["ZH"]

ZH: Mapping[str, Mapping[str, str]] = {
    # -- the host sends -----------------------------------------------------------------------
    "host_sys_sendto": {
        "text": "宿主机上的一个程序对发往客户机地址的 UDP socket（或使用 --proto tcp 时，对连到客户"
                "机的 TCP socket）调用 sendto()；这是该调用在内核里的部分。",
    },
    "host_udp_sendmsg": {
        "text": "宿主机的 UDP 和 IP 构造数据报；到客户机地址的路由从 tap 接口出去（直接，或经过网"
                "桥）。",
    },
    "host_tcp_sendmsg": {
        "text": "宿主机程序写一个连到客户机的 TCP socket；TCP 构造一个最大 64 KiB 的 skb（gso_size"
                " 为 MSS，校验和只算一部分）。若 QEMU 已用 TUNSETOFFLOAD 告诉 tap 客户机接受 TSO，"
                "宿主机上没人切它；否则 validate_xmit_skb 在 tap 之前切分它。",
    },
    "host_dev_queue_xmit": {
        "text": "把帧排到 tap 设备上，经 dev_hard_start_xmit 到达 tap 的发送函数。在 tap 上“发送”"
                "，就是交给持有它文件的那一方。",
    },
    "tun_net_xmit": {
        "text": "tap 的 ndo_start_xmit：解除 skb 与 socket 的关联，把它放进 tun 文件的 ptr_ring（t"
                "x_ring；环满则丢弃），再调用 socket 的 sk_data_ready。",
    },
    "tun_sk_data_ready": {
        "text": "唤醒在 tun 文件上等待的一方：QEMU 主循环在 poll 它的 fd；使用 vhost-net 时则是 vh"
                "ost 工作线程挂在 tun socket 上的 poll 项。",
    },
    # -- QEMU reads the tap -------------------------------------------------------------------
    "tap_send": {
        "text": "QEMU 主循环里 tap fd 的读处理函数：逐个读包并交给网卡。read() 读不到、满 50 个包"
                "、或有包没能交付时停止；最后一种情况下它会关掉读取。",
        "7.2": "QEMU 7.2 在对端需要时把短于 60 字节的帧补齐。",
        "10.2": "QEMU 10.2 同样补齐短帧，并在遇到不长于 vnet 头的包时停止。",
    },
    "tap_read_packet": {
        "text": "从 tap fd 中 read() 一个包（前面带着 virtio_net_hdr）到 TAPState 的缓冲区：一次进"
                "入宿主机内核的系统调用。",
    },
    "tun_chr_read_iter": {
        "text": "tun 字符设备的读处理函数：为这个文件读出一个包，不阻塞（QEMU 以非阻塞方式打开 tap"
                "）。",
    },
    "tun_do_read": {
        "text": "从文件的环中取下一个 skb（除非调用方 vhost-net 带来了它已取出的那个），并把它拷贝"
                "出去；XDP 帧改走 tun_put_user_xdp。",
    },
    "tun_ring_recv": {
        "text": "从文件的 tx_ring 执行 ptr_ring_consume；环空且非阻塞时返回 -EAGAIN，QEMU 的读循环"
                "就此结束。",
    },
    "tun_put_user": {
        "text": "先写出一个根据 skb 构造的 virtio_net_hdr（校验和与 GSO 状态），再把帧本身拷贝到读"
                "者的缓冲区：负载被拷进用户空间（对 vhost 而言则直接进入客户机内存）。",
        "7.2": "Linux 7.2 用 drivers/net/tun_vnet.h 里的辅助函数构造这个头，它们也认识 UDP 隧道卸"
               "载。",
    },
    # -- QEMU's net layer ---------------------------------------------------------------------
    "qemu_send_packet_async": {
        "text": "把包从 tap 发给它的对端 virtio-net 网卡；需要等待的包以 tap_send_completed 作为回"
                "调。",
    },
    "qemu_send_packet_async_with_flags": {
        "text": "先经过 tap 的 TX 过滤器和网卡的 RX 过滤器，再把包交给网卡的接收队列。",
    },
    "qemu_net_queue_send": {
        "text": "如果队列正在投递，或者网卡无法接收，就把包追加到队列并返回 0。否则投递它；投递返"
                "回 0 时也追加。投递之后，冲刷先前排队的包。",
    },
    "qemu_can_send_packet": {
        "text": "虚拟机必须在运行，对端不能处于禁止接收状态，并且它的 can_receive 要回答可以。",
        "7.2": "QEMU 7.2 通过 qemu_can_receive_packet 询问对端。",
        "10.2": "QEMU 10.2 通过 qemu_can_receive_packet 询问对端。",
    },
    "qemu_net_queue_deliver": {
        "text": "把队列标记为正在投递，以只有一个元素的 iovec 调用队列的投递函数 qemu_deliver_pack"
                "et_iov。",
    },
    "nc_sendv_compat": {
        "text": "virtio-net 没有 receive_iov，于是 iovec 被变成一个连续缓冲区（有多段时要拷贝），"
                "交给网卡的 receive 函数。",
    },
    "qemu_net_queue_append": {
        "text": "把包拷贝进一个 NetPacket，连同它的发送完成回调挂到队尾；没有回调时，队列满了就丢"
                "弃。",
    },
    "qemu_net_queue_flush": {
        "text": "按顺序投递排队的包，每投递成功一个就运行它的回调。投递返回 0 时，把包放回队头并停"
                "止。",
        "lesson": "课程里的调用链 qemu_net_queue_send_iov → qemu_net_queue_flush → "
                  "qemu_net_queue_deliver 是先前排队的包走的路，并非每个包都这样走：队列空闲且对端"
                  "能接收时，包当场交给 qemu_net_queue_deliver_iov，之后的 flush 只投递不得不等待的"
                  "包（这里是客户机没有缓冲区时到达的包）。",
    },
    # -- virtio-net receives ------------------------------------------------------------------
    "virtio_net_receive": {
        "text": "网卡的接收函数（net_virtio_info.receive）。",
        "3.1": "QEMU 3.1 自己加 RCU 读锁并调用 virtio_net_receive_rcu。",
        "7.2": "QEMU 7.2 在开启 RSC 时把包交给接收段合并，否则交给 virtio_net_do_receive。",
        "10.2": "QEMU 10.2 在开启 RSC 时把包交给接收段合并，否则交给 virtio_net_do_receive。",
    },
    "virtio_net_do_receive": {
        "text": "在 RCU 读锁保护下调用 virtio_net_receive_rcu。",
    },
    "virtio_net_receive_rcu": {
        "text": "检查队列能否接收、是否有空间，按 MAC 过滤，然后弹出 RX 缓冲区，把头和帧拷进去，直"
                "到装下整帧：一个缓冲区，或在可合并缓冲区下需要几个就用几个，个数记在 num_buffers"
                "。然后把它们放回已用环并通知客户机。没有空间时返回 0：包只能等待。",
        "3.1": "QEMU 3.1 在弹出循环内部就把每个元素填入已用环。",
        "7.2": "QEMU 7.2 先保存弹出的元素，循环结束后再全部填入；出错时改为分离（detach）它们。",
        "10.2": "QEMU 10.2 与 7.2 一样在循环后填入，并且在检查队列能否接收之前先做软件 RSS。",
    },
    "virtio_net_process_rss": {
        "text": "开启软件 RSS 时：对包的地址和端口做哈希，从间接表里选出它的 RX 队列；默认关闭"
                "（rss=on 打开它，vtrace 在 --queues 大于 1 时就这样做）。",
    },
    "virtio_net_can_receive": {
        "text": "虚拟机在运行、该队列对在使用、RX 队列已建立、驱动已设置 DRIVER_OK。它不检查缓冲区"
                "。",
    },
    "virtio_net_has_buffers": {
        "text": "已投放的缓冲区够不够装下这个包？不够就打开客户机通知，使客户机下次补充时会通知设"
                "备，并再检查一次。够就关闭通知。",
        "3.1": "QEMU 3.1 检查 virtio_queue_empty（对可合并缓冲区还检查 virtqueue_avail_bytes），打"
               "开通知后再检查一次。",
        "7.2": "Debian 的 QEMU 7.2 带有上游修复，用 virtio_queue_enable_notification_and_check 循"
               "环检查。",
        "10.2": "QEMU 10.2 用 virtio_queue_enable_notification_and_check 循环检查。",
    },
    "virtio_queue_enable_notification_and_check": {
        "text": "打开客户机通知，并报告在统计可用字节之后是否又有新缓冲区加入，以消除与补充之间的"
                "竞争。",
    },
    "receive_filter": {
        "text": "按目的地址接受或丢弃：混杂模式、广播、组播与单播 MAC 表、VLAN 过滤。被丢弃的包也"
                "算作已交付。",
    },
    "receive_header": {
        "text": "把从 tap 来的 virtio_net_hdr 拷进第一个缓冲区（顺便修正某些 DHCP 应答的校验和）；"
                "可合并缓冲区在拷贝之后再写入 num_buffers。",
    },
    "virtqueue_fill": {
        "text": "解除元素的映射，把 {id, len} 写进 used->ring 的 used_idx + idx 处；在 virtqueue_f"
                "lush 之前客户机看不到它。",
    },
    "virtqueue_split_fill": {
        "text": "virtqueue_fill 的分离环实现：写入已用元素。",
    },
    "virtqueue_detach_element": {
        "text": "放弃一个元素而不还给客户机：解除映射，不再把它算作在途。",
    },
    "virtqueue_flush": {
        "text": "写屏障之后发布 used->idx += count：客户机现在能看到填好的缓冲区了。",
    },
    "virtqueue_split_flush": {
        "text": "virtqueue_flush 的分离环实现：发布 used->idx。",
    },
    # -- the stall and the restart ------------------------------------------------------------
    "tap_read_poll": {
        "text": "在主循环中打开或关闭对 tap fd 的读取（tap_update_fd_handler）。关闭时，包堆积在 t"
                "un 文件的环里，最多到 tap 的 tx_queue_len。",
    },
    "virtio_net_handle_rx": {
        "text": "RX 队列的通知处理函数：客户机投放了缓冲区，于是把在网卡接收队列里等待的包交付出去"
                "。",
        "lesson": "课程把 virtio_net_handle_rx 称为处理网络包接收的函数。其实它只在客户机补充缓冲"
                  "区后通知 RX 队列时运行；包是经由 tap_send 和 virtio_net_receive 到达的。",
    },
    "qemu_flush_queued_packets": {
        "text": "重新允许网卡接收，并通过 qemu_flush_or_purge_queued_packets 冲刷它的接收队列；队"
                "列清空后唤醒主循环。",
    },
    "tap_send_completed": {
        "text": "那个等待过的包的发送完成回调：它已交付，于是重新开始读 tap。",
    },
    # -- guest: interrupt and NAPI ------------------------------------------------------------
    "skb_recv_done": {
        "text": "RX 队列的回调，由 vring_interrupt 调用：调度该队列的 NAPI。",
        "7.2": "Linux 7.2 还会为动态中断调节统计这次调用。",
    },
    "__napi_schedule": {
        "text": "把 NAPI 实例放进本 CPU 的轮询列表并触发 NET_RX_SOFTIRQ；virtqueue_napi_schedule "
                "已经关掉了该队列的中断。",
    },
    "net_rx_action": {
        "text": "接收软中断：以各自的权重（virtio_net 为 64）轮询每个已调度的 NAPI，直到用完 netde"
                "v_budget（300 个包）或两个 jiffy。",
    },
    "virtnet_poll": {
        "text": "RX 的 NAPI 轮询函数：回收配对的 TX 队列，在预算内接收；收到的包少于预算时，完成 N"
                "API 并重新打开中断。",
        "7.2": "Linux 7.2 只要有预算，就先关掉 RX 队列的中断（virtqueue_disable_cb）。",
    },
    "virtnet_poll_cleantx": {
        "text": "开启 NAPI TX 时，在这里也回收配对 TX 队列的已用缓冲区，并在它重新有空间时唤醒 TX "
                "队列。",
        "4.19": "Linux 4.19 中 napi_tx 默认关闭，所以它立即返回。",
        "6.1": "Linux 6.1 在关闭 TX 中断的情况下循环，直到 virtqueue_enable_cb_delayed 成功。",
        "7.2": "Linux 7.2 与 6.1 一样循环，并经由 virtnet_tx_wake_queue 唤醒队列。",
    },
    "virtnet_receive": {
        "text": "在完成数少于预算时逐个取出已用缓冲区，把每个变成 skb；然后在空闲缓冲区足够多时补"
                "充环。",
        "4.19": "Linux 4.19 在超过一半的环空闲时补充（num_free > size / 2）；补充失败时调度 refill"
                "_work。",
        "6.1": "Linux 6.1 在 num_free > min(budget, size) / 2 时补充，即默认预算下空闲超过 32 个；"
               "补充失败时调度 refill_work。",
        "7.2": "Linux 7.2 在 virtnet_receive_packets 中接收；补充条件为 num_free > min(budget, siz"
               "e) / 2，补充失败时返回整个预算，使 NAPI 再次轮询。",
    },
    "virtnet_receive_packets": {
        "text": "接收循环：有页池时（可合并缓冲区或小缓冲区）经由 virtnet_rq_get_buf，大包模式经由"
                " virtqueue_get_buf。",
    },
    "virtnet_rq_get_buf": {
        "text": "从 RX 队列取出下一个已用缓冲区及其上下文。",
    },
    "virtqueue_get_buf_ctx": {
        "text": "读出 last_used_idx 处的已用元素（头描述符和写入长度），释放它的描述符，返回缓冲区"
                "的令牌和上下文。",
        "6.1": "Linux 6.1 由 virtqueue_get_buf_ctx_split（第 787 行）完成实际工作。",
        "7.2": "Linux 7.2 经 VIRTQUEUE_CALL 由 virtqueue_get_buf_ctx_split（第 964 行）完成实际工"
               "作。",
    },
    "receive_buf": {
        "text": "按缓冲区投放的方式构造 skb：可合并、大包或小缓冲区。然后应用 virtio_net_hdr（校验"
                "和、GSO），设置协议，把 skb 交给 GRO。",
        "7.2": "Linux 7.2 把应用头和移交的工作留给 virtnet_receive_done。",
    },
    "receive_mergeable": {
        "text": "可合并缓冲区（VIRTIO_NET_F_MRG_RXBUF，默认开启）：围绕第一个缓冲区构造 skb，再取"
                "出 num_buffers - 1 个已用缓冲区作为分片加进去。",
        "7.2": "Linux 7.2 经由 virtnet_rq_get_buf 取后续缓冲区，用 virtnet_skb_append_frag 加入。",
    },
    "receive_small": {
        "text": "小缓冲区（既无可合并缓冲区也无大包）：整帧在一个缓冲区里，build_skb 直接包装它，"
                "不拷贝。",
        "7.2": "Linux 7.2 在 receive_small_build_skb 中构造它。",
    },
    "receive_big": {
        "text": "大包（客户机 GSO 而无可合并缓冲区）：每个缓冲区是一串页，由 page_to_skb 做成 skb"
                "。",
    },
    "page_to_skb": {
        "text": "分配一个 skb，把 virtio_net_hdr 和帧的开头拷进它的线性区，其余部分作为页分片挂上"
                "。",
    },
    "guest_virtio_net_hdr_to_skb": {
        "text": "把 QEMU 从 tap 拷来的头应用到 skb：NEEDS_CSUM 使它成为 CHECKSUM_PARTIAL（TCP 信任"
                "它）；GSO 字段使它成为每段 gso_size 的 GSO skb，像 LRO，并标上 SKB_GSO_DODGY"
                "（字段是设备写的）。",
        "7.2": "Linux 7.2 在 virtnet_receive_done 中调用 virtio_net_hdr_tnl_to_skb，它也认识 UDP "
               "隧道卸载。",
    },
    "virtnet_receive_done": {
        "text": "应用 RSS 哈希、校验和标志和头（包括隧道卸载），设置协议，把 skb 交给 GRO。",
    },
    # -- guest: GRO and the stack -------------------------------------------------------------
    "napi_gro_receive": {
        "text": "把 skb 交给 GRO，GRO 可能把它与同一流的其他包合并；GRO 不留下的包继续送往协议栈。",
        "4.19": "在 Linux 4.19 中，GRO 不合并的包立刻上送：napi_skb_finish 调用 netif_receive_skb_"
                "internal。",
        "6.1": "Linux 6.1（net/core/gro.c）把 GRO 不合并的包放进 NAPI 的 rx_list；攒够 8 个（gro_n"
               "ormal_batch）或轮询结束时，协议栈才看到它。",
        "7.2": "在 Linux 7.2 中它是 gro_receive_skb（net/core/gro.c:638）的内联包装，批处理方式与 "
               "6.1 相同。",
    },
    "dev_gro_receive": {
        "text": "运行各协议的 GRO 处理函数（先 IPv4，再 UDP 或 TCP）。没有开启 UDP GRO 的普通 UDP "
                "socket 要求立即冲刷，来自设备的 GSO skb 也一样：不被留住，GRO_NORMAL。TCP 报文"
                "段被留住（GRO_HELD），或合并进一个被留住的包（GRO_MERGED）。",
    },
    "inet_gro_receive": {
        "text": "IPv4 的 GRO 处理函数：把 IP 头与 GRO 留住的包比较，再调用传输层的处理函数 "
                "tcp4_gro_receive。",
    },
    "tcp4_gro_receive": {
        "text": "TCP 的 GRO：报文段的校验和不是部分计算、也不会被冲刷时先校验它，然后 "
                "tcp_gro_receive 在报文段接续被留住的包时把它追加上去。超帧（tap 接受了 TSO）已"
                "是 GSO，dev_gro_receive 让它冲刷：没有包被留住。MSS 大小的报文段（客户机没有 "
                "TSO，由宿主机切出）会被合并。",
        "4.19": "Linux 4.19 的 dev_gro_receive 冲刷所有 GSO skb；两个超帧本来也合并不了，"
                "skb_gro_receive 止于 64 KiB。",
        "6.1": "Linux 6.1 的 dev_gro_receive 冲刷带 SKB_GSO_DODGY 的 GSO skb，而 "
               "virtio_net_hdr_to_skb 给每个都加上了它；skb_gro_receive 止于 64 KiB"
               "（gro_max_size）。",
        "7.2": "Linux 7.2 的 dev_gro_receive 冲刷带 SKB_GSO_DODGY 的 GSO skb，而 "
               "virtio_net_hdr_to_skb 给每个都加上了它；skb_gro_receive 止于 64 KiB"
               "（gro_max_size）。",
    },
    "netif_receive_skb_internal": {
        "text": "把一个 skb 交给协议栈：RPS 可能把它转到别的 CPU，否则由 __netif_receive_skb 调用"
                "协议处理函数，IPv4 为 ip_rcv。",
    },
    "gro_normal_one": {
        "text": "把 skb 加入 NAPI 的 rx_list；列表攒够 gro_normal_batch（8）个包时，全部上送。",
    },
    "gro_normal_list": {
        "text": "用一次 netif_receive_skb_list_internal 调用，把攒下的列表交给协议栈。",
    },
    "netif_receive_skb_list_internal": {
        "text": "接收一串 skb：协议处理函数也以列表形式拿到它们，IPv4 为 ip_list_rcv。（Linux 4.19"
                " 也有它，但其 GRO 路径不用它。）",
    },
    "ip_rcv": {
        "text": "单个包的 IPv4 输入：检查头部，运行 PRE_ROUTING 钩子，查路由；目的是本机地址时调用"
                " ip_local_deliver。",
    },
    "ip_list_rcv": {
        "text": "一串包的 IPv4 输入：逐个检查头部，按子列表查路由，本机的包经由 ip_local_deliver "
                "交付。",
    },
    "ip_local_deliver": {
        "text": "重组分片，运行 LOCAL_IN 钩子，调用传输层协议的处理函数 udp_rcv。",
    },
    "udp_rcv": {
        "text": "UDP 输入：检查长度和校验和，按地址和端口查找 socket，把数据报排给它。",
        "7.2": "Linux 7.2 在 udp_rcv 自身中完成这些工作；__udp4_lib_rcv 已不存在。",
    },
    "__udp4_lib_rcv": {
        "text": "udp_rcv 的主体：验证头部，找到 socket，把 skb 传下去。",
    },
    "udp_queue_rcv_skb": {
        "text": "运行 socket 过滤器，把 skb 计入 socket 的接收缓冲区，再放进 socket 的接收队列（__"
                "udp_enqueue_schedule_skb），并唤醒读者。",
        "6.1": "Linux 6.1 在这里拆分 GSO 包，每个分段经由 udp_queue_rcv_one_skb 入队。",
        "7.2": "Linux 7.2 在这里拆分 GSO 包，每个分段经由 udp_queue_rcv_one_skb 入队。",
    },
    "tcp_v4_rcv": {
        "text": "TCP 输入：检查头部（CHECKSUM_PARTIAL 的 skb 不必再算校验和），查找已建立连接的 "
                "socket，在它的锁下处理报文段。",
    },
    "tcp_v4_do_rcv": {
        "text": "已建立的连接：tcp_rcv_established 把按序到达的数据放进接收队列（tcp_data_queue），"
                "安排 ACK，并唤醒读者。",
    },
    "sock_def_readable": {
        "text": "socket 的 sk_data_ready：唤醒在这个 socket 上 recvfrom() 等待的任务。",
    },
    "napi_complete_done": {
        "text": "结束 NAPI 轮询：冲刷 GRO 留住的包和 rx_list 中尚未上送的包，然后清除已调度状态。",
        "4.19": "Linux 4.19 没有 rx_list：GRO 没留住的包协议栈都已经看到了。",
    },
    "virtqueue_napi_complete": {
        "text": "重新打开队列的中断（virtqueue_enable_cb_prepare），完成 NAPI；如果期间又有已用缓"
                "冲区到来（virtqueue_poll），就再次调度 NAPI。",
    },
    "virtqueue_enable_cb_prepare": {
        "text": "清除不要中断的标志，或在启用 EVENT_IDX 时发布 used_event = last_used_idx，并把这"
                "个索引返回给 virtqueue_poll。",
    },
    "virtqueue_poll": {
        "text": "屏障之后，检查 used->idx 是否已越过 virtqueue_enable_cb_prepare 返回的索引。",
    },
    # -- guest: refilling the ring ------------------------------------------------------------
    "try_fill_recv": {
        "text": "投放新的接收缓冲区，直到环满或内存不足，然后在设备要求通知时通知它。",
    },
    "refill_work": {
        "text": "环没能填满时，virtnet_open（或一次失败的补充）安排的延迟工作：在关掉 NAPI 的情况下"
                "，由 kworker 再调用一次 try_fill_recv；仍然是空的，就半秒后再试。",
    },
    "add_recvbuf_mergeable": {
        "text": "切出一块约为平均包长的缓冲区（至少一个 min_buf_len 的页分片），作为一个设备可写的"
                "描述符投放。",
        "7.2": "Linux 7.2 从队列的 4 KiB 页池取缓冲区（page_pool_alloc_va），而不是从 32 KiB "
               "的页分片切：超过半页的请求得到整页；更小的是一个分片，当页里剩下的放不下下一个"
               "同样大小的缓冲区时，它连剩余部分一起拿走，所以要 1600 字节时依次得到 1600、"
               "2496、1600、2496……vtrace 投放页池给的长度，地址在页池的页中。",
    },
    "get_mergeable_buf_len": {
        "text": "确定下一个可合并缓冲区的大小：头部加上 receive_mergeable 维护的平均包长"
                "（权重 1/64 的 EWMA，include/linux/average.h），不小于 min_buf_len，"
                "不大于一页，向上取整到缓存行。",
        "4.19": "Linux 4.19 把头部长度算作 sizeof(struct virtio_net_hdr_mrg_rxbuf)，即 12 字节；"
                "6.1 和 7.2 用 vi->hdr_len，在 Linux 7.2 与 QEMU 10.2 下为 24（UDP 隧道卸载）。",
        "lesson": "课程展示了 virtnet_find_vqs 用 mergeable_min_buf_len 设置 min_buf_len，但没有说"
                  "它的用途：它是每个可合并缓冲区的下限，使装满的环能容纳一个 64 KiB 的包；收到的"
                  "包长的 EWMA 再把缓冲区往一页的大小抬。",
    },
    "add_recvbuf_small": {
        "text": "投放一个足以装下整帧及其头部的缓冲区。",
    },
    "add_recvbuf_big": {
        "text": "投放一个由页组成的缓冲区（头部在前），足以装下 64 KiB 的 GSO 包：19 个分散聚集项，"
                "协商了 INDIRECT_DESC 时放进一个间接描述符（大包模式下 virtnet_find_vqs 不给接收"
                "队列上下文，所以 vq->indirect 保持开启），否则在环里串成 19 个描述符的链。",
    },
    "page_pool_alloc_va": {
        "text": "从接收队列的 4 KiB 页池取缓冲区（page_pool_alloc_netmem）：超过半页的请求"
                "得到整页；更小的得到当前页的一个分片（当前页没有空间时换一页），当页里剩下的"
                "放不下下一个同样大小的缓冲区时连剩余部分一起拿走。alloc_len 是实际给出的长度。",
    },
    "virtnet_rq_submit": {
        "text": "用一个分散聚集项描述缓冲区并加入队列；页池已做好 DMA 映射时以预映射方式加入。",
    },
    "virtqueue_add_inbuf": {
        "text": "加入一个设备只能写的缓冲区（“in” 缓冲区）。",
    },
    "virtqueue_add_inbuf_ctx": {
        "text": "加入一个带上下文指针的 “in” 缓冲区，这个指针会随它从 virtqueue_get_buf_ctx 返回。",
    },
    # -- guest: the application ---------------------------------------------------------------
    "recvfrom": {
        "text": "应用程序在 recvfrom() 系统调用中等待一个数据报。",
    },
    "__sys_recvfrom": {
        "text": "recvfrom() 在内核里的实现：找到 socket，调用它的 recvmsg。",
    },
    "tcp_recvmsg": {
        "text": "把排队的字节拷到用户缓冲区（从 skb 的页片段拷出：负载的最后一次拷贝）并释放 skb；"
                "宿主机的 TCP 在下一个 ACK 里看到窗口打开。",
    },
    "udp_recvmsg": {
        "text": "从接收队列取出下一个数据报（睡眠直到 sock_def_readable 唤醒它），把负载拷到用户缓"
                "冲区并释放 skb：负载的最后一次拷贝。",
    },
}
