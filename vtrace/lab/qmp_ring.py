"""QEMU's answers about a real guest's virtio-net rings, turned into the replay's ring fields.

The lab (``vtrace.lab.qmp``) keeps what QEMU 7.2 answered: per queue,
``x-query-virtio-queue-status`` (QEMU's own indices: ``last-avail-idx``,
``shadow-avail-idx``, ``used-idx``, ``signalled-used``, ``inuse``, and where
the descriptor table, avail and used rings are) and the monitor's ``xp /Nxh``
dumps of those three areas. ``ring_fields`` reads them as the split ring's
little-endian layout (virtio 1.x, "Split Virtqueues") into the names the
replay uses (``vtrace.scenarios.ringstate``): ``avail.flags``, ``avail.idx``,
``used_event``, ``used.flags``, ``used.idx``, ``avail_event``, each
descriptor's addr/len/flags/next, the avail ring's heads, the used elements'
id/len, and QEMU's ``last_avail_idx``, ``shadow_avail_idx``, ``used_idx``,
``signalled_used`` and ``inuse``. A packed ring (VIRTIO_F_RING_PACKED
negotiated; QEMU's ``vring-avail`` and ``vring-used`` are then the driver's
and the device's event-suppression areas) is read as virtio 1.1's "Packed
Virtqueues" layout into ``vtrace.ring_packed``'s names: each descriptor
slot's addr/len/id/flags and both areas' ``off_wrap`` and ``flags``. Only
``load_ring`` reads a file.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["FORMAT", "QUEUES", "RING_FILE", "is_packed", "load_ring", "packed_ring_fields",
           "parse_xp", "queue_indices", "ring_bytes", "ring_fields", "rings_of_answers"]

FORMAT = "vtrace-ring/1"
#: The file in a lab directory with the rings as QEMU saw them after the last frame.
RING_FILE = "ring.json"
#: virtio-net's queue indices: receive queue 0 and transmit queue 1 of the first pair.
QUEUES = {"rx": 0, "tx": 1}


def queue_indices(pairs: int) -> dict[str, int]:
    """Every queue pair's receive and transmit queue: ``rx``, ``tx``, then ``rx1``,
    ``tx1`` ... (virtio-net numbers them 2N and 2N + 1)."""
    return {f"{kind}{pair or ''}": 2 * pair + offset for pair in range(pairs)
            for kind, offset in QUEUES.items()}
_EVENT_IDX = "VIRTIO_RING_F_EVENT_IDX"
_RING_PACKED = "VIRTIO_F_RING_PACKED"


def _negotiated(device_status: Mapping[str, Any], name: str) -> bool:
    """Whether ``x-query-virtio-status``'s guest features name ``name``."""
    transports = device_status.get("guest-features", {}).get("transports", [])
    return any(feature.startswith(name) for feature in transports)


def is_packed(device_status: Mapping[str, Any]) -> bool:
    """Whether the device's rings are packed (VIRTIO_F_RING_PACKED negotiated)."""
    return _negotiated(device_status, _RING_PACKED)


def ring_bytes(status: Mapping[str, Any], packed: bool = False) -> dict[str, tuple[int, int]]:
    """(guest-physical address, halfwords) of the descriptor table, avail and used rings;
    of a packed ring, its descriptor slots and the driver's (``avail``) and the device's
    (``used``) event-suppression areas, under QEMU's names for their addresses."""
    size = int(status["vring-num"])
    if packed:
        return {"desc": (int(status["vring-desc"]), 8 * size),  # 16 bytes a slot
                "avail": (int(status["vring-avail"]), 2),  # off_wrap, flags
                "used": (int(status["vring-used"]), 2)}
    return {"desc": (int(status["vring-desc"]), 8 * size),  # 16 bytes a descriptor
            "avail": (int(status["vring-avail"]), 3 + size),  # flags, idx, ring, used_event
            "used": (int(status["vring-used"]), 3 + 4 * size)}  # flags, idx, elems, avail_event


