"""The guest's side of the receive replay, and the replay itself.

Three threads share one RX virtqueue in guest memory: a program on the host
sends datagrams into the tap (``host``), a back end moves them into the
buffers the guest posted (QEMU's main loop in ``qemu``, or the vhost worker in
``vhost``), and the guest's vCPU takes the interrupt, polls with NAPI, passes
each skb through GRO to UDP and the application's ``recvfrom``, and refills
the ring, kicking the device when it asked to be told.
"""

from __future__ import annotations

import struct
from collections.abc import Generator, Iterator
from typing import Any

from vtrace.catalog import Era
from vtrace.engine.kvm import ept_exit, vm_entry
from vtrace.engine.sim import Action, Do, Doing, Run, Scheduler, Thread, Wait
from vtrace.frames import MIN_FRAME, VNET_HDR_F_NEEDS_CSUM, parse_frame
from vtrace.ring import Buffer
from vtrace.ring_packed import PackedDriver
from vtrace.rxreceive import Placement, receive_big, receive_mergeable
from vtrace.scenarios.multiqueue import rss_steps, spawn_queues
from vtrace.scenarios.recv.gro import StackHooks, flush_held, gro_receive, tap_offload
from vtrace.scenarios.recv.host import host_sender
from vtrace.scenarios.recv.qemu import NUM_BUFFERS_AT, qemu_main
from vtrace.scenarios.recv.tcp import header_fields
from vtrace.scenarios.recv.vhost import poll_wakeup, vhost_worker
from vtrace.scenarios.recv.world import (
    BIG_CHAIN,
    BIG_PAGES,
    HOST_TO_GUEST,
    PAGE,
    RecvParams,
    RecvWorld,
)
from vtrace.scenarios.ringstate import kick_reason, note, ring_call, with_ring
from vtrace.tcpframes import PSH, parse_tcp_frame

__all__ = ["NETDEV_BUDGET", "REFILL_WORK_NS", "recv", "run_world"]

IRQ_DELIVERY_NS = 1800  # MSI-X message to the guest's handler
NETDEV_BUDGET = 300  # net_rx_action's budget across all NAPIs of one softirq
REFILL_WORK_NS = 30_000  # modelled: until a kworker runs the refill work virtnet_open queued


# -- posting buffers -------------------------------------------------------------------------


def _buffers(world: RecvWorld) -> list[Buffer] | None:
    """The buffers of the next ``add_recvbuf_*``, or None when the ring has no room."""
    driver, memory, sizing = world.driver, world.memory, world.sizing
    if world.params.mergeable:
        if not driver.num_free:
            return None
        if sizing is not None:
            buffer = sizing.carve()
            return [Buffer(sizing.address(buffer), buffer.len, writable=True)]
        return [Buffer(memory.slot_address(driver.free_head), world.mergeable_buf,
                       writable=True)]
    if world.indirect:  # one descriptor, the head's slot holding all the pages
        if not driver.num_free:
            return None
        first = memory.slot_address(driver.free_head)
        pages = [first + PAGE * page for page in range(1, BIG_PAGES)]
    else:  # a descriptor per page, each page in its descriptor's slot
        if driver.num_free < BIG_CHAIN:
            return None
        heads = [driver.free_head]
        while len(heads) < BIG_CHAIN:
            heads.append(driver.next_free[heads[-1]])
        first = memory.slot_address(heads[0])
        pages = [memory.slot_address(head) for head in heads[2:]]
    offset = world.big_data_offset
    return [Buffer(first, world.hdr_len, writable=True),
            Buffer(first + offset, PAGE - offset, writable=True),
            *(Buffer(page, PAGE, writable=True) for page in pages)]


def _add(world: RecvWorld, buffers: list[Buffer]) -> tuple[int, dict[str, Any]]:
    """``virtqueue_add_inbuf*``: the chain into the ring (a mergeable buffer carved from its
    page fragment for good); its head and what its event shows (``RecvWorld.post``)."""
    head, shown = world.post(buffers)
    if world.sizing is not None:
        world.sizing.take(head)
    return head, shown


