"""virtio-net feature bits: what QEMU offers, what Linux accepts, what both end up with.

Bit numbers are those of include/uapi/linux/virtio_net.h, virtio_config.h and
virtio_ring.h. The device offers its ``host_features`` (QEMU's property defaults
in hw/net/virtio-net.c plus the common ring properties and, on a modern PCI
device, VERSION_1); the driver accepts what its feature table
(``VIRTNET_FEATURES``) and ``vring_transport_features`` know. The negotiated set
is the intersection, and the header length follows from it (``virtnet_probe``).
Every function named here has its line per version in ``vtrace.offload_sites``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum

__all__ = [
    "HDR_LEN_MRG",
    "HDR_LEN_TUNNEL",
    "NO_OFFLOAD",
    "QEMU_PROPERTIES",
    "Feature",
    "FeatureError",
    "Offer",
    "Switched",
    "TxOffload",
    "any_header_sg",
    "device_offer",
    "driver_features",
    "feature_names",
    "hdr_len",
    "mask",
    "missing_dependencies",
    "negotiate",
    "negotiated",
    "offered",
    "parse_features",
    "tx_offload",
]


class Feature(IntEnum):
    """A feature bit and its number, as the uapi headers of Linux 6.1 define it."""

    CSUM = 0
    GUEST_CSUM = 1
    CTRL_GUEST_OFFLOADS = 2
    MTU = 3
    MAC = 5
    GSO = 6
    GUEST_TSO4 = 7
    GUEST_TSO6 = 8
    GUEST_ECN = 9
    GUEST_UFO = 10
    HOST_TSO4 = 11
    HOST_TSO6 = 12
    HOST_ECN = 13
    HOST_UFO = 14
    MRG_RXBUF = 15
    STATUS = 16
    CTRL_VQ = 17
    CTRL_RX = 18
    CTRL_VLAN = 19
    CTRL_RX_EXTRA = 20
    GUEST_ANNOUNCE = 21
    MQ = 22
    CTRL_MAC_ADDR = 23
    NOTIFY_ON_EMPTY = 24
    ANY_LAYOUT = 27
    INDIRECT_DESC = 28
    EVENT_IDX = 29
    VERSION_1 = 32
    ACCESS_PLATFORM = 33
    RING_PACKED = 34
    IN_ORDER = 35
    ORDER_PLATFORM = 36
    SR_IOV = 37
    NOTIFICATION_DATA = 38
    RING_RESET = 40
    ADMIN_VQ = 41
    DEVICE_STATS = 50
    VQ_NOTF_COAL = 52
    NOTF_COAL = 53
    GUEST_USO4 = 54
    GUEST_USO6 = 55
    HOST_USO = 56
    HASH_REPORT = 57
    GUEST_HDRLEN = 59
    RSS = 60
    RSC_EXT = 61
    STANDBY = 62
    SPEED_DUPLEX = 63
    GUEST_UDP_TUNNEL_GSO = 65  # bits past 63 need the 128-bit feature words of Linux 7.2
    GUEST_UDP_TUNNEL_GSO_CSUM = 66
    HOST_UDP_TUNNEL_GSO = 67
    HOST_UDP_TUNNEL_GSO_CSUM = 68


F = Feature

#: The offloads ``--no-offload`` turns off, as ``csum=off,guest_csum=off,...`` would on QEMU's side.
NO_OFFLOAD = frozenset({
    F.CSUM, F.GUEST_CSUM, F.HOST_TSO4, F.HOST_TSO6, F.HOST_ECN, F.HOST_UFO,
    F.GUEST_TSO4, F.GUEST_TSO6, F.GUEST_ECN, F.GUEST_UFO, F.HOST_USO, F.GUEST_USO4,
    F.GUEST_USO6, F.GUEST_UDP_TUNNEL_GSO, F.GUEST_UDP_TUNNEL_GSO_CSUM, F.HOST_UDP_TUNNEL_GSO,
    F.HOST_UDP_TUNNEL_GSO_CSUM,
})
_TUNNEL = frozenset({F.GUEST_UDP_TUNNEL_GSO, F.GUEST_UDP_TUNNEL_GSO_CSUM,
                     F.HOST_UDP_TUNNEL_GSO, F.HOST_UDP_TUNNEL_GSO_CSUM})

# virtio_net_properties[] bits on by default (hw/net/virtio-net.c). 10.2 adds UDP
# segmentation and UDP tunnel GSO; virtio_net_get_features keeps them when the host's tap
# takes TUN_F_USO4/6 and TUN_F_UDP_TUNNEL_GSO, as Linux 7.2's does.
_QEMU_NET_7_2 = frozenset({
    F.CSUM, F.GUEST_CSUM, F.GSO, F.GUEST_TSO4, F.GUEST_TSO6, F.GUEST_ECN, F.GUEST_UFO,
    F.GUEST_ANNOUNCE, F.HOST_TSO4, F.HOST_TSO6, F.HOST_ECN, F.HOST_UFO, F.MRG_RXBUF,
    F.STATUS, F.CTRL_VQ, F.CTRL_RX, F.CTRL_VLAN, F.CTRL_RX_EXTRA, F.CTRL_MAC_ADDR,
    F.CTRL_GUEST_OFFLOADS,
})
_QEMU_NET_DEFAULTS = {
    "3.1": _QEMU_NET_7_2,
    "7.2": _QEMU_NET_7_2,
    "10.2": _QEMU_NET_7_2 | {F.GUEST_USO4, F.GUEST_USO6, F.HOST_USO} | _TUNNEL,
}
# DEFINE_VIRTIO_COMMON_FEATURES (include/hw/virtio/virtio.h).
_QEMU_COMMON_3_1 = frozenset({F.INDIRECT_DESC, F.EVENT_IDX, F.NOTIFY_ON_EMPTY, F.ANY_LAYOUT})
_QEMU_COMMON_DEFAULTS = {
    "3.1": _QEMU_COMMON_3_1,
    "7.2": _QEMU_COMMON_3_1 | {F.RING_RESET},
    "10.2": _QEMU_COMMON_3_1 | {F.RING_RESET},
}
# Switches that exist as properties, off by default: 3.1 has no rss, hash or packed.
_QEMU_SWITCHES = {
    "3.1": {"mq": F.MQ},
    "7.2": {"mq": F.MQ, "rss": F.RSS, "hash": F.HASH_REPORT, "packed": F.RING_PACKED},
    "10.2": {"mq": F.MQ, "rss": F.RSS, "hash": F.HASH_REPORT, "packed": F.RING_PACKED,
             "in_order": F.IN_ORDER},
}

# VIRTNET_FEATURES (drivers/net/virtio_net.c); 7.2 lists the tunnel bits only in the
# modern table.
_LINUX_NET_TABLE = frozenset({
    F.CSUM, F.GUEST_CSUM, F.MAC, F.HOST_TSO4, F.HOST_UFO, F.HOST_TSO6, F.HOST_ECN,
    F.GUEST_TSO4, F.GUEST_TSO6, F.GUEST_ECN, F.GUEST_UFO, F.MRG_RXBUF, F.STATUS, F.CTRL_VQ,
    F.CTRL_RX, F.CTRL_VLAN, F.GUEST_ANNOUNCE, F.MQ, F.CTRL_MAC_ADDR, F.MTU,
    F.CTRL_GUEST_OFFLOADS, F.SPEED_DUPLEX, F.STANDBY,
})
_LINUX_6_1 = _LINUX_NET_TABLE | {F.RSS, F.HASH_REPORT, F.NOTF_COAL}
_LINUX_TABLES = {
    "4.19": _LINUX_NET_TABLE,
    "6.1": _LINUX_6_1,
    "7.2": _LINUX_6_1 | {F.HOST_USO, F.GUEST_USO4, F.GUEST_USO6, F.VQ_NOTF_COAL,
                         F.GUEST_HDRLEN, F.DEVICE_STATS} | _TUNNEL,
}
# vring_transport_features (drivers/virtio/virtio_ring.c) and, on PCI,
# vp_transport_features (drivers/virtio/virtio_pci_modern.c), which keeps RING_RESET from
# 6.1 on (and SR_IOV, only on a physical function).
_LINUX_4_19_TRANSPORT = frozenset({F.INDIRECT_DESC, F.EVENT_IDX, F.VERSION_1,
                                   F.ACCESS_PLATFORM})
_LINUX_6_1_TRANSPORT = _LINUX_4_19_TRANSPORT | {F.RING_PACKED, F.ORDER_PLATFORM, F.RING_RESET}
_LINUX_TRANSPORT = {
    "4.19": _LINUX_4_19_TRANSPORT,
    "6.1": _LINUX_6_1_TRANSPORT,
    "7.2": _LINUX_6_1_TRANSPORT | {F.NOTIFICATION_DATA, F.IN_ORDER, F.ADMIN_VQ},
}
# virtnet_validate_features: these need the control queue.
_NEEDS_CTRL_VQ = (F.CTRL_RX, F.CTRL_VLAN, F.GUEST_ANNOUNCE, F.MQ, F.CTRL_MAC_ADDR, F.RSS,
                  F.HASH_REPORT, F.NOTF_COAL)
# The virtio spec's "5.1.3.1 Feature bit requirements": each feature needs one of these.
_NEEDS: dict[Feature, tuple[Feature, ...]] = {
    F.GUEST_TSO4: (F.GUEST_CSUM,), F.GUEST_TSO6: (F.GUEST_CSUM,),
    F.GUEST_ECN: (F.GUEST_TSO4, F.GUEST_TSO6), F.GUEST_UFO: (F.GUEST_CSUM,),
    F.HOST_TSO4: (F.CSUM,), F.HOST_TSO6: (F.CSUM,), F.HOST_ECN: (F.HOST_TSO4, F.HOST_TSO6),
    F.HOST_UFO: (F.CSUM,), F.HOST_USO: (F.CSUM,), F.GUEST_USO4: (F.GUEST_CSUM,),
    F.GUEST_USO6: (F.GUEST_CSUM,),
    **{feature: (F.CTRL_VQ,) for feature in _NEEDS_CTRL_VQ},
}

#: ``-device virtio-net-pci,NAME=on|off``: the property that switches each bit in QEMU.
QEMU_PROPERTIES: dict[str, Feature] = {
    **{feature.name.lower(): feature for feature in (
        F.CSUM, F.GUEST_CSUM, F.GSO, F.GUEST_TSO4, F.GUEST_TSO6, F.GUEST_ECN, F.GUEST_UFO,
        F.GUEST_ANNOUNCE, F.HOST_TSO4, F.HOST_TSO6, F.HOST_ECN, F.HOST_UFO, F.MRG_RXBUF,
        F.STATUS, F.CTRL_VQ, F.CTRL_RX, F.CTRL_VLAN, F.CTRL_RX_EXTRA, F.CTRL_MAC_ADDR,
        F.CTRL_GUEST_OFFLOADS, F.MQ, F.RSS, F.INDIRECT_DESC, F.EVENT_IDX, F.NOTIFY_ON_EMPTY,
        F.ANY_LAYOUT, F.GUEST_USO4, F.GUEST_USO6, F.HOST_USO, F.IN_ORDER)},
    "hash": F.HASH_REPORT, "guest_rsc_ext": F.RSC_EXT, "iommu_platform": F.ACCESS_PLATFORM,
    "packed": F.RING_PACKED, "queue_reset": F.RING_RESET,
    "host_tunnel": F.HOST_UDP_TUNNEL_GSO, "host_tunnel_csum": F.HOST_UDP_TUNNEL_GSO_CSUM,
    "guest_tunnel": F.GUEST_UDP_TUNNEL_GSO, "guest_tunnel_csum": F.GUEST_UDP_TUNNEL_GSO_CSUM,
}

LEGACY_BITS = 32  # a legacy virtio-pci device has one 32-bit feature register
HDR_LEN_LEGACY = 10  # struct virtio_net_hdr
HDR_LEN_MRG = 12  # struct virtio_net_hdr_mrg_rxbuf (and virtio_net_hdr_v1)
HDR_LEN_HASH = 20  # struct virtio_net_hdr_v1_hash
HDR_LEN_TUNNEL = 24  # struct virtio_net_hdr_v1_hash_tunnel (Linux 7.2)


class FeatureError(ValueError):
    """A feature string names no feature, or a version has no feature table here."""


@dataclass(frozen=True, slots=True)
class Offer:
    """The device's switches: ``-device virtio-net-pci,mq=on,rss=on,hash=on,packed=on``."""

    mq: bool = False
    rss: bool = False
    hash: bool = False
    packed: bool = False
    in_order: bool = False
    modern: bool = True  # virtio_pci_pre_plugged adds VERSION_1 to a modern device


