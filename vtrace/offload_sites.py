"""Where each function the offload model follows is defined, per version read.

A line is the one holding the definition's name (for a macro or a table, its
``#define`` or declaration). The trees read: Linux 4.19.108, 6.1.176 (Debian
12's ``linux`` 6.1.176-1) and 7.2.8 (Debian's 7.2.8-1); QEMU 3.1.0, 7.2 as
Debian 12 ships it (``qemu`` 7.2+dfsg-7+deb12u18 with its patches applied) and
10.2.2. A version missing from ``lines`` lacks the function; ``files`` names
the file in a version where it moved. These are the rows catalog steps take.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["SITES", "SourceSite", "site"]

VN = "drivers/net/virtio_net.c"
QVN = "hw/net/virtio-net.c"


@dataclass(frozen=True, slots=True)
class SourceSite:
    """A function, its file, and its first line in each version that has it."""

    function: str
    project: str  # linux or qemu
    file: str
    lines: Mapping[str, int]
    files: Mapping[str, str] = field(default_factory=dict)


def _linux(function: str, file: str, v4_19: int | None, v6_1: int | None, v7_2: int | None,
           moved: Mapping[str, str] | None = None) -> SourceSite:
    lines = {"4.19": v4_19, "6.1": v6_1, "7.2": v7_2}
    return SourceSite(function, "linux", file,
                      {version: line for version, line in lines.items() if line},
                      dict(moved or {}))


def _qemu(function: str, file: str, v3_1: int | None, v7_2: int | None,
          v10_2: int | None) -> SourceSite:
    lines = {"3.1": v3_1, "7.2": v7_2, "10.2": v10_2}
    return SourceSite(function, "qemu", file,
                      {version: line for version, line in lines.items() if line})


SITES: tuple[SourceSite, ...] = (
    # Features and the header length.
    _linux("VIRTNET_FEATURES", VN, 3197, 4152, 7236),
    _linux("features_legacy", VN, 3214, 4170, 7261),
    _linux("virtnet_validate_features", VN, 2880, 3722, 6632),
    _linux("virtnet_probe", VN, 2923, 3793, 6755),
    _linux("virtnet_set_big_packets", VN, None, 3779, 6699),
    _linux("vring_transport_features", "drivers/virtio/virtio_ring.c", 1155, 2713, 3578),
    _linux("vp_transport_features", "drivers/virtio/virtio_pci_modern.c", 156, 29, 367),
    _linux("set_offload", "drivers/net/tun.c", 2715, 2890, 2862),
    _qemu("virtio_net_properties", QVN, 2146, 3830, 4190),
    _qemu("DEFINE_VIRTIO_COMMON_FEATURES", "include/hw/virtio/virtio.h", 257, 337, 388),
    _qemu("virtio_net_get_features", QVN, 600, 779, 3071),
    _qemu("virtio_net_set_features", QVN, 685, 946, 929),
    _qemu("virtio_net_set_mrg_rx_bufs", QVN, 491, 659, 667),
    _qemu("virtio_pci_pre_plugged", "hw/virtio/virtio-pci.c", 1557, 1699, 2014),
    _qemu("virtio_ioport_read", "hw/virtio/virtio-pci.c", 374, 399, 523),
    _qemu("tap_probe_has_ufo", "net/tap-linux.c", 162, 164, 180),
    # TX: header, chain, segmentation.
    _linux("start_xmit", VN, 1562, 1886, 3336),
    _linux("xmit_skb", VN, 1515, 1839, 3278),
    _linux("virtio_net_hdr_from_skb", "include/linux/virtio_net.h", 95, 188, 247),
    _linux("virtio_net_hdr_tnl_from_skb", "include/linux/virtio_net.h", None, None, 420),
    _linux("tcp_sendmsg", "net/ipv4/tcp.c", 1447, 1489, 1446),
    _linux("tcp_sendmsg_locked", "net/ipv4/tcp.c", 1190, 1224, 1116),
    _linux("skb_page_frag_refill", "net/core/sock.c", 2200, 2874, 3184),
    _linux("__tcp_v4_send_check", "net/ipv4/tcp_ipv4.c", 619, 648, 2444,
           {"7.2": "include/net/tcp.h"}),
    _linux("csum_fold", "arch/x86/include/asm/checksum_64.h", 23, 23, 23),
    _linux("skb_to_sgvec", "net/core/skbuff.c", 4058, 4662, 5313),
    _linux("virtqueue_add_outbuf", "drivers/virtio/virtio_ring.c", 484, 2164, 2926),
    _linux("virtqueue_add", "drivers/virtio/virtio_ring.c", 259, 2099, 2856),
    _linux("virtqueue_add_split", "drivers/virtio/virtio_ring.c", None, 517, 648),
    _linux("virtqueue_use_indirect", "drivers/virtio/virtio_ring.c", None, 232, 346),
    _linux("alloc_indirect_split", "drivers/virtio/virtio_ring.c", None, 465, 593),
    _linux("virtqueue_add_desc_split", "drivers/virtio/virtio_ring.c", None, 488, 622),
    _qemu("virtio_net_flush_tx", QVN, 1325, 2628, 2716),
    _linux("tun_get_user", "drivers/net/tun.c", 1706, 1742, 1700),
    _linux("virtio_net_hdr_to_skb", "include/linux/virtio_net.h", 26, 46, 207),
    _linux("skb_gso_segment", "include/linux/netdevice.h", 4263, 4836, 80,
           {"7.2": "include/net/gso.h"}),
    _linux("skb_checksum_help", "net/core/dev.c", 2892, 3322, 3611),
    _linux("__skb_gso_segment", "net/core/dev.c", 3053, 3455, 88,
           {"7.2": "net/core/gso.c"}),
    _linux("inet_gso_segment", "net/ipv4/af_inet.c", 1291, 1379, 1364),
    _linux("tcp4_gso_segment", "net/ipv4/tcp_offload.c", 32, 97, 98),
    _linux("tcp_gso_segment", "net/ipv4/tcp_offload.c", 57, 132, 133),
    _linux("skb_segment", "net/core/skbuff.c", 3510, 4148, 4779),
    # RX: buffers posted, filled, gathered.
    _linux("DECLARE_EWMA", "include/linux/average.h", 28, 28, 28),
    _linux("try_fill_recv", VN, 1226, 1482, 2758),
    _linux("add_recvbuf_mergeable", VN, 1176, 1432, 2713),
    _linux("page_pool_alloc_va", "include/net/page_pool/helpers.h", None, None, 191),
    _linux("page_pool_alloc_netmem", "include/net/page_pool/helpers.h", None, None, 118),
    _linux("virtnet_create_page_pools", VN, None, None, 3110),
    _linux("get_mergeable_buf_len", VN, 1160, 1415, 2696),
    _linux("mergeable_min_buf_len", VN, 2672, 3508, 6427),
    _linux("virtnet_find_vqs", VN, 2684, 3520, 6439),
    _linux("virtnet_check_guest_gso", VN, None, 3771, 6689),
    _linux("add_recvbuf_big", VN, 1111, 1366, 2647),
    _qemu("virtio_net_receive", QVN, 1295, 2582, 2670),
    _qemu("virtio_net_do_receive", QVN, None, 1981, 2054),
    _qemu("virtio_net_receive_rcu", QVN, 1191, 1835, 1903),
    _qemu("receive_header", QVN, 1118, 1663, 1716),
    _qemu("virtio_net_has_buffers", QVN, 1060, 1598, 1651),
    _qemu("iov_from_buf", "include/qemu/iov.h", 41, 41, 42),
    _linux("receive_buf", VN, 1022, 1274, 2541),
    _linux("receive_mergeable", VN, 790, 973, 2376),
    _linux("receive_big", VN, 767, 939, 1994),
    _linux("page_to_skb", VN, 382, 464, 836),
    # Queues: RSS, the tap's choice, XPS.
    _qemu("virtio_net_handle_mq", QVN, 940, 1445, 1498),
    _qemu("virtio_net_set_queue_pairs", QVN, None, 757, 768),
    _qemu("virtio_net_set_queues", QVN, 578, None, None),
    _qemu("virtio_net_handle_rss", QVN, None, 1304, 1378),
    _qemu("virtio_net_process_rss", QVN, None, 1782, 1849),
    _qemu("virtio_net_get_hash_type", QVN, None, 1736, 1789),
    _qemu("net_rx_pkt_calc_rss_hash", "hw/net/net_rx_pkt.c", None, 325, 304),
    _qemu("net_toeplitz_add", "include/net/checksum.h", None, 80, 80),
    _linux("virtnet_init_default_rss", VN, None, 2522, 4235),
    _linux("virtnet_commit_rss_command", VN, None, 2491, 4212),
    _linux("netdev_rss_key_fill", "net/ethtool/ioctl.c", 1077, 1052, 1306,
           {"4.19": "net/core/ethtool.c"}),
    _linux("ethtool_rxfh_indir_default", "include/linux/ethtool.h", 96, 135, 170),
    _linux("virtnet_set_queues", VN, 1799, 2203, 3725),
    _linux("tun_automq_select_queue", "drivers/net/tun.c", 573, 523, 461),
    _linux("virtnet_set_affinity", VN, 1940, 2343, 3975),
    _linux("__netif_set_xps_queue", "net/core/dev.c", 2299, 2610, 2877),
    _linux("netdev_pick_tx", "net/core/dev.c", 3713, 4201, 4738),
    _linux("get_xps_queue", "net/core/dev.c", 3629, 4145, 4663),
    _linux("__get_xps_queue_idx", "net/core/dev.c", 3604, 4118, 4636),
    _linux("skb_tx_hash", "net/core/dev.c", 2840, 3263, 3550),
)


def site(function: str) -> SourceSite:
    """The row of ``function``; KeyError when the model does not follow it."""
    for row in SITES:
        if row.function == function:
            return row
    raise KeyError(function)
