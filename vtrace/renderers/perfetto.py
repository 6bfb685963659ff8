"""A native Perfetto trace (``.perfetto-trace``): TracePacket protos, for ui.perfetto.dev.

Written with the protos of PyPI's ``perfetto`` package (``perfetto_trace_pb2``'s
``TracePacket``), each packet framed as a ``Trace.packet`` entry as the
package's own streaming writer does (that writer copies each packet into a
``Trace`` first, which took half the time); its trace processor, which fetches
a binary, is never used. The package is optional: without it
this format stops before writing, naming the pip extra.

Guest and host are two processes: ``guest`` holds what runs inside the VM,
``host`` what runs on the host (KVM, QEMU, the host kernel). Perfetto's machines
come from its tracing service, which stamps ``machine_id`` on the packets it
relays from another machine; how the trace processor takes such ids in a file
written by hand cannot be checked here (its binary is not fetched), so the
sides are processes, which every Perfetto version shows. Each execution context
of an event (``vcpu0``, ``qemu-main``, ``vhost-worker``, ``host-sender``) is a
thread of the side its code runs on:
the vCPU thread appears in the guest while it runs guest code and in the host
while it runs KVM. Every call is a slice on its thread (until the thread's next
event, but no longer than 1.5 times the catalog's cost, as in the Chrome trace),
with the phase, file:line and version, the frame and the event's source as debug
annotations. A frame's slices share one flow id, so Perfetto draws its path
across threads and across the guest/host boundary. Every ring field a state
event writes (``avail.idx``, ``used.idx``, ``used_event``, ``avail_event``) is a
counter track of the side that writes it. A captured stream's slices have the
category ``captured`` (``modelled`` for a replay) and its processes say so.
"""

from __future__ import annotations

from typing import IO, TYPE_CHECKING, Any

from vtrace.catalog import CATALOG
from vtrace.model import Event, Header, Kind, Layer, Place, Source
from vtrace.renderers.base import Renderer, RenderError, register
from vtrace.renderers.chrome import IDLE_FACTOR, PLACES_REMEMBERED
from vtrace.renderers.describe import location
from vtrace.renderers.escape import clean
from vtrace.session import Session

if TYPE_CHECKING:
    from perfetto.protos.perfetto.trace.perfetto_trace_pb2 import TracePacket

__all__ = ["GUEST_PID", "HOST_PID", "PerfettoRenderer", "side_of"]

GUEST_PID, HOST_PID = 1, 2
_SEQUENCE = 1  # trusted_packet_sequence_id of every packet: one writer
_GUEST_LAYERS = frozenset({Layer.GUEST_USER, Layer.GUEST_KERNEL, Layer.VRING})
MISSING = ("the .perfetto-trace format needs the perfetto package: "
           "pip install 'vtrace[perfetto]'")


def side_of(layer: Layer) -> int:
    """The pid of the side code of ``layer`` runs on."""
    return GUEST_PID if layer in _GUEST_LAYERS else HOST_PID


