"""What a scenario is: one registered object that owns everything about one replayable path.

A scenario owns its parameters (defaults, bounds and help: the command line is
built from them), its behaviour per era (``switches``), the counters a tally keeps
for its streams (which step moves which counter), the rows of its summary, what the
live view shows, its words (the queue and its roles, each back end's word, the
tap's direction, titles, the kind of each decision its steps record: see
``vtrace.scenarios.words``), and ``run()``, which yields its events. Views and commands find
a scenario by a stream's ``header.scenario`` (``vtrace.scenarios.of``), never by
guessing from the parameters.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar, Protocol

from vtrace.catalog import ERAS, Era, Text
from vtrace.engine.sim import Run
from vtrace.model import Event
from vtrace.ring import RING_FIELDS
from vtrace.ring_packed import packed_ring_at_start
from vtrace.scenarios.words import BACKENDS, QEMU, Backend, Queue, Tap
from vtrace.tally import Table

__all__ = [
    "COPIES",
    "EVENTS",
    "EXITS_TO_QEMU",
    "INTERRUPTS",
    "INTERRUPTS_SUPPRESSED",
    "KICKS_SUPPRESSED",
    "SYSCALLS",
    "VM_EXITS",
    "WAKEUPS",
    "Amount",
    "Counter",
    "Hop",
    "Param",
    "ParamError",
    "RingPanel",
    "Scenario",
    "era_words",
    "split_ring_at_start",
]

#: How the parts of a description are joined, per language.
SEPARATOR: Mapping[str, str] = {"en": ", ", "zh": "，"}


def era_words(name: object) -> str:
    """``Linux 6.1 + QEMU 7.2`` for a header's era name; an era vtrace lacks, as recorded."""
    chosen = ERAS.get(name) if isinstance(name, str) else None
    if chosen is None:
        return "" if name is None else str(name)
    return f"Linux {chosen.linux} + QEMU {chosen.qemu}"

Amount = Callable[[Mapping[str, Any]], int]  # how much an event's detail moves a counter


class ParamError(ValueError):
    """A parameter's value is out of its range; the message names the option."""


@dataclass(frozen=True, slots=True)
class Param:
    """One parameter of a scenario, as the header records it and the command line spells it.

    ``name`` is the header's key. ``option`` is the command-line spelling when it
    differs (``interval-us`` for ``interval_ns``), with ``scale`` from the option's
    unit to the parameter's (1000 from µs to ns). A bool is a ``--x/--no-x`` flag.
    ``silent_default``: the header leaves it out while it has its default, so that the
    streams recorded before it existed stay byte for byte what they were.
    """

    name: str
    default: int | float | bool | str
    help: str
    low: float | None = None
    high: float | None = None
    choices: tuple[int | str, ...] = ()
    short: str | None = None
    option: str | None = None
    scale: int = 1
    silent_default: bool = False

    @property
    def flag(self) -> str:
        """The option's name on the command line, without dashes."""
        return self.option or self.name.replace("_", "-")

    @property
    def kind(self) -> type:
        return type(self.default)

    def problem(self, given: object) -> str | None:
        """What is wrong with ``given`` (in the option's unit), or None."""
        if self.kind is bool:
            return None if isinstance(given, bool) else f"{given!r} is not a flag"
        if self.kind is str:
            if given in self.choices or (isinstance(given, str) and not self.choices):
                return None
            return f"{given!r} is not one of {', '.join(map(str, self.choices))}"
        if isinstance(given, bool) or not isinstance(given, int | float):
            return f"{given!r} is not a number"
        if not math.isfinite(given):
            return f"{given} is not a finite number"
        if self.choices and given not in self.choices:
            return (f"{given} is not one of {self.choices[0]}, {self.choices[1]}, ... "
                    f"{self.choices[-1]}")
        if (self.low is not None and given < self.low) or (
                self.high is not None and given > self.high):
            return f"{given} is not in the range {self.low:g} to {self.high:g}"
        return None

    def check(self, given: object) -> int | float | bool | str:
        """``given`` (in the option's unit) as the parameter's value, or a ParamError."""
        problem = self.problem(given)
        if problem is not None:
            raise ParamError(f"--{self.flag}: {problem}")
        if isinstance(given, bool | str):
            return given
        assert isinstance(given, int | float)
        value = given * self.scale
        return round(value) if self.kind is int else value

    @property
    def shown_default(self) -> int | float | bool | str:
        """The default in the option's unit."""
        if self.scale == 1 or isinstance(self.default, str):
            return self.default
        return self.default / self.scale


