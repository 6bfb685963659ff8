"""Which queue a flow takes: RSS on receive, XPS on transmit.

On receive, QEMU's software RSS (``virtio_net_process_rss``, hw/net/virtio-net.c)
picks the hash type (``virtio_net_get_hash_type``), hashes source and
destination address, then source and destination port, with the Toeplitz
function (``net_rx_pkt_calc_rss_hash``, hw/net/net_rx_pkt.c;
``net_toeplitz_add``, include/net/checksum.h) under the driver's key, and reads
the queue from the indirection table at ``hash & (len - 1)``. The driver fills
that table with ``i % queue_pairs`` (``virtnet_init_default_rss``,
drivers/net/virtio_net.c) and a random key (``netdev_rss_key_fill``), so a real
guest's queue for a flow changes from boot to boot: the key is a parameter
here. Without RSS, the tap picks the queue (``tun_automq_select_queue``,
drivers/net/tun.c).

On transmit, the stack uses the socket's cached queue or the XPS map of the
sending CPU (``netdev_pick_tx`` → ``get_xps_queue``, net/core/dev.c), which
``virtnet_set_affinity`` sets to give each queue pair its own CPUs. QEMU 3.1 and
Linux 4.19 have no RSS. Lines per version: ``vtrace.offload_sites``.
"""

from __future__ import annotations

import ipaddress
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum

from vtrace.tcpframes import TcpFlow

__all__ = [
    "DEFAULT_KEY",
    "HASH_TYPES_LINUX",
    "INDIRECTION_TABLE_LEN",
    "Flow",
    "HashReport",
    "RssError",
    "default_indirection_table",
    "default_queue_pairs",
    "hash_input",
    "hash_type",
    "rss_queue",
    "toeplitz",
    "tun_automq_queue",
    "tx_queue",
    "xps_map",
]

#: The 40-byte key of Microsoft's RSS verification suite, which the virtio spec cites.
DEFAULT_KEY = bytes.fromhex("6d5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b477cb2da38030f20c"
                            "6a42b73bbeac01fa")
INDIRECTION_TABLE_LEN = 128  # QEMU's VIRTIO_NET_RSS_MAX_TABLE_LEN, read by virtnet_probe

# VIRTIO_NET_RSS_HASH_TYPE_* bits (include/uapi/linux/virtio_net.h).
IPV4, TCPV4, UDPV4, IPV6, TCPV6, UDPV6, IP_EX, TCP_EX, UDP_EX = (1 << bit for bit in range(9))
#: What Linux 6.1 asks for: QEMU's supported types less the _EX ones virtnet_probe masks off.
HASH_TYPES_LINUX = IPV4 | TCPV4 | UDPV4 | IPV6 | TCPV6 | UDPV6


class HashReport(IntEnum):
    """VIRTIO_NET_HASH_REPORT_*: the hash type written to a 20-byte header."""

    NONE = 0
    IPV4 = 1
    TCPV4 = 2
    UDPV4 = 3
    IPV6 = 4
    TCPV6 = 5
    UDPV6 = 6


class RssError(ValueError):
    """An RSS key, table or queue count that cannot be used."""


@dataclass(frozen=True, slots=True)
class Flow:
    """A flow as the receiver sees it: source is the far end."""

    src_ip: str
    dst_ip: str
    src_port: int
    dst_port: int
    proto: str = "tcp"  # tcp, udp, or anything else for address-only hashing

    @classmethod
    def of(cls, tcp: TcpFlow) -> Flow:
        """The flow of a TCP connection's frames, as RSS reads it off them."""
        return cls(str(ipaddress.ip_address(tcp.src_ip)), str(ipaddress.ip_address(tcp.dst_ip)),
                   tcp.src_port, tcp.dst_port)


