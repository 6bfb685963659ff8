"""A TCP receive without guest TSO: the host cuts the write, the guest's GRO glues it again.

When the guest does not negotiate GUEST_TSO4 (``--features -guest_tso4``,
``--no-offload``), ``virtio_net_apply_guest_offloads`` has QEMU's
``tap_fd_set_offload`` leave TUN_F_TSO4 out of TUNSETOFFLOAD, and tun's
``set_offload`` takes NETIF_F_TSO off the tap. The host's TCP still builds one
GSO skb per write, but ``validate_xmit_skb`` finds the tap cannot take it
(``netif_needs_gso``): ``skb_gso_segment`` → ``tcp_gso_segment`` cut it into
MSS-sized segments, each queued alone by ``tun_net_xmit``, each read alone by
QEMU into one mergeable buffer (num_buffers 1). With GUEST_CSUM the tap keeps
NETIF_F_HW_CSUM, so the segments' checksums stay partial (NEEDS_CSUM); without
it the host completes them and the guest's GRO checks each in software.

In the guest ``napi_gro_receive`` → ``dev_gro_receive`` → ``inet_gro_receive``
→ ``tcp4_gro_receive`` → ``tcp_gro_receive`` holds the first segment and
``skb_gro_receive`` appends each following one while it continues the held
skb (``decide``). The held skb goes up (``napi_gro_complete`` →
``inet_gro_complete`` → ``tcp4_gro_complete``, then ``gro_normal_one``, which
counts segments toward gro_normal_batch) when a segment carries PSH or is
shorter than the MSS, when a segment does not continue it, when it would
reach 64 KiB (gro_max_size, GRO_LEGACY_MAX_SIZE in every era), when the NAPI
poll used its whole budget (``__napi_poll``: Debian's HZ=250 makes
``napi_gro_flush`` flush everything) or when the poll completes
(``napi_complete_done``). Linux 4.19 hands a completed skb to
``netif_receive_skb_internal`` at once.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Generator, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from vtrace.catalog import ERAS, Era
from vtrace.engine.sim import Action, Do
from vtrace.frames import ETH_HEADER, VNET_HDR_F_NEEDS_CSUM, VnetHeader
from vtrace.netfeatures import Feature, FeatureError, negotiated
from vtrace.offload import (
    TCP_CSUM_OFFSET,
    GsoSkb,
    gso_segments,
    tcp_gso_segment,
    virtio_net_hdr_from_skb,
)
from vtrace.scenarios.base import Counter
from vtrace.scenarios.recv.tcp import HOST_FLOW, header_fields, host_superframe
from vtrace.scenarios.send.tso import MSS
from vtrace.tcpframes import CWR, FIN, PSH, RST, SYN, URG, parse_tcp_frame

if TYPE_CHECKING:
    from vtrace.scenarios.recv.world import RecvWorld

__all__ = ["GRO_CALLS", "GRO_COUNTERS", "GRO_MAX_SIZE", "Decision", "GroState", "Held",
           "Segment", "StackHooks", "decide", "flush_held", "gro_receive", "host_segments",
           "segment_packets", "tap_frames", "tap_offload", "tun_offload"]

#: gro_max_size (6.1, 7.2: dev->gro_max_size, GRO_LEGACY_MAX_SIZE by default) and 4.19's
#: constant: skb_gro_receive refuses a segment that would make p->len reach it.
GRO_MAX_SIZE = 65536
IPV4_HEADER = 20  # struct iphdr, without options
TCP_HEADER = 20  # struct tcphdr, without options
_FLUSH_FLAGS = URG | PSH | RST | SYN | FIN  # tcp_gro_receive's out_check_final

#: The summary's lines of a segmented receive, shown only when it counted some.
GRO_COUNTERS = (
    Counter("host_segments", {"en": "segments the host cut (no guest TSO)",
                              "zh": "宿主机切出的段（客户机没有 TSO）"},
            when_counted=True),
    Counter("gro_merged", {"en": "segments GRO merged", "zh": "GRO 合并的段"}, when_counted=True),
    Counter("gro_skbs", {"en": "skbs GRO passed up", "zh": "GRO 上交的 skb"}, when_counted=True),
)
#: Step -> the counter it adds to (``Scenario.calls``): a segment GRO did not hold is a
#: GRO_NORMAL skb of its own (``gso`` false: a UDP datagram's event has no ``gso``).
GRO_CALLS: Mapping[str, tuple[str, Callable[[Mapping[str, Any]], int]]] = {
    "host_tcp_gso_segment": ("host_segments", lambda detail: int(detail.get("segments", 0))),
    "skb_gro_receive": ("gro_merged", lambda detail: 1),
    "napi_gro_complete": ("gro_skbs", lambda detail: 1),
    "dev_gro_receive": ("gro_skbs", lambda detail: int(
        detail.get("result") == "GRO_NORMAL" and detail.get("gso") is False)),
}


@dataclass(frozen=True, slots=True)
class Segment:
    """What ``tcp_gro_receive`` compares of one arriving segment."""

    seq: int
    ack: int
    flags: int
    options: bytes
    ip_id: int
    length: int  # skb_gro_len: the TCP payload
    ip_ok: bool  # the IPv4 header checksum (inet_gro_receive checks it)
    tcp_ok: bool  # the TCP checksum, complete or (CHECKSUM_PARTIAL) the pseudo-header's

    @staticmethod
    def of(packet: bytes) -> Segment:
        parsed = parse_tcp_frame(packet)
        start = ETH_HEADER + parsed.flow.ip_header
        return Segment(parsed.seq, parsed.ack, parsed.flags,
                       packet[start + TCP_HEADER:start + parsed.tcp_header], parsed.ip_id,
                       len(parsed.payload), parsed.ip_checksum_ok, parsed.tcp_checksum_ok)


@dataclass(slots=True)
class Held:
    """The skb GRO holds for the flow: its first segment with the others' payload appended."""

    frame: int
    first: Segment
    seq: int  # the sequence number the next segment must carry
    length: int  # payload bytes merged
    segs: int = 1  # NAPI_GRO_CB(p)->count
    flags: int = 0  # th2's flags, FIN and PSH of merged segments ORed in

    @property
    def mss(self) -> int:
        """``skb_shinfo(p)->gso_size``: dev_gro_receive sets it to the first segment's length."""
        return self.first.length

    @property
    def ip_len(self) -> int:
        """``p->len``: the IP packet from its header on (eth_type_trans pulled the MAC)."""
        return IPV4_HEADER + TCP_HEADER + len(self.first.options) + self.length

    def append(self, segment: Segment) -> None:
        """``skb_gro_receive``: the segment's payload joins; FIN and PSH carry over."""
        self.length += segment.length
        self.seq += segment.length
        self.segs += 1
        self.flags |= segment.flags & (FIN | PSH)