def _known(table: dict[str, frozenset[Feature]], version: str, what: str) -> frozenset[Feature]:
    if version not in table:
        raise FeatureError(f"no {what} feature table for version {version}; "
                           f"read: {', '.join(table)}")
    return table[version]


def offered(qemu: str, offer: Offer = Offer()) -> frozenset[Feature]:
    """What QEMU ``qemu`` offers behind a tap with a vnet header (``virtio_net_get_features``).

    A legacy device shows only the low 32 bits: ``virtio_ioport_read`` returns
    them from a 32-bit register.
    """
    features = set(_known(_QEMU_NET_DEFAULTS, qemu, "QEMU") | _QEMU_COMMON_DEFAULTS[qemu])
    features.add(F.MAC)  # virtio_net_get_features adds it unconditionally
    switches = _QEMU_SWITCHES[qemu]
    for name in ("mq", "rss", "hash", "packed", "in_order"):
        if getattr(offer, name):
            if name not in switches:
                raise FeatureError(f"QEMU {qemu} has no {name} property")
            features.add(switches[name])
    if offer.modern:
        features.add(F.VERSION_1)
        return frozenset(features)
    return frozenset(feature for feature in features if feature < LEGACY_BITS)


def driver_features(linux: str, modern: bool = True) -> frozenset[Feature]:
    """Every bit Linux ``linux``'s virtio_net driver accepts.

    On a legacy device it reads ``features_legacy``: the same table less the
    tunnel bits, plus GSO and ANY_LAYOUT.
    """
    table = _known(_LINUX_TABLES, linux, "Linux") | _LINUX_TRANSPORT[linux]
    if modern:
        return table
    return (table - _TUNNEL) | {F.GSO, F.ANY_LAYOUT}


