"""The ring's contents as text lines: the descriptor table in use, the avail and used rings,
the event indices and the newest frame's headers, decoded. A packed ring has no avail
or used ring: its lines are the descriptor slots with their AVAIL and USED bits, the
two event-suppression areas and the wrap counters.

The plain view prints these lines with ``--show-ring``; the live view puts them
in a panel when the terminal has room. Values are ``name=value`` words, so a
line that wraps never parts a name from its number.
"""

from __future__ import annotations

import struct

from vtrace.frames import ETH_HEADER, IPV4_HEADER, UDP_HEADER, VNET_HDR_SIZE
from vtrace.i18n import worded
from vtrace.renderers.ring_contents import Descriptor, PackedSlot, RingContents, RingEntry
from vtrace.renderers.view_words import word
from vtrace.ring import VRING_DESC_F_INDIRECT, VRING_DESC_F_NEXT, VRING_DESC_F_WRITE
from vtrace.ring_packed import (
    VRING_PACKED_DESC_F_AVAIL,
    VRING_PACKED_DESC_F_USED,
    VRING_PACKED_EVENT_FLAG_DESC,
    VRING_PACKED_EVENT_FLAG_DISABLE,
    VRING_PACKED_EVENT_FLAG_ENABLE,
    WRAP_BIT,
)

__all__ = ["EVENT_FLAG_NAMES", "decode_headers", "frame_lines", "packed_lines", "ring_lines"]

INDENT = "  "
_ETHERTYPES = {0x0800: "IPv4", 0x86DD: "IPv6", 0x0806: "ARP"}
_PROTOCOLS = {17: "UDP", 6: "TCP", 1: "ICMP"}
_GSO = {0: "none", 1: "tcpv4", 3: "udp", 4: "tcpv6"}
#: An event-suppression area's flags, by the spec's names.
EVENT_FLAG_NAMES = {VRING_PACKED_EVENT_FLAG_ENABLE: "ENABLE",
                    VRING_PACKED_EVENT_FLAG_DISABLE: "DISABLE",
                    VRING_PACKED_EVENT_FLAG_DESC: "DESC"}
_PACKED_WORDS = {
    "en": {
        "slots": "packed ring, descriptor slots written (newest last)",
        "slot.avail": "available to the device",
        "slot.device": "taken by the device",
        "slot.used": "used, for the driver to reclaim",
        "slot.freed": "used, reclaimed by the driver",
        "driver_event": "driver event area (the device reads it before an interrupt)",
        "device_event": "device event area (the driver reads it before a kick)",
        "driver": "wrap counters, driver",
        "device": "wrap counters, device",
    },
    "zh": {
        "slots": "packed 环，已写的描述符槽（最新的在最后）",
        "slot.avail": "可供设备取用",
        "slot.device": "设备已取走",
        "slot.used": "已用，等驱动收回",
        "slot.freed": "已用，驱动已收回",
        "driver_event": "驱动的事件区（设备发中断前读它）",
        "device_event": "设备的事件区（驱动 kick 前读它）",
        "driver": "驱动的回绕计数器",
        "device": "设备的回绕计数器",
    },
}


