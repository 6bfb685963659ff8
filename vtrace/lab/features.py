"""The features the guest's driver negotiated, as its sysfs ``features`` file shows them.

Linux's ``features_show`` (drivers/virtio/virtio.c) prints the device's
negotiated feature word one character per bit, bit 0 first. The guest's
/init puts that string on its ``eth0: up`` line; a run that asked QEMU for
something (``packed=on``, ``mq=on``) checks here that the driver took it,
and one that switched a feature off (``--features -guest_tso4``:
``guest_tso4=off``) that it is gone.
"""

from __future__ import annotations

from collections.abc import Mapping

from vtrace.lab.errors import LabError
from vtrace.netfeatures import (
    QEMU_PROPERTIES,
    Feature,
    FeatureError,
    device_offer,
    feature_names,
    offered,
)
from vtrace.netfeatures import negotiated as agreed

__all__ = ["FEATURES_WORD", "LAB_QEMU", "LAB_LINUX", "c_name", "check_negotiated",
           "device_properties", "negotiated", "switched_off"]

#: The versions the lab's guest runs (Debian 12's QEMU and kernel), whose offer and driver
#: a ``--features`` list is checked against.
LAB_QEMU, LAB_LINUX = "7.2", "6.1"
_PROPERTY = {feature: name for name, feature in QEMU_PROPERTIES.items()}

#: What precedes the bit string on the guest's ``eth0: up`` line.
FEATURES_WORD = "features="


def negotiated(bits: str) -> frozenset[Feature]:
    """The known features whose bit is ``1`` in a sysfs ``features`` string."""
    known = {feature.value: feature for feature in Feature}
    return frozenset(known[bit] for bit, char in enumerate(bits.strip())
                     if char == "1" and bit in known)


def switched_off(text: str) -> frozenset[Feature]:
    """The features a ``--features`` list takes from QEMU's default offer; FeatureError, one
    line, for an unknown name, a broken dependency, or a feature it would add (``--queues``
    and ``--ring`` turn mq, rss and packed on)."""
    if not text:
        return frozenset()
    base = offered(LAB_QEMU)
    wanted = device_offer(LAB_QEMU, text)
    added = sorted(wanted - base)
    if added:
        raise FeatureError(f"--features {text}: the lab only switches features off, and "
                           f"{added[0].name.lower()} would be switched on; --queues and --ring "
                           "turn on mq, rss and packed")
    agreed(LAB_QEMU, LAB_LINUX, text)  # the spec's dependencies
    off = base - wanted
    for feature in sorted(off):
        if feature not in _PROPERTY:
            raise FeatureError(f"--features {text}: QEMU has no property that switches "
                               f"{feature.name.lower()} off")
    return off


def device_properties(text: str) -> list[str]:
    """The virtio-net-pci properties a ``--features`` list sets: ``guest_tso4=off`` ..."""
    return [f"{_PROPERTY[feature]}=off" for feature in sorted(switched_off(text))]


def c_name(feature: Feature) -> str:
    """The feature's name in Linux's uapi headers."""
    if feature in (Feature.INDIRECT_DESC, Feature.EVENT_IDX):
        return f"VIRTIO_RING_F_{feature.name}"
    if Feature.NOTIFY_ON_EMPTY <= feature <= Feature.ADMIN_VQ:
        return f"VIRTIO_F_{feature.name}"
    return f"VIRTIO_NET_F_{feature.name}"


def check_negotiated(line: str, wanted: Mapping[Feature, str],
                     unwanted: Mapping[Feature, str] | None = None) -> list[str]:
    """The features of the guest's ``eth0: up ... features=BITS`` line, by name; LabError,
    one line, when one of ``wanted`` (each with the option that asked for it) is not among
    them, or one of ``unwanted`` is."""
    _, found, bits = line.partition(FEATURES_WORD)
    if not found:
        raise LabError(f"the guest did not say which features it negotiated ({line.strip()!r})")
    features = negotiated(bits.split()[0] if bits.split() else "")
    for feature, why in wanted.items():
        if feature not in features:
            raise LabError(f"{why}: the guest's driver and QEMU did not negotiate "
                           f"{c_name(feature)} "
                           f"(bit {feature.value}); the guest's features are {bits.strip()}")
    for feature, why in (unwanted or {}).items():
        if feature in features:
            raise LabError(f"{why}: the guest's driver and QEMU still negotiated "
                           f"{c_name(feature)} (bit {feature.value})")
    return feature_names(features)