def parse_xp(text: str) -> list[int]:
    """The halfwords of the monitor's ``xp /Nxh`` lines (``ADDRESS: 0xHHHH 0xHHHH ...``)."""
    words: list[int] = []
    for line in text.splitlines():
        address, colon, values = line.partition(":")
        if not colon or not address.strip():
            continue
        try:
            words += [int(value, 16) for value in values.split()]
        except ValueError:
            raise ValueError(f"not an xp line: {line.strip()!r}") from None
    return words


def _u32(low: int, high: int) -> int:
    return low | high << 16


def _dumps(status: Mapping[str, Any], xp: Mapping[str, str],
           packed: bool) -> tuple[list[int], ...]:
    """The halfwords of the three dumps; ValueError if one is short."""
    dumps = []
    for part, (_, wanted) in ring_bytes(status, packed).items():
        words = parse_xp(xp[part])
        if len(words) < wanted:
            raise ValueError(f"the {part} dump has {len(words)} halfwords, not {wanted}")
        dumps.append(words)
    return tuple(dumps)


def _qemu_indices(status: Mapping[str, Any]) -> dict[str, int]:
    return {"last_avail_idx": int(status["last-avail-idx"]),
            "shadow_avail_idx": int(status["shadow-avail-idx"]),
            "used_idx": int(status["used-idx"]),
            "signalled_used": int(status["signalled-used"]),
            "inuse": int(status["inuse"])}


def ring_fields(status: Mapping[str, Any], xp: Mapping[str, str]) -> dict[str, Any]:
    """One queue's ring as the replay names its fields; ValueError if a dump is short."""
    size = int(status["vring-num"])
    desc, avail, used = _dumps(status, xp, packed=False)
    return {
        "size": size,
        "avail.flags": avail[0], "avail.idx": avail[1], "used_event": avail[2 + size],
        "used.flags": used[0], "used.idx": used[1], "avail_event": used[2 + 4 * size],
        **_qemu_indices(status),
        "desc": [{"addr": _u32(*words[0:2]) | _u32(*words[2:4]) << 32,
                  "len": _u32(words[4], words[5]), "flags": words[6], "next": words[7]}
                 for words in (desc[8 * index: 8 * index + 8] for index in range(size))],
        "avail": avail[2: 2 + size],
        "used": [{"id": _u32(*used[2 + 4 * slot: 4 + 4 * slot]),
                  "len": _u32(*used[4 + 4 * slot: 6 + 4 * slot])} for slot in range(size)],
    }


def packed_ring_fields(status: Mapping[str, Any], xp: Mapping[str, str]) -> dict[str, Any]:
    """One packed queue's slots and event areas, and QEMU's indices (which count slots);
    ValueError if a dump is short."""
    desc, driver, device = _dumps(status, xp, packed=True)
    return {
        "layout": "packed", "size": int(status["vring-num"]),
        "driver_event.off_wrap": driver[0], "driver_event.flags": driver[1],
        "device_event.off_wrap": device[0], "device_event.flags": device[1],
        **_qemu_indices(status),
        "desc": [{"addr": _u32(*words[0:2]) | _u32(*words[2:4]) << 32,
                  "len": _u32(words[4], words[5]), "id": words[6], "flags": words[7]}
                 for words in (desc[8 * slot: 8 * slot + 8]
                               for slot in range(int(status["vring-num"])))],
    }


def rings_of_answers(answers: Mapping[str, Any]) -> dict[str, Any]:
    """``ring.json``: every queue's fields, the layout, whether EVENT_IDX was negotiated,
    and QEMU's answers they were read from."""
    packed = is_packed(answers["status"])
    fields = packed_ring_fields if packed else ring_fields
    return {
        "format": FORMAT,
        "qemu": answers.get("qemu", {}),
        "device": answers["path"],
        "layout": "packed" if packed else "split",
        "event_idx": _negotiated(answers["status"], _EVENT_IDX),
        "queues": {name: fields(queue["status"], queue["xp"])
                   for name, queue in answers["queues"].items()},
        "answers": answers,
    }


def load_ring(directory: Path) -> dict[str, Any] | None:
    """``ring.json`` of a lab directory, or None when the run read no ring."""
    path = directory / RING_FILE
    if not path.is_file():
        return None
    rings: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    if rings.get("format") != FORMAT:
        raise ValueError(f"{RING_FILE} is not {FORMAT}")
    return rings