def negotiate(device: Iterable[Feature], driver: Iterable[Feature]) -> frozenset[Feature]:
    """The bits both sides set: the driver writes back the offered bits it knows."""
    return frozenset(device) & frozenset(driver)


def missing_dependencies(features: Iterable[Feature]) -> list[tuple[Feature, Feature]]:
    """(feature, the first thing it needs) for every feature none of whose prerequisites is set."""
    present = frozenset(features)
    return [(feature, needs[0]) for feature, needs in _NEEDS.items()
            if feature in present and present.isdisjoint(needs)]


def hdr_len(features: Iterable[Feature]) -> int:
    """``vi->hdr_len`` as ``virtnet_probe`` sets it."""
    present = frozenset(features)
    if F.GUEST_UDP_TUNNEL_GSO in present or F.HOST_UDP_TUNNEL_GSO in present:
        return HDR_LEN_TUNNEL
    if F.HASH_REPORT in present:
        return HDR_LEN_HASH
    if F.MRG_RXBUF in present or F.VERSION_1 in present:
        return HDR_LEN_MRG
    return HDR_LEN_LEGACY


def any_header_sg(features: Iterable[Feature]) -> bool:
    """May the header share a descriptor with the frame (``virtnet_probe``'s any_header_sg)?"""
    present = frozenset(features)
    return F.ANY_LAYOUT in present or F.VERSION_1 in present


