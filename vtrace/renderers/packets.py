"""Which packets a stream carries, and writing them as pcap or pcapng as the stream goes by.

Classic pcap (``tap_packets``) holds each frame once, as it crossed the tap.
pcapng (``hop_packets``) holds each frame at every hop the scenario names
(``Scenario.hops``): one interface per hop, named ``side:function``
(``guest:start_xmit``, ``qemu:virtqueue_pop``, ``host:tun_get_user``; under
vhost-net the worker's functions take QEMU's place), the same Ethernet bytes at
each, and a comment saying the hop, where its function is (file:line and
version), the frame, the time and whether it was modelled or captured, and the
virtio_net_hdr where the hop has one in front of the frame. The header rides in
the comment rather than in the bytes: every interface keeps the Ethernet link
type, so Wireshark dissects and filters every hop alike, with no plugin. A TCP
send the guest segmented (no TSO) shows each of its segments at every hop, their
checksums complete.

A replay's frames are rebuilt exactly (``build_frame`` of the frame's index,
the header's size and the tap's endpoints the scenario names). A capture's
frames are the bytes it saw, the ``frame_hex`` detail of the events that carry
one (the lab's packet socket on the tap); in pcapng they are written at each
hop the capture recorded for that frame, and once more on a ``host:tap``
interface at the event the bytes were matched to. A capture is read whole
first (a frame's bytes may come after its first hops); a replay streams.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import suppress
from typing import IO, NamedTuple

from vtrace import __version__
from vtrace.frames import VNET_HDR, VnetHeader, build_frame
from vtrace.model import Event, Header, Kind, Layer, Source
from vtrace.offload import TCP_CSUM_OFFSET, complete_checksum
from vtrace.pcap import PcapngWriter, PcapWriter
from vtrace.renderers.describe import location
from vtrace.renderers.escape import clean
from vtrace.scenarios.base import Hop, Scenario
from vtrace.scenarios.multiqueue import endpoints_of
from vtrace.scenarios.recv.gro import tap_frames
from vtrace.scenarios.recv.tcp import host_superframe
from vtrace.scenarios.send.tso import path_of, ring_sends, shown_path, tcp_send, wire_frames
from vtrace.scenarios.words import Tap
from vtrace.session import Session

__all__ = ["Packet", "PacketFile", "empty_notice", "hop_packets", "is_pcapng", "tap_packets",
           "tee_packets", "write_packets"]

FRAMES_REMEMBERED = 4096  # frames whose hops met so far are kept, so memory stays flat
TAP = "host:tap"

_SIDE = {Layer.GUEST_USER: "guest", Layer.GUEST_KERNEL: "guest", Layer.VRING: "guest",
         Layer.QEMU: "qemu", Layer.KVM: "host", Layer.HOST_KERNEL: "host"}
_WORDS: Mapping[str, Mapping[str, str]] = {
    "en": {"hop": "hop {n} {name}", "frame": "frame {n}", "modelled": "modelled {t}",
           "captured": "captured {t}", "hdr": "virtio_net_hdr ({size} bytes) {hex}",
           "hdr_unseen": "a virtio_net_hdr in front, its bytes not recorded",
           "tap": "the bytes the lab's packet socket on the tap saw, here at {function}",
           "empty": "{path}: the stream carries no frame's bytes (no frames, or a capture "
                    "without the tap's packets), so the file holds no packets"},
    "zh": {"hop": "第 {n} 跳 {name}", "frame": "第 {n} 帧", "modelled": "模型时间 {t}",
           "captured": "实测时间 {t}", "hdr": "virtio_net_hdr（{size} 字节）{hex}",
           "hdr_unseen": "帧前有 virtio_net_hdr，其字节未被记录",
           "tap": "实验环境在 tap 上的抓包套接字看到的字节，此处挂在 {function}",
           "empty": "{path}：事件流中没有任何帧的字节（没有帧，或抓取时没有 tap 上的包），"
                    "文件中没有数据包"},
}


class Packet(NamedTuple):
    """One packet of a capture file: when, the bytes, and (pcapng) at which hop and why."""

    t_ns: int
    frame: bytes
    hop: str = TAP
    where: str = ""
    comment: str = ""


def is_pcapng(path: str) -> bool:
    return path.lower().endswith(".pcapng")


def _words(lang: str) -> Mapping[str, str]:
    return _WORDS.get(lang, _WORDS["en"])


def _replayed_frame(header: Header, frame: int, tap: Tap) -> bytes:
    """The bytes of a replay's frame ``frame`` as they cross the tap: a TCP superframe (the
    guest's send, or the host's toward the guest), or a UDP datagram."""
    size = int(header.params.get("size", 0))
    if header.params.get("proto") == "tcp":
        if tap.direction == "host-to-guest":
            return host_superframe(frame, size).frame
        return tcp_send(frame, size, path_of(header.params)).skb.frame
    return build_frame(frame, size,
                       endpoints_of(tap.endpoints, frame % int(header.params.get("flows", 1))))


def tap_packets(header: Header, scenario: Scenario,
                events: Iterable[Event]) -> Iterator[Packet]:
    """Each frame of the stream once, as it crossed the tap, in the order met; a TCP send's
    segments too, as they leave the host (``tcp_gso_segment``), checksums complete."""
    if header.source is Source.REPLAY:
        tap = scenario.tap
        if tap is None:
            return
        if _tcp_send(header, tap):
            yield from _tcp_packets(header, events)
            return
        if tap_frames(header.params, 0) is not None:  # the host's segments of each write
            segments = _TcpHops(header)
            for event in events:
                if event.frame is not None and event.step in tap.steps:
                    yield Packet(event.t_ns, segments.frame_at(event.frame, event.step)[1])
            return
        written: set[int] = set()
        for event in events:
            frame = event.frame
            if frame is None or frame in written or event.step not in tap.steps:
                continue
            written.add(frame)
            yield Packet(event.t_ns, _replayed_frame(header, frame, tap))
        return
    seen: set[tuple[int | None, str]] = set()
    for event in events:
        frame_hex = event.detail.get("frame_hex")
        if not isinstance(frame_hex, str) or (event.frame, frame_hex) in seen:
            continue
        seen.add((event.frame, frame_hex))
        yield Packet(event.t_ns, bytes.fromhex(frame_hex))


def _tcp_send(header: Header, tap: Tap) -> bool:
    """Whether the stream is a TCP send, whose packets follow the guest's offloads."""
    return header.params.get("proto") == "tcp" and tap.direction == "guest-to-host"