def ring_lines(contents: RingContents, lang: str = "en", descriptors: int = 8) -> list[str]:
    """The descriptor table entries in use (at most ``descriptors`` of them), both rings'
    newest entries and the event indices; a packed ring's own lines on a packed ring."""
    if contents.packed:
        return packed_lines(contents, lang)
    lines = [word("ring.descriptors", lang)]
    in_use = contents.in_use()
    lines += [INDENT + _descriptor(entry, lang) for entry in in_use[:descriptors]]
    if len(in_use) > descriptors:
        lines.append(INDENT + word("ring.more", lang, count=len(in_use) - descriptors))
    if contents.unlisted():
        lines.append(INDENT + word("ring.unlisted", lang, count=contents.unlisted()))
    elif not in_use:
        lines.append(INDENT + word("ring.none", lang))
    values = contents.values
    for key, entries in (("ring.avail", contents.avail_entries()),
                         ("ring.used", contents.used_entries())):
        lines.append(word(key, lang))
        lines += [INDENT + _entry(entry, lang, key == "ring.used") for entry in entries]
        # Buffers posted in bulk wait in the avail ring without the stream naming them.
        waiting = values.get("avail.idx", 0) - values.get("last_avail_idx", 0) \
            if key == "ring.avail" else 0
        if not entries:
            lines.append(INDENT + (word("ring.unnamed", lang, count=waiting) if waiting > 0
                                   else word("ring.none", lang)))
    indices = "  ".join(f"{name}={values[name]}" for name in ("used_event", "avail_event")
                        if name in values)
    lines.append(f"{word('ring.event_idx', lang)}  {indices}")
    return lines


def packed_lines(contents: RingContents, lang: str = "en") -> list[str]:
    """The packed ring's newest slots written, each with its AVAIL and USED bits and what
    they mean, both event-suppression areas and both sides' indices and wrap counters."""
    values = contents.values
    lines = [_packed_word("slots", lang)]
    lines += [INDENT + _slot(slot, lang) for slot in contents.slots.values()]
    if not contents.slots:
        lines.append(INDENT + word("ring.none", lang))
    for area in ("driver_event", "device_event"):
        off_wrap = values.get(f"{area}.off_wrap", 0)
        flags = values.get(f"{area}.flags", 0)
        lines.append(f"{_packed_word(area, lang)}  off_wrap={off_wrap:#06x} "
                     f"(off={off_wrap & ~WRAP_BIT} wrap={off_wrap >> 15}) "
                     f"flags={EVENT_FLAG_NAMES.get(flags, str(flags))}")
    last_used = values.get("last_used_idx", 0)
    lines.append(f"{_packed_word('driver', lang)}  "
                 f"next_avail_idx={values.get('next_avail_idx', 0)} "
                 f"avail_wrap_counter={values.get('avail_wrap_counter', 0)}  "
                 f"last_used_idx={last_used & ~WRAP_BIT} "
                 f"used_wrap_counter={values.get('used_wrap_counter', 0)}")
    lines.append(f"{_packed_word('device', lang)}  "
                 f"last_avail_idx={values.get('last_avail_idx', 0)} "
                 f"last_avail_wrap_counter={values.get('last_avail_wrap_counter', 0)}  "
                 f"used_idx={values.get('used_idx', 0)} "
                 f"vq.used_wrap_counter={values.get('vq.used_wrap_counter', 0)}")
    return lines


def _packed_word(key: str, lang: str) -> str:
    return worded(_PACKED_WORDS, key, lang)


def _slot(slot: PackedSlot, lang: str) -> str:
    avail, used = slot.bits()
    state, length = slot.shown()
    addr = "?" if slot.addr is None else f"{slot.addr:#x}"
    frame = "" if slot.frame is None else f"  #{slot.frame}"
    return (f"[{slot.slot}] addr={addr} len={'?' if length is None else length} id={slot.id} "
            f"flags={_flags(slot.flags)}  avail={avail} used={used} → "
            f"{_packed_word(f'slot.{state}', lang)}{frame}")


def _descriptor(entry: Descriptor, lang: str) -> str:
    addr = "?" if entry.addr is None else f"{entry.addr:#x}"
    length = "?" if entry.length is None else str(entry.length)
    frame = "" if entry.frame is None else f"  #{entry.frame}"
    return (f"[{entry.head}] addr={addr} len={length} flags={_flags(entry.flags)} "
            f"next={entry.next}{frame}  {word(f'state.{entry.state}', lang)}")