def mask(features: Iterable[Feature]) -> int:
    """The feature word; Linux 7.2 and QEMU 10.2 carry bits past 63 too."""
    word = 0
    for feature in features:
        word |= 1 << feature
    return word


def feature_names(features: Iterable[Feature]) -> list[str]:
    """Lower-case names in bit order, as ``--features`` spells them."""
    return [feature.name.lower() for feature in sorted(frozenset(features))]


def _lookup(word: str) -> Feature:
    """A feature by its name (mrg_rxbuf or VIRTIO_NET_F_MRG_RXBUF) or its QEMU property."""
    if word.strip().lower() in QEMU_PROPERTIES:
        return QEMU_PROPERTIES[word.strip().lower()]
    name = word.strip().upper().removeprefix("VIRTIO_NET_F_").removeprefix("VIRTIO_F_")
    name = name.removeprefix("VIRTIO_RING_F_")
    try:
        return Feature[name]
    except KeyError:
        spellings = list(dict.fromkeys([*feature_names(Feature), *QEMU_PROPERTIES]))
        close = difflib.get_close_matches(name.lower(), spellings, n=4, cutoff=0.5)
        hint = f"close names: {', '.join(close)}" if close else \
            "names are the spec's (VIRTIO_NET_F_HOST_TSO4) or short (host_tso4)"
        raise FeatureError(f"unknown feature {word.strip()!r}; {hint}") from None


