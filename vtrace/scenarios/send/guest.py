"""The guest's side of the send replay, and the replay itself.

Two threads share one TX virtqueue in guest memory. The guest's vCPU runs
the application, the stack and virtio_net's ``start_xmit``; QEMU's main
loop runs the device: it wakes on the kick's eventfd, drains the ring in a
bottom half and writes each frame to the tap. Completions come back as used
entries and, when the guest asked for one, an MSI-X interrupt.

Which frame an element belongs to is the tracer's knowledge (like a real
tracer matching skb addresses); the driver and the device themselves only
exchange ring bytes. QEMU's side is in ``device`` and the shared state in ``world``.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from typing import Any

from vtrace.catalog import Era
from vtrace.engine.kvm import ept_exit, exit_to_qemu, vm_entry
from vtrace.engine.sim import Action, Do, Doing, Run, Scheduler, Thread, Wait
from vtrace.frames import MIN_FRAME, VnetHeader, build_frame
from vtrace.ring import DESC_SIZE, VRING_DESC_F_INDIRECT, VRING_DESC_F_NEXT, Buffer
from vtrace.ring_packed import PackedDriver
from vtrace.scenarios.multiqueue import Picked, frames_of, spawn_queues, tx_pick
from vtrace.scenarios.ringstate import add_packed, kick_reason, ring_call
from vtrace.scenarios.send import vhost
from vtrace.scenarios.send.device import TX_BURST, handle_tx_bh, qemu_main
from vtrace.scenarios.send.tso import TcpSend, ring_sends
from vtrace.scenarios.send.world import SendParams, World, note, with_ring

__all__ = ["MAX_SKB_FRAGS", "TX_BURST", "SendParams", "run_world", "run_worlds", "send"]

MAX_SKB_FRAGS = 17  # Linux with 4 KiB pages
ROOM_NEEDED = 2 + MAX_SKB_FRAGS  # start_xmit stops the queue below this many free entries
IRQ_DELIVERY_NS = 1800  # MSI-X message to the guest's handler


# -- the guest ------------------------------------------------------------------------------


def _reap(world: World) -> Iterator[Action]:
    """``free_old_xmit_skbs``: take back every used buffer."""
    driver = world.driver
    yield Do("free_old_xmit_skbs", None, src="virtio_net",
             detail={"used_pending": world.used_pending()})
    while True:
        world.slot = driver.last_used_idx & 0x7FFF
        if (got := driver.get_buf()) is None:
            break
        frame, head, _ = got
        yield from ring_call(world, "virtqueue_get_buf", frame, head=head)
    # The loop ends on the call that finds nothing used, so there is always one more.
    yield Do("virtqueue_get_buf", None, detail={"empty": True})


def _interrupt(world: World) -> Iterator[Action]:
    """The TX interrupt: ``vring_interrupt`` -> ``skb_xmit_done`` -> NAPI or a queue wake.

    It starts with a wait on the interrupt line, so the handler always runs as a wake-up
    by the ``msix_notify`` that raised it: at once when it has arrived, else when it does.
    """
    yield Wait((world.irq,), IRQ_DELIVERY_NS)
    world.irq.clear()
    driver = world.driver
    yield Do("vring_interrupt", None, src="kvm", detail={"more_used": driver.interrupt()})
    driver.disable_cb()
    yield from with_ring(world, "skb_xmit_done", None, src="virtio_net",
                          napi=world.switches.napi_tx)
    if world.switches.napi_tx:
        yield from _napi_poll(world)
    elif world.stopped:
        world.stopped = False
        yield note("skb_xmit_done", None, queue="woken", num_free=driver.num_free)


def _napi_poll(world: World) -> Iterator[Action]:
    """NAPI is scheduled, then ``virtnet_poll_tx``: reap, re-arm the interrupt, poll again
    if more arrived meanwhile."""
    driver = world.driver
    yield Do("virtqueue_napi_schedule", None)
    while True:
        yield Do("virtnet_poll_tx", None)
        yield from _reap(world)
        last = driver.enable_cb_prepare()
        yield from with_ring(world, "virtnet_poll_tx", None, napi_complete=True)
        if not driver.poll(last):
            break
        driver.disable_cb()  # more arrived meanwhile: napi reschedules itself
        yield from ring_call(world, "virtqueue_disable_cb", None)
    if world.stopped and driver.num_free >= ROOM_NEEDED:
        world.stopped = False
        yield note("virtnet_poll_tx", None, queue="woken", num_free=driver.num_free)


def _kick(world: World, frame: int) -> Iterator[Action]:
    """The notify store and what it costs: a VM exit, with or without a trip to QEMU."""
    yield Do("virtqueue_notify", frame)
    yield Do("vp_notify", frame, detail={"queue_index": 1})
    yield ept_exit(frame)
    if world.params.ioeventfd:
        yield Do("kvm_io_bus_write", frame, detail={"bus": "KVM_FAST_MMIO_BUS", "match": True})
        yield Do("ioeventfd_write", frame)
        if world.params.backend == "vhost-net":
            yield from vhost.kicked(world, frame)
        else:
            world.kick_fd.raise_(world.now())
        yield vm_entry("handle_ept_misconfig", frame, src="kvm")
        return
    yield from exit_to_qemu(frame)
    yield Do("virtio_pci_notify_write", frame)
    yield Do("virtio_queue_notify", frame)
    yield from handle_tx_bh(world, frame)
    yield vm_entry("kvm_cpu_exec", frame, src="virtio-net")


def _transmit(world: World, frame: int, xmit_more: bool) -> Iterator[Action]:
    """One frame through the guest: application, stack, ``start_xmit``, maybe a kick; a TCP
    skb the device cannot take whole is segmented first, and each segment goes on alone."""
    params = world.params
    tcp = params.proto == "tcp"
    yield Do("sendto", frame, detail={"bytes": params.size if tcp else params.size - MIN_FRAME})
    yield Do("__sys_sendto", frame, src="app")
    yield Do("tcp_sendmsg" if tcp else "udp_sendmsg", frame)
    yield Do("__dev_queue_xmit", frame)
    if not tcp:
        yield from _start_xmit(world, frame, xmit_more, None)
        return
    path = world.path
    packets = ring_sends(frame, params.size, path)
    if not (path.tso and path.offload.csum) and (len(packets) > 1 or not path.offload.csum):
        yield Do("validate_xmit_skb", frame, detail={
            "segments": len(packets) if len(packets) > 1 else 0,
            "checksum": "partial" if path.offload.csum else "complete",
            "sg": path.offload.csum})
    for index, packet in enumerate(packets):
        while index and world.stopped:  # the rest of the list waits for room
            yield from _interrupt(world)
        yield from _start_xmit(world, frame, xmit_more or index < len(packets) - 1, packet)


def _start_xmit(world: World, frame: int, xmit_more: bool,
                packet: TcpSend | None) -> Iterator[Action]:
    """``dev_hard_start_xmit`` and the driver's ``start_xmit`` for one packet (a UDP frame
    when ``packet`` is None)."""
    driver, era = world.driver, world.switches
    hint = "__netdev_tx_sent_queue()" if era.bql else era.xmit_more
    yield Do("dev_hard_start_xmit", frame, detail={"xmit_more": xmit_more,
                                                   "hint": era.xmit_more})
    kick = not xmit_more
    yield Do("start_xmit", frame, src="stack", detail={"xmit_more": xmit_more, "hint": hint})
    yield from _reclaim_before_adding(world, frame, kick)
    yield from _add(world, frame, packet)
    if driver.num_free < ROOM_NEEDED:
        yield from _stop_queue(world, frame)
    if kick or world.stopped:
        decision = driver.kick_prepare()
        reason = kick_reason(decision.kick, decision.avail_event)
        yield from ring_call(world, "virtqueue_kick_prepare", frame, kick=decision.kick,
                              old=decision.old, new=decision.new,
                              avail_event=decision.avail_event, why=reason)
        if decision.kick:
            yield from _kick(world, frame)
        else:
            yield note("virtqueue_kick_prepare", frame, kick=False, why=reason)
        if era.napi_reclaims_only:
            yield from _rearm_after_kick(world, frame)
    else:
        yield note("virtqueue_kick_prepare", frame, kick=False, why="xmit_more", hint=hint)


def _reclaim_before_adding(world: World, frame: int, kick: bool) -> Iterator[Action]:
    """What ``start_xmit`` does with used buffers before it adds one; each era differs.

    Without NAPI TX (4.19) it reclaims them. With NAPI TX, 6.1 reclaims with
    interrupts off and re-arms them before a kick; 7.2 only turns them off.
    """
    driver, era = world.driver, world.switches
    if era.napi_reclaims_only:
        driver.disable_cb()
        yield from ring_call(world, "virtqueue_disable_cb", frame)
        return
    while True:
        if era.napi_tx:
            driver.disable_cb()
            yield from ring_call(world, "virtqueue_disable_cb", frame)
        yield from _reap(world)
        if not (era.napi_tx and kick):
            return
        if (yield from _enable_cb_delayed(world, frame)):
            return


def _add(world: World, frame: int, packet: TcpSend | None) -> Iterator[Action]:
    """``xmit_skb`` down to the ring write, which shows under the function that does it."""
    if packet is not None:
        yield from _add_tcp(world, frame, packet)
        return
    params, driver = world.params, world.driver
    hdr_len = world.path.offload.hdr_len
    data = VnetHeader().pack(hdr_len) + build_frame(frame, params.size,
                                                    world.endpoints_of(frame))
    yield Do("xmit_skb", frame, detail={"vnet_hdr": hdr_len, "frame_bytes": params.size})
    yield from _write_chain(world, frame, [(world.memory.slot_address(driver.free_head),
                                            len(data))], data)


def _add_tcp(world: World, frame: int, sent: TcpSend) -> Iterator[Action]:
    """A TCP skb: ``virtio_net_hdr_from_skb`` fills the header's offload fields (none for a
    checksummed segment), the header goes in front of the frame and the payload follows in
    page fragments (linear without SG)."""
    header, offload = sent.header, world.path.offload
    fields = {"flags": header.flags, "gso_type": header.gso_type, "hdr_len": header.hdr_len,
              "gso_size": header.gso_size, "csum_start": header.csum_start,
              "csum_offset": header.csum_offset}
    yield Do("xmit_skb", frame, detail={"vnet_hdr": sent.hdr_len,
                                        "frame_bytes": len(sent.skb.frame)})
    yield Do("virtio_net_hdr_from_skb", frame, detail={
        **fields, "vnet_hdr_hex": sent.header_bytes.hex()})
    address = world.memory.slot_address(world.driver.free_head)
    yield from _write_chain(world, frame, sent.scatter(address, offload.any_header_sg),
                            sent.header_bytes, sent.skb.frame,
                            table=sent.table(address) if offload.indirect else None)


def _write_chain(world: World, frame: int, entries: list[tuple[int, int]], *data: bytes,
                 table: int | None = None) -> Iterator[Action]:
    """``virtqueue_add_outbuf``: ``data`` (header and frame, one after the other) in guest
    memory from the first entry's address on, one descriptor per scatter-gather entry, or
    with INDIRECT_DESC (a ``table`` address) one ring descriptor for an indirect table of
    several (``virtqueue_use_indirect``)."""
    driver = world.driver
    yield Do("virtnet_add_outbuf", frame, detail={"type": "skb"})
    yield Do("virtqueue_add_outbuf", frame, detail={"sg": len(entries)})
    writer = world.ring_writer
    if writer != "virtqueue_add":
        yield Do("virtqueue_add", frame, detail={"layout": world.params.ring})
    address, length = entries[0]
    written = address
    for piece in data:  # the header, then the frame right behind it
        world.memory.write(written, piece)
        written += len(piece)
    buffers = [Buffer(addr, size) for addr, size in entries]
    if isinstance(driver, PackedDriver):
        yield from add_packed(world, writer, frame, buffers)
        return
    chained: dict[str, Any] = {}
    if len(entries) > 1:
        listed = [[addr, size] for addr, size in entries]
        if table is not None and driver.num_free:
            head = driver.add_indirect(buffers, table, frame)
            address, length = table, DESC_SIZE * len(entries)
            chained = {"flags": VRING_DESC_F_INDIRECT, "indirect": listed}
        else:
            head = driver.add(buffers, frame)
            chained = {"flags": VRING_DESC_F_NEXT, "descriptors": listed}
    else:
        head = driver.add(buffers, frame)
    yield from with_ring(world, writer, frame, head=head, addr=address, len=length,
                         next=world.desc_next(head), **chained)


def _stop_queue(world: World, frame: int) -> Iterator[Action]:
    """Too few free descriptors for another packet: stop the queue until some come back."""
    world.stopped = True
    if world.switches.napi_reclaims_only:
        yield note("start_xmit", frame, queue="stopped", num_free=world.driver.num_free)
        return
    if not (yield from _enable_cb_delayed(world, frame, queue="stopped")):
        yield from _stopped_but_used(world)


def _rearm_after_kick(world: World, frame: int) -> Iterator[Action]:
    """Linux 7.2 with NAPI TX: ask for a delayed interrupt only once the kick is done."""
    if not (yield from _enable_cb_delayed(world, frame)):
        yield from _napi_poll(world)


def _enable_cb_delayed(world: World, frame: int, **detail: str) -> Generator[Action, None, bool]:
    """``virtqueue_enable_cb_delayed``: True when no interrupt is needed yet (few are used)."""
    ok = world.driver.enable_cb_delayed()
    yield from ring_call(world, "virtqueue_enable_cb_delayed", frame, **detail, more_used=not ok)
    return ok


def _stopped_but_used(world: World) -> Iterator[Action]:
    """The queue just stopped, yet enough is already used: reclaim now, not on an interrupt."""
    if world.switches.napi_tx:
        yield from _napi_poll(world)
        return
    yield from _reap(world)
    if world.driver.num_free >= ROOM_NEEDED:
        world.stopped = False
        world.driver.disable_cb()
        yield from ring_call(world, "virtqueue_disable_cb", None, queue="restarted")


def _guest(world: World, thread: Thread) -> Iterator[Action]:
    params, frames = world.params, world.frames
    for first in range(0, len(frames), params.batch):
        if first:
            yield from _pause(world, thread, thread.clock + params.interval_ns)
        batch = frames[first : first + params.batch]
        last = batch[-1]
        for frame in batch:
            # A busy vCPU takes an interrupt that has arrived at the next boundary, here
            # between two sends; a stopped queue leaves it idle until the interrupt comes.
            while world.stopped or _arrived(world, thread):
                yield from _interrupt(world)
            yield from _transmit(world, frame, xmit_more=frame != last)
    yield from _pause(world, thread, None)


def _pause(world: World, thread: Thread, until: int | None) -> Iterator[Action]:
    """The application sleeps until ``until`` (None: for good); the idle vCPU halts, and
    an interrupt wakes it as soon as it arrives."""
    while until is None or thread.clock < until:
        yield Wait((world.irq,), IRQ_DELIVERY_NS, until)
        if _arrived(world, thread):
            yield from _interrupt(world)


def _arrived(world: World, thread: Thread) -> bool:
    """Whether the interrupt has been raised and has reached the vCPU by its clock."""
    irq = world.irq
    return bool(irq.pending) and irq.raised_at + IRQ_DELIVERY_NS <= thread.clock


def run_world(params: SendParams, era: Era, seed: int) -> tuple[World, Run]:
    """The world of a send replay and its events (the ring after the last event, say);
    with several queues, queue 0's world (``run_worlds`` has them all)."""
    worlds, run = run_worlds(params, era, seed)
    return worlds[0], run