@dataclass(frozen=True, slots=True)
class Counter:
    """A number the summary shows: its tally name, its label, whether it is per frame, and
    whether the summary shows it only when the run counted some (what one mode alone does)."""

    name: str
    label: Text
    per_frame: bool = True
    when_counted: bool = False


def split_ring_at_start(size: int) -> dict[str, int]:
    """A split ring as set-up leaves it: every index 0, all ``size`` descriptors free, the
    device taking kicks (QEMU's ``notification`` starts true)."""
    return {**dict.fromkeys(RING_FIELDS, 0), "num_free": size, "notification": 1}


#: Counters several scenarios keep, with one label each.
EVENTS = Counter("events", {"en": "events", "zh": "事件"}, per_frame=False)
VM_EXITS = Counter("vm_exits", {"en": "VM exits", "zh": "VM 退出"})
EXITS_TO_QEMU = Counter("exits_to_qemu", {"en": "exits to QEMU's vCPU thread",
                                          "zh": "退回 QEMU vCPU 线程"})
INTERRUPTS = Counter("interrupts", {"en": "interrupts", "zh": "中断"})
INTERRUPTS_SUPPRESSED = Counter("interrupts_suppressed", {"en": "interrupts suppressed",
                                                         "zh": "被抑制的中断"})
KICKS_SUPPRESSED = Counter("kicks_suppressed", {"en": "kicks suppressed by the ring",
                                                "zh": "被环抑制的通知"})
WAKEUPS = Counter("wakeups", {"en": "thread wake-ups", "zh": "线程唤醒"})
SYSCALLS = Counter("syscalls", {"en": "host system calls", "zh": "宿主系统调用"})
COPIES = Counter("copies", {"en": "copies of the payload", "zh": "负载的拷贝次数"})


@dataclass(frozen=True, slots=True)
class RingPanel:
    """What the ring views show of a scenario's virtqueue.

    ``size_param`` names the parameter giving the queue size; ``start`` gives the
    ring's values before the stream's first event, from that size; ``device_writes``
    says the buffers are for the device to fill (a receive ring); ``frame_param``
    names the parameter giving the frame length when a replay's buffers hold a
    virtio_net_hdr and a frame ``vtrace.frames.build_frame`` makes; ``rebuild``, where a
    scenario builds its frames otherwise, gives a replay's buffer for a frame number from
    the stream's parameters (None where it cannot tell). ``actions`` says
    what a call that carries a descriptor ``head`` does to it, per step: ``add`` (the
    driver makes it available), ``take`` (the device pops it), ``use`` (the device puts
    it in the used ring) or ``free`` (the driver takes it back).
    """

    title: Text
    size_param: str
    start: Callable[[int], Mapping[str, int]] = split_ring_at_start
    device_writes: bool = False
    frame_param: str | None = None
    actions: Mapping[str, str] = field(default_factory=dict)
    rebuild: Callable[[Mapping[str, Any], int], bytes | None] | None = None

    def at_start(self, params: Mapping[str, Any], size: int) -> Mapping[str, int]:
        """The ring's values before a stream's first event: ``start``'s, or a packed
        ring's where the header says ``ring`` is packed."""
        if params.get("ring") == "packed":
            return packed_ring_at_start(size)
        return self.start(size)


class ObjectsView(Protocol):
    """What a view shows of the objects a replay creates (see ``Scenario.objects``)."""

    def feed(self, event: Event) -> list[str]:
        """The lines for what ``event`` created, if anything."""
        ...

    def lines(self) -> list[str]:
        """Every object created so far, with its links."""
        ...

    def by_side(self) -> list[tuple[str, list[str]]]:
        """Each side of the boundary and the names of its objects so far (maybe none)."""
        ...

    def newest(self) -> list[str]:
        """The lines for the objects the latest event that made any created."""
        ...


@dataclass(frozen=True, slots=True)
class Hop:
    """A step at which a frame's bytes are in hand, so a per-hop capture shows it there:
    the step, and whether the bytes there start with a virtio_net_hdr."""

    step: str
    vnet_hdr: bool