def _tcp_packets(header: Header, events: Iterable[Event]) -> Iterator[Packet]:
    """A TCP send's packets: each one the ring carried as it enters tun (a superframe, or a
    segment the guest cut), then what leaves the host: the host's segments of a superframe,
    or the packet itself with its checksum completed."""
    size, path = int(header.params.get("size", 0)), path_of(header.params)
    entered: dict[int, int] = {}  # frame -> packets of it that reached tun so far
    for event in events:
        frame = event.frame
        if frame is None:
            continue
        if event.step == "tcp_gso_segment":
            for segment in wire_frames(frame, size, path):
                yield Packet(event.t_ns, segment)
        elif event.step in ("tun_get_user", "tun_xdp_one"):
            index = entered.get(frame, 0)
            entered[frame] = index + 1
            sent = ring_sends(frame, size, path)[index].skb
            yield Packet(event.t_ns, sent.frame)
            if sent.gso_size == 0 and path.offload.csum:
                yield Packet(event.t_ns, complete_checksum(sent.frame, sent.csum_start,
                                                           TCP_CSUM_OFFSET))


class _TcpHops:
    """Which of a TCP stream's packets a hop event shows: the superframe, or the n-th segment
    when the n-th event of that hop for the frame comes. The guest's segments carry their
    checksums complete, as the host finishes them (a lone packet stays as the ring carried
    it); a receive's segments are as the host's GSO cut them for the tap (``tap_frames``)."""

    def __init__(self, header: Header) -> None:
        self.size, self.path = int(header.params.get("size", 0)), path_of(header.params)
        self.params = header.params
        self.met: dict[tuple[int, str], int] = {}
        self.sends: dict[int, list[bytes]] = {}

    def frame_at(self, frame: int, step: str) -> tuple[int, bytes]:
        """The packet's index among the frame's ring sends, and its bytes."""
        if frame not in self.sends and (cut := tap_frames(self.params, frame)) is not None:
            self.sends = {frame: cut}
        if frame not in self.sends:
            sends = [sent.skb for sent in ring_sends(frame, self.size, self.path)]
            self.sends = {frame: [
                complete_checksum(skb.frame, skb.csum_start, TCP_CSUM_OFFSET)
                if len(sends) > 1 and skb.gso_size == 0 and self.path.offload.csum
                else skb.frame for skb in sends]}
        index = self.met.get((frame, step), 0)
        self.met[frame, step] = index + 1
        packets = self.sends[frame]
        index = min(index, len(packets) - 1)
        return index, packets[index]