def run_worlds(params: SendParams, era: Era, seed: int) -> tuple[list[World], Run]:
    """Every queue's world of a send replay, and its events."""
    scheduler = Scheduler(era, seed)
    if params.queues == 1:
        worlds = [World(params, era, scheduler)]
    else:
        def pick(flow: int) -> Picked:
            return tx_pick(flow, params.queues)
        worlds = [World(params, era, scheduler, frames_of(queue, params.frames, params.flows,
                                                          pick))
                  for queue in range(params.queues)]
    for world in worlds:
        world.now = scheduler.now
    _attach(scheduler, worlds)
    return worlds, scheduler.run()


def send(params: SendParams, era: Era, seed: int) -> Run:
    """The events of ``params.frames`` frames leaving the guest, in time order."""
    return run_world(params, era, seed)[1]


def _attach(scheduler: Scheduler, worlds: list[World]) -> None:
    if len(worlds) > 1:
        spawn_queues(scheduler, worlds, _guest, {"qemu-main": _serve},
                     lambda queue: 2 * queue + 1, lambda queue: {"__dev_queue_xmit": _pick_tx(
                         worlds[queue].params)})
        return
    world = worlds[0]
    scheduler.spawn("vcpu0", lambda thread: _guest(world, thread))
    if world.params.backend == "vhost-net":
        scheduler.spawn(vhost.WORKER, lambda thread: vhost.vhost_worker(world))
    else:
        scheduler.spawn("qemu-main", lambda thread: qemu_main(world))


def _serve(world: World, thread: Thread) -> Iterator[Action]:
    return qemu_main(world)


def _pick_tx(params: SendParams) -> Callable[[int | None], Iterator[Doing]]:
    """``netdev_pick_tx`` for a frame: the queue XPS gives the CPU its flow is sent from."""
    def picked(frame: int | None) -> Iterator[Doing]:
        flow = (frame or 0) % params.flows
        choice = tx_pick(flow, params.queues)
        yield Do("netdev_pick_tx", frame, detail={**choice.detail, "tx_queue": choice.queue})
    return picked
