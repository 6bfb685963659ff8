"""The features the guest's driver negotiated, as its sysfs ``features`` file shows them.

Linux's ``features_show`` (drivers/virtio/virtio.c) prints the device's
negotiated feature word one character per bit, bit 0 first. The guest's
/init puts that string on its ``eth0: up`` line; a run that asked QEMU for
something (``packed=on``, ``mq=on``) checks here that the driver took it.
"""

from __future__ import annotations

from collections.abc import Mapping

from vtrace.lab.errors import LabError
from vtrace.netfeatures import Feature, feature_names

__all__ = ["FEATURES_WORD", "c_name", "check_negotiated", "negotiated"]

#: What precedes the bit string on the guest's ``eth0: up`` line.
FEATURES_WORD = "features="


def negotiated(bits: str) -> frozenset[Feature]:
    """The known features whose bit is ``1`` in a sysfs ``features`` string."""
    known = {feature.value: feature for feature in Feature}
    return frozenset(known[bit] for bit, char in enumerate(bits.strip())
                     if char == "1" and bit in known)


def c_name(feature: Feature) -> str:
    """The feature's name in Linux's uapi headers."""
    if feature in (Feature.INDIRECT_DESC, Feature.EVENT_IDX):
        return f"VIRTIO_RING_F_{feature.name}"
    if Feature.NOTIFY_ON_EMPTY <= feature <= Feature.ADMIN_VQ:
        return f"VIRTIO_F_{feature.name}"
    return f"VIRTIO_NET_F_{feature.name}"


def check_negotiated(line: str, wanted: Mapping[Feature, str]) -> list[str]:
    """The features of the guest's ``eth0: up ... features=BITS`` line, by name; LabError,
    one line, when one of ``wanted`` (each with the option that asked for it) is not among
    them."""
    _, found, bits = line.partition(FEATURES_WORD)
    if not found:
        raise LabError(f"the guest did not say which features it negotiated ({line.strip()!r})")
    features = negotiated(bits.split()[0] if bits.split() else "")
    for feature, why in wanted.items():
        if feature not in features:
            raise LabError(f"{why}: the guest's driver and QEMU did not negotiate "
                           f"{c_name(feature)} "
                           f"(bit {feature.value}); the guest's features are {bits.strip()}")
    return feature_names(features)