def toeplitz(key: bytes, data: bytes) -> int:
    """The 32-bit Toeplitz hash: XOR the key's 32-bit window at every set input bit."""
    if len(key) < len(data) + 4:
        raise RssError(f"a {len(key)}-byte key is too short for {len(data)} bytes of input")
    key_bits = int.from_bytes(key, "big")
    key_width = len(key) * 8
    result = 0
    for index in range(len(data) * 8):
        if data[index // 8] & (0x80 >> index % 8):
            result ^= (key_bits >> (key_width - 32 - index)) & 0xFFFFFFFF
    return result


def hash_type(flow: Flow, types: int = HASH_TYPES_LINUX) -> HashReport:
    """The hash ``virtio_net_get_hash_type`` picks for the flow under ``types``."""
    v6 = ipaddress.ip_address(flow.src_ip).version == 6
    l4, l3 = (TCPV6, IPV6) if v6 else (TCPV4, IPV4)
    udp = UDPV6 if v6 else UDPV4
    if flow.proto == "tcp" and types & l4:
        return HashReport.TCPV6 if v6 else HashReport.TCPV4
    if flow.proto == "udp" and types & udp:
        return HashReport.UDPV6 if v6 else HashReport.UDPV4
    if types & l3:
        return HashReport.IPV6 if v6 else HashReport.IPV4
    return HashReport.NONE


def hash_input(flow: Flow, report: HashReport) -> bytes:
    """The bytes hashed: source and destination address, then ports for TCP and UDP types."""
    data = ipaddress.ip_address(flow.src_ip).packed + ipaddress.ip_address(flow.dst_ip).packed
    if report in (HashReport.TCPV4, HashReport.UDPV4, HashReport.TCPV6, HashReport.UDPV6):
        data += struct.pack("!HH", flow.src_port, flow.dst_port)
    return data


def default_queue_pairs(max_queue_pairs: int, num_cpus: int) -> int:
    """Queue pairs ``virtnet_probe`` enables: as many as the device has, at most one per CPU."""
    return min(max_queue_pairs, num_cpus)


def default_indirection_table(queue_pairs: int,
                              length: int = INDIRECTION_TABLE_LEN) -> tuple[int, ...]:
    """``ethtool_rxfh_indir_default``: entry i names queue i mod queue_pairs."""
    if queue_pairs < 1:
        raise RssError("at least one queue pair")
    return tuple(index % queue_pairs for index in range(length))


def rss_queue(flow: Flow, key: bytes, table: tuple[int, ...], queue_pairs: int,
              types: int = HASH_TYPES_LINUX) -> tuple[int, int, HashReport]:
    """(queue, hash, report) for a received packet of ``flow``.

    A packet with no hash type goes to the default queue, 0 as the driver sets it.
    """
    if len(table) & (len(table) - 1) or not table:
        raise RssError(f"an indirection table of {len(table)} entries is not a power of two")
    report = hash_type(flow, types)
    if report is HashReport.NONE:
        return 0, 0, report
    value = toeplitz(key, hash_input(flow, report))
    return table[value & (len(table) - 1)] % queue_pairs, value, report


def tun_automq_queue(flow_hash: int, numqueues: int,
                     last_tx_queue: int | None = None) -> int:
    """The tap's queue without RSS: the one this flow last came in on, else by hash."""
    if last_tx_queue is not None:
        return last_tx_queue
    return (flow_hash * numqueues) >> 32


def xps_map(num_cpus: int, queue_pairs: int) -> Mapping[int, tuple[int, ...]]:
    """CPUs per TX queue as ``virtnet_set_affinity`` groups them (CPUs 0..n-1 online)."""
    stride = max(num_cpus // queue_pairs, 1)
    stragglers = num_cpus % queue_pairs if num_cpus >= queue_pairs else 0
    cpu, groups = 0, {}
    for queue in range(queue_pairs):
        size = stride + (1 if queue < stragglers else 0)
        groups[queue] = tuple((cpu + j) % num_cpus for j in range(size))
        cpu = (cpu + size) % num_cpus
    return groups


def tx_queue(sender_cpu: int, xps: Mapping[int, tuple[int, ...]],
             flow_hash: int | None = None) -> int:
    """The TX queue for a packet sent on ``sender_cpu``: the XPS queue, else by hash.

    With several queues listing the CPU, ``__get_xps_queue_idx`` picks by flow
    hash among them; without XPS, ``skb_tx_hash`` scales the flow hash.
    """
    queues = [queue for queue, cpus in xps.items() if sender_cpu in cpus]
    if len(queues) == 1:
        return queues[0]
    if flow_hash is None:
        choices = len(queues) or len(xps)
        raise RssError(f"CPU {sender_cpu} needs a flow hash to choose among {choices} queues")
    if queues:
        return queues[(flow_hash * len(queues)) >> 32]
    return (flow_hash * len(xps)) >> 32
