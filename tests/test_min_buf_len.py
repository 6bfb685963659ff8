"""rq->min_buf_len, the floor of every mergeable receive buffer, per era, queue size and
big_packets, against tables worked out by hand from each Linux and against Linux 6.1's own
functions built from Debian's linux-source-6.1 at test time.

``virtnet_find_vqs`` sets ``rq->min_buf_len = mergeable_min_buf_len(vi, rq->vq)``: the
header, 14 + 4 bytes of Ethernet and VLAN header and the largest packet (IP_MAX_MTU with
big_packets, else ``dev->max_mtu``) spread over the ring, less the header, at least
GOOD_PACKET_LEN (1518). 4.19 (line 2672), 6.1 (3508) and 7.2 (6427) have the same body;
``dev->max_mtu`` is MAX_MTU (65,535) unless VIRTIO_NET_F_MTU brings the device's MTU.
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
from collections.abc import Iterable
from pathlib import Path

import pytest
from conftest import require

from vtrace.catalog import era
from vtrace.netfeatures import NO_OFFLOAD, Feature, hdr_len, negotiated
from vtrace.ring import RingLayout
from vtrace.rxbuffers import (
    GOOD_PACKET_LEN,
    Ewma,
    big_packets,
    get_mergeable_buf_len,
    mergeable_min_buf_len,
    rq_min_buf_len,
)
from vtrace.scenarios.recv import RECV, RecvParams
from vtrace.scenarios.recv.guest import run_world

F = Feature
ERAS = ("lesson", "modern", "newest")
#: vi->hdr_len of each era's default negotiation: 12, and 24 with 7.2's UDP tunnel GSO.
HDR = {"lesson": 12, "modern": 12, "newest": 24}

# (era, queue size, big_packets, dev->max_mtu) -> (min_buf_len, get_mergeable_buf_len with
# the EWMA at zero). Worked by hand: buf_len = hdr + 14 + 4 + packet_len;
# DIV_ROUND_UP(buf_len, rq_size) - hdr, at least 1518; then ALIGN(hdr + that, 64).
#   hdr 12, 32 entries:  65,565 / 32 -> 2049, - 12 = 2037; 12 + 2037 = 2049 -> 2112
#   hdr 24, 32 entries:  65,577 / 32 -> 2050, - 24 = 2026; 24 + 2026 = 2050 -> 2112
#   hdr 12, 64 entries:  65,565 / 64 -> 1025, - 12 = 1013 -> 1518; 1530 -> 1536
#   hdr 24, 64 entries:  65,577 / 64 -> 1025, - 24 = 1001 -> 1518; 1542 -> 1600
#   max_mtu 1500 (VIRTIO_NET_F_MTU), no big_packets, 32 entries: 1530 / 32 -> 48 -> 1518
TABLE = [
    (name, size, big, 65535, expected[HDR[name]])
    for name in ERAS
    for size, expected in ((32, {12: (2037, 2112), 24: (2026, 2112)}),
                           (64, {12: (1518, 1536), 24: (1518, 1600)}),
                           (256, {12: (1518, 1536), 24: (1518, 1600)}),
                           (1024, {12: (1518, 1536), 24: (1518, 1600)}))
    for big in (True, False)
] + [
    ("lesson", 32, False, 1500, (1518, 1536)),
    ("modern", 32, False, 1500, (1518, 1536)),
    ("newest", 32, False, 1500, (1518, 1600)),
    ("modern", 32, True, 1500, (2037, 2112)),  # big_packets takes IP_MAX_MTU whatever the MTU
]


@pytest.mark.parametrize(("era_name", "rq_size", "big", "max_mtu", "expected"), TABLE)
def test_min_buf_len_per_era_queue_size_and_big_packets(era_name: str, rq_size: int,
                                                         big: bool, max_mtu: int,
                                                         expected: tuple[int, int]) -> None:
    hdr = HDR[era_name]
    min_buf_len = mergeable_min_buf_len(hdr, rq_size, big, max_mtu)
    assert (min_buf_len, get_mergeable_buf_len(Ewma(), min_buf_len, hdr)) == expected


def _features(era_name: str, text: str = "", *, no_offload: bool = False) -> frozenset[F]:
    chosen = era(era_name)
    return negotiated(chosen.qemu, chosen.linux, text, no_offload=no_offload)


@pytest.mark.parametrize(("era_name", "text", "no_offload", "mtu", "expected"), [
    # Every era's defaults take guest TSO: big_packets.
    ("lesson", "", False, 0, True), ("modern", "", False, 0, True),
    ("newest", "", False, 0, True),
    # One bit of virtnet_check_guest_gso is enough.
    ("modern", "-guest_tso4", False, 0, True),
    ("modern", "-guest_tso4,-guest_tso6,-guest_ecn", False, 0, True),
    ("modern", "-guest_tso4,-guest_tso6,-guest_ecn,-guest_ufo", False, 0, False),
    ("lesson", "-guest_tso4,-guest_tso6,-guest_ecn,-guest_ufo", False, 0, False),
    ("modern", "", True, 0, False), ("newest", "", True, 0, False),
    # A device MTU above 1500 (VIRTIO_NET_F_MTU) sets it without guest GSO.
    ("modern", "", True, 1500, False), ("modern", "", True, 9000, True),
    ("lesson", "", True, 9000, True),
])
def test_big_packets_follows_virtnet_set_big_packets(era_name: str, text: str,
                                                     no_offload: bool, mtu: int,
                                                     expected: bool) -> None:
    features = _features(era_name, text, no_offload=no_offload)
    assert big_packets(features, era(era_name).linux, mtu) is expected


def test_7_2_counts_uso_in_both_directions_as_guest_gso_and_6_1_does_not() -> None:
    uso = {F.GUEST_CSUM, F.GUEST_USO4, F.GUEST_USO6}
    assert big_packets(uso, "7.2") and not big_packets(uso - {F.GUEST_USO6}, "7.2")
    assert not big_packets(uso, "6.1") and not big_packets(uso, "4.19")


@pytest.mark.parametrize("era_name", ERAS)
@pytest.mark.parametrize(("text", "no_offload"), [("", False), ("-guest_tso4", False),
                                                  ("", True)])
def test_without_big_packets_the_floor_holds_since_max_mtu_is_65535(
        era_name: str, text: str, no_offload: bool) -> None:
    # QEMU offers VIRTIO_NET_F_MTU only with host_mtu=, so dev->max_mtu stays MAX_MTU and
    # a 32-entry ring still needs 2037 bytes (2026 with the 24-byte header).
    features = _features(era_name, text, no_offload=no_offload)
    assert F.MTU not in features
    expected = 2037 if HDR[era_name] == 12 or no_offload else 2026
    assert rq_min_buf_len(features, era(era_name).linux, 32) == expected
    assert rq_min_buf_len(features, era(era_name).linux, 64) == GOOD_PACKET_LEN


@pytest.mark.parametrize(("era_name", "ring"), [
    (name, ring) for name in ERAS for ring in ("split", "packed")
    if ring == "split" or name != "lesson"])  # Linux 4.19 has no packed ring
def test_a_32_entry_udp_receive_posts_buffers_of_its_min_buf_len(era_name: str,
                                                                  ring: str) -> None:
    params = RecvParams(**RECV.settle({"frames": 40, "batch": 20, "queue_size": 32,
                                       "napi_budget": 8, "ring": ring}))
    world, stream = run_world(params, era(era_name), 1)
    events = list(stream)
    length = 2112
    assert world.min_buf_len == (2037 if HDR[era_name] == 12 else 2026)
    assert world.mergeable_buf == length
    # Refills after the EWMA (try_fill_recv) post the same length as the buffers at open;
    # Linux 7.2's page pool gives a whole page for more than half of one.
    length = 4096 if era_name == "newest" else length
    posted = [e.detail["len"] for e in events if e.step == "add_recvbuf_mergeable"]
    popped = [e.detail["len"] for e in events  # QEMU's pop: the buffer it took
              if e.step.startswith("virtqueue_") and "frame_len" in e.detail]
    assert len(posted) >= 20 and set(posted) == {length}
    assert len(popped) == 40 and set(popped) == {length}
    memory, layout = world.memory, world.memory.layout
    if isinstance(layout, RingLayout):  # every descriptor of the table, as the device reads it
        assert {struct.unpack_from("<I", memory.bytes, layout.descriptor(head) + 8)[0]
                for head in range(32)} == {length}


@pytest.mark.parametrize(("queue_size", "length"), [(64, 1536), (256, 1536)])
def test_a_tcp_receive_takes_its_floor_from_the_same_place(queue_size: int,
                                                           length: int) -> None:
    params = RecvParams(**RECV.settle({"frames": 1, "proto": "tcp", "size": 3000,
                                       "queue_size": queue_size}))
    world, stream = run_world(params, era("modern"), 1)
    taken = [e.detail["len"] for e in stream
             if e.step.startswith("virtqueue_") and "frame_len" in e.detail]
    assert world.sizing is not None and world.sizing.min_buf_len == world.min_buf_len
    assert world.min_buf_len == GOOD_PACKET_LEN and taken[:2] == [length, length]


# -- Linux 6.1's own arithmetic ------------------------------------------------------------

TARBALL = Path("/usr/src/linux-source-6.1.tar.xz")
PACKAGE = "linux-source-6.1"
#: Where each constant the functions use is defined.
CONSTANTS = {
    "include/uapi/linux/if_ether.h": ("ETH_HLEN", "ETH_DATA_LEN", "ETH_MAX_MTU"),
    "include/linux/if_vlan.h": ("VLAN_HLEN",),
    "include/linux/ip.h": ("IP_MAX_MTU",),
    "include/uapi/linux/virtio_net.h": ("VIRTIO_NET_F_MTU", "VIRTIO_NET_F_GUEST_TSO4",
                                        "VIRTIO_NET_F_GUEST_TSO6", "VIRTIO_NET_F_GUEST_ECN",
                                        "VIRTIO_NET_F_GUEST_UFO"),
    "drivers/net/virtio_net.c": ("GOOD_PACKET_LEN", "MAX_MTU"),
}
FUNCTIONS = ("static unsigned int mergeable_min_buf_len",
             "static unsigned int get_mergeable_buf_len",
             "static bool virtnet_check_guest_gso",
             "static void virtnet_set_big_packets")
#: The kernel's types and helpers reduced to what the four functions touch.
SHIMS = r"""
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#define PAGE_SIZE 4096UL
#define L1_CACHE_BYTES 64
#define MAX_SKB_FRAGS 17
#define DIV_ROUND_UP(n, d) (((n) + (d) - 1) / (d))
#define ALIGN(x, a) (((x) + ((__typeof__(x))(a) - 1)) & ~((__typeof__(x))(a) - 1))
#define max(x, y) ((x) > (y) ? (x) : (y))
#define __clamp(val, lo, hi) ((val) >= (hi) ? (hi) : ((val) <= (lo) ? (lo) : (val)))
#define clamp_t(type, val, lo, hi) __clamp((type)(val), (type)(lo), (type)(hi))
struct virtio_device { unsigned long long features; void *priv; };
struct virtqueue { struct virtio_device *vdev; unsigned int num; };
struct net_device { unsigned int max_mtu; };
struct virtnet_info {
    struct virtio_device *vdev; struct net_device *dev; unsigned int hdr_len;
    bool big_packets; unsigned int big_packets_num_skbfrags;
};
struct receive_queue { struct virtqueue *vq; unsigned int min_buf_len; };
struct ewma_pkt_len { unsigned long internal; };
static unsigned long ewma_pkt_len_read(struct ewma_pkt_len *e) { return e->internal; }
static unsigned int virtqueue_get_vring_size(struct virtqueue *vq) { return vq->num; }
static bool virtio_has_feature(const struct virtio_device *vdev, unsigned int fbit)
{ return vdev->features >> fbit & 1; }
"""
#: Per line "features hdr_len rq_size mtu avg": virtnet_probe's max_mtu and big_packets,
#: virtnet_find_vqs's min_buf_len, then one get_mergeable_buf_len.
MAIN = r"""
int main(void)
{
    unsigned long long features; unsigned int hdr_len, rq_size, mtu; unsigned long avg;
    while (scanf("%llx %u %u %u %lu", &features, &hdr_len, &rq_size, &mtu, &avg) == 5) {
        struct virtio_device vdev = { features, NULL };
        struct net_device dev = { MAX_MTU };
        struct virtnet_info vi = { &vdev, &dev, hdr_len, false, 0 };
        struct virtqueue vq = { &vdev, rq_size };
        struct receive_queue rq = { &vq, 0 };
        struct ewma_pkt_len ewma = { avg };
        vdev.priv = &vi;
        if (virtio_has_feature(&vdev, VIRTIO_NET_F_MTU))
            dev.max_mtu = mtu;
        virtnet_set_big_packets(&vi, virtio_has_feature(&vdev, VIRTIO_NET_F_MTU) ? mtu : 0);
        rq.min_buf_len = mergeable_min_buf_len(&vi, &vq);
        printf("%d %u %u\n", vi.big_packets, rq.min_buf_len,
               get_mergeable_buf_len(&rq, &ewma, 0));
    }
    return 0;
}
"""


def _member(workdir: Path, path: str) -> str:
    return (workdir / PACKAGE / path).read_text()


def _function(source: str, signature: str) -> str:
    start = source.index(signature)
    return source[start:source.index("\n}\n", start) + 3]


def _defines(source: str, names: Iterable[str]) -> list[str]:
    lines = []
    for name in names:
        found = re.search(rf"^#define {name}\s+(.*?)\s*(/\*.*)?$", source, re.MULTILINE)
        assert found is not None, name
        lines.append(f"#define {name} {found.group(1)}")
    return lines


@pytest.fixture(scope="module")
def linux(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The four functions of Linux 6.1's drivers/net/virtio_net.c, built with SHIMS."""
    require(not TARBALL.exists(), f"needs Debian's {PACKAGE} (apt-get install {PACKAGE})")
    require(shutil.which("gcc") is None, "needs gcc (apt-get install gcc libc6-dev)")
    workdir = tmp_path_factory.mktemp("linux-6.1-net")
    subprocess.run(["tar", "-xJf", str(TARBALL), "-C", str(workdir),
                    *(f"{PACKAGE}/{path}" for path in CONSTANTS)],
                   check=True, capture_output=True)
    driver = _member(workdir, "drivers/net/virtio_net.c")
    text = [SHIMS]
    for path, names in CONSTANTS.items():
        text += _defines(_member(workdir, path), names)
    text += [_function(driver, signature) for signature in FUNCTIONS]
    (workdir / "minbuf.c").write_text("\n".join([*text, MAIN]))
    subprocess.run(["gcc", "-O2", "-w", "minbuf.c", "-o", "minbuf"], cwd=workdir,
                   check=True, capture_output=True, text=True)
    return workdir / "minbuf"