class Scenario:
    """A path vtrace knows; subclasses fill in the class data and, to replay it, ``run``.

    ``calls`` and ``notes`` are the tally's table: an event of that kind at that
    step adds ``amount(detail)`` to the named counter (or to each of several).
    ``examples`` are parameter sets whose replays together run every step the
    scenario has.
    """

    name: ClassVar[str]
    title: ClassVar[Text]  # what it shows, for listings: "Sending a frame (vtrace send)"
    summary: ClassVar[str] = ""  # one line for ``vtrace NAME --help``
    usage: ClassVar[tuple[str, ...]] = ()  # example command lines for ``--help``
    params: ClassVar[tuple[Param, ...]] = ()
    counters: ClassVar[tuple[Counter, ...]] = ()
    live_counters: ClassVar[tuple[str, ...]] = ()
    calls: ClassVar[Table] = {}
    notes: ClassVar[Table] = {}
    ring: ClassVar[RingPanel | None] = None
    frames_param: ClassVar[str | None] = None  # the parameter that counts frames, if any
    frames_done: ClassVar[str | None] = None  # the counter of frames whose last step has run
    examples: ClassVar[tuple[Mapping[str, Any], ...]] = ({},)
    queue: ClassVar[Queue | None] = None  # the virtqueue its frames go through
    tap: ClassVar[Tap | None] = None  # where its frames cross the tap
    hops: ClassVar[tuple[Hop, ...]] = ()  # where its frames' bytes are seen, in path order
    switches: ClassVar[Mapping[str, Any]] = {}  # era name -> its behaviour (a dataclass)
    decisions: ClassVar[Mapping[str, str]] = {}  # step -> the kind of decision it records
    path_title: ClassVar[Text] = {"en": "The path across the layers", "zh": "路径穿过的各层"}
    part_words: ClassVar[Mapping[str, Text]] = {}  # the overview's labels it words its own way

    def objects(self, lang: str) -> ObjectsView | None:
        """A panel of the objects the replay creates, if it tells of any (the set-up)."""
        return None

    def backend(self, params: Mapping[str, Any]) -> Backend:
        """Who runs the device's data path in a stream with these header parameters."""
        return BACKENDS.get(str(params.get("backend")), QEMU)

    @property
    def tap_direction(self) -> str | None:
        """``guest-to-host`` or ``host-to-guest``: which way its frames cross the tap."""
        return self.tap.direction if self.tap is not None else None

    def era_switches(self, era_name: str) -> dict[str, Any]:
        """The behaviour switches of ``era_name``, by name (none for an era it lacks)."""
        chosen = self.switches.get(era_name)
        return asdict(chosen) if chosen is not None else {}

    def defaults(self) -> dict[str, Any]:
        return {param.name: param.default for param in self.params}

    def settle(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """Every parameter's value, in declaration order: ``given`` (checked) over defaults.

        ``given`` holds values in the options' units, keyed by parameter name.
        """
        unknown = set(given) - {param.name for param in self.params}
        if unknown:
            raise ParamError(f"{self.name} has no parameter {sorted(unknown)[0]!r}")
        return {param.name: param.check(given[param.name]) if param.name in given
                else param.default for param in self.params}

    def recorded(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """Settled ``params`` as a header records them: a ``silent_default`` left out at
        its default."""
        silent = {param.name: param.default for param in self.params if param.silent_default}
        return {name: value for name, value in params.items()
                if name not in silent or value != silent[name]}

    def given_by(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """A header's parameters as ``settle`` takes them (in the options' units), so that a
        recording or a capture can be replayed; names the scenario lacks are left out."""
        return {param.name: params[param.name] / param.scale if param.scale != 1
                else params[param.name] for param in self.params if param.name in params}

    def phrases(self, params: Mapping[str, Any], lang: str) -> tuple[list[str], list[str]]:
        """What a stream with these header parameters shows, in words: the phrases before the
        era's versions and those after. By default the scenario's title, then each of its
        parameters as ``name=value``; a scenario overrides it to speak of its own."""
        own = [f"{param.name}={params[param.name]}" for param in self.params
               if param.name in params]
        return [self.title.get(lang) or self.title.get("en", self.name)], own

    def describe(self, params: Mapping[str, Any], lang: str = "en") -> str:
        """A title in words: ``1 frame of 128 bytes, Linux 6.1 + QEMU 7.2, EVENT_IDX on``."""
        before, after = self.phrases(params, lang)
        parts = [*before, era_words(params.get("era")), *after]
        return SEPARATOR.get(lang, ", ").join(part for part in parts if part)

    def refusal(self, params: Mapping[str, Any], era: Era) -> str | None:
        """Why settled ``params`` cannot be replayed in ``era`` (the era lacks what they ask
        for), in one line; None when they can."""
        return None

    def run(self, params: Mapping[str, Any], era: Era, seed: int) -> Run:
        """The events of a replay with settled ``params``, in time order."""
        raise NotImplementedError(f"{self.name} streams are recorded, not replayed")

    @property
    def replayable(self) -> bool:
        return type(self).run is not Scenario.run
