"""Chinese texts for the vhost-net steps: ``text``, ``lesson`` and one entry per version note.

Keys match ``vhost_steps``; function names and fields stay as they are in the sources.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["ZH"]

_SIGNAL_RX = "收集到的已用缓冲区超过 64 个时，以及一轮结束时，发出信号。"

ZH: Mapping[str, Mapping[str, str]] = {
    # -- waking the worker --------------------------------------------------------------------
    "vhost_poll_wakeup": {
        "text": "挂在 eventfd 或 tap socket 上的等待队列回调：通知的 ioeventfd（由 VHOST_SET_VRING"
                "_KICK 设置）或 tun 的 sk_data_ready 都在发信号方的上下文中到达这里。它把这个 poll"
                " 的工作排给工作线程。",
        "lesson": "课程的命令行使用 -netdev tap,vhost=on，讲的却是 QEMU 自己的 virtio-net。vhost=o"
                  "n 时，KVM 的 ioeventfd 唤醒的是这个内核工作线程，QEMU 完全看不到这些包。",
    },
    "vhost_poll_queue": {
        "text": "把一个 poll 的工作项排到它所属设备的工作线程上。",
    },
    "vhost_work_queue": {
        "text": "把工作加入工作线程的无锁链表（已在队列中则不重复），并唤醒工作线程。",
        "7.2": "Linux 7.2 用 vhost_vq_work_queue 排到该虚拟队列自己的工作线程上（一个设备可以有多"
               "个）。",
    },
    "vhost_worker": {
        "text": "工作线程，名为 vhost-<QEMU pid>：取出排队的工作逐个运行（这里是 handle_tx_kick、h"
                "andle_rx_net 或 handle_rx_kick），然后睡眠直到被唤醒。",
        "4.19": "Linux 4.19 在内核线程中运行 vhost_worker。",
        "6.1": "Linux 6.1 在内核线程中运行 vhost_worker。",
        "7.2": "Linux 7.2 默认在从 QEMU 派生的 vhost_task 中运行 vhost_run_work_list；fork_owner "
               "设为 kthread 时，改由内核线程运行 vhost_run_work_kthread_list。",
    },
    # -- TX -----------------------------------------------------------------------------------
    "handle_tx_kick": {
        "text": "TX 队列的通知工作：为设备运行 handle_tx。",
    },
    "handle_tx": {
        "text": "持有队列互斥锁，关掉客户机通知（vhost_disable_notify），停止等待 socket 可写，然"
                "后以拷贝方式发送；socket 允许且设置了 experimental_zcopytx 时以零拷贝发送（默认为"
                " 0）。",
    },
    "vhost_disable_notify": {
        "text": "停止客户机通知：在已用环中写入 VRING_USED_F_NO_NOTIFY；启用 EVENT_IDX 时只改 vhos"
                "t 自己副本里的标志，停在原处的 avail_event 让客户机不再通知。",
    },
    "handle_tx_copy": {
        "text": "循环处理可用的 TX 缓冲区，直到没有剩余或本轮权重用完：取描述符，把包交给 tun，记"
                "下头描述符以便写入已用环。",
        "4.19": "Linux 4.19 每个包调用一次 sendmsg（后面还有包时带 MSG_MORE），每 64 个（VHOST_NET"
                "_BATCH）发一次已用信号。",
        "6.1": "Linux 6.1 在 tap 的 sndbuf 不受限（QEMU 的默认）时，为每个包构造一个 XDP 缓冲区，"
               "用 vhost_tx_batch 每次发送 64 个；一页装不下的包单独经 sendmsg 发送。",
        "7.2": "Linux 7.2 与 6.1 一样批处理：每个包 vhost_net_build_xdp，每 64 个 vhost_tx_batch。",
    },
    "handle_tx_zerocopy": {
        "text": "发送较大的包（至少 256 字节）时钉住客户机页面而不拷贝；tun 释放这些页面时才写入已"
                "用项。",
    },
    "get_tx_bufs": {
        "text": "取下一个可用描述符链（若有配置则短暂忙等），在它的缓冲区上建立消息；若 QEMU 要求"
                "去掉 vnet 头则跳过它。",
    },
    "vhost_get_vq_desc": {
        "text": "读取 avail->idx 和 last_avail_idx 处的头描述符，遍历描述符链，把客户机地址转换为 "
                "QEMU 进程的内存地址。没有新缓冲区时返回 vq->num。",
    },
    "vhost_net_build_xdp": {
        "text": "把包从客户机内存拷进一个按 XDP 缓冲区布局的页分片（vnet 头在前），留待批量发送。"
                "一页装不下时返回 -ENOSPC。",
    },
    "vhost_tx_batch": {
        "text": "用一次 sendmsg（TUN_MSG_PTR）把攒下的 XDP 缓冲区交给 tun，然后为它们发出已用信号"
                "。",
    },
    "tun_sendmsg": {
        "text": "tun socket 的 sendmsg：对一批 XDP 缓冲区逐个运行 tun_xdp_one；普通消息经由 tun_ge"
                "t_user 拷贝进来。",
        "4.19": "Linux 4.19 没有批量类型：每条消息都交给 tun_get_user。",
    },
    "tun_xdp_one": {
        "text": "如有 XDP 程序就运行它，不拷贝地围绕缓冲区构造 skb，应用 vnet 头，交给宿主机协议栈"
                "。",
    },
    "vhost_exceeds_weight": {
        "text": "处理满 256 个包或 0x80000 字节后结束本轮，把工作重新排队，让其他队列也有机会。",
    },
    "vhost_enable_notify": {
        "text": "没有剩余了：重新请求客户机通知，并报告期间是否又有缓冲区到来；若有，循环继续。",
    },
    # -- completion ---------------------------------------------------------------------------
    "vhost_net_signal_used": {
        "text": "把目前收集的头描述符一次写入已用环，只发一次信号。",
    },
    "vhost_add_used_and_signal_n": {
        "text": "写入已用元素，然后向客户机发信号。",
    },
    "vhost_add_used_n": {
        "text": "把 {id, len} 项拷进客户机内存中的 used->ring，屏障之后发布新的 used->idx。",
    },
    "vhost_signal": {
        "text": "如果 vhost_notify 认为客户机需要中断，就向队列的 call eventfd 发信号。",
    },
    "vhost_notify": {
        "text": "中断的判定：启用 EVENT_IDX 时用 vring_need_event(used_event, new, old)，否则看客"
                "户机的 VRING_AVAIL_F_NO_INTERRUPT 标志。",
    },
    "eventfd_signal": {
        "text": "增加 eventfd 的计数并唤醒等待者：call eventfd 是一个 KVM irqfd，所以它的等待队列"
                "回调是 irqfd_wakeup。",
        "7.2": "Linux 7.2 中 eventfd_signal 是不带计数参数的内联函数，实际工作在 eventfd_signal_ma"
               "sk（fs/eventfd.c:56）。",
    },
    "irqfd_wakeup": {
        "text": "KVM 在 irqfd 上的回调：尝试在当前上下文立即注入 MSI；如果不睡眠就做不到，就交给一"
                "个工作项。",
    },
    "kvm_arch_set_irq_inatomic": {
        "text": "经快速路径把 MSI 送到目标 vCPU 的本地 APIC 并踢醒该 vCPU；客户机无需 QEMU 就收到"
                "中断。",
        "7.2": "在 Linux 7.2 中它移到了 arch/x86/kvm/irq.c。",
    },
    "irqfd_inject": {
        "text": "慢速路径，在工作项中：用 kvm_set_irq 触发中断。",
    },
    # -- RX -----------------------------------------------------------------------------------
    "handle_rx_net": {
        "text": "tap 的 socket 有数据时排队的工作：运行 handle_rx。",
    },
    "handle_rx_kick": {
        "text": "RX 队列的通知工作，在客户机投放缓冲区之后：运行 handle_rx。",
    },
    "handle_rx": {
        "text": "关掉客户机通知和 socket 轮询，然后循环：查看下一个包的长度，取足够的 RX 缓冲区，"
                "用 recvmsg 把包收进去，写入 num_buffers。没有缓冲区时打开通知并等待；包留在 tun "
                "的环里。",
        "4.19": "Linux 4.19 在" + _SIGNAL_RX,
        "6.1": "Linux 6.1 在" + _SIGNAL_RX,
        "7.2": "Linux 7.2 在" + _SIGNAL_RX,
    },
    "vhost_net_rx_peek_head_len": {
        "text": "tun 环中下一个包的长度；若有配置，先忙等一会儿。",
    },
    "vhost_net_buf_peek": {
        "text": "查看 vhost 自己从 tun 环中取出的那批 skb，取空时再补充。",
    },
    "vhost_net_buf_produce": {
        "text": "用一次 ptr_ring_consume_batched 调用从 tun 的环中取出最多 64 个 skb。",
    },
    "get_rx_bufs": {
        "text": "取描述符链，直到能装下包和它的头：可合并缓冲区时可能要几个，否则一个。",
    },
    "tun_recvmsg": {
        "text": "tun socket 的 recvmsg，带着 vhost 已取出的 skb：tun_do_read 把它拷进客户机的缓冲"
                "区。",
    },
    # -- set-up: QEMU -------------------------------------------------------------------------
    "vhost_net_init": {
        "text": "使用 -netdev tap,vhost=on 时，net_init_tap_one 打开 /dev/vhost-net（或使用 vhostf"
                "d=），在 tap 的 fd 之上建立一个 vhost 设备。",
    },
    "vhost_dev_init": {
        "text": "初始化 vhost 设备：内核后端、VHOST_SET_OWNER、特性、每个虚拟队列，以及一个跟踪客"
                "户机内存的内存监听器。",
    },
    "vhost_kernel_set_owner": {
        "text": "ioctl(VHOST_SET_OWNER)：这个 QEMU 进程拥有该设备，内核为它创建工作线程。",
    },
    "virtio_net_vhost_status": {
        "text": "驱动设置 DRIVER_OK 时（virtio_net_set_status），为在用的队列对启动 vhost；设备停"
                "止时停止它。",
    },
    "vhost_net_start": {
        "text": "把客户机通知改走 KVM irqfd，然后启动每个队列对的 vhost 设备。",
    },
    "virtio_pci_set_guest_notifiers": {
        "text": "为每个队列准备一个 call eventfd；在 MSI-X 和 KVM 下，把它作为 irqfd 绑定到队列的"
                "向量。",
    },
    "kvm_virtio_pci_irqfd_use": {
        "text": "把一个队列的 eventfd 绑定到它的 MSI 路由。",
    },
    "kvm_irqchip_add_irqfd_notifier_gsi": {
        "text": "通过 kvm_irqchip_assign_irqfd 把 eventfd 绑定到该队列 MSI 路由的 GSI："
                "此后每当这个 eventfd 收到信号，KVM 就注入中断。",
    },
    "vhost_net_start_one": {
        "text": "启动一个队列对：vhost_dev_start，停止 QEMU 自己对 tap fd 的轮询，再为每个环把 tap"
                " 交给内核（VHOST_NET_SET_BACKEND）。从这里起 QEMU 离开了数据通路。",
        "3.1": "QEMU 3.1 在这里打开各队列的宿主通知器（vhost_dev_enable_notifiers）。",
        "7.2": "QEMU 7.2 在这里打开各队列的宿主通知器（vhost_dev_enable_notifiers）。",
        "10.2": "QEMU 10.2 更早地在 vhost_net_start 中打开宿主通知器（vhost_net_enable_notifiers）"
                "。",
    },
    "vhost_dev_start": {
        "text": "设置协商好的特性，发送客户机内存映射（VHOST_SET_MEM_TABLE），启动每个虚拟队列。",
    },
    "vhost_kernel_set_mem_table": {
        "text": "ioctl(VHOST_SET_MEM_TABLE)：客户机物理地址到 QEMU 虚拟地址的区域表，使内核能访问"
                "环和缓冲区。",
    },
    "vhost_virtqueue_start": {
        "text": "把一个环告诉内核：VHOST_SET_VRING_NUM、_BASE（QEMU 的 last_avail_idx）、_ADDR（de"
                "sc、avail、used 在 QEMU 地址空间中的位置）、_KICK（KVM 发信号的 ioeventfd）和 _CA"
                "LL（irqfd）。",
    },
    "vhost_kernel_set_vring_addr": {
        "text": "ioctl(VHOST_SET_VRING_ADDR)：告诉内核环的三个部分在 QEMU 地址空间中的位置。",
    },
    "vhost_kernel_set_vring_kick": {
        "text": "ioctl(VHOST_SET_VRING_KICK)：此后队列的 ioeventfd 唤醒 vhost 工作线程。",
    },
    "vhost_kernel_set_vring_call": {
        "text": "ioctl(VHOST_SET_VRING_CALL)：工作线程要发中断时向这个 eventfd（即 irqfd）发信号。",
    },
    "vhost_kernel_net_set_backend": {
        "text": "带着 tap 的 fd 执行 ioctl(VHOST_NET_SET_BACKEND)，每个环一次。",
    },
    # -- set-up: the host kernel --------------------------------------------------------------
    "vhost_net_open": {
        "text": "open(/dev/vhost-net)：分配设备及其 TX、RX 虚拟队列和挂在 tap socket 上的 poll；ha"
                "ndle_tx_kick、handle_rx_kick、handle_tx_net 和 handle_rx_net 成为它们的工作。",
    },
    "vhost_net_ioctl": {
        "text": "vhost-net 的 ioctl：SET_BACKEND 和 SET_OWNER 在这里处理，其余经由 vhost_dev_ioctl"
                "（内存表）和 vhost_vring_ioctl（环）。",
    },
    "vhost_dev_set_owner": {
        "text": "记录所有者的 mm，创建工作线程 vhost-<pid>。",
        "4.19": "Linux 4.19 创建一个运行 vhost_worker 的内核线程，并把它加入所有者的 cgroup。",
        "6.1": "Linux 6.1 创建一个运行 vhost_worker 的内核线程，并把它加入所有者的 cgroup。",
        "7.2": "Linux 7.2 用 vhost_worker_create 创建工作线程。",
    },
    "vhost_worker_create": {
        "text": "创建工作线程：默认是从所有者派生的 vhost_task（vhost_task_create），它共享所有者"
                "的 cgroup 和资源限制；fork_owner 要求时则是内核线程。",
    },
    "vhost_task_create": {
        "text": "把工作线程作为所有者进程的一个任务派生出来。",
    },
    "vhost_set_memory": {
        "text": "VHOST_SET_MEM_TABLE：拷入区域表，换上新的地址转换表。",
    },
    "vhost_vring_ioctl": {
        "text": "VHOST_SET_VRING_*：环的大小、起始索引、环地址、通知 eventfd（用 vhost_poll_wakeup"
                " 等待）和 call eventfd。",
    },
    "vhost_net_set_backend": {
        "text": "找到 tap 的 socket（tun_get_socket）和它的环（tun_get_tx_ring），挂到虚拟队列上，"
                "开始轮询这个 socket。",
    },
    "kvm_irqfd": {
        "text": "KVM_IRQFD：在 eventfd 上注册一个等待队列项，其回调是 irqfd_wakeup（kvm_irqfd_assi"
                "gn）。",
    },
}
