"""Feature bits, the sets each era offers and negotiates, and the --features parser."""

from __future__ import annotations

import re
import subprocess

import pytest
from conftest import program, require

from vtrace.netfeatures import (
    NO_OFFLOAD,
    QEMU_PROPERTIES,
    Feature,
    FeatureError,
    Offer,
    any_header_sg,
    driver_features,
    hdr_len,
    mask,
    missing_dependencies,
    negotiate,
    offered,
    parse_features,
)

F = Feature


@pytest.mark.parametrize(("feature", "bit"), [
    (F.CSUM, 0), (F.GUEST_CSUM, 1), (F.GUEST_TSO4, 7), (F.GUEST_TSO6, 8), (F.HOST_TSO4, 11),
    (F.HOST_TSO6, 12), (F.MRG_RXBUF, 15), (F.CTRL_VQ, 17), (F.MQ, 22), (F.INDIRECT_DESC, 28),
    (F.EVENT_IDX, 29), (F.VERSION_1, 32), (F.RING_PACKED, 34), (F.HASH_REPORT, 57),
    (F.RSS, 60),
])
def test_bit_numbers_are_the_uapi_ones(feature: Feature, bit: int) -> None:
    assert feature == bit
    assert mask([feature]) == 1 << bit


def test_qemu_7_2_and_linux_6_1_negotiate_the_offloads_rings_and_no_multiqueue() -> None:
    agreed = negotiate(offered("7.2"), driver_features("6.1"))
    for feature in (F.CSUM, F.GUEST_CSUM, F.HOST_TSO4, F.HOST_TSO6, F.GUEST_TSO4,
                    F.GUEST_TSO6, F.MRG_RXBUF, F.EVENT_IDX, F.INDIRECT_DESC, F.VERSION_1):
        assert feature in agreed
    # vp_transport_features keeps queue_reset, on by default in QEMU 7.2.
    assert F.RING_RESET in agreed
    # Legacy-only bits, switches left off, and a bit QEMU 7.2 offers that 6.1 does not know.
    for feature in (F.GSO, F.ANY_LAYOUT, F.NOTIFY_ON_EMPTY, F.MQ, F.RSS, F.HASH_REPORT,
                    F.RING_PACKED, F.CTRL_RX_EXTRA):
        assert feature not in agreed
    assert hdr_len(agreed) == 12
    assert not missing_dependencies(agreed)


def test_rss_and_hash_make_the_header_twenty_bytes() -> None:
    agreed = negotiate(offered("7.2", Offer(mq=True, rss=True, hash=True)), driver_features("6.1"))
    assert {F.MQ, F.RSS, F.HASH_REPORT} <= agreed
    assert hdr_len(agreed) == 20


def test_the_lesson_era_lacks_rss_hash_and_packed() -> None:
    with pytest.raises(FeatureError, match="no rss property"):
        offered("3.1", Offer(rss=True))
    assert F.RSS not in driver_features("4.19") and F.RING_PACKED not in driver_features("4.19")
    agreed = negotiate(offered("3.1", Offer(mq=True)), driver_features("4.19"))
    assert F.MQ in agreed and hdr_len(agreed) == 12


def test_header_lengths_follow_virtnet_probe() -> None:
    assert hdr_len([]) == 10
    assert hdr_len([F.MRG_RXBUF]) == 12
    assert hdr_len([F.VERSION_1]) == 12
    assert hdr_len([F.VERSION_1, F.HASH_REPORT]) == 20


def test_a_legacy_device_negotiates_32_bits_with_gso_and_any_layout() -> None:
    agreed = negotiate(offered("7.2", Offer(modern=False, rss=True)),
                       driver_features("6.1", modern=False))
    assert all(feature < 32 for feature in agreed)
    assert {F.GSO, F.ANY_LAYOUT, F.MRG_RXBUF} <= agreed and F.RSS not in agreed
    assert hdr_len(agreed) == 12 and any_header_sg(agreed)
    assert hdr_len(agreed - {F.MRG_RXBUF}) == 10
    assert not any_header_sg(agreed - {F.ANY_LAYOUT})
    assert any_header_sg(negotiate(offered("7.2"), driver_features("6.1")))


def test_the_parser_adds_and_removes() -> None:
    base = frozenset({F.CSUM, F.MRG_RXBUF})
    assert parse_features("+mq,-mrg_rxbuf, VIRTIO_NET_F_CTRL_VQ", base) == {F.CSUM, F.MQ,
                                                                            F.CTRL_VQ}
    assert parse_features("", base) == base
    assert parse_features("", base | {F.HOST_TSO4}, no_offload=True) == {F.MRG_RXBUF}
    assert NO_OFFLOAD.isdisjoint(parse_features("", offered("7.2"), no_offload=True))


@pytest.mark.parametrize("text", ["+nonsense", "mq,,rss", "-"])
def test_the_parser_refuses_in_one_line(text: str) -> None:
    with pytest.raises(FeatureError) as caught:
        parse_features(text, frozenset())
    assert "\n" not in str(caught.value)


def test_missing_dependencies_are_named() -> None:
    assert missing_dependencies([F.HOST_TSO4]) == [(F.HOST_TSO4, F.CSUM)]
    assert missing_dependencies([F.MQ]) == [(F.MQ, F.CTRL_VQ)]
    assert missing_dependencies([F.GUEST_ECN, F.GUEST_TSO6, F.GUEST_CSUM]) == []


def test_the_newest_era_adds_udp_segmentation_and_the_24_byte_tunnel_header() -> None:
    agreed = negotiate(offered("10.2"), driver_features("7.2"))
    assert {F.HOST_USO, F.GUEST_USO4, F.GUEST_USO6, F.HOST_UDP_TUNNEL_GSO, F.RING_RESET} <= agreed
    assert hdr_len(agreed) == 24
    assert mask(agreed) >> 64  # the tunnel bits live past the first 64
    assert hdr_len(parse_features("", agreed, no_offload=True)) == 12
    assert F.IN_ORDER in negotiate(offered("10.2", Offer(in_order=True)), driver_features("7.2"))


def test_an_unread_version_is_refused() -> None:
    with pytest.raises(FeatureError, match="no Linux feature table"):
        driver_features("5.10")


def test_qemu_property_names_are_understood() -> None:
    assert parse_features("+hash,+packed,-queue_reset", {F.RING_RESET}) == {F.HASH_REPORT,
                                                                          F.RING_PACKED}


@program("qemu-system-x86_64", "qemu-system-x86")
def test_the_installed_qemu_7_2_defaults_agree() -> None:
    result = subprocess.run(["qemu-system-x86_64", "-device", "virtio-net-pci,help"],
                            capture_output=True, text=True, timeout=60)
    defaults = dict(re.findall(r"^\s+(\w+)=<bool>.*\(default: (true|false)\)",
                               result.stdout, re.M))
    version = subprocess.run(["qemu-system-x86_64", "--version"], capture_output=True,
                             text=True, timeout=60).stdout
    require(" 7.2." not in version, "needs QEMU 7.2 (Debian 12's qemu-system-x86); this one "
            f"is {version.splitlines()[0] if version else 'unknown'}")
    checked = {name: value for name, value in defaults.items() if name in QEMU_PROPERTIES}
    assert len(checked) >= 25
    on = offered("7.2")
    for name, value in checked.items():
        assert (QEMU_PROPERTIES[name] in on) == (value == "true"), name