def _post(world: RecvWorld) -> Generator[Action, None, bool]:
    """One ``add_recvbuf_*`` down to the ring write: False when there is no room."""
    buffers = _buffers(world)
    if buffers is None:
        return False
    sizing = world.sizing
    if world.params.mergeable:
        if sizing is not None:
            yield Do("get_mergeable_buf_len", None, detail={
                "avg_pkt_len": sizing.average.read(), "min_buf_len": sizing.min_buf_len,
                "len": sizing.length()})
        yield Do("add_recvbuf_mergeable", None, detail={"len": buffers[0].length})
        if sizing is not None and sizing.page_pool is not None:
            yield Do("page_pool_alloc_va", None, detail={
                "size": sizing.length(), "alloc_len": buffers[0].length,
                "offset": (buffers[0].addr - sizing.base) % PAGE})
        yield Do("virtnet_rq_submit", None)
        yield Do("virtqueue_add_inbuf_ctx", None, detail={"sg": 1})
    else:
        yield Do("add_recvbuf_big", None, detail={"sg": BIG_CHAIN})
        yield Do("virtqueue_add_inbuf", None, detail={"sg": BIG_CHAIN})
    writer = world.ring_writer
    if writer != "virtqueue_add":
        yield Do("virtqueue_add", None, detail={"layout": world.params.ring})
    head, shown = _add(world, buffers)
    if isinstance(world.driver, PackedDriver) and "indirect" in shown:
        yield Do(writer, None, detail={"sg": len(buffers)})
        writer = "virtqueue_add_indirect_packed"
    yield from with_ring(world, writer, None, head=head, **shown)
    return True


def _open_fill(world: RecvWorld) -> Iterator[Action]:
    """``virtnet_open``'s fill, before any frame: ``rx_buffers`` buffers, or the ring full.

    Fewer than the ring holds means memory ran short, and the refill work is scheduled.
    The buffers are posted without an event each; the one event carries the ring's values.
    """
    driver, posted = world.driver, 0
    while posted < world.params.rx_buffers and (buffers := _buffers(world)) is not None:
        _add(world, buffers)
        posted += 1
    short = _buffers(world) is not None
    driver.num_added = 0  # the open kicks no one: the device reads the ring when it starts
    if short:
        world.refill_due = REFILL_WORK_NS
    yield from with_ring(world, "try_fill_recv", None, gfp="GFP_KERNEL", posted=posted,
                         refill_work=short)


def _try_fill(world: RecvWorld, gfp: str) -> Iterator[Action]:
    """``try_fill_recv``: post until the ring is full, then kick if the device asks."""
    yield Do("try_fill_recv", None, detail={"gfp": gfp})
    while (yield from _post(world)):
        pass
    decision = world.driver.kick_prepare()
    reason = kick_reason(decision.kick, decision.avail_event)
    yield from ring_call(world, "virtqueue_kick_prepare", None, kick=decision.kick,
                         old=decision.old, new=decision.new, avail_event=decision.avail_event,
                         why=reason)
    if decision.kick:
        yield from _kick(world)
    else:
        yield note("virtqueue_kick_prepare", None, kick=False, old=decision.old,
                   new=decision.new, avail_event=decision.avail_event, why=reason)


def _kick(world: RecvWorld) -> Iterator[Action]:
    """The RX queue's notify: a VM exit that KVM turns into its ioeventfd."""
    yield Do("virtqueue_notify", None)
    yield Do("vp_notify", None, detail={"queue_index": 0})
    yield ept_exit(None)
    yield Do("kvm_io_bus_write", None, detail={"bus": "KVM_FAST_MMIO_BUS", "match": True})
    yield Do("ioeventfd_write", None)
    if world.vhost:
        yield from poll_wakeup(world, None, "handle_rx_kick", src="kvm")
    else:
        world.rx_kick.raise_(world.now())
    yield vm_entry("handle_ept_misconfig", None, src="kvm")


def _refill_work(world: RecvWorld) -> Iterator[Action]:
    world.refill_due = None
    yield Do("refill_work", None)
    yield from _try_fill(world, "GFP_KERNEL")


# -- interrupt, NAPI, GRO --------------------------------------------------------------------


def _interrupt(world: RecvWorld) -> Iterator[Action]:
    """``vring_interrupt`` -> ``skb_recv_done`` -> NAPI scheduled."""
    world.irq.clear()
    more = world.driver.interrupt()
    yield Do("vring_interrupt", None, src="kvm",
             detail={"more_used": more})
    if more:
        yield Do("skb_recv_done", None, src="virtio_net")
        yield from _napi_schedule(world)