@dataclass(frozen=True, slots=True)
class Decision:
    """``tcp_gro_receive``'s verdict on a segment against the held skb (if any)."""

    merge: bool  # skb_gro_receive appends it to the held skb
    complete_held: bool  # the held skb goes up (pp)
    hold: bool  # the segment becomes the held skb (GRO_HELD); else merged or GRO_NORMAL
    why: str  # why the held skb (or the segment) is not kept waiting; "" when it is


def decide(held: Held | None, segment: Segment, gro_max_size: int = GRO_MAX_SIZE) -> Decision:
    """What ``tcp_gro_receive`` and ``skb_gro_receive`` do with ``segment`` (one flow)."""
    final = segment.flags & _FLUSH_FLAGS
    if held is None:
        # out_check_final with mss 1: only the flags flush a lone segment.
        return Decision(False, False, not final, "gro_psh" if final else "")
    why = ""
    if segment.flags & CWR:
        why = "gro_cwr"
    elif (segment.flags ^ held.first.flags) & ~(CWR | FIN | PSH) & 0xFF:
        why = "gro_flags"
    elif segment.ack != held.first.ack:
        why = "gro_ack"
    elif segment.options != held.first.options:
        why = "gro_options"
    elif (held.first.ip_id + held.segs) & 0xFFFF != segment.ip_id:
        why = "gro_ip_id"
    elif segment.length - 1 >= held.mss:
        why = "gro_longer"
    elif segment.seq != held.seq & 0xFFFFFFFF:
        why = "gro_seq"
    elif held.ip_len + segment.length >= gro_max_size:
        why = "gro_max_size"
    if why:
        # Not merged: the held skb goes up; the segment is held unless its flags flush it.
        return Decision(False, True, not final, why)
    if final or segment.length < held.mss:
        return Decision(True, True, False, "gro_psh" if segment.flags & PSH else "gro_short")
    return Decision(True, False, False, "")


