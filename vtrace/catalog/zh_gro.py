"""Chinese texts for the steps of a TCP receive without guest TSO: ``text`` and version notes.

Keys match ``gro_steps``; function names and fields stay as they are in the sources.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["ZH"]

ZH: Mapping[str, Mapping[str, str]] = {
    "virtio_net_apply_guest_offloads": {
        "text": "驱动设置 FEATURES_OK 时，告诉 tap 客户机接受哪些接收卸载：校验和（GUEST_CSUM）、"
                "IPv4 和 IPv6 的 TSO、ECN、UFO。没有 GUEST_TSO4 的客户机不会从 tap 收到 TCP 超帧。",
        "10.2": "QEMU 10.2 用 NetOffloads 结构传递这些卸载，其中还有 USO 和 UDP 隧道 GSO。",
    },
    "tap_fd_set_offload": {
        "text": "把这些卸载换成 TUN_F_* 位，用 TUNSETOFFLOAD ioctl 交给 tap。TSO 位只在有 "
                "TUN_F_CSUM 时才设置：没有 GUEST_CSUM，tap 不接受任何卸载。",
    },
    "tun_set_offload": {
        "text": "tun 的 TUNSETOFFLOAD：把 TUN_F_* 位映射成 tap 设备的特性（NETIF_F_HW_CSUM、"
                "NETIF_F_TSO、NETIF_F_TSO6 ……）并更新。没有 TUN_F_TSO4，tap 就没有 NETIF_F_TSO，"
                "宿主机协议栈必须在它之前把 TCP 分段。",
    },
    "host_validate_xmit_skb": {
        "text": "在去往 tap 的路上：netif_needs_gso 发现 tap 的特性里没有这个 GSO skb 的类型"
                "（TCPv4），于是 skb 就在这里、在宿主机上被分段，tap 收到的是每个 MSS 一个 skb。",
        "7.2": "Linux 7.2 先用 validate_xmit_unreadable_skb 丢掉不可读（设备内存）的 skb；分段的"
               "做法相同。",
    },
    "host_skb_gso_segment": {
        "text": "按 tap 的特性，经协议处理函数分段这次写入的 skb：先 inet_gso_segment，再 "
                "tcp4_gso_segment。",
    },
    "host_tcp_gso_segment": {
        "text": "每个 MSS 的负载一段：复制各层头部，序号和 IP id 递增，PSH 只留在最后一段。tap 有"
                "校验和卸载时，每段的 TCP 校验和保持部分计算（tun 写上 NEEDS_CSUM）；没有时就在"
                "这里算完。",
    },
    "__skb_gro_checksum_complete": {
        "text": "这一段来时既没有 NEEDS_CSUM 也没有 DATA_VALID（没有 GUEST_CSUM）：GRO 先用软件"
                "连同伪首部算出它的校验和，才能合并；校验和不对就冲刷它。",
    },
    "tcp_gro_receive": {
        "text": "找一个端口相同、被留住的 skb。标志、ACK、选项和 IP id 都接得上、长度不超过留住的"
                " skb 的 MSS、序号正是下一个时，这一段就接续它：skb_gro_receive 把它追加进去。"
                "PSH、更短的一段或任何不符都会冲刷留住的 skb；没有 PSH 的第一段被留住。",
        "7.2": "Linux 7.2 用 tcp_gro_lookup 找到留住的 skb，TCP 头由 tcp4_gro_receive 传入。",
    },
    "skb_gro_receive": {
        "text": "把这一段的负载追加到留住的 skb：它的页片段移过去（或者整个 skb 挂到 frag_list"
                " 上），计数和长度随之增加。留住的 skb 会达到 64 KiB（gro_max_size）时拒绝。",
        "4.19": "Linux 4.19 与常数 65536 比较。",
        "6.1": "Linux 6.1 与 dev->gro_max_size（默认 65536）比较。",
        "7.2": "Linux 7.2 与 netif_get_gro_max_size 比较：IPv4 用 gro_ipv4_max_size，默认 65536。",
    },
    "napi_gro_complete": {
        "text": "一个被留住的 skb 离开 GRO。只有一段时原样上交；由几段合成时，先由各协议的 "
                "gro_complete 处理函数把它变成 GSO skb。然后交给协议栈。",
        "4.19": "Linux 4.19 立即把它交给 netif_receive_skb_internal。",
        "6.1": "Linux 6.1 用 gro_normal_one 把它放进 rx_list，按段数计数。",
        "7.2": "Linux 7.2 叫它 gro_complete，操作 NAPI 的 gro_node；gro_normal_one 按段数计数。",
    },
    "inet_gro_complete": {
        "text": "IPv4 的 gro_complete：修正合并后的包的总长度和首部校验和，再调用 TCP 的 "
                "tcp4_gro_complete。",
    },
    "tcp4_gro_complete": {
        "text": "把合并后的 skb 做成一个像 TSO 发出的那样的 GSO skb：gso_type 为 TCPV4，gso_segs "
                "为合并的段数，gso_size 为 MSS，校验和设为部分计算、以伪首部为初值"
                "（tcp_gro_complete）。",
    },
    "napi_gro_flush": {
        "text": "完成 GRO 留住的 skb，最老的先；flush_old 时只完成早于当前 jiffy 留住的。"
                "napi_complete_done 把它们全部冲刷；在 HZ 小于 1000 的内核上（Debian 的是 250），"
                "用满预算后的 __napi_poll 也是如此。",
        "7.2": "Linux 7.2 的 napi_complete_done 和 __napi_poll 调用 gro_flush_normal：先 "
               "gro_flush 和 __gro_flush（net/core/gro.c:326），再把 rx_list 上交。",
    },
    "__napi_poll": {
        "text": "这次轮询用满了权重，NAPI 保持调度；在下一轮之前，它冲刷 GRO 留住的包（HZ 小于 "
                "1000 时全部冲刷），并把 rx_list 上交。",
        "4.19": "Linux 4.19 在 napi_poll 里做这件事；__napi_poll 是 5.12 才有的。",
    },
}