def _napi_schedule(world: RecvWorld) -> Iterator[Action]:
    if world.napi_scheduled:
        return
    yield Do("virtqueue_napi_schedule", None)
    world.driver.disable_cb()
    yield from ring_call(world, "virtqueue_disable_cb", None)
    yield Do("__napi_schedule", None, src="virtio_net")
    world.napi_scheduled = True


def _net_rx_action(world: RecvWorld) -> Iterator[Action]:
    """The softirq: poll while NAPI stays scheduled, up to ``netdev_budget`` packets."""
    yield Do("net_rx_action", None, detail={"budget": NETDEV_BUDGET})
    left = NETDEV_BUDGET
    while world.napi_scheduled and left > 0:
        left -= yield from _poll(world)


def _poll(world: RecvWorld) -> Generator[Action, None, int]:
    """``virtnet_poll``: clean TX, receive up to the budget, complete if fewer came."""
    budget = world.params.napi_budget
    yield Do("virtnet_poll", None, src="stack", detail={"budget": budget})
    if world.switches.poll_disables_cb:
        world.driver.disable_cb()
        yield from ring_call(world, "virtqueue_disable_cb", None)
    yield Do("virtnet_poll_cleantx", None, detail={"napi_tx": world.napi_tx})
    received = yield from _receive(world, budget)
    if received < budget:
        yield from _napi_complete(world, received)
        return received
    # A full budget: __napi_poll flushes what GRO holds and passes up what waits; NAPI
    # stays on.
    yield from flush_held(world, "budget", _STACK)
    if world.rx_list:
        yield from _gro_normal_list(world)
    return received


def _receive(world: RecvWorld, budget: int) -> Generator[Action, None, int]:
    """``virtnet_receive``: take used buffers up to the budget, then refill past the
    era's threshold."""
    driver, size = world.driver, world.params.queue_size
    yield Do("virtnet_receive", None, detail={"budget": budget})
    yield Do("virtnet_receive_packets", None)
    received = 0
    while received < budget and driver.more_used():
        yield from _receive_one(world)
        received += 1
    threshold = (min(budget, size) if world.switches.refill_by_budget else size) // 2
    if driver.num_free > threshold:
        yield from _try_fill(world, "GFP_ATOMIC")
    return received


def _get(world: RecvWorld) -> Generator[Action, None, tuple[int, int, int]]:
    """One used buffer back: (frame, head, len)."""
    world.slot = world.driver.last_used_idx & 0x7FFF
    got = world.driver.get_buf()
    assert got is not None
    _, head, written = got
    frame = world.frame_at.pop(head)
    if not world.params.mergeable:
        yield from ring_call(world, "virtqueue_get_buf", frame, head=head, len=written)
        return frame, head, written
    yield Do("virtnet_rq_get_buf", frame)
    yield from ring_call(world, "virtqueue_get_buf_ctx", frame, head=head, len=written)
    return frame, head, written


def _receive_one(world: RecvWorld) -> Iterator[Action]:
    """``receive_buf``: an skb from the buffers, as they were posted, then GRO."""
    frame, head, written = yield from _get(world)
    chain = [world.memory.read(addr, length) for addr, length in world.chain(head)]
    yield Do("receive_buf", frame, detail={"len": written})
    if world.params.mergeable:
        (count,) = struct.unpack_from("<H", chain[0], NUM_BUFFERS_AT)
        yield Do("receive_mergeable", frame, detail={"num_buffers": count})
        yield Do("page_to_skb", frame)
        packet, used = chain[0][:written], [(head, written)]
        for _ in range(count - 1):
            _, more, length = yield from _get(world)
            packet += world.memory.read(world.chain(more)[0][0], length)
            used.append((more, length))
        if world.sizing is not None:
            yield _gathered(world, frame, used)
    else:
        yield Do("receive_big", frame)
        packet = b"".join(chain)[:written]
        if world.tcp:
            skb = receive_big(written - world.hdr_len, world.big_data_offset)
            yield Do("page_to_skb", frame, detail={"len": skb.length, "linear": skb.linear,
                                                   "frags": len(skb.frags)})
        else:
            yield Do("page_to_skb", frame)
    yield Do("virtnet_receive_done", frame)
    if world.gro.segmented:
        yield from gro_receive(world, frame, packet[:world.hdr_len], packet[world.hdr_len:],
                               _STACK)
    elif world.tcp:
        yield from _tcp_gro(world, frame, packet[:world.hdr_len], packet[world.hdr_len:])
    else:
        yield from _gro(world, frame, packet[world.hdr_len:])


