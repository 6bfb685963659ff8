"""A native Perfetto trace (``.perfetto-trace``): TracePacket protos, for ui.perfetto.dev.

Written with the protos and the streaming writer of PyPI's ``perfetto`` package
(``perfetto_trace_pb2``, ``StreamingTraceProtoBuilder``; its trace processor,
which fetches a binary, is never used). The package is optional: without it
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

from collections.abc import Iterable
from typing import IO, TYPE_CHECKING, Any

from vtrace.catalog import CATALOG
from vtrace.model import Event, Header, Kind, Layer, Source
from vtrace.renderers.base import Renderer, RenderError, register
from vtrace.renderers.chrome import IDLE_FACTOR
from vtrace.renderers.describe import location
from vtrace.renderers.escape import clean

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
        from perfetto.trace_builder.proto_builder import StreamingTraceProtoBuilder

        self.builder = StreamingTraceProtoBuilder(out)
        self.lang = lang
        self.captured = header.source is not Source.REPLAY
        self.tracks: dict[tuple[int, str], int] = {}  # (pid, thread or counter) -> uuid
        self.open: dict[int, tuple[Event, int]] = {}  # track -> call awaiting its end
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
            self.builder.write_packet(packet)

    def packet(self, t_ns: int) -> TracePacket:
        packet = self.builder.create_packet()
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
        self.builder.write_packet(packet)
        return uuid

    def event(self, event: Event) -> None:
        pid = side_of(event.layer)
        track = self.track(pid, clean(event.thread))
        for other in {track, *self.threads_of(event.thread)}:
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

    def threads_of(self, thread: str) -> list[int]:
        """Both sides' tracks of one execution context: a vCPU leaving guest code for KVM
        ends its guest slice."""
        name = clean(thread)
        return [uuid for (_, known), uuid in self.tracks.items() if known == name]

    def counter(self, pid: int, field: str, t_ns: int, value: int) -> None:
        packet = self.packet(t_ns)
        packet.track_event.type = packet.track_event.TYPE_COUNTER
        packet.track_event.track_uuid = self.track(pid, field, counter=True)
        packet.track_event.counter_value = value
        self.builder.write_packet(packet)

    def end(self, event: Event, track: int, end_ns: int | None) -> None:
        step = CATALOG.get(event.step)
        longest = round(step.cost_ns * IDLE_FACTOR) if step else None
        duration = (end_ns - event.t_ns) if end_ns is not None else (longest or 0)
        if longest is not None:
            duration = min(duration, longest)
        begin = self.packet(event.t_ns)
        slice_event = begin.track_event
        slice_event.type = slice_event.TYPE_SLICE_BEGIN
        slice_event.track_uuid = track
        slice_event.name = clean(event.function)
        slice_event.categories.append("captured" if self.captured else "modelled")
        if event.frame is not None:
            slice_event.flow_ids.append(event.frame + 1)
        for name, value in (("phase", event.phase.value),
                            ("at", clean(location(event, self.lang))),
                            ("source", event.source.value)):
            annotation = slice_event.debug_annotations.add()
            annotation.name, annotation.string_value = name, value
        for name, number in (("seq", event.seq), ("frame", event.frame)):
            if number is not None:
                annotation = slice_event.debug_annotations.add()
                annotation.name, annotation.int_value = name, number
        self.builder.write_packet(begin)
        end = self.packet(event.t_ns + max(duration, 0))
        end.track_event.type = end.track_event.TYPE_SLICE_END
        end.track_event.track_uuid = track
        self.builder.write_packet(end)

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
            import perfetto.trace_builder.proto_builder  # noqa: F401
        except ImportError:
            raise RenderError(MISSING) from None

    def render(self, header: Header, events: Iterable[Event], out: IO[Any]) -> None:
        trace = _Trace(out, header, self.lang)
        for event in events:
            trace.event(event)
        trace.finish()
