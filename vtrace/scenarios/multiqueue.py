"""Several queue pairs in one replay: which queue each flow takes, and the threads per queue.

A replay with ``--queues N`` keeps one world per queue pair (its own ring in its
own guest memory, its own signals, its own MSI-X vector) and runs the one-queue
code on each. Each queue's guest side runs on its own vCPU (``vcpu0``,
``vcpu1`` …); QEMU's main loop, and the host's sender, stay one thread each that
serves every queue's fd in turn (``one_thread``). Every event of queue ``q``
carries ``detail.queue = q``.

Frame ``i`` belongs to flow ``i mod M``. On transmit, the application's thread of
flow ``f`` runs on CPU ``f mod N``, and the stack sends on the queue XPS gives
that CPU (``netdev_pick_tx`` → ``get_xps_queue``, with the map
``virtnet_set_affinity`` sets): ``vtrace.rss.tx_queue``. On receive, QEMU's
software RSS hashes the flow (``virtio_net_process_rss``) with the key and the
default indirection table the driver wrote: ``vtrace.rss.rss_queue``. vtrace
reads each frame from the tap queue RSS then picks, so QEMU never redirects it
(the tap's own choice, ``tun_automq_select_queue``, hashes with a per-boot random
seed). The device has ``rss=on``; Linux 7.2 sends the table at probe
(``virtnet_set_queues`` → ``virtnet_commit_rss_command``), Linux 6.1 only fills it
(``virtnet_init_default_rss``) and sends it when ``ethtool -X`` or a change of
rxhash commits it: the replay is of a guest after that.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from vtrace.engine.sim import Action, Do, Doing, Scheduler, Thread, Wait
from vtrace.frames import Endpoints
from vtrace.model import Kind
from vtrace.rss import (
    DEFAULT_KEY,
    INDIRECTION_TABLE_LEN,
    Flow,
    default_indirection_table,
    rss_queue,
    tx_queue,
    xps_map,
)

__all__ = ["MSIX_CONFIG", "QUEUES_QEMU_ONLY", "Picked", "endpoints_of", "frames_of",
           "one_thread", "rss_steps", "rx_pick", "spawn_queues", "tagged", "tx_pick"]

#: Why ``--queues`` above 1 refuses vhost-net: each pair would need its own vhost worker.
QUEUES_QEMU_ONLY = ("--queues: vtrace replays several queue pairs with --backend qemu only, so "
                    "far (vhost-net runs a worker per pair); drop --backend vhost-net")
MSIX_CONFIG = 1  # vector 0 is the configuration change's; queue vq's is vq + 1

World = TypeVar("World")
Program = Callable[[World, Thread], Iterator[Action]]
Extra = Callable[[int | None], Iterator[Doing]]
Anchor = str | tuple[str | None, str]  # a step, or the step before it and the step


def endpoints_of(base: Endpoints, flow: int) -> Endpoints:
    """Flow ``flow``'s endpoints: the source port counts up from ``base``'s (the guest's
    on transmit, the host sender's on receive); flow 0's are ``base``."""
    return replace(base, src_port=base.src_port + flow) if flow else base


@dataclass(frozen=True, slots=True)
class Picked:
    """Which queue a flow took and why: the CPU it was sent from, or the RSS hash."""

    queue: int
    detail: Mapping[str, Any]


def tx_pick(flow: int, queues: int) -> Picked:
    """The TX queue of flow ``flow``: its sender runs on CPU ``flow mod queues``, and XPS
    maps that CPU to one queue."""
    cpu = flow % queues
    xps = xps_map(queues, queues)
    return Picked(tx_queue(cpu, xps), {"fact": "xps", "flow": flow, "cpu": cpu,
                                       "xps_cpus": list(xps[cpu])})


def rx_pick(flow: int, queues: int, endpoints: Endpoints) -> Picked:
    """The RX queue of flow ``flow`` under QEMU's software RSS with the driver's defaults."""
    ends = endpoints_of(endpoints, flow)
    seen = Flow(str(ipaddress.ip_address(ends.src_ip)), str(ipaddress.ip_address(ends.dst_ip)),
                ends.src_port, ends.dst_port, "udp")
    queue, value, report = rss_queue(seen, DEFAULT_KEY, default_indirection_table(queues),
                                     queues)
    return Picked(queue, {"fact": "rss", "flow": flow, "hash": f"{value:#010x}",
                          "hash_type": report.name,
                          "indirection": value & (INDIRECTION_TABLE_LEN - 1), "redirect": False})


def rss_steps(queues: int, flows: int, endpoints: Endpoints,
              qemu: str) -> Mapping[Anchor, Extra]:
    """``virtio_net_process_rss`` where ``virtio_net_receive_rcu`` calls it: after
    ``virtio_net_can_receive`` in QEMU 7.2, before it in 10.2."""
    picks = [rx_pick(flow, queues, endpoints) for flow in range(flows)]

    def process_rss(frame: int | None) -> Iterator[Doing]:
        choice = picks[(frame or 0) % flows]
        yield Do("virtio_net_process_rss", frame,
                 detail={**choice.detail, "rx_queue": choice.queue})

    if qemu == "7.2":
        return {("virtio_net_receive_rcu", "virtio_net_can_receive"): process_rss}
    return {"virtio_net_receive_rcu": process_rss}


def frames_of(queue: int, frames: int, flows: int,
              pick: Callable[[int], Picked]) -> tuple[int, ...]:
    """The frames queue ``queue`` carries: those of the flows ``pick`` sends to it."""
    chosen = {flow for flow in range(flows) if pick(flow).queue == queue}
    return tuple(frame for frame in range(frames) if frame % flows in chosen)


def tagged(program: Iterator[Action], queue: int, vq_index: int,
           extra: Mapping[Anchor, Extra]) -> Iterator[Action]:
    """``program``'s actions with ``detail.queue``, the queue's virtqueue index on its
    notify and its MSI-X vector on its interrupt; after a call named in ``extra`` (by its
    step, or by the step before it and its own), the steps it adds (the queue choice,
    where the path makes it)."""
    previous: str | None = None
    # Only a call named in ``extra`` is looked up there: this runs for every event.
    anchors = {key if isinstance(key, str) else key[1] for key in extra}
    notify, interrupt, call = "vp_notify", "msix_notify", Kind.CALL
    for action in program:
        if action.__class__ is Wait:
            yield action
            continue
        step, frame, kind, src, dst, detail, cost = action  # type: ignore[misc]
        if step == notify:
            detail = {**detail, "queue_index": vq_index}
        elif step == interrupt:
            detail = {**detail, "msix_vector": vq_index + MSIX_CONFIG}
        yield step, frame, kind, src, dst, {**detail, "queue": queue}, cost
        if kind is not call:
            continue
        if step in anchors:
            after = extra.get(step) or extra.get((previous, step))
            if after is not None:
                for added in after(frame):
                    step_, frame_, kind_, src_, dst_, detail_, cost_ = added
                    yield step_, frame_, kind_, src_, dst_, {**detail_, "queue": queue}, cost_
        previous = step


def one_thread(thread: Thread, programs: Sequence[Iterator[Action]]) -> Iterator[Action]:
    """Several event loops on one thread, as QEMU's main loop serves every queue's fd.

    Each loop runs until it waits; the thread then runs the next one whose wait is over
    (a signal pending, or its time come) and sleeps only when none is, until the first
    of all their signals or timeouts.
    """
    waits: list[Wait | None] = [None] * len(programs)
    alive = list(range(len(programs)))
    while alive:
        ran = False
        for index in list(alive):
            wait = waits[index]
            if wait is not None and not _over(wait, thread.clock):
                continue
            waits[index], ran = None, True
            for action in programs[index]:
                if action.__class__ is Wait:
                    waits[index] = action
                    break
                yield action
            else:
                alive.remove(index)
        if ran or not alive:
            continue
        pending = [wait for index in alive if (wait := waits[index]) is not None]
        signals = tuple(signal for wait in pending for signal in wait.signals)
        dues = [wait.until for wait in pending if wait.until is not None]
        yield Wait(signals, min(wait.latency_ns for wait in pending), min(dues, default=None))


def _over(wait: Wait, clock: int) -> bool:
    return any(signal.pending for signal in wait.signals) or (
        wait.until is not None and clock >= wait.until)


def spawn_queues(scheduler: Scheduler, worlds: Sequence[World], vcpu: Program[World],
                 shared: Mapping[str, Program[World]], vq_index: Callable[[int], int],
                 extra: Callable[[int], Mapping[Anchor, Extra]]) -> None:
    """A vCPU thread per queue's world, and one thread per ``shared`` loop serving them all;
    ``extra(queue)`` names the steps each queue's threads add after a step."""
    def on_vcpu(queue: int) -> Callable[[Thread], Iterator[Action]]:
        return lambda thread: tagged(vcpu(worlds[queue], thread), queue, vq_index(queue),
                                     extra(queue))

    def serving(loop: Program[World]) -> Callable[[Thread], Iterator[Action]]:
        return lambda thread: one_thread(thread, [
            tagged(loop(world, thread), queue, vq_index(queue), extra(queue))
            for queue, world in enumerate(worlds)])

    for queue in range(len(worlds)):
        scheduler.spawn(f"vcpu{queue}", on_vcpu(queue))
    for name, loop in shared.items():
        scheduler.spawn(name, serving(loop))