def _gathered(world: RecvWorld, frame: int, used: list[tuple[int, int]]) -> Doing:
    """The end of ``receive_mergeable``: the skb its buffers made, and the packet's length
    fed to the EWMA that sizes the next buffers (``ewma_pkt_len_add``)."""
    sizing = world.sizing
    assert sizing is not None
    buffers = [sizing.release(head) for head, _ in used]
    written = tuple(length for _, length in used)
    skb = receive_mergeable(buffers, Placement(written, len(written)), world.hdr_len)
    sizing.average = sizing.average.add(skb.length)
    return note("receive_mergeable", frame, fact="gathered", len=skb.length, linear=skb.linear,
                frags=len(skb.frags), frag_list=len(skb.frag_list),
                avg_pkt_len=sizing.average.read(), next_buf_len=sizing.length())


def _gro(world: RecvWorld, frame: int, packet: bytes) -> Iterator[Action]:
    """``napi_gro_receive``: a UDP packet is not held (GRO_NORMAL); 4.19 passes it up at
    once, later kernels gather ``gro_normal_batch`` first."""
    parsed = parse_frame(packet)
    world.parsed[frame] = (parsed.dst_port, parsed.ip_checksum_ok and parsed.udp_checksum_ok)
    yield Do("napi_gro_receive", frame, src="virtio_net")
    yield Do("dev_gro_receive", frame, detail={"result": "GRO_NORMAL"})
    yield from _gro_normal(world, frame)


def _tcp_gro(world: RecvWorld, frame: int, raw: bytes, packet: bytes) -> Iterator[Action]:
    """The header onto the skb, then GRO, which holds nothing and merges nothing: the skb is
    GSO (``dev_gro_receive`` flushes every GSO skb in 4.19, an SKB_GSO_DODGY one from 6.1
    on, and ``virtio_net_hdr_to_skb`` makes it so), and each write ends with PSH."""
    fields = header_fields(raw)
    segment = parse_tcp_frame(packet)
    world.parsed[frame] = (segment.flow.dst_port, segment.ip_checksum_ok)
    yield Do("guest_virtio_net_hdr_to_skb", frame, detail={
        "gso_type": fields["gso_type"], "gso_size": fields["gso_size"],
        "ip_summed": "CHECKSUM_PARTIAL" if fields["flags"] & VNET_HDR_F_NEEDS_CSUM
        else "CHECKSUM_NONE"})
    yield Do("napi_gro_receive", frame, src="virtio_net")
    yield Do("dev_gro_receive", frame, detail={"result": "GRO_NORMAL",
                                               "gso": bool(fields["gso_size"])})
    yield Do("inet_gro_receive", frame)
    yield Do("tcp4_gro_receive", frame, detail={
        "flush": True, "psh": bool(segment.flags & PSH), "len": len(segment.payload),
        "gso_size": fields["gso_size"]})
    yield from _gro_normal(world, frame)


def _gro_normal(world: RecvWorld, frame: int) -> Iterator[Action]:
    """A packet GRO did not hold: up at once in 4.19, on the NAPI's rx_list later on."""
    if world.switches.gro_batch == 1:
        yield Do("netif_receive_skb_internal", frame)
        yield Do("ip_rcv", frame)
        yield from _deliver_locally(world, frame)
        return
    world.rx_list.append(frame)
    yield Do("gro_normal_one", frame, detail={"rx_count": len(world.rx_list)})
    if len(world.rx_list) >= world.switches.gro_batch:
        yield from _gro_normal_list(world)


def _gro_normal_list(world: RecvWorld) -> Iterator[Action]:
    frames, world.rx_list = world.rx_list, []
    yield Do("gro_normal_list", None, detail={"packets": len(frames)})
    yield Do("netif_receive_skb_list_internal", None)
    yield Do("ip_list_rcv", None, detail={"packets": len(frames)})
    for frame in frames:
        yield from _deliver_locally(world, frame)


