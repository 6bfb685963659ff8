"""Chinese texts for the send path's steps: ``text``, ``lesson`` and one entry per version note.

Keys match ``send_steps``; function names and fields stay as they are in the sources.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["ZH"]

ZH: Mapping[str, Mapping[str, str]] = {
    "sendto": {
        "text": "应用程序通过 sendto() 系统调用把数据交给内核：一个 UDP 数据报，或者"
                "（--proto tcp）交给已连接 TCP socket 的字节流。",
    },
    "__sys_sendto": {
        "text": "sendto() 在内核里的实现：根据文件描述符找到 socket，把用户缓冲区包装成一条消息，"
                "交给协议的 sendmsg。",
    },
    "tcp_sendmsg": {
        "text": "TCP 把用户的字节复制进一个最大 64 KiB 的 skb 的页片段里，校验和只算一部分：有了 "
                "TSO，由设备（这里是宿主机）把它切成每段一个 MSS 的报文段；没有 TSO 时，由客户机"
                "的 validate_xmit_skb 来切。",
    },
    "udp_sendmsg": {
        "text": "UDP 查出到达目的地址的路由，构造一个 skb（负载前加上 UDP 头和 IP 头），再经由 IP "
                "层送往网络设备。",
    },
    "__dev_queue_xmit": {
        "text": "为 virtio 网卡选一个发送队列，让 skb 经过它的排队规则（qdisc）；队列空闲时，skb "
                "就继续交给驱动。",
    },
    "validate_xmit_skb": {
        "text": "设备缺少这个 skb 需要的特性。没有 TSO 时，skb_gso_segment 和 tcp_gso_segment 就"
                "在客户机里把 GSO skb 切成每个 MSS 一个 skb，逐个交给驱动；没有校验和卸载时，校验"
                "和也在这里算好，各段是线性的（没有分散聚集）。",
        "7.2": "Linux 7.2 先用 validate_xmit_unreadable_skb 丢掉不可读（设备内存）的 skb；分段的"
               "做法相同。",
    },
    "dev_hard_start_xmit": {
        "text": "调用驱动的 ndo_start_xmit 把 skb 交出去，同时告诉驱动后面是否紧跟着更多的包（"
                "xmit_more 提示）。",
        "4.19": "Linux 4.19 把这个提示放在 skb 里：skb->xmit_more。",
        "6.1": "到 Linux 5.2 时这个提示已经不在 skb 里了，驱动改用 netdev_xmit_more() 读取。",
        "7.2": "驱动用 netdev_xmit_more() 读取这个提示；在 7.2 里它背后是每 CPU 或每任务的状态。",
    },
    "start_xmit": {
        "text": "virtio_net 的发送函数：先收回设备已经用完的缓冲区，再把这个 skb 放进 TX 虚拟队列"
                "，最后决定要不要通知设备。",
        "4.19": "Linux 4.19：kick = !skb->xmit_more。NAPI TX 默认关闭，所以已用的缓冲区在这里，也"
                "就是下一次发送时才收回。",
        "6.1": "Linux 6.1：kick = !netdev_xmit_more()。NAPI TX 默认开启：回收期间先关掉 TX 中断，"
               "要通知设备之前再打开。",
        "7.2": "Linux 7.2：开启 NAPI TX 时这里不做任何回收，只关掉 TX 中断；是否通知由字节队列限"
               "制（__netdev_tx_sent_queue）决定，通知之后再重新打开中断。",
    },
    "virtqueue_disable_cb": {
        "text": "请设备不要为这个队列发中断：设置 VRING_AVAIL_F_NO_INTERRUPT；启用 EVENT_IDX 时则"
                "把 used_event 挪开。",
        "4.19": "启用 EVENT_IDX 时，Linux 4.19 只在驱动自己的影子副本里设置标志，不写环。",
        "6.1": "Linux 6.1（virtqueue_disable_cb_split）在启用 EVENT_IDX 时写 used_event = 0，除非"
               "中断已经触发过。",
        "7.2": "Linux 7.2（virtqueue_disable_cb_split）在启用 EVENT_IDX 时写 used_event = 0，除非"
               "中断已经触发过。",
    },
    "free_old_xmit_skbs": {
        "text": "收回设备自上次以来放回已用环的所有缓冲区，释放对应的 skb；它们的描述符回到空闲链"
                "表。",
        "7.2": "Linux 7.2 中它叫 free_old_xmit；它经由 __free_old_xmit，还会把完成的字节数报告给"
               "字节队列限制（netdev_tx_completed_queue）。",
    },
    "virtqueue_get_buf": {
        "text": "在 last_used_idx 处读出一个已用元素（头描述符编号和长度），把它的描述符链放回空"
                "闲链表；如果需要中断，就发布 used_event = last_used_idx。",
        "4.19": "在 Linux 4.19 中，全部实现都在 virtqueue_get_buf_ctx 里。",
        "6.1": "Linux 6.1 经 virtqueue_get_buf_ctx 转到 virtqueue_get_buf_ctx_split（第 787 行）"
               "完成实际工作。",
        "7.2": "Linux 7.2 经 virtqueue_get_buf_ctx 转到 virtqueue_get_buf_ctx_split（第 964 行）"
               "或它的按序变体。",
    },
    "virtqueue_enable_cb_delayed": {
        "text": "请设备等到在途缓冲区有四分之三用完时再发一次中断：used_event = last_used_idx 加"
                "上其中的 3/4。如果已经用完了这么多，就返回 false。",
        "6.1": "Linux 6.1 由 virtqueue_enable_cb_delayed_split（第 902 行）完成实际工作。",
        "7.2": "Linux 7.2 由 virtqueue_enable_cb_delayed_split（第 1133 行）完成实际工作。",
    },
    "virtio_net_hdr_from_skb": {
        "text": "按 GSO skb 填写这个头：NEEDS_CSUM 以及 csum_start 和 csum_offset（TCP 校验和从哪里"
                "算起、放在哪里），gso_type 为 TCPV4 或 TCPV6，gso_size（即 MSS）和 hdr_len（各"
                "层头部的长度）。",
    },
    "virtio_net_hdr_to_skb": {
        "text": "检查客户机的头并把它复制进 skb：部分校验和的起点和偏移，以及 gso 字段（标上 "
                "SKB_GSO_DODGY：它们是客户机写的）。",
    },
    "skb_gso_segment": {
        "text": "超帧要从一个不能分段 TCP 的设备离开：宿主机的 GSO 现在切分它。交付给本机套接字"
                "的包永远不会被切分。",
    },
    "tcp_gso_segment": {
        "text": "每个 MSS 的负载做成一个线路帧：复制各层头部，推进序号，PSH 和 FIN 只留在最后一"
                "段，并补全每一段的校验和。",
    },
    "xmit_skb": {
        "text": "在帧前面放上 virtio_net_hdr（校验和与分段提示；长度为 vi->hdr_len：有 VERSION_1 "
                "或 MRG_RXBUF 时 12 字节，有 HASH_REPORT 时 20 字节，两者都没有的传统设备上 10 字"
                "节），再把两者描述成一个分散聚集列表。",
        "7.2": "Linux 7.2 用 virtio_net_hdr_tnl_from_skb 填写这个头（它认识 UDP 隧道卸载），并经"
               "由 virtnet_add_outbuf 添加缓冲区。",
    },
    "virtnet_add_outbuf": {
        "text": "在令牌里标记缓冲区的类型（这里是 skb），让完成时知道该怎么释放它，然后添加缓冲区"
                "。",
    },
    "virtqueue_add_outbuf": {
        "text": "添加一个设备只能读的缓冲区（“out” 缓冲区），以一个分散聚集列表给出。",
    },
    "virtqueue_add": {
        "text": "按照队列的环布局把一串缓冲区加入队列；vtrace 的队列是 split 环。",
        "4.19": "Linux 4.19 只有一个实现：virtqueue_add 自己填写描述符、avail->ring 和 avail->idx"
                "。",
        "6.1": "Linux 6.1 在 virtqueue_add_split 和 virtqueue_add_packed 之间选择；这种拆分出现在"
               " Linux 5.0。",
        "7.2": "Linux 7.2 用 VIRTQUEUE_CALL 通过按布局划分的操作表分派（split、packed，以及各自的"
               "按序变体）。",
    },
    "virtqueue_add_split": {
        "text": "从空闲链表取一个描述符填好，把它的编号放进 avail->ring，经过写屏障后再增加 "
                "avail->idx，让设备看到它。",
    },
    "virtqueue_kick_prepare": {
        "text": "判断设备是否需要通知：启用 EVENT_IDX 时，只有设备的 avail_event 落在上次通知以来"
                "新加入的条目之中才通知；否则只要设备没有设置 VRING_USED_F_NO_NOTIFY 就通知。",
        "lesson": "课程里的 start_xmit 调用的是 virtqueue_kick()。从 Linux 4.19 起，start_xmit 自"
                  "己分别调用它的两半：virtqueue_kick_prepare() 和 virtqueue_notify()，以便统计通"
                  "知次数。",
        "6.1": "Linux 6.1 在 virtqueue_kick_prepare_split（第 700 行）里做这个判断。",
        "7.2": "Linux 7.2 通过 VIRTQUEUE_CALL 到达 virtqueue_kick_prepare_split（第 843 行）。",
    },
    "virtqueue_kick": {
        "text": "把 virtqueue_kick_prepare 和 virtqueue_notify 合成一次调用。其他驱动在用它；"
                "virtio_net 的 start_xmit 不用。",
        "lesson": "课程在 start_xmit 末尾展示的正是这个调用；回放展示的是 start_xmit 实际做的两次"
                  "调用。",
    },
    "virtqueue_notify": {
        "text": "调用传输层为这个队列提供的通知钩子；钩子失败就把队列标记为损坏。",
    },
    "vp_notify": {
        "text": "把队列编号写到设备 PCI BAR 中这个队列的通知地址。这一次写入就是通知（kick），客"
                "户机自己无法完成它。",
        "7.2": "协商了 VIRTIO_F_NOTIFICATION_DATA 时，Linux 7.2 改用 vp_notify_with_data：一次 32"
               " 位写入，同时带上环的位置。",
    },
    "handle_ept_misconfig": {
        "text": "VM 退出：这次写入落在 EPT 标记为 MMIO 的客户机页面上，于是 CPU 离开客户机，由 "
                "KVM 在同一个物理 CPU 上处理这次退出。",
        "4.19": "Linux 4.19 的 VMX 代码全在一个文件 arch/x86/kvm/vmx.c 里；后来移到了 "
                "arch/x86/kvm/vmx/vmx.c。",
    },
    "kvm_io_bus_write": {
        "text": "在 KVM 的快速 MMIO 总线上查找这个地址；QEMU 为每个队列的通知地址都在这里登记了 "
                "ioeventfd，匹配上就在内核里处理。",
    },
    "ioeventfd_write": {
        "text": "触发 eventfd，然后直接回到客户机：vCPU 线程根本不回 QEMU，被唤醒的是 QEMU 的主循"
                "环。",
        "lesson": "课程把通知画成一次回到 QEMU vCPU 线程的 VM 退出。有了 ioeventfd（"
                  "virtio-net-pci 默认开启），KVM 自己处理通知，vCPU 直接回到客户机；"
                  "--no-ioeventfd 可以回放课程里的路径。",
        "7.2": "在 Linux 7.2 中 eventfd_signal() 不再带计数参数。",
    },
    "vcpu_mmio_write": {
        "text": "内核里没有谁认领这个地址，于是 KVM 在 kvm_run 中填入 KVM_EXIT_MMIO，从 KVM_RUN "
                "ioctl 返回到 QEMU 的 vCPU 线程。",
    },
    "kvm_cpu_exec": {
        "text": "QEMU 的 vCPU 线程从 KVM_RUN 返回，看到 KVM_EXIT_MMIO，就通过 address_space_rw 把"
                "这次写入分派给拥有该地址的内存区域。",
        "3.1": "在 QEMU 3.1 中 vCPU 线程运行 cpus.c 里的 qemu_kvm_cpu_thread_fn，内存分派代码在 "
               "memory.c。",
        "7.2": "在 QEMU 7.2 中 vCPU 线程运行 accel/kvm/kvm-accel-ops.c 里的 kvm_vcpu_thread_fn；"
               "内存分派在 softmmu/memory.c。",
        "10.2": "在 QEMU 10.2 中 vCPU 线程运行 kvm_vcpu_thread_fn；内存分派移到了 system/memory.c"
                "。",
    },
    "virtio_pci_notify_write": {
        "text": "通知区域的写处理函数：把写入的偏移换算成队列编号，然后通知那个队列。",
    },
    "virtio_queue_notify": {
        "text": "通知一个队列：如果它的 ioeventfd 处理已开启，就触发宿主通知器；否则直接调用队列"
                "的输出处理函数，就像这里。",
        "3.1": "QEMU 3.1 根据 vq->handle_aio_output 来选择。",
        "7.2": "QEMU 7.2 根据 vq->host_notifier_enabled 来选择。",
        "10.2": "QEMU 10.2 根据 vq->host_notifier_enabled 来选择。",
    },
    "virtio_queue_host_notifier_read": {
        "text": "QEMU 主循环因队列的 eventfd 醒来，清除它，然后运行这个队列的处理函数。",
    },
    "virtio_queue_notify_vq": {
        "text": "调用为这个队列登记的输出处理函数；对 TX 队列来说就是 virtio_net_handle_tx_bh。",
    },
    "virtio_net_handle_tx_bh": {
        "text": "先不发送：设置 tx_waiting，关闭这个队列的客户机通知，安排 TX 下半部执行，让一次"
                "处理就能取走许多缓冲区。",
        "10.2": "QEMU 10.2 通过 replay_bh_schedule_event 来安排；如果队列已由 vhost 接管，就丢弃"
                "数据。",
    },
    "virtio_queue_set_notification": {
        "text": "告诉客户机是否需要通知：启用 EVENT_IDX 时写 avail_event（仅在通知开启时），否则"
                "设置或清除 VRING_USED_F_NO_NOTIFY。",
        "10.2": "QEMU 10.2 把这项工作拆成 virtio_queue_split_set_notification 和 "
                "virtio_queue_packed_set_notification。",
    },
    "replay_bh_schedule_event": {
        "text": "记录/回放机制安排下半部的方式；像这里这样没有开启记录/回放时，它直接调用 "
                "qemu_bh_schedule。",
    },
    "qemu_bh_schedule": {
        "text": "把下半部标记为已安排，并唤醒事件循环；主循环在下一轮运行它。",
    },
    "virtio_net_tx_bh": {
        "text": "TX 下半部：清空队列。如果发满了整整一批，就再次安排自己；否则重新打开通知，再清"
                "空一次，以免漏掉期间新加入的缓冲区。",
    },
    "virtio_net_flush_tx": {
        "text": "循环：弹出一个元素，把它的字节发给对端，放回已用环，可能还要给客户机发中断。",
    },
    "virtqueue_pop": {
        "text": "取下一个可用元素：在 last_avail_idx 处读 avail->ring，遍历它的描述符链，把客户机"
                "缓冲区映射到 QEMU 的地址空间。",
        "3.1": "QEMU 3.1 只有一个面向 split 环的实现，就在 virtqueue_pop 里。",
        "7.2": "QEMU 7.2 分派给 virtqueue_split_pop 或 virtqueue_packed_pop。",
        "10.2": "QEMU 10.2 分派给 virtqueue_split_pop 或 virtqueue_packed_pop。",
    },
    "virtqueue_split_pop": {
        "text": "virtqueue_pop 的 split 环实现：从 avail->ring 读出头描述符，推进 last_avail_idx"
                "，通知开启时发布 avail_event，并映射描述符链。",
    },
    "qemu_sendv_packet_async": {
        "text": "让包经过所有 netdev 过滤器，然后送进对端的接收队列；这块网卡的对端就是 tap 后端"
                "。",
    },
    "qemu_net_queue_send_iov": {
        "text": "如果队列空闲且对端能接收，就立即投递；否则把包追加到队列并返回 0，让 virtio-net "
                "等待。投递成功后，它还会把之前排队的包送出去。",
    },
    "qemu_deliver_packet_iov": {
        "text": "把包交给接收方客户端：它有 receive_iov 就调用它，否则经 nc_sendv_compat "
                "调用它的 receive。",
        "10.2": "QEMU 10.2 在这里加了防重入保护。",
    },
    "tap_receive_iov": {
        "text": "tap 打开时带了 IFF_VNET_HDR，所以客户机的 virtio_net_hdr 原样放在帧前面传下去。",
    },
    "tap_write_packet": {
        "text": "用 writev() 把头和帧写入 tap 的文件描述符：这是一次进入宿主内核的系统调用。如果 "
                "tap 写满了，就等它可写并返回 0。",
        "10.2": "QEMU 10.2 用 RETRY_ON_EINTR 包住这次 writev()。",
    },
    "tun_chr_write_iter": {
        "text": "tun 字符设备的写处理函数：QEMU 写入的字节变成 tap 接口上收到的一个包。",
    },
    "tun_get_user": {
        "text": "读出 virtio_net_hdr，把帧复制到一个新的 skb 里，并把头中的校验和与分段提示应用到"
                "它上面。",
        "7.2": "Linux 7.2 通过 drivers/net/tun_vnet.h 里的 tun_vnet_hdr_tnl_to_skb 应用这个头，它"
               "也认识 UDP 隧道卸载。",
    },
    "tun_rx_batched": {
        "text": "在关闭下半部的情况下把 skb 交给宿主机的网络协议栈；设置了 rx_batched 且后面还有"
                "包时会成批提交。",
        "lesson": "课程在这里展示的是 netif_rx_ni()。那个分支只在启用 CONFIG_4KSTACKS（32 位）时"
                  "编译；在 x86-64 上，tun_get_user 经由 tun_rx_batched() 到达 "
                  "netif_receive_skb()。",
    },
    "netif_rx_ni": {
        "text": "把 skb 放进本 CPU 的积压队列，并运行待处理的软中断。tun 只在用 4 KiB 内核栈编译"
                "的内核上使用它。",
        "lesson": "课程里的 tun_get_user 以 netif_rx_ni() 结束；x86-64 宿主机走的是 "
                  "tun_rx_batched()。到 Linux 6.1，netif_rx_ni() 已经删除，只剩 netif_rx()。",
    },
    "netif_receive_skb": {
        "text": "宿主机协议栈收到这个帧，就像它是从 tap 接口进来的一样；接下来由网桥或路由代码处"
                "理。",
    },
    "virtqueue_push": {
        "text": "归还元素：virtqueue_fill 把 {id, len} 写入 used->ring，然后 virtqueue_flush 发布"
                "新的 used->idx。",
        "7.2": "QEMU 7.2 把 fill 和 flush 分派给 virtqueue_split_fill 和 virtqueue_split_flush。",
        "10.2": "QEMU 10.2 把 fill 和 flush 分派给 virtqueue_split_fill 和 virtqueue_split_flush"
                "。",
    },
    "virtio_notify": {
        "text": "询问 virtio_should_notify 客户机是否需要中断：启用 EVENT_IDX 时，只有 used_event"
                " 落在上次中断以来新用掉的条目之中才需要。",
        "10.2": "设备在 IOThread 中运行时，QEMU 10.2 改用 irqfd 触发中断。",
    },
    "msix_notify": {
        "text": "查出这个队列所用向量的 MSI-X 表项（地址和数据），向量没有被屏蔽时就发出这条消息。",
    },
    "msi_send_message": {
        "text": "MSI 写：在设备的总线主控地址空间里，把消息的数据写到消息的地址（0xfee...，本地 "
                "APIC 的窗口），和真实的 PCI 设备一样。",
        "3.1": "QEMU 3.1 在这里自己完成这次写（address_space_stl_le）。",
        "7.2": "QEMU 7.2 调用设备的 msi_trigger 钩子，即 hw/pci/pci.c 里的 pci_msi_trigger，由它"
               "完成这次写。",
        "10.2": "QEMU 10.2 调用设备的 msi_trigger 钩子，即 hw/pci/pci.c 里的 pci_msi_trigger，由"
                "它完成这次写。",
    },
    "kvm_apic_mem_write": {
        "text": "使用 KVM 内核中的 APIC 时，MSI 窗口是 QEMU 的 kvm-apic-msi 区域；它的写处理函数把"
                "这次写还原成消息，继续交下去（kvm_send_msi）。",
    },
    "kvm_irqchip_send_msi": {
        "text": "在虚拟机的文件描述符上用 KVM_SIGNAL_MSI ioctl 把消息交给 KVM：一次从 QEMU 进入宿"
                "主机内核的系统调用。",
    },
    "kvm_send_userspace_msi": {
        "text": "内核里的 KVM_SIGNAL_MSI：确认中断控制器在内核中，把消息变成一个路由表项，再用 "
                "kvm_set_msi 投递。",
    },
    "kvm_set_msi": {
        "text": "把 MSI 的地址和数据解码成一个本地 APIC 中断（目标、向量、投递方式），投递给它指定"
                "的 vCPU 的 APIC。",
        "7.2": "Linux 7.2 把它从 irq_comm.c 移到了 arch/x86/kvm/irq.c。",
    },
    "__apic_accept_irq": {
        "text": "vCPU 的本地 APIC 接收这个向量：用 posted interrupt 投递，或者在 IRR 中置位并请求"
                "事件，然后踢一下 vCPU。客户机在 vCPU 下次进入时处理中断；vCPU 若在 HLT 中停着，"
                "被唤醒后立即处理。",
        "4.19": "Linux 4.19 先尝试 kvm_x86_ops->deliver_posted_interrupt，不行再置 IRR、发 "
                "KVM_REQ_EVENT 并调用 kvm_vcpu_kick。",
        "6.1": "Linux 6.1 通过 deliver_interrupt 静态调用投递（VMX 上可用时用 posted "
               "interrupt），然后踢一下 vCPU。",
        "7.2": "Linux 7.2 通过 kvm_x86_call(deliver_interrupt) 投递，然后踢一下 vCPU。",
    },
    "vring_interrupt": {
        "text": "客户机为这个队列注册的中断处理函数：如果已用环里有新条目，就运行队列的回调。",
    },
    "skb_xmit_done": {
        "text": "TX 队列的回调：关闭后续的 TX 中断，然后让 NAPI 收回缓冲区；没有 NAPI TX 时只唤醒"
                "队列。",
        "4.19": "Linux 4.19 默认关闭 napi_tx：中断只唤醒队列，缓冲区要到下一次 start_xmit 才收回"
                "。",
        "6.1": "Linux 6.1 默认开启 napi_tx（4.19 和 5.2 中是关闭的）：中断会安排 NAPI，立即收回缓"
               "冲区。",
        "7.2": "Linux 7.2 默认开启 napi_tx；关闭时通过 virtnet_tx_wake_queue 唤醒队列。",
    },
    "virtqueue_napi_schedule": {
        "text": "安排这个队列的 NAPI 轮询，它很快会在软中断上下文中运行。",
    },
    "virtnet_poll_tx": {
        "text": "TX 的 NAPI 轮询：收回已完成的缓冲区；如果队列曾因空间不足停下，就唤醒它；然后重"
                "新打开中断。",
        "4.19": "Linux 4.19 有这个函数，但 napi_tx 默认关闭，所以它不会运行。",
    },
}
