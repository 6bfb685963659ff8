"""RSS: the Toeplitz hash against Microsoft's verification suite, the table, queue choice, XPS."""

from __future__ import annotations

import pytest

from vtrace.frames import VnetHeader
from vtrace.rss import (
    DEFAULT_KEY,
    IPV4,
    Flow,
    HashReport,
    RssError,
    default_indirection_table,
    default_queue_pairs,
    hash_input,
    hash_type,
    rss_queue,
    toeplitz,
    tun_automq_queue,
    tx_queue,
    xps_map,
)
from vtrace.tcpframes import TcpFlow, build_tcp_frame, parse_tcp_frame

# "Verifying the RSS Hash Calculation" (Microsoft's NDIS documentation, which the virtio
# spec cites): destination, source, hash over addresses only, hash with TCP ports.
IPV4_VECTORS = [
    ("161.142.100.80", 1766, "66.9.149.187", 2794, 0x323E8FC2, 0x51CCC178),
    ("65.69.140.83", 4739, "199.92.111.2", 14230, 0xD718262A, 0xC626B0EA),
    ("12.22.207.184", 38024, "24.19.198.95", 12898, 0xD2D0A5DE, 0x5C2B394A),
    ("209.142.163.6", 2217, "38.27.205.30", 48228, 0x82989176, 0xAFC7327F),
    ("202.188.127.2", 1303, "153.39.163.191", 44251, 0x5D1809C5, 0x10E828A2),
]
IPV6_VECTORS = [
    ("3ffe:2501:200:3::1", 1766, "3ffe:2501:200:1fff::7", 2794, 0x2CC18CD5, 0x40207D3D),
    ("ff02::1", 4739, "3ffe:501:8::260:97ff:fe40:efab", 14230, 0x0F0C461C, 0xDDE51BBF),
    ("fe80::200:f8ff:fe21:67cf", 38024, "3ffe:1900:4545:3:200:f8ff:fe21:67cf", 44251,
     0x4B61E985, 0x02D1FEEF),
]


@pytest.mark.parametrize(("dst", "dport", "src", "sport", "ip_only", "with_tcp"),
                         IPV4_VECTORS + IPV6_VECTORS)
def test_toeplitz_matches_the_published_vectors(dst: str, dport: int, src: str, sport: int,
                                                ip_only: int, with_tcp: int) -> None:
    flow = Flow(src, dst, sport, dport)
    report = hash_type(flow)
    assert report in (HashReport.TCPV4, HashReport.TCPV6)
    assert toeplitz(DEFAULT_KEY, hash_input(flow, report)) == with_tcp
    address_only = HashReport.IPV4 if report is HashReport.TCPV4 else HashReport.IPV6
    assert toeplitz(DEFAULT_KEY, hash_input(flow, address_only)) == ip_only


def test_hash_types_follow_virtio_net_get_hash_type() -> None:
    assert hash_type(Flow("10.0.2.2", "10.0.2.15", 1, 2, "udp")) is HashReport.UDPV4
    assert hash_type(Flow("10.0.2.2", "10.0.2.15", 1, 2, "icmp")) is HashReport.IPV4
    assert hash_type(Flow("10.0.2.2", "10.0.2.15", 1, 2), types=IPV4) is HashReport.IPV4
    assert hash_type(Flow("::1", "::2", 1, 2), types=IPV4) is HashReport.NONE


def test_the_default_table_deals_queues_round_robin() -> None:
    table = default_indirection_table(2)
    assert len(table) == 128 and table[:4] == (0, 1, 0, 1)
    assert default_queue_pairs(8, 2) == 2 and default_queue_pairs(2, 4) == 2


def test_a_flow_lands_on_the_queue_its_hash_indexes() -> None:
    flow = Flow("66.9.149.187", "161.142.100.80", 2794, 1766)
    queue, value, report = rss_queue(flow, DEFAULT_KEY, default_indirection_table(2), 2)
    assert (value, report) == (0x51CCC178, HashReport.TCPV4)
    assert queue == (0x51CCC178 & 127) % 2 == 0
    four = default_indirection_table(4)
    spread = {rss_queue(Flow("10.0.2.2", "10.0.2.15", 5001 + n, 40000), DEFAULT_KEY, four,
                        4)[0] for n in range(16)}
    assert spread == {0, 1, 2, 3}
    assert rss_queue(Flow("::1", "::2", 1, 2), DEFAULT_KEY, four, 4, types=IPV4)[0] == 0


def test_a_frame_s_flow_is_read_off_its_addresses_and_ports() -> None:
    host = TcpFlow(bytes((66, 9, 149, 187)), bytes((161, 142, 100, 80)), 2794, 1766)
    flow = Flow.of(parse_tcp_frame(build_tcp_frame(host, b"data", seq=1)).flow)
    assert flow == Flow("66.9.149.187", "161.142.100.80", 2794, 1766)
    assert rss_queue(flow, DEFAULT_KEY, default_indirection_table(2), 2)[1] == 0x51CCC178


def test_the_hash_lands_in_a_twenty_byte_header() -> None:
    header = VnetHeader(num_buffers=1, hash_value=0x51CCC178, hash_report=HashReport.TCPV4)
    assert header.pack(20)[12:18] == bytes.fromhex("78c1cc51") + b"\x02\x00"


def test_bad_tables_and_keys_are_refused() -> None:
    with pytest.raises(RssError):
        rss_queue(Flow("1.1.1.1", "2.2.2.2", 1, 2), DEFAULT_KEY, (0, 1, 0), 2)
    with pytest.raises(RssError):
        toeplitz(DEFAULT_KEY[:8], bytes(12))
    with pytest.raises(RssError):
        default_indirection_table(0)


def test_xps_gives_each_queue_its_cpus() -> None:
    assert xps_map(2, 2) == {0: (0,), 1: (1,)}
    assert xps_map(4, 2) == {0: (0, 1), 1: (2, 3)}
    assert xps_map(3, 2) == {0: (0, 1), 1: (2,)}
    assert xps_map(2, 4) == {0: (0,), 1: (1,), 2: (0,), 3: (1,)}


def test_the_tx_queue_is_the_sending_cpus() -> None:
    two = xps_map(2, 2)
    assert tx_queue(0, two) == 0 and tx_queue(1, two) == 1
    shared = xps_map(2, 4)
    assert tx_queue(0, shared, flow_hash=0) == 0
    assert tx_queue(0, shared, flow_hash=0xFFFFFFFF) == 2
    with pytest.raises(RssError):
        tx_queue(0, shared)


def test_the_tap_keeps_a_flow_on_its_queue_or_scales_its_hash() -> None:
    assert tun_automq_queue(0xFFFFFFFF, 2) == 1
    assert tun_automq_queue(0x7FFFFFFF, 2) == 0
    assert tun_automq_queue(0xFFFFFFFF, 2, last_tx_queue=0) == 0