class _Hops:
    """Turns a frame's events at its scenario's hops into packets with their comments."""

    def __init__(self, scenario: Scenario, lang: str, plain: bytes = VNET_HDR) -> None:
        self.by_step: dict[str, Hop] = {hop.step: hop for hop in scenario.hops}
        self.plain = plain  # a header without offload fields, vi->hdr_len bytes
        self.words = _words(lang)
        self.lang = lang
        self.met: dict[tuple[int, int], list[str]] = {}  # (frame, part) -> hops met, in order
        self.headers: dict[int, bytes] = {}  # frame -> its header once num_buffers is set

    def note_header(self, event: Event, frame: int) -> None:
        """Keep the frame's virtio_net_hdr as it stands: as ``xmit_skb`` or tun writes it,
        with ``num_buffers`` once the device has filled it in (a mergeable receive)."""
        written = event.detail.get("vnet_hdr_hex")  # a TCP header's offload fields
        if isinstance(written, str) and len(written) in (20, 24, 40, 48):
            with suppress(ValueError):  # a file from elsewhere may hold anything
                self.headers[frame] = bytes.fromhex(written)
        buffers = event.detail.get("num_buffers")
        if type(buffers) is int and 0 <= buffers <= 0xFFFF:
            base = self.headers.get(frame, self.plain)
            self.headers[frame] = base[:10] + buffers.to_bytes(2, "little") + base[12:]
        if len(self.headers) > FRAMES_REMEMBERED:
            del self.headers[next(iter(self.headers))]

    def packet(self, event: Event, frame: int, data: bytes, hop: Hop | None,
               part: int = 0) -> Packet | None:
        """The packet of ``frame`` (its ``part``-th, a segment the guest cut) at ``hop``,
        unless that hop already showed it."""
        name = f"{_SIDE.get(event.layer, 'host')}:{clean(event.function)}" if hop else TAP
        met = self.met.get((frame, part))
        if met is None:
            met = self.met[frame, part] = []
            if len(self.met) > FRAMES_REMEMBERED:
                del self.met[next(iter(self.met))]
        if name in met:
            return None
        met.append(name)
        words = self.words
        time = "modelled" if event.source is Source.REPLAY else "captured"
        where = clean(location(event, self.lang))
        parts = [words["hop"].format(n=len(met), name=name), clean(event.function), where,
                 words["frame"].format(n=frame),
                 words[time].format(t=f"{event.t_ns / 1000:.3f} µs")]
        if hop is None:
            parts.append(words["tap"].format(function=clean(event.function)))
        elif hop.vnet_hdr and event.source is not Source.REPLAY:
            parts.append(words["hdr_unseen"])
        elif hop.vnet_hdr:
            header = self.headers.get(frame, self.plain)
            parts.append(words["hdr"].format(size=len(header), hex=header.hex()))
        return Packet(event.t_ns, data, name, where, "; ".join(parts))