def _flags(flags: int) -> str:
    names = [name for bit, name in ((VRING_DESC_F_NEXT, "NEXT"), (VRING_DESC_F_WRITE, "WRITE"),
                                    (VRING_DESC_F_INDIRECT, "INDIRECT"),
                                    (VRING_PACKED_DESC_F_AVAIL, "AVAIL"),
                                    (VRING_PACKED_DESC_F_USED, "USED")) if flags & bit]
    return "|".join(names) if names else "0"


def _entry(entry: RingEntry, lang: str, used: bool) -> str:
    length = f" len={'?' if entry.length is None else entry.length}" if used else ""
    state = word("ring.pending" if entry.pending else "ring.taken", lang)
    return f"idx={entry.index} ring[{entry.slot}]={entry.head}{length}  {state}"


def frame_lines(contents: RingContents, lang: str = "en") -> list[str]:
    """The newest frame's virtio_net_hdr and Ethernet/IPv4/UDP headers, or what is known."""
    if contents.frame is None:
        return []
    data = contents.frame_bytes()
    if data is None:
        length = "?" if contents.frame_length is None else contents.frame_length
        return [word("frame.unknown", lang, frame=contents.frame, length=length)]
    return [word("frame.title", lang, frame=contents.frame),
            *(INDENT + line for line in decode_headers(data, contents.hdr_len))]


def decode_headers(data: bytes, hdr_len: int = VNET_HDR_SIZE) -> list[str]:
    """A buffer holding a ``hdr_len``-byte virtio_net_hdr and an Ethernet frame, one line per
    header, then its first 16 bytes in hex; what is too short to hold a header is left out."""
    lines = []
    if len(data) >= hdr_len:
        flags, gso, headers, gso_size, csum_start, csum_offset = struct.unpack_from(
            "<BBHHHH", data)
        # A legacy 10-byte header has no num_buffers.
        buffers = f" num_buffers={struct.unpack_from('<H', data, 10)[0]}" \
            if hdr_len >= VNET_HDR_SIZE else ""
        lines.append(f"virtio_net_hdr flags={flags} gso_type={_GSO.get(gso, gso)} "
                     f"hdr_len={headers} gso_size={gso_size} csum_start={csum_start} "
                     f"csum_offset={csum_offset}{buffers}")
    frame = data[hdr_len:]
    if len(frame) >= ETH_HEADER:
        (ethertype,) = struct.unpack_from("!H", frame, 12)
        lines.append(f"Ethernet dst={_mac(frame[:6])} src={_mac(frame[6:12])} "
                     f"type={ethertype:#06x}({_ETHERTYPES.get(ethertype, '?')})")
    ip = frame[ETH_HEADER:ETH_HEADER + IPV4_HEADER]
    if len(ip) == IPV4_HEADER and ip[0] >> 4 == 4:
        total, ident, fragment, ttl, protocol, checksum = struct.unpack_from("!HHHBBH", ip, 2)
        dont_fragment = " DF" if fragment & 0x4000 else ""
        lines.append(f"IPv4 src={_ip(ip[12:16])} dst={_ip(ip[16:20])} total_len={total} "
                     f"id={ident}{dont_fragment} ttl={ttl} "
                     f"protocol={protocol}({_PROTOCOLS.get(protocol, '?')}) "
                     f"checksum={checksum:#06x}")
        udp = frame[ETH_HEADER + (ip[0] & 0xF) * 4:][:UDP_HEADER]
        if protocol == 17 and len(udp) == UDP_HEADER:
            source, destination, length, udp_sum = struct.unpack("!HHHH", udp)
            lines.append(f"UDP src_port={source} dst_port={destination} len={length} "
                         f"checksum={udp_sum:#06x}")
    lines.append("Ethernet bytes 0-15 " + " ".join(f"{byte:02x}" for byte in frame[:16]))
    return lines


def _mac(raw: bytes) -> str:
    return ":".join(f"{byte:02x}" for byte in raw)


def _ip(raw: bytes) -> str:
    return ".".join(str(byte) for byte in raw)
