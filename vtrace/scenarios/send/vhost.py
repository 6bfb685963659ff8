"""vhost-net's side of the send replay: the host kernel's worker in place of QEMU's main loop.

With ``-netdev tap,vhost=on`` the kick's ioeventfd is polled by vhost, not by
QEMU: ``ioeventfd_write`` runs ``vhost_poll_wakeup`` in the vCPU's own context,
which queues the TX work and wakes the worker (a kthread ``vhost-<QEMU pid>``,
or a ``vhost_task`` in the newest era). The worker's ``handle_tx`` drains the
ring straight into tun with in-kernel ``sendmsg`` calls, writes the used
entries and signals the call eventfd, a KVM irqfd, which injects the interrupt.
No QEMU thread runs on this path. The ring bytes mean the same as on QEMU's
side; ``VhostQueue`` keeps vhost's habits with them. Call order per era is read
from ``drivers/vhost/net.c`` and ``vhost.c`` of each era (docs/sources.md).
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from dataclasses import dataclass, field

from vtrace.engine.sim import Action, Do, Wait
from vtrace.frames import parse_frame
from vtrace.ring import Element, VhostQueue
from vtrace.scenarios.send.device import (
    EVENTFD_WAKEUP_NS,
    element_bytes,
    into_tun,
    into_tun_gso,
)
from vtrace.scenarios.send.world import World, with_ring

__all__ = ["VHOST_NET_BATCH", "VHOST_NET_PKT_WEIGHT", "VHOST_NET_WEIGHT", "WORKER",
           "kicked", "vhost_worker"]

VHOST_NET_BATCH = 64  # used heads (4.19) or XDP buffers (6.1, 7.2) gathered before a flush
VHOST_NET_PKT_WEIGHT = 256  # packets in one round before the work re-queues itself
VHOST_NET_WEIGHT = 0x80000  # bytes in one round
PAGE_SIZE = 4096
VHOST_NET_RX_PAD = 64  # NET_IP_ALIGN (0 on x86) + NET_SKB_PAD (a 64-byte cache line)
SKB_SHARED_INFO = 320  # sizeof(struct skb_shared_info) on x86-64
WORKER = "vhost-worker"  # the thread's name in events; the kernel calls it vhost-<QEMU pid>


@dataclass(slots=True)
class _Round:
    """What one ``handle_tx_copy`` round has gathered and not yet flushed."""

    done: list[Element] = field(default_factory=list)  # heads for the used ring
    xdp: list[tuple[int | None, bytes]] = field(default_factory=list)  # built XDP buffers
    packets: int = 0
    bytes: int = 0


def _queue(world: World) -> VhostQueue:
    queue = world.device
    assert isinstance(queue, VhostQueue)
    return queue


def _queue_work(world: World, frame: int | None) -> Iterator[Action]:
    """``vhost_poll_queue`` -> ``vhost_work_queue``: add the TX work unless it is queued, and
    wake the worker. The work is queued while ``kick_fd`` is pending (VHOST_WORK_QUEUED)."""
    yield Do("vhost_poll_queue", frame)
    queued = world.kick_fd.pending > 0
    yield Do("vhost_work_queue", frame, detail={"already_queued": queued})
    if not queued:
        world.kick_fd.raise_(world.now())


def kicked(world: World, frame: int) -> Iterator[Action]:
    """On the vCPU, inside ``ioeventfd_write``: the eventfd's wait-queue callback is vhost's."""
    yield Do("vhost_poll_wakeup", frame, src="kvm", detail={"poll": "tx kick"})
    yield from _queue_work(world, frame)


def vhost_worker(world: World) -> Iterator[Action]:
    """The worker: sleep until work is queued, take it, run ``handle_tx_kick``."""
    runs_in = world.switches.vhost_worker
    while True:
        woken = not world.kick_fd.pending
        if woken:
            yield Wait((world.kick_fd,), EVENTFD_WAKEUP_NS)
        world.kick_fd.clear()  # llist_del_all; each work's QUEUED bit is cleared before it runs
        yield Do("vhost_worker", None, detail={"woken": woken, "runs_in": runs_in})
        yield Do("handle_tx_kick", None)
        yield from _handle_tx(world)


def _handle_tx(world: World) -> Iterator[Action]:
    """``handle_tx``: kicks off, then ``handle_tx_copy`` (experimental_zcopytx is 0)."""
    queue, xdp = _queue(world), world.switches.vhost_xdp_batch
    yield Do("handle_tx", None)
    queue.disable_notify()
    yield from with_ring(world, "vhost_disable_notify", None)
    yield Do("handle_tx_copy", None, detail={"zerocopy": False,
                                             "to_tun": "xdp_batch" if xdp else "sendmsg"})
    gathered = _Round()
    while True:
        if xdp and len(gathered.done) == VHOST_NET_BATCH:
            yield from _tx_batch(world, gathered)
        frame, stop = yield from _one_packet(world, gathered)
        if stop:  # nothing new and kicks are on again: wait for the next one
            break
        gathered.packets += 1
        exceeded = (gathered.packets >= VHOST_NET_PKT_WEIGHT
                    or gathered.bytes >= VHOST_NET_WEIGHT)
        yield Do("vhost_exceeds_weight", frame, detail={
            "packets": gathered.packets, "bytes": gathered.bytes, "exceeded": exceeded})
        if exceeded:  # the work queues itself again and the round ends
            yield from _queue_work(world, None)
            break
    if xdp:
        yield from _tx_batch(world, gathered)
    else:
        yield from _signal_used(world, gathered)


def _one_packet(world: World,
                gathered: _Round) -> Generator[Action, None, tuple[int | None, bool]]:
    """One turn of ``handle_tx_copy``'s loop: the frame it sent (None when the ring was
    empty), and whether the loop stops (empty, and kicks are on again); when buffers came
    meanwhile, kicks go off again and the loop goes on, as its ``continue`` does."""
    queue = _queue(world)
    element = queue.get_desc()  # read as get_tx_bufs starts, so the guest cannot slip in
    frame = None if element is None else world.frame_of(element.head)
    yield Do("get_tx_bufs", frame)
    if element is None:
        yield from with_ring(world, "vhost_get_vq_desc", None, head=queue.layout.size)
        more = queue.enable_notify()
        yield from with_ring(world, "vhost_enable_notify", None, more=more)
        if more:
            queue.disable_notify()
            yield from with_ring(world, "vhost_disable_notify", None)
        return None, not more
    yield from with_ring(world, "vhost_get_vq_desc", frame, head=element.head)
    payload = element_bytes(world, element.buffers)
    gathered.bytes += len(payload)
    hdr_len, tcp = world.path.offload.hdr_len, world.params.proto == "tcp"
    if world.switches.vhost_xdp_batch:
        if _fits_page(len(payload), hdr_len):
            yield Do("vhost_net_build_xdp", frame, detail={
                "bytes": len(payload) - hdr_len, "vnet_hdr": hdr_len})
            gathered.xdp.append((frame, payload))
            gathered.done.append(element)
            return frame, False
        # A superframe fits no page: flush the batch, then the packet goes alone.
        yield Do("vhost_net_build_xdp", frame, detail={"len": len(payload), "error": "ENOSPC"})
        yield from _tx_batch(world, gathered)
    more = gathered.bytes < VHOST_NET_WEIGHT and not queue.empty()
    yield Do("tun_sendmsg", frame, src="vhost", detail={"bytes": len(payload),
                                                        "msg_more": more})
    if tcp:
        yield from into_tun_gso(frame, payload, hdr_len)
    else:
        yield from into_tun(frame, payload, hdr_len)
    gathered.done.append(element)
    # 4.19 signals every 64 heads here; later ones leave that to the loop's vhost_tx_batch.
    if not world.switches.vhost_xdp_batch and len(gathered.done) >= VHOST_NET_BATCH:
        yield from _signal_used(world, gathered)
    return frame, False


def _fits_page(length: int, sock_hlen: int) -> bool:
    """``vhost_net_build_xdp``'s test: the packet, its pad and ``skb_shared_info`` in one
    page, or -ENOSPC (the tap has no XDP program, so no XDP headroom)."""
    pad = _cache_aligned(VHOST_NET_RX_PAD + sock_hlen)
    return _cache_aligned(length + pad) + _cache_aligned(SKB_SHARED_INFO) <= PAGE_SIZE


def _cache_aligned(length: int) -> int:
    """SKB_DATA_ALIGN: up to a 64-byte cache line."""
    return (length + 63) & ~63


def _tx_batch(world: World, gathered: _Round) -> Iterator[Action]:
    """``vhost_tx_batch``: one ``sendmsg`` carries every built buffer to ``tun_xdp_one``."""
    yield Do("vhost_tx_batch", None, detail={"batched": len(gathered.xdp)})
    if gathered.xdp:
        yield Do("tun_sendmsg", None, src="vhost", detail={
            "type": "TUN_MSG_PTR", "num": len(gathered.xdp)})
        hdr_len = world.path.offload.hdr_len
        for frame, payload in gathered.xdp:
            if world.params.proto == "tcp":
                yield from into_tun_gso(frame, payload, hdr_len, via="tun_xdp_one")
                continue
            parsed = parse_frame(payload[hdr_len:])
            yield Do("tun_xdp_one", frame, detail={"bytes": parsed.length, "vnet_hdr": hdr_len})
            yield Do("netif_receive_skb", frame, src="tun", detail={"dport": parsed.dst_port})
        gathered.xdp.clear()
    yield from _signal_used(world, gathered)


def _signal_used(world: World, gathered: _Round) -> Iterator[Action]:
    """``vhost_net_signal_used``: the gathered heads to the used ring, then maybe an interrupt
    through the call eventfd and KVM's irqfd."""
    yield Do("vhost_net_signal_used", None, detail={"heads": len(gathered.done)})
    if not gathered.done:
        return
    queue = _queue(world)
    frames = [world.frame_of(element.head) for element in gathered.done]
    frame = frames[0] if len(frames) == 1 else None
    yield Do("vhost_add_used_and_signal_n", frame, detail={"count": len(frames)})
    queue.add_used_n(gathered.done)
    yield from with_ring(world, "vhost_add_used_n", frame,
                         heads=[element.head for element in gathered.done])
    gathered.done.clear()
    yield Do("vhost_signal", frame)
    decision = queue.should_notify()
    yield from with_ring(world, "vhost_notify", frame, interrupt=decision.interrupt,
                         old=decision.old, new=decision.new, used_event=decision.used_event)
    if decision.interrupt:
        yield Do("eventfd_signal", frame, detail={"eventfd": "call"})
        yield Do("irqfd_wakeup", frame, src="vhost")
        yield Do("kvm_arch_set_irq_inatomic", frame, detail={"vector": "tx"})
        world.irq.raise_(world.now())