def hop_packets(header: Header, scenario: Scenario, events: Iterable[Event],
                lang: str = "en") -> Iterator[Packet]:
    """Each frame at every hop of its path the stream shows, in the order met."""
    # A header without offloads, as long as the stream's era and features make it.
    hops = _Hops(scenario, lang, VnetHeader().pack(shown_path(header.params).offload.hdr_len))
    if header.source is Source.REPLAY:
        tap = scenario.tap
        if tap is None:
            return
        built: tuple[int, bytes] | None = None
        part = 0
        tcp = _TcpHops(header) if _tcp_send(header, tap) or \
            tap_frames(header.params, 0) is not None else None
        for event in events:
            frame = event.frame
            if frame is None:
                continue
            if event.detail:
                hops.note_header(event, frame)
            hop = hops.by_step.get(event.step)
            if hop is None or event.kind is not Kind.CALL:
                continue
            if tcp is not None:
                part, data = tcp.frame_at(frame, event.step)
                built = frame, data
            elif built is None or built[0] != frame:
                built = frame, _replayed_frame(header, frame, tap)
            packet = hops.packet(event, frame, built[1], hop, part)
            if packet is not None:
                yield packet
        return
    listed = list(events)
    seen: dict[int, bytes] = {}
    for event in listed:
        frame_hex = event.detail.get("frame_hex")
        if event.frame is not None and isinstance(frame_hex, str):
            seen.setdefault(event.frame, bytes.fromhex(frame_hex))
    for event in listed:
        frame = event.frame
        if frame is None or frame not in seen:
            continue
        hop = hops.by_step.get(event.step) if event.kind is Kind.CALL else None
        for shown in ((hop,) if hop else ()) + (
                (None,) if isinstance(event.detail.get("frame_hex"), str) else ()):
            packet = hops.packet(event, frame, seen[frame], shown)
            if packet is not None:
                yield packet


class PacketFile:
    """A capture file being written: pcapng (every hop) or classic pcap (the tap)."""

    def __init__(self, session: Session, out: IO[bytes], *, pcapng: bool,
                 lang: str = "en") -> None:
        self.header, self.scenario, self.lang = session.header, session.scenario, lang
        self.pcapng: PcapngWriter | None = None
        self.classic: PcapWriter | None = None
        header = session.header
        if pcapng:
            self.pcapng = PcapngWriter(out, application=f"vtrace {__version__}",
                                       comment=f"vtrace {clean(header.scenario)} "
                                               f"({header.source.value}), seed {header.seed}")
        else:
            self.classic = PcapWriter(out)

    @property
    def count(self) -> int:
        """Packets written so far."""
        writer = self.pcapng or self.classic
        return writer.count if writer else 0

    def found(self, events: Iterable[Event]) -> Iterator[Packet]:
        """The packets of ``events`` this file holds."""
        if self.pcapng:
            return hop_packets(self.header, self.scenario, events, self.lang)
        return tap_packets(self.header, self.scenario, events)

    def add(self, packet: Packet) -> None:
        if self.pcapng:
            self.pcapng.packet(packet.t_ns, packet.frame,
                               self.pcapng.interface(packet.hop, packet.where), packet.comment)
        elif self.classic:
            self.classic.packet(packet.t_ns, packet.frame)


def write_packets(session: Session, out: IO[bytes], *, pcapng: bool, lang: str = "en") -> int:
    """The session's packets on ``out``; the number written."""
    sink = PacketFile(session, out, pcapng=pcapng, lang=lang)
    for packet in sink.found(session.events()):
        sink.add(packet)
    return sink.count


def tee_packets(sink: PacketFile, events: Iterable[Event]) -> Iterator[Event]:
    """Pass ``events`` through, writing the packets they carry to ``sink`` as they go, so a
    run shown in a view leaves its capture file too."""
    passed: list[Event] = []

    def passing() -> Iterator[Event]:
        for event in events:
            passed.append(event)
            yield event

    found = sink.found(passing())
    while True:
        packet = next(found, None)
        yield from passed
        passed.clear()
        if packet is None:
            return
        sink.add(packet)


def empty_notice(path: str, lang: str = "en") -> str:
    """What stderr says when a capture file got no packet."""
    return _words(lang)["empty"].format(path=path)