class StackHooks(NamedTuple):
    """The guest's ways up the stack (``recv.guest``): one skb at once (Linux 4.19), and the
    NAPI's rx_list passed up (gro_normal_list)."""

    one: Callable[[RecvWorld, int], Iterator[Action]]
    rx_list: Callable[[RecvWorld], Iterator[Action]]


@dataclass(slots=True)
class GroState:
    """What the segmented receive adds to a world: whether the host segments, whether the
    segments' checksums stay partial, the held skb, and the bytes each skb carries up."""

    segmented: bool = False  # the tap lacks TSO4: the host's GSO cuts every write
    csum: bool = True  # the tap has TUN_F_CSUM (GUEST_CSUM): NEEDS_CSUM on each segment
    tun_offload: str = ""  # the TUN_F_* bits tap_fd_set_offload asks for
    held: Held | None = None
    rx_segs: list[int] = field(default_factory=list)  # segments of each skb on rx_list
    up: deque[tuple[int, int, bool]] = field(default_factory=deque)  # seq, bytes, last
    read: list[tuple[int, int]] = field(default_factory=list)  # (seq, bytes) read, in order

    @staticmethod
    def of(era: Era, proto: str, features: str, offload: bool) -> GroState:
        """The state of a receive in ``era``: segmented for TCP when the guest's offloads
        leave TUN_F_TSO4 out (tap_fd_set_offload sets TSO only with GUEST_CSUM)."""
        if proto != "tcp" or (not features and offload):
            return GroState()
        agreed = negotiated(era.qemu, era.linux, features, no_offload=not offload)
        csum = Feature.GUEST_CSUM in agreed
        return GroState(segmented=not (csum and Feature.GUEST_TSO4 in agreed), csum=csum,
                        tun_offload=tun_offload(agreed, era.qemu))

    def reader(self) -> dict[str, object]:
        """What the application's next read returns: the oldest skb's bytes on the socket;
        ``partial`` when the host's write goes on in a later skb."""
        seq, length, last = self.up.popleft()
        self.read.append((seq, length))
        return {"bytes": length} if last else {"bytes": length, "partial": True}


# -- set-up and the host ---------------------------------------------------------------------


def tun_offload(agreed: frozenset[Feature], qemu: str) -> str:
    """The TUN_F_* bits QEMU ``qemu``'s ``tap_fd_set_offload`` asks for, the guest having
    taken ``agreed``: none without GUEST_CSUM; USO and UDP tunnel GSO only from QEMU 10.2."""
    if Feature.GUEST_CSUM not in agreed:
        return "0"
    tso = {Feature.GUEST_TSO4, Feature.GUEST_TSO6} & agreed
    wanted = [("TUN_F_CSUM", True), ("TUN_F_TSO4", Feature.GUEST_TSO4 in agreed),
              ("TUN_F_TSO6", Feature.GUEST_TSO6 in agreed),
              ("TUN_F_TSO_ECN", bool(tso) and Feature.GUEST_ECN in agreed),
              ("TUN_F_UFO", Feature.GUEST_UFO in agreed)]
    if qemu not in ("3.1", "7.2"):
        wanted += [("TUN_F_USO4", Feature.GUEST_USO4 in agreed),
                   ("TUN_F_USO6", Feature.GUEST_USO6 in agreed),
                   ("TUN_F_UDP_TUNNEL_GSO", Feature.GUEST_UDP_TUNNEL_GSO in agreed),
                   ("TUN_F_UDP_TUNNEL_GSO_CSUM", Feature.GUEST_UDP_TUNNEL_GSO_CSUM in agreed)]
    return "|".join(name for name, on in wanted if on)


