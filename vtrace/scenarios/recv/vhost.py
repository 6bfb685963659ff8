"""vhost-net's side of the receive replay: the host kernel fills RX buffers, QEMU never runs.

tun's ``sk_data_ready`` (or the guest's kick, through its ioeventfd) runs
``vhost_poll_wakeup`` in the signaller's context, which queues a work for the
device's worker. The worker's ``handle_rx`` takes skbs from tun's ring in
batches, gets RX buffers, has ``tun_recvmsg`` copy header and frame straight
into guest memory, and signals used buffers through the call eventfd, a KVM
irqfd, into the guest. Without buffers it asks the guest for kicks and stops;
the packets stay in tun's ring until the guest refills and kicks.
"""

from __future__ import annotations

import struct
from collections.abc import Generator, Iterator

from vtrace.engine.sim import Action, Do, Wait
from vtrace.ring import Device, Element
from vtrace.scenarios.recv.qemu import NUM_BUFFERS_AT, scatter, taken_buffer
from vtrace.scenarios.recv.world import RecvWorld
from vtrace.scenarios.ringstate import note, with_ring
from vtrace.scenarios.send.device import EVENTFD_WAKEUP_NS

__all__ = ["RX_BATCH", "VHOST_NET_BATCH", "poll_wakeup", "vhost_worker"]

RX_BATCH = 64  # VHOST_NET_BATCH skbs taken from tun's ring in one ptr_ring_consume_batched
VHOST_NET_BATCH = 64  # used heads gathered before handle_rx signals them
WEIGHT_PACKETS = 256  # VHOST_NET_PKT_WEIGHT: a round ends after this many packets
WEIGHT_BYTES = 0x80000  # VHOST_NET_WEIGHT: or after this many bytes


def poll_wakeup(world: RecvWorld, frame: int | None, work: str, src: str) -> Iterator[Action]:
    """``vhost_poll_wakeup`` on a wait queue, in the context of whoever signalled it."""
    yield Do("vhost_poll_wakeup", frame, src=src)
    yield from _poll_queue(world, frame, work)


def _poll_queue(world: RecvWorld, frame: int | None, work: str) -> Iterator[Action]:
    yield Do("vhost_poll_queue", frame)
    fresh = work not in world.works
    yield Do("vhost_work_queue", frame, detail={"work": work, "queued": fresh})
    if fresh:
        world.works[work] = None
        world.work.raise_(world.now())


def vhost_worker(world: RecvWorld) -> Iterator[Action]:
    """The worker: sleep until works are queued, then run each (both run ``handle_rx``)."""
    while True:
        yield Wait((world.work,), EVENTFD_WAKEUP_NS)
        world.work.clear()
        yield Do("vhost_worker", None, detail={"works": len(world.works)})
        while world.works:
            work = next(iter(world.works))
            del world.works[work]
            yield Do(work, None)
            yield from _handle_rx(world)


def _handle_rx(world: RecvWorld) -> Iterator[Action]:
    """``handle_rx``: kicks and socket polling off, then packet by packet until tun's ring is
    empty, the buffers run out, or the round's weight is spent."""
    device = world.device
    yield Do("handle_rx", None)
    device.set_notification(False)
    yield from with_ring(world, "vhost_disable_notify", None)
    world.sock_polled = False
    done: list[tuple[int, Element, int]] = []
    packets = total = 0
    while True:
        data = yield from _peek(world)
        if data is None:
            world.sock_polled = True  # vhost_net_enable_vq: tun's data wakes the worker again
            break
        frame = world.vhost_batch[0][0]
        elements = yield from _get_rx_bufs(world, frame, len(data))
        if not elements:
            device.set_notification(True)
            more = not device.empty()
            yield from with_ring(world, "vhost_enable_notify", frame, more=more)
            if more:  # the guest slipped buffers in meanwhile: look again
                device.set_notification(False)
                yield from with_ring(world, "vhost_disable_notify", frame)
                continue
            yield note("handle_rx", frame, stalled=True, waiting=len(world.vhost_batch)
                       + len(world.tun_ring))
            break
        world.vhost_batch.popleft()
        yield from _recvmsg(world, frame, data, elements, done)
        if len(done) > VHOST_NET_BATCH:
            yield from _signal_used(world, done)
        packets += 1
        total += len(data)
        exceeded = packets >= WEIGHT_PACKETS or total >= WEIGHT_BYTES
        yield Do("vhost_exceeds_weight", frame, detail={"exceeded": exceeded})
        if exceeded:
            yield from _poll_queue(world, frame, "handle_rx_kick")
            break
    yield from _signal_used(world, done)