def _deliver_locally(world: RecvWorld, frame: int) -> Iterator[Action]:
    yield Do("ip_local_deliver", frame)
    dport, checksums_ok = world.parsed.pop(frame)
    if world.tcp:
        yield Do("tcp_v4_rcv", frame, detail={"dport": dport, "ip_checksum_ok": checksums_ok})
        yield Do("tcp_v4_do_rcv", frame)
        yield Do("sock_def_readable", frame)
        world.socket.append(frame)
        return
    yield Do("udp_rcv", frame, detail={"dport": dport, "checksums_ok": checksums_ok})
    yield Do("__udp4_lib_rcv", frame)
    yield Do("udp_queue_rcv_skb", frame)
    yield Do("sock_def_readable", frame)
    world.socket.append(frame)


def _napi_complete(world: RecvWorld, received: int) -> Iterator[Action]:
    """``virtqueue_napi_complete``: re-arm, complete (the stack gets what GRO gathered), and
    poll again if used buffers arrived meanwhile."""
    driver = world.driver
    yield Do("virtqueue_napi_complete", None, detail={"processed": received})
    last = driver.enable_cb_prepare()
    yield from ring_call(world, "virtqueue_enable_cb_prepare", None)
    yield Do("napi_complete_done", None, src="virtio_net", detail={"work_done": received})
    yield from flush_held(world, "napi_complete_done", _STACK)
    if world.rx_list:
        yield from _gro_normal_list(world)
    world.napi_scheduled = False
    more = driver.poll(last)
    yield from ring_call(world, "virtqueue_poll", None, None, False, more_used=more)
    if more:
        yield from _napi_schedule(world)


# -- the application and the vCPU ------------------------------------------------------------


def _app_reads(world: RecvWorld) -> Iterator[Action]:
    """The application, woken in ``recvfrom``, reads every datagram queued to its socket."""
    payload = world.params.size - (0 if world.tcp else MIN_FRAME)
    while world.socket:
        frame = world.socket.popleft()
        read = world.gro.reader() if world.gro.segmented else {"bytes": payload}
        yield Do("recvfrom", frame, detail=read)
        yield Do("__sys_recvfrom", frame, src="app")
        yield Do("tcp_recvmsg" if world.tcp else "udp_recvmsg", frame, detail=read)
        world.delivered.append(frame)


def _guest(world: RecvWorld, thread: Thread) -> Iterator[Action]:
    yield from tap_offload(world)
    yield from _open_fill(world)
    while True:
        if not world.napi_scheduled:
            yield Wait((world.irq,), IRQ_DELIVERY_NS, world.refill_due)
        if world.refill_due is not None and thread.clock >= world.refill_due:
            yield from _refill_work(world)
        if world.irq.pending:
            yield from _interrupt(world)
        if world.napi_scheduled:
            yield from _net_rx_action(world)
        yield from _app_reads(world)


_STACK = StackHooks(_gro_normal, _gro_normal_list)


def run_world(params: RecvParams, era: Era, seed: int) -> tuple[RecvWorld, Run]:
    """The world of a receive replay and its events, for tests that look at both; with
    several queues, queue 0's world (``run_worlds`` has them all)."""
    worlds, run = run_worlds(params, era, seed)
    return worlds[0], run


def run_worlds(params: RecvParams, era: Era, seed: int) -> tuple[list[RecvWorld], Run]:
    """Every queue's world of a receive replay, and its events."""
    scheduler = Scheduler(era, seed)
    worlds = [RecvWorld(params, era, scheduler) for _ in range(params.queues)]
    for world in worlds:
        world.now = scheduler.now
    if len(worlds) > 1:
        steps = rss_steps(params.queues, params.flows, HOST_TO_GUEST, era.versions["qemu"])
        spawn_queues(scheduler, worlds, _guest, {"qemu-main": _serve},
                     lambda queue: 2 * queue, lambda queue: steps)
        scheduler.spawn("host-sender",
                        lambda thread: host_sender(worlds[0], thread, worlds))
        return worlds, scheduler.run()
    world = worlds[0]
    scheduler.spawn("vcpu0", lambda thread: _guest(world, thread))
    if world.vhost:
        scheduler.spawn("vhost-worker", lambda thread: vhost_worker(world))
    else:
        scheduler.spawn("qemu-main", lambda thread: qemu_main(world))
    scheduler.spawn("host-sender", lambda thread: host_sender(world, thread))
    return worlds, scheduler.run()


def _serve(world: RecvWorld, thread: Thread) -> Iterator[Action]:
    return qemu_main(world)


def recv(params: RecvParams, era: Era, seed: int) -> Run:
    """The events of ``params.frames`` frames arriving from the host, in time order."""
    return run_world(params, era, seed)[1]