def tap_offload(world: RecvWorld) -> Iterator[Action]:
    """At FEATURES_OK, on the vCPU thread: QEMU tells the tap which offloads the guest took.
    Nothing unless the receive is segmented (TSO4 left out). It happened at probe, before
    the replay's clock starts, so it takes no modelled time."""
    state = world.gro
    if not state.segmented:
        return
    yield Do("virtio_net_apply_guest_offloads", None, src="virtio-net",
             detail={"guest_csum": state.csum, "guest_tso4": False}, cost=False)
    yield Do("tap_fd_set_offload", None, src="virtio-net",
             detail={"ioctl": "TUNSETOFFLOAD", "offload": state.tun_offload}, cost=False)
    yield Do("tun_set_offload", None, src="tap",
             detail={"tso": False, "hw_csum": state.csum}, cost=False)


def segment_packets(frame: int, size: int, hdr_len: int, csum: bool) -> list[bytes]:
    """What tun hands QEMU for write ``frame``: each segment behind its virtio_net_hdr, the
    checksum partial (NEEDS_CSUM) when the tap has checksum offload, else complete and the
    header empty."""
    return [header.pack(hdr_len) + segment for header, segment in _segments(frame, size, csum)]


def _segments(frame: int, size: int, csum: bool) -> list[tuple[VnetHeader, bytes]]:
    """Write ``frame``'s segments, each with the header tun builds for it."""
    skb = host_superframe(frame, size)
    return [(virtio_net_hdr_from_skb(GsoSkb(
        frame=segment, gso_size=0, ipv6=False, ecn=False, headlen=skb.headlen,
        csum_start=skb.csum_start)) if csum else VnetHeader(), segment)
        for segment in tcp_gso_segment(skb.frame, MSS, partial=csum)]


def tap_frames(params: Mapping[str, Any], frame: int) -> list[bytes] | None:
    """The frames of write ``frame`` as they cross the tap in a replay with ``params`` (a
    stream header's): the host's segments, checksums as tun hands them; None when the tap
    took TSO (one superframe) or the parameters name nothing this version knows."""
    name = str(params.get("era", "modern"))
    if params.get("proto") != "tcp" or name not in ERAS:
        return None
    try:
        state = GroState.of(ERAS[name], "tcp", str(params.get("features", "")),
                            bool(params.get("offload", True)))
    except FeatureError:
        return None
    if not state.segmented:
        return None
    return [segment for _, segment in _segments(frame, int(params.get("size", 0)), state.csum)]


def host_segments(world: RecvWorld, frame: int) -> Generator[Action, None, list[bytes]]:
    """The host's send of write ``frame`` down to its segments: the packets tun will queue."""
    size, state = world.params.size, world.gro
    count = gso_segments(size, MSS)
    yield Do("host_sys_sendto", frame, detail={"bytes": size})
    yield Do("host_tcp_sendmsg", frame, detail={"gso_size": MSS if size > MSS else 0,
                                                "segments": count})
    yield Do("host_dev_queue_xmit", frame)
    if size <= MSS:
        return segment_packets(frame, size, world.hdr_len, state.csum)
    yield Do("host_validate_xmit_skb", frame, detail={"netif_needs_gso": True,
                                                      "tap_tso": False})
    yield Do("host_skb_gso_segment", frame, detail={"bytes": size})
    yield Do("host_tcp_gso_segment", frame, detail={
        "mss": MSS, "segments": count, "checksum": "partial" if state.csum else "complete"})
    return segment_packets(frame, size, world.hdr_len, state.csum)


# -- the guest's GRO -------------------------------------------------------------------------