def parse_features(text: str, base: Iterable[Feature], *,
                   no_offload: bool = False) -> frozenset[Feature]:
    """Apply ``--features`` (``+mq,-mrg_rxbuf,rss``: plus or bare adds, minus removes) to ``base``.

    ``no_offload`` removes every checksum and segmentation offload first.
    """
    features = set(base)
    if no_offload:
        features -= NO_OFFLOAD
    for item in text.split(","):
        word = item.strip()
        if not word:
            if text.strip():
                raise FeatureError(f"empty item in feature list {text!r}")
            continue
        if word[0] == "-":
            features.discard(_lookup(word[1:]))
        else:
            features.add(_lookup(word.removeprefix("+")))
    return frozenset(features)


@dataclass(frozen=True, slots=True)
class Switched:
    """What ``--features`` and ``--no-offload`` ask of the device's properties."""

    features: str = ""
    offload: bool = True


def device_offer(qemu: str, text: str = "", *, no_offload: bool = False,
                 offer: Offer = Offer()) -> frozenset[Feature]:
    """What QEMU ``qemu`` offers with the switches of its Offer once ``--features`` and
    ``--no-offload`` have switched its properties; without VERSION_1 the device is legacy
    and shows 32 bits."""
    base = offered(qemu, offer)
    device = parse_features(text, base, no_offload=no_offload)
    known = (_known(_QEMU_NET_DEFAULTS, qemu, "QEMU") | _QEMU_COMMON_DEFAULTS[qemu]
             | set(_QEMU_SWITCHES[qemu].values()) | {F.ACCESS_PLATFORM})
    for feature in sorted(device - base - known):
        raise FeatureError(f"QEMU {qemu} has no property that offers {feature.name}")
    if F.VERSION_1 in device:
        return device
    return frozenset(feature for feature in device if feature < LEGACY_BITS)


def negotiated(qemu: str, linux: str, text: str = "", *,
               no_offload: bool = False) -> frozenset[Feature]:
    """What QEMU ``qemu`` and Linux ``linux`` agree on once ``--features`` and
    ``--no-offload`` have switched the device's properties.

    Dropping VERSION_1 makes the device legacy: 32 bits, and Linux's ``features_legacy``.
    A set that breaks the spec's feature requirements raises FeatureError.
    """
    device = device_offer(qemu, text, no_offload=no_offload)
    agreed = negotiate(device, driver_features(linux, F.VERSION_1 in device))
    for feature, needs in missing_dependencies(agreed):
        raise FeatureError(f"{feature.name} needs {needs.name} (virtio spec 5.1.3.1): keep "
                           f"{needs.name.lower()}, or drop {feature.name.lower()} too "
                           f"(-{feature.name.lower()}; --no-offload drops every offload)")
    return agreed


@dataclass(frozen=True, slots=True)
class TxOffload:
    """What the guest's stack may leave to the device for one transmit, from the
    ``dev->features`` ``virtnet_probe`` sets out of the negotiated bits."""

    hdr_len: int  # vi->hdr_len
    csum: bool  # NETIF_F_HW_CSUM (and NETIF_F_SG): only with VIRTIO_NET_F_CSUM
    tso4: bool  # NETIF_F_TSO: HOST_TSO4 (or legacy GSO), only inside the CSUM branch
    tso6: bool  # NETIF_F_TSO6
    tso_ecn: bool  # NETIF_F_TSO_ECN: HOST_ECN
    indirect: bool  # VIRTIO_RING_F_INDIRECT_DESC
    any_header_sg: bool

    def tso(self, ipv6: bool, ecn: bool) -> bool:
        """May a GSO skb of this family (with CWR, SKB_GSO_TCP_ECN) go to the device whole,
        unsegmented by the guest's stack?"""
        return (self.tso6 if ipv6 else self.tso4) and (self.tso_ecn or not ecn)


def tx_offload(features: Iterable[Feature]) -> TxOffload:
    """The transmit offloads ``virtnet_probe`` turns on for the negotiated bits."""
    present = frozenset(features)
    csum = F.CSUM in present
    legacy_gso = F.GSO in present
    return TxOffload(
        hdr_len=hdr_len(present), csum=csum,
        tso4=csum and (F.HOST_TSO4 in present or legacy_gso),
        tso6=csum and (F.HOST_TSO6 in present or legacy_gso),
        tso_ecn=csum and (F.HOST_ECN in present or legacy_gso),
        indirect=F.INDIRECT_DESC in present, any_header_sg=any_header_sg(present))