class _Trace:
    """Streams packets: track descriptors when a track is first used, slices as they end."""

    def __init__(self, out: IO[bytes], header: Header, lang: str) -> None:
        from perfetto.protos.perfetto.trace.perfetto_trace_pb2 import TracePacket

        self.new_packet, self.out = TracePacket, out
        self.lang = lang
        self.captured = header.source is not Source.REPLAY
        self.tracks: dict[tuple[int, str], int] = {}  # (pid, thread or counter) -> uuid
        self.contexts: dict[str, list[int]] = {}  # execution context -> its thread tracks
        self.cleaned: dict[str, str] = {}  # execution context as recorded -> as shown
        self.open: dict[int, tuple[Event, int]] = {}  # track -> call awaiting its end
        #: (place, source, track) -> the slice's begin packet but for its time, seq, frame and flow;
        #: track -> its end packet but for its time. Copied rather than built per event.
        self.begins: dict[tuple[Place, Source, int], TracePacket] = {}
        self.ends: dict[int, TracePacket] = {}
        self.longest: dict[str, int | None] = {}  # step -> the longest a slice is drawn
        first = True
        for pid, name in ((GUEST_PID, "guest"), (HOST_PID, "host")):
            packet = self.packet(0)
            if first:
                packet.first_packet_on_sequence = True
                packet.sequence_flags = 1  # SEQ_INCREMENTAL_STATE_CLEARED
                first = False
            track = packet.track_descriptor
            track.uuid = pid
            track.process.pid = pid
            track.process.process_name = f"{name} (captured)" if self.captured else name
            self.write(packet)

    def write(self, packet: TracePacket) -> None:
        """``packet`` as one ``Trace.packet`` entry: field 1, length-delimited, which is
        how a trace file is a stream of packets."""
        body = packet.SerializeToString()
        size, prefix = len(body), bytearray(b"\x0a")
        while size > 0x7F:
            prefix.append(size & 0x7F | 0x80)
            size >>= 7
        prefix.append(size)
        self.out.write(bytes(prefix) + body)

    def packet(self, t_ns: int) -> TracePacket:
        packet = self.new_packet()
        packet.timestamp = max(t_ns, 0)
        packet.trusted_packet_sequence_id = _SEQUENCE
        return packet

    def track(self, pid: int, name: str, *, counter: bool = False) -> int:
        """The uuid of the thread (or counter) track ``name`` of process ``pid``."""
        key = (pid, ("#" if counter else "") + name)
        uuid = self.tracks.get(key)
        if uuid is not None:
            return uuid
        uuid = self.tracks[key] = 100 + len(self.tracks)
        packet = self.packet(0)
        track = packet.track_descriptor
        track.uuid = uuid
        if counter:
            track.parent_uuid = pid
            track.name = name
            track.counter.SetInParent()
        else:
            track.thread.pid = pid
            track.thread.tid = uuid
            track.thread.thread_name = name
            self.contexts.setdefault(name, []).append(uuid)
        self.write(packet)
        return uuid

    def event(self, event: Event) -> None:
        pid = side_of(event.layer)
        context = self.cleaned.get(event.thread)
        if context is None:
            context = self.cleaned[event.thread] = clean(event.thread)
        track = self.track(pid, context)
        # Both sides' tracks of one execution context: a vCPU leaving guest code for KVM
        # ends its guest slice.
        for other in self.contexts[context]:
            pending = self.open.pop(other, None)
            if pending is not None:
                self.end(*pending, end_ns=event.t_ns)
        if event.kind is Kind.CALL:
            self.open[track] = (event, track)
        elif event.kind is Kind.STATE:
            writes = event.detail.get("writes")
            if isinstance(writes, dict):
                for field, value in writes.items():
                    if type(value) is int:
                        self.counter(pid, clean(str(field)), event.t_ns, value)

    def counter(self, pid: int, field: str, t_ns: int, value: int) -> None:
        packet = self.packet(t_ns)
        packet.track_event.type = packet.track_event.TYPE_COUNTER
        packet.track_event.track_uuid = self.track(pid, field, counter=True)
        packet.track_event.counter_value = value
        self.write(packet)

    def end(self, event: Event, track: int, end_ns: int | None) -> None:
        longest = self.longest.get(event.step, -1)
        if longest == -1:
            step = CATALOG.get(event.step)
            longest = self.longest[event.step] = (round(step.cost_ns * IDLE_FACTOR) if step
                                                  else None)
        duration = (end_ns - event.t_ns) if end_ns is not None else (longest or 0)
        if longest is not None:
            duration = min(duration, longest)
        begin = self.new_packet()
        begin.CopyFrom(self.begin_of(event, track))
        begin.timestamp = max(event.t_ns, 0)
        slice_event = begin.track_event
        for name, number in (("seq", event.seq), ("frame", event.frame)):
            if number is not None:
                annotation = slice_event.debug_annotations.add()
                annotation.name, annotation.int_value = name, number
        if event.frame is not None:
            slice_event.flow_ids.append(event.frame + 1)
        self.write(begin)
        end = self.ends.get(track)
        if end is None:
            end = self.ends[track] = self.packet(0)
            end.track_event.type = end.track_event.TYPE_SLICE_END
            end.track_event.track_uuid = track
        end.timestamp = max(event.t_ns + max(duration, 0), 0)
        self.write(end)

    def begin_of(self, event: Event, track: int) -> TracePacket:
        """What every slice of ``event``'s place on ``track`` says, built once."""
        key = (event.place, event.source, track)
        begin = self.begins.get(key)
        if begin is not None:
            return begin
        if len(self.begins) >= PLACES_REMEMBERED:
            self.begins.clear()
        begin = self.begins[key] = self.packet(0)
        slice_event = begin.track_event
        slice_event.type = slice_event.TYPE_SLICE_BEGIN
        slice_event.track_uuid = track
        slice_event.name = clean(event.function)
        slice_event.categories.append("captured" if self.captured else "modelled")
        for name, value in (("phase", event.phase.value),
                            ("at", clean(location(event, self.lang))),
                            ("source", event.source.value)):
            annotation = slice_event.debug_annotations.add()
            annotation.name, annotation.string_value = name, value
        return begin

    def finish(self) -> None:
        for pending in list(self.open.values()):
            self.end(*pending, end_ns=None)
        self.open.clear()


@register
class PerfettoRenderer(Renderer):
    name = "perfetto"
    formats = ("perfetto-trace",)
    binary = True
    description = "a native Perfetto trace: guest and host, threads, slices, flows, ring counters"

    def __init__(self, *, lang: str = "en") -> None:
        self.lang = lang
        try:
            import perfetto.protos.perfetto.trace.perfetto_trace_pb2  # noqa: F401
        except ImportError:
            raise RenderError(MISSING) from None

    def render(self, session: Session, out: IO[Any]) -> None:
        trace = _Trace(out, session.header, self.lang)
        for event in session.events():
            trace.event(event)
        trace.finish()
