"""Chinese texts for the set-up steps: ``text`` and one entry per version note.

Keys match ``setup_steps``; function names and fields stay as they are in the sources.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["ZH"]

ZH: Mapping[str, Mapping[str, str]] = {
    "net_init_clients": {
        "text": "QEMU 启动时先创建所有 -netdev 后端，再创建设备：它遍历 netdev 选项，逐个初始化。",
        "7.2": "QEMU 7.2 先为 JSON 形式的 -netdev 选项运行 netdev_init_modern()，它们直接进入 "
               "net_client_init1。",
        "10.2": "QEMU 10.2 先为 JSON 形式的 -netdev 选项运行 netdev_init_modern()，它们直接进入 "
                "net_client_init1。",
    },
    "net_init_netdev": {
        "text": "把一组 -netdev 选项初始化为一个后端。",
    },
    "net_client_init": {
        "text": "用 QAPI 访问器把选项转换成 Netdev 描述，再往下传。",
    },
    "net_client_init1": {
        "text": "从 net_client_init_fun 表中调用该后端类型的初始化函数：-netdev tap 对应 "
                "net_init_tap。",
    },
    "net_init_tap": {
        "text": "对于用 ifname= 指定（或由脚本创建）的 tap，先用 net_tap_init 打开它，再用 "
                "net_init_tap_one 建立 QEMU 这一侧。",
    },
    "net_tap_init": {
        "text": "用 tap_open 打开 tap 设备；如果配置了 ifup 脚本，就运行它。",
    },
    "tap_open": {
        "text": "打开 /dev/net/tun，用 ioctl(TUNSETIFF) 申请一个 tap 接口：IFF_TAP | IFF_NO_PI，"
                "再加上 IFF_VNET_HDR，让每个包都带着 virtio_net_hdr。",
    },
    "tun_chr_open": {
        "text": "/dev/net/tun 的 open()：为这个文件描述符分配一个 tun_file（连同它的 socket）。此"
                "时还没有接口。",
    },
    "tun_chr_ioctl": {
        "text": "/dev/net/tun 的 ioctl 入口；它把请求交给 __tun_chr_ioctl。",
    },
    "__tun_chr_ioctl": {
        "text": "从用户空间复制请求；对于 TUNSETIFF，用 tun_set_iff 创建或挂接接口。",
    },
    "tun_set_iff": {
        "text": "用 tun_setup 分配 net_device 并初始化，把这个文件挂到它上面，然后注册：宿主机上"
                "的 tap 接口就此诞生。",
        "4.19": "Linux 4.19 在这里直接调用 tun_net_init()。",
        "6.1": "Linux 6.1 在这里调用 tun_net_initialize()；tun_net_init 变成了设备的 ndo_init。",
        "7.2": "Linux 7.2 在这里调用 tun_net_initialize()；tun_net_init 是设备的 ndo_init。",
    },
    "register_netdevice": {
        "text": "把接口加入内核的网络设备列表；从现在起，ip link 就能看到它。",
    },
    "net_init_tap_one": {
        "text": "用 net_tap_fd_init 建立 QEMU 这一侧的 tap；如果设置了 vhost=on，还会在这里设置 "
                "vhost-net。",
    },
    "net_tap_fd_init": {
        "text": "创建 tap 的 NetClientState，设置卸载功能和 vnet 头长度，并登记 tap_send，在文件"
                "描述符上有包可读时处理它们。",
    },
    "virtio_net_device_realize": {
        "text": "实现（realize）virtio-net 设备：初始化 virtio 核心，添加数据队列和控制队列，并创"
                "建与 tap 对接的网卡。",
        "3.1": "QEMU 3.1 在这里添加所有队列对（共 max_queues 对）。",
        "7.2": "QEMU 7.2 在这里只添加第 0 对；其余的由 virtio_net_change_num_queues 在客户机启用"
               "它们时添加。",
        "10.2": "QEMU 10.2 在这里只添加第 0 对；其余的由 virtio_net_change_num_queues 在客户机启"
                "用它们时添加。",
    },
    "virtio_init": {
        "text": "初始化设备的通用部分：状态、配置空间，以及存放队列的位置。",
    },
    "virtio_net_add_queue": {
        "text": "添加一个队列对：由 virtio_net_handle_rx 处理的 RX 队列，由 "
                "virtio_net_handle_tx_bh 处理的 TX 队列，以及 TX 下半部 virtio_net_tx_bh。",
        "3.1": "QEMU 3.1 用 qemu_bh_new 创建这个下半部。",
        "7.2": "Debian 的 QEMU 7.2 用 qemu_bh_new_guarded 并传入设备的防重入保护来创建它，这是稳"
               "定分支的修复；原版 7.2.0 用的是 qemu_bh_new。",
        "10.2": "QEMU 10.2 用 qemu_bh_new_guarded 并传入设备的防重入保护来创建它。",
    },
    "virtio_add_queue": {
        "text": "占用下一个空闲的队列位置，设置队列大小，并记下处理客户机通知的函数。",
    },
    "qemu_new_nic": {
        "text": "创建网卡的 NetClientState，并让它成为 tap 后端的对端。",
    },
    "qemu_net_client_setup": {
        "text": "填写一个 NetClientState，把它和对端连起来，并给它一个接收队列，其投递函数是 "
                "qemu_deliver_packet_iov。",
    },
    "virtnet_probe": {
        "text": "驱动的 probe：读取设备特性，分配 net_device，建立虚拟队列，注册接口，并告诉设备"
                "驱动已就绪。",
        "6.1": "Linux 6.1 在持有 RTNL 锁时用 register_netdevice() 注册接口，然后设置 DRIVER_OK（"
               "virtio_device_ready）。",
        "7.2": "Linux 7.2 在持有 RTNL 锁时用 register_netdevice() 注册接口，然后设置 DRIVER_OK（"
               "virtio_device_ready）。",
    },
    "init_vqs": {
        "text": "分配发送和接收队列的结构，然后查找设备的虚拟队列。",
    },
    "virtnet_alloc_queues": {
        "text": "分配发送队列和接收队列，并注册它们的 NAPI 上下文：RX 用 virtnet_poll，TX 用 "
                "virtnet_poll_tx。",
        "4.19": "Linux 4.19 用 netif_napi_add 和 netif_tx_napi_add 注册；napi_tx 关闭时，TX 上下"
                "文的权重为 0，不会被使用。",
        "6.1": "Linux 6.1 用 netif_napi_add_weight 和 netif_napi_add_tx_weight 注册。",
        "7.2": "Linux 7.2 用 netif_napi_add_config 和 netif_napi_add_tx_weight 注册。",
    },
    "virtnet_find_vqs": {
        "text": "列出各个队列（每对的 RX 和 TX，然后是控制队列）及其回调 skb_recv_done 和 "
                "skb_xmit_done，请传输层创建它们。",
        "4.19": "Linux 4.19 直接调用 vdev->config->find_vqs，传入 callbacks[] 和 names[] 数组。",
        "6.1": "Linux 6.1 经由 virtio_find_vqs_ctx。",
        "7.2": "Linux 7.2 经由 virtio_find_vqs，传入 struct virtqueue_info 数组。",
    },
    "vp_modern_find_vqs": {
        "text": "现代 virtio-pci 传输层的 find_vqs；实际工作由公共的 virtio-pci 代码完成。",
    },
    "vp_find_vqs": {
        "text": "先尝试每个队列一个 MSI-X 向量，再尝试所有队列共享一个 MSI-X 向量，最后退回到传统"
                "的 INTx 中断。",
    },
    "vp_find_vqs_msix": {
        "text": "分配 MSI-X 向量（一个给配置变化，每个队列各一个），建立每个队列，并把 "
                "vring_interrupt 申请为各队列的中断处理函数。",
    },
    "vp_find_vqs_intx": {
        "text": "退路：所有中断共用一条 INTx 线，由 vp_interrupt 处理，然后建立每个队列。",
    },
    "vp_find_one_vq_msix": {
        "text": "建立一个队列及其 MSI-X 向量，是从 vp_find_vqs_msix 中拆出来的。",
    },
    "vp_setup_vq": {
        "text": "通过传输层的 setup_vq 建立一个队列，并把它加入设备的队列列表。",
    },
    "setup_vq": {
        "text": "从设备读取队列大小，用 vring_create_virtqueue 创建环（以 vp_notify 作为通知函数"
                "），告诉设备环在哪里，并映射队列的通知地址。",
        "7.2": "协商了 VIRTIO_F_NOTIFICATION_DATA 时，Linux 7.2 改为安装 vp_notify_with_data。",
    },
    "vring_create_virtqueue": {
        "text": "在客户机内存中分配描述符表、可用环和已用环，并记下队列的通知函数和回调。",
    },
    "register_netdev": {
        "text": "注册客户机的网络接口；它现在出现在客户机里，名字是 eth0 或 ens3 之类。",
    },
    "virtio_device_start_ioeventfd_impl": {
        "text": "驱动就绪后，把每个队列的通知改由 eventfd 承担：通过 virtio 总线在 KVM 中登记 "
                "ioeventfd，并让主循环用 virtio_queue_host_notifier_read 监视它。",
    },
    "virtio_pci_ioeventfd_assign": {
        "text": "用 memory_region_add_eventfd 把队列的 eventfd 挂到它的通知地址上；在 KVM 下，零"
                "长度匹配使它成为快速 MMIO 的 ioeventfd。",
    },
    "kvm_mem_ioeventfd_add": {
        "text": "KVM 对内存区域 eventfd 的监听函数：把新的 eventfd 转交给内核。",
    },
    "kvm_set_ioeventfd_mmio": {
        "text": "对虚拟机发出 KVM_IOEVENTFD ioctl，带上地址、长度（这里是 0）和 eventfd。",
    },
    "kvm_ioeventfd": {
        "text": "宿主内核中的 KVM_IOEVENTFD ioctl：登记（或删除）一个 ioeventfd。",
    },
    "virtio_bus_set_host_notifier": {
        "text": "打开一个队列的 ioeventfd：创建它的 host notifier，即一个 eventfd"
                "（event_notifier_init），交给传输层的 ioeventfd_assign，virtio-pci 的就是 "
                "virtio_pci_ioeventfd_assign。",
    },
    "memory_region_add_eventfd": {
        "text": "在一次内存事务中把 eventfd 加入内存区域的 ioeventfd 列表；事务提交时通知地址空间的"
                "每个监听者，其中包括 KVM 的监听者。",
    },
    "kvm_irqchip_assign_irqfd": {
        "text": "对虚拟机发出 KVM_IRQFD ioctl：带上 eventfd 的文件描述符，以及 QEMU 为该队列的向量"
                "建立的 MSI 路由的 GSI。",
    },
    "kvm_irqfd_assign": {
        "text": "分配内核的 irqfd，把 irqfd_wakeup 挂到 eventfd 的等待队列上，并缓存该 GSI 的 MSI "
                "路由：此后 eventfd 一收到信号就注入中断，无须经过 QEMU。",
    },
    "kvm_assign_ioeventfd": {
        "text": "以零长度匹配把 eventfd 登记到快速 MMIO 总线上，这样以后对这个地址的写入就在 "
                "ioeventfd_write 中结束，不必离开内核。",
    },
    "virtio_net_class_init": {
        "text": "QOM 为 TYPE_VIRTIO_NET 准备类的函数（TypeInfo virtio_net_info，父类型 "
                "TYPE_VIRTIO_DEVICE）：填好 VirtioDeviceClass 的钩子，realize = "
                "virtio_net_device_realize、get_features、set_features、set_status。",
        "3.1": "QEMU 3.1 在 hw/net/virtio-net.c:2227 用 type_init 注册 virtio_net_info；"
               "virtio-net-pci 第一次创建它的 VirtIONet 子对象时，QOM 运行本函数。",
        "7.2": "QEMU 7.2 在 hw/net/virtio-net.c:3927 用 type_init 注册 virtio_net_info；"
               "virtio-net-pci 第一次创建它的 VirtIONet 子对象时，QOM 运行本函数。",
        "10.2": "QEMU 10.2 在 hw/net/virtio-net.c:4346 用 type_init 注册 virtio_net_info；"
                "virtio-net-pci 第一次创建它的 VirtIONet 子对象时，QOM 运行本函数。",
    },
    "register_virtio_device": {
        "text": "virtio-pci 在 PCI 总线上找到了设备，登记它：先复位，再设置第一个状态位 "
                "ACKNOWLEDGE，表示客户机已经注意到这个设备。",
    },
    "virtio_dev_probe": {
        "text": "把 virtio_net 驱动绑定到设备：设置 DRIVER，读出设备提供的特性，保留驱动认识的，"
                "写回设备，设置 FEATURES_OK，再调用驱动的 probe，即 virtnet_probe。",
    },
    "virtio_add_status": {
        "text": "给设备状态加上一位：读出状态字节，置上这一位后写回。",
    },
    "vp_set_status": {
        "text": "把状态字节写入通用配置结构的 device_status。它位于设备的 BAR 中，不是客户机内存，"
                "所以这次写入会退出到 QEMU。",
    },
    "vp_finalize_features": {
        "text": "确认设备提供了 VERSION_1，再通过 guest_feature_select 和 guest_feature，"
                "每次 32 位，把接受的特性写入通用配置。",
    },
    "virtio_features_ok": {
        "text": "设置 FEATURES_OK，再读回状态：如果设备拒绝这些特性，它会清掉这一位，probe 失败。",
        "4.19": "Linux 4.19 在 virtio_finalize_features 中做这件事：它先调用传输层的 "
                "finalize_features（vp_finalize_features），再设置 FEATURES_OK。",
    },
    "vp_active_vq": {
        "text": "告诉设备环在哪里：把队列大小以及描述符表、可用环和已用环的客户机物理地址写入 "
                "queue_desc、queue_avail 和 queue_used，再写入它的 MSI-X 向量。",
    },
    "vp_modern_set_queue_enable": {
        "text": "为选中的队列向 queue_enable 写 1：从此设备可以使用它。",
        "4.19": "Linux 4.19 的 vp_modern_find_vqs 在所有队列建好后，自己写 queue_enable。",
        "6.1": "Linux 6.1 的 vp_modern_find_vqs 在所有队列建好后，用这种方式逐个启用它们。",
        "7.2": "Linux 7.2 的 vp_modern_find_vqs 在所有队列建好后，用这种方式逐个启用它们。",
    },
    "virtio_pci_common_write": {
        "text": "QEMU 处理对通用配置结构写入的函数。device_status 交给 virtio_set_status，"
                "guest_feature 交给 virtio_set_features；queue_desc、queue_avail 和 queue_used "
                "只先存在代理对象里，等到写 queue_enable 时才交给 virtio_queue_set_rings。",
    },
    "virtio_set_status": {
        "text": "记下新的状态字节，并交给设备的 set_status，即 virtio_net_set_status；"
                "到 DRIVER_OK 时它启动设备的队列。",
    },
    "virtio_set_features": {
        "text": "保存驱动接受的特性（设备没有提供的一律拒绝），再让 virtio_net_set_features "
                "据此设置头部长度和 tap 的卸载功能。",
    },
    "virtio_queue_set_rings": {
        "text": "记下队列的描述符表、可用环和已用环的客户机物理地址：从此 QEMU 能在客户机内存中"
                "找到这个环。",
    },
    "virtio_queue_enable": {
        "text": "通过设备类的 queue_enable 钩子（如果有）告诉它这个队列已经启用。",
    },
    "vp_interrupt": {
        "text": "共享 INTx 中断线的处理函数：读 ISR 寄存器（读即清零），处理配置变化，再调用 "
                "vp_vring_interrupt，由它对每个队列运行 vring_interrupt。",
        "lesson": "课程中的客户机在 INTx 处理函数 vp_interrupt 里接收设备中断。vtrace 的客户机"
                  "用的是 MSI-X，vp_find_vqs 会先尝试它：每个队列有自己的向量，处理函数就是 "
                  "vring_interrupt 本身，所以 vp_interrupt 从不运行，也不读 ISR 寄存器。",
    },
    "virtio_device_ready": {
        "text": "设置最后一个状态位 DRIVER_OK：驱动已就绪，设备可以使用这些队列。",
    },
}
