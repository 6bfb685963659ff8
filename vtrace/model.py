"""The event model: what vtrace says happened, as small immutable records.

One stream carries everything, whether the engine replayed it or a tracer
captured it on a real machine: a ``Header`` first, then ``Event`` records.
Renderers consume that stream and never ask the engine for anything else.

Fields of a ``Place``, the same for every event of one step in one version:

``step``      the key of the step in the catalog
``function``  the real function name
``file``      path inside its project, or ``None`` for user programs
``line``      first line of the definition in ``version``, or ``None`` when not pinned
``project``   ``linux``, ``qemu`` or ``app``
``version``   version of that project, e.g. ``"6.1"``
``phase``     the stage of the path (see ``Phase``)
``layer``     where the code runs (see ``Layer``)
``actor``     the lifeline the step belongs to (see ``ACTORS``)

Fields of an ``Event``, one occurrence of a place (which it also reads through:
``event.function`` is ``event.place.function``):

``seq``       position in the stream, 0, 1, 2 ...
``frame``     index of the frame the step works for, or ``None`` (set-up, batch work)
``place``     where it ran (above)
``kind``      see ``Kind``
``src``/``dst`` the actors of the message this step draws
``t_ns``      modelled (replay) or measured (trace) time in nanoseconds
``detail``    step-specific facts: ring indices, kick decisions, byte counts; read-only, with
              the keys of its step's family in ``vtrace.details``
``thread``    the execution context: ``vcpu0``, ``qemu-main``, ...
``source``    ``replay`` or ``trace``

Every record a stream writes has schema version ``SCHEMA_VERSION`` (its ``v``), so it
is a class constant. Each version only adds to the one before, so a reader takes
every version up to its own (``READABLE_VERSIONS``) and refuses a newer one.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from vtrace.details import Detail

__all__ = [
    "ACTORS",
    "ACTOR_LAYER",
    "READABLE_VERSIONS",
    "SCHEMA_VERSION",
    "Event",
    "Header",
    "Kind",
    "Layer",
    "Phase",
    "Place",
    "Record",
    "Source",
]

SCHEMA_VERSION = 2
#: Version 2 added the capture sources of ``Source``; a version 1 stream is a version 2 one.
READABLE_VERSIONS = (1, 2)


class Layer(str, enum.Enum):
    """Where a piece of code runs, from the guest's user space down to the host kernel."""

    GUEST_USER = "guest-user"
    GUEST_KERNEL = "guest-kernel"
    VRING = "vring"
    KVM = "kvm"
    QEMU = "qemu"
    HOST_KERNEL = "host-kernel"


class Kind(str, enum.Enum):
    """What an event records."""

    CALL = "call"  # control passes from src to dst, which runs ``function``
    RETURN = "return"  # control comes back (a VM entry, an interrupt return)
    STATE = "state"  # a write to shared memory that the other side will read
    NOTE = "note"  # a fact worth pointing at: a kick suppressed, notifications off


class Phase(str, enum.Enum):
    """Stages of the send path, in the order a frame meets them."""

    SETUP = "setup"
    APP = "app"
    XMIT = "xmit"
    KICK = "kick"
    EXIT = "vmexit"
    DEVICE = "device"
    BACKEND = "backend"
    HOST = "host"
    COMPLETE = "complete"
    INTERRUPT = "interrupt"


class Source(str, enum.Enum):
    """Whether an event was replayed by the engine, or where on a real system it was seen."""

    REPLAY = "replay"
    TRACE = "trace"  # captured, with no more said of how (a header of a captured stream)
    GUEST_FTRACE = "guest-ftrace"  # the guest kernel's ftrace: functions and tracepoints
    QEMU_LOG = "qemu-log"  # QEMU's own trace events (-trace, the log backend)
    HOST_UPROBE = "host-uprobe"  # a uprobe on the QEMU binary, read in the host's tracefs
    HOST_TRACEPOINT = "host-tracepoint"  # a host kernel tracepoint (syscalls, net, sched)


#: Lifelines, left to right as the diagrams draw them, with the layer each lives in.
ACTOR_LAYER: Mapping[str, Layer] = {
    "app": Layer.GUEST_USER,
    "stack": Layer.GUEST_KERNEL,
    "virtio_net": Layer.GUEST_KERNEL,
    "vring": Layer.VRING,
    "kvm": Layer.KVM,
    "virtio-net": Layer.QEMU,
    "net-queue": Layer.QEMU,
    "tap": Layer.QEMU,
    "vhost": Layer.HOST_KERNEL,
    "tun": Layer.HOST_KERNEL,
    "host-stack": Layer.HOST_KERNEL,
}
ACTORS: tuple[str, ...] = tuple(ACTOR_LAYER)


@dataclass(frozen=True, slots=True)
class Header:
    """The first record of a stream: how it was made, enough to make it again.

    ``vtrace_version``  version of the tool that wrote the stream
    ``scenario``        ``send``, ``setup``, ... or ``trace``
    ``params``          the scenario's parameters (frames, batch, queue size, era, ...)
    ``seed``            the seed of the modelled timing
    ``argv``            the command line, when a command made the stream
    ``source``          ``replay`` or ``trace``
    """

    vtrace_version: str
    scenario: str
    params: Mapping[str, Any]
    seed: int
    argv: tuple[str, ...] = ()
    source: Source = Source.REPLAY
    v: ClassVar[int] = SCHEMA_VERSION


@dataclass(frozen=True, slots=True)
class Place:
    """Where a step runs: the real function and its source, and where diagrams draw it.

    The module docstring lists the fields. Events of one step in one version
    share a single ``Place``, so an event carries only what differs.
    """

    step: str
    function: str
    file: str | None
    line: int | None
    project: str
    version: str
    phase: Phase
    layer: Layer
    actor: str


@dataclass(frozen=True, slots=True)
class Event:
    """One step of the path; the module docstring lists the fields."""

    seq: int
    frame: int | None
    place: Place
    kind: Kind
    src: str
    dst: str
    t_ns: int
    detail: Detail = field(default_factory=dict)
    thread: str = "vcpu0"
    source: Source = Source.REPLAY
    v: ClassVar[int] = SCHEMA_VERSION

    @property
    def step(self) -> str:
        return self.place.step

    @property
    def function(self) -> str:
        return self.place.function

    @property
    def file(self) -> str | None:
        return self.place.file

    @property
    def line(self) -> int | None:
        return self.place.line

    @property
    def project(self) -> str:
        return self.place.project

    @property
    def version(self) -> str:
        return self.place.version

    @property
    def phase(self) -> Phase:
        return self.place.phase

    @property
    def layer(self) -> Layer:
        return self.place.layer

    @property
    def actor(self) -> str:
        return self.place.actor


Record = Header | Event