def _peek(world: RecvWorld) -> Generator[Action, None, bytes | None]:
    """``vhost_net_rx_peek_head_len``: the next packet, refilling vhost's batch from tun."""
    batch = world.vhost_batch
    frame = batch[0][0] if batch else None
    yield Do("vhost_net_rx_peek_head_len", frame)
    yield Do("vhost_net_buf_peek", frame)
    if not batch:
        taken = min(RX_BATCH, len(world.tun_ring))
        batch.extend(world.tun_ring.popleft() for _ in range(taken))
        yield Do("vhost_net_buf_produce", batch[0][0] if batch else None,
                 detail={"taken": taken, "left": len(world.tun_ring)})
    return batch[0][1] if batch else None


def _get_rx_bufs(world: RecvWorld, frame: int,
                 need: int) -> Generator[Action, None, list[Element]]:
    """``get_rx_bufs``: descriptor chains until they hold ``need`` bytes (one without
    mergeable buffers); none at all when the ring is empty."""
    device, elements, room = world.device, [], 0
    assert isinstance(device, Device)  # Linux's vhost-net has no packed ring
    yield Do("get_rx_bufs", frame, detail={"need": need})
    while room < need and not device.empty():
        element = device.pop()
        assert element is not None
        world.frame_at[element.head] = frame
        yield from with_ring(world, "vhost_get_vq_desc", frame,
                             **taken_buffer(element, need))
        elements.append(element)
        room += sum(buffer.length for buffer in element.buffers)
        if not world.params.mergeable:
            break
    assert not elements or room >= need  # a posted buffer always holds a whole frame
    return elements


def _recvmsg(world: RecvWorld, frame: int, data: bytes, elements: list[Element],
             done: list[tuple[int, Element, int]]) -> Iterator[Action]:
    """``tun_recvmsg`` with the skb vhost took: ``tun_put_user`` copies into guest memory."""
    yield Do("tun_recvmsg", frame, src="vhost")
    yield Do("tun_do_read", frame)
    yield Do("tun_put_user", frame, detail={"bytes": len(data), "into": "guest"})
    offset = 0
    for element in elements:
        copied = scatter(world, element, data, offset)
        offset += copied
        done.append((frame, element, copied))
    if world.params.mergeable:
        first = elements[0].buffers[0].addr
        struct.pack_into("<H", world.memory.bytes, first + NUM_BUFFERS_AT, len(elements))
        yield note("handle_rx", frame, num_buffers=len(elements))


def _signal_used(world: RecvWorld, done: list[tuple[int, Element, int]]) -> Iterator[Action]:
    """``vhost_net_signal_used``: the gathered heads onto the used ring, then one signal."""
    if not done:
        return
    device, count = world.device, len(done)
    assert isinstance(device, Device)
    frame = done[0][0] if count == 1 else None
    yield Do("vhost_net_signal_used", frame, detail={"count": count})
    yield Do("vhost_add_used_and_signal_n", frame)
    for index, (_, element, copied) in enumerate(done):
        device.fill(element, copied, index)
    device.flush(count)
    done.clear()
    yield from with_ring(world, "vhost_add_used_n", frame, count=count)
    yield Do("vhost_signal", frame)
    decision = device.should_notify()
    yield from with_ring(world, "vhost_notify", frame, interrupt=decision.interrupt,
                         old=decision.old, new=decision.new, used_event=decision.used_event)
    if decision.interrupt:
        yield Do("eventfd_signal", frame)
        yield Do("irqfd_wakeup", frame, src="vhost")
        yield Do("kvm_arch_set_irq_inatomic", frame, detail={"vector": "rx"})
        world.irq.raise_(world.now())