def gro_receive(world: RecvWorld, frame: int, raw: bytes, packet: bytes,
                hooks: StackHooks) -> Iterator[Action]:
    """One segment through GRO: merged into the held skb, held, or passed up alone."""
    state, fields = world.gro, header_fields(raw)
    segment = Segment.of(packet)
    partial = bool(fields["flags"] & VNET_HDR_F_NEEDS_CSUM)
    yield Do("guest_virtio_net_hdr_to_skb", frame, detail={
        "gso_type": fields["gso_type"], "gso_size": fields["gso_size"],
        "ip_summed": "CHECKSUM_PARTIAL" if partial else "CHECKSUM_NONE"})
    decision = decide(state.held, segment)
    result = ("GRO_MERGED" if decision.merge else "GRO_HELD" if decision.hold else
              "GRO_NORMAL")
    yield Do("napi_gro_receive", frame, src="virtio_net")
    yield Do("dev_gro_receive", frame, detail={"result": result, "gso": False})
    yield Do("inet_gro_receive", frame)
    yield Do("tcp4_gro_receive", frame, detail={
        "checksum": "partial" if partial else "verified", "len": segment.length,
        "psh": bool(segment.flags & PSH)})
    if not partial:
        yield Do("__skb_gro_checksum_complete", frame, detail={"ok": segment.tcp_ok})
    held = state.held
    yield Do("tcp_gro_receive", frame, detail={
        "seq": segment.seq, "len": segment.length, "held": held is not None,
        "flush": decision.complete_held or not (decision.hold or decision.merge),
        **({"why": decision.why} if decision.why else {})})
    if decision.merge and held is not None:
        held.append(segment)
        yield Do("skb_gro_receive", frame, detail={"segs": held.segs, "len": held.ip_len})
    if decision.complete_held and held is not None:
        state.held = None
        yield from _complete(world, held, decision.why, hooks)
    if decision.hold:
        state.held = Held(frame, segment, segment.seq + segment.length, segment.length,
                          flags=segment.flags)
    elif not decision.merge:
        # GRO_NORMAL: the segment goes up alone (napi_skb_finish).
        state.up.append((segment.seq, segment.length, bool(segment.flags & PSH)))
        yield from _up(world, frame, 1, segment.ip_ok, hooks)


def flush_held(world: RecvWorld, why: str, hooks: StackHooks) -> Iterator[Action]:
    """``napi_gro_flush``: the held skb goes up, because the poll used its budget
    (``__napi_poll``) or completes (``napi_complete_done``). Nothing when none is held."""
    state = world.gro
    held = state.held
    if held is None:
        return
    state.held = None
    if why == "budget":
        yield Do("__napi_poll", None, detail={"work": world.params.napi_budget,
                                              "weight": world.params.napi_budget})
    yield Do("napi_gro_flush", None, detail={"flush_old": False, "count": 1})
    yield from _complete(world, held, f"gro_{why}", hooks)


def _complete(world: RecvWorld, held: Held, why: str, hooks: StackHooks) -> Iterator[Action]:
    """``napi_gro_complete``: a merged skb gets its GSO fields back (``inet_gro_complete`` →
    ``tcp4_gro_complete``: gso_segs, SKB_GSO_TCPV4, the checksum partial); a lone segment
    (count 1) goes up as it is."""
    frame = held.frame
    yield Do("napi_gro_complete", frame, detail={
        "segs": held.segs, "bytes": held.length, "len": held.ip_len, "why": why})
    if held.segs > 1:
        yield Do("inet_gro_complete", frame)
        yield Do("tcp4_gro_complete", frame, detail={
            "gso_segs": held.segs, "gso_size": held.mss, "csum_offset": TCP_CSUM_OFFSET})
    world.gro.up.append((held.first.seq, held.length, bool(held.flags & PSH)))
    yield from _up(world, frame, held.segs, held.first.ip_ok, hooks)


def _up(world: RecvWorld, frame: int, segs: int, ip_ok: bool,
        hooks: StackHooks) -> Iterator[Action]:
    """``gro_normal_one`` (6.1 on: rx_count grows by the skb's segments, and reaching
    gro_normal_batch passes the list up), or in 4.19 straight to the stack."""
    world.parsed[frame] = (HOST_FLOW.dst_port, ip_ok)
    if world.switches.gro_batch == 1:
        yield from hooks.one(world, frame)
        return
    state = world.gro
    if not world.rx_list:
        state.rx_segs.clear()
    world.rx_list.append(frame)
    state.rx_segs.append(segs)
    count = sum(state.rx_segs)
    yield Do("gro_normal_one", frame, detail={"rx_count": count, "segs": segs})
    if count >= world.switches.gro_batch:
        yield from hooks.rx_list(world)