def _mask(features: Iterable[F]) -> int:
    return sum(1 << feature for feature in features if feature < 64)


def test_linux_6_1_computes_the_same_min_buf_len_and_buffer_length(linux: Path) -> None:
    defaults = _features("modern")
    with_mtu = frozenset(defaults - NO_OFFLOAD) | {F.MTU}
    cases = [(features, rq_size, average, 9000 if F.MTU in features else 0)
             for features in (defaults, _features("modern", "-guest_tso4"),
                              _features("modern", no_offload=True), _features("newest"),
                              defaults | {F.HASH_REPORT}, with_mtu)
             for rq_size in (32, 64, 128, 256, 1024)
             for average in (0, 128, 1514, 2500, 65000)]
    cases += [(with_mtu, 32, 0, mtu) for mtu in (68, 1500, 1501, 9000, 65535)]
    script = "".join(f"{_mask(features):x} {hdr_len(features)} {rq_size} {mtu} {average}\n"
                     for features, rq_size, average, mtu in cases)
    done = subprocess.run([str(linux)], input=script, capture_output=True, text=True,
                          check=True)
    answers = done.stdout.splitlines()
    assert len(answers) == len(cases)
    for (features, rq_size, average, mtu), answer in zip(cases, answers, strict=True):
        hdr, big = hdr_len(features), big_packets(features, "6.1", mtu)
        if F.MTU in features:  # dev->max_mtu is the device's MTU
            min_buf_len = mergeable_min_buf_len(hdr, rq_size, big, mtu)
        else:
            min_buf_len = rq_min_buf_len(features, "6.1", rq_size)
        buf_len = get_mergeable_buf_len(Ewma(average), min_buf_len, hdr)
        assert answer == f"{int(big)} {min_buf_len} {buf_len}", (sorted(features), rq_size,
                                                                 mtu, average)
