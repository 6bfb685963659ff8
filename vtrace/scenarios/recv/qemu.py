"""QEMU's side of the receive replay: the tap's read handler, the net queue, virtio-net.

QEMU's main loop reads packets from the tap (``tap_send``, at most 50 a call),
passes each through its net layer to virtio-net, which pops RX buffers the
guest posted, copies header and frame into them, returns them on the used ring
and interrupts the guest. A packet that finds no buffer waits in the NIC's
incoming queue and QEMU stops reading the tap; the guest's next refill kicks
the RX queue, ``virtio_net_handle_rx`` delivers the waiting packet and its
callback, ``tap_send_completed``, reads the tap again.
"""

from __future__ import annotations

import struct
from collections.abc import Generator, Iterator
from typing import TypedDict

from vtrace.engine.kvm import msi_to_guest
from vtrace.engine.sim import Action, Do, Wait
from vtrace.ring import Element
from vtrace.ring_packed import PackedElement
from vtrace.scenarios.recv.tcp import header_fields
from vtrace.scenarios.recv.world import RecvWorld
from vtrace.scenarios.ringstate import fill_used, flush_used, note, ring_call, with_ring
from vtrace.scenarios.send.device import EVENTFD_WAKEUP_NS

__all__ = ["TAP_SEND_LIMIT", "NUM_BUFFERS_AT", "TakenBuffer", "qemu_main", "scatter",
           "taken_buffer"]

TAP_SEND_LIMIT = 50  # tap_send stops after this many packets, not to hog the global mutex
NUM_BUFFERS_AT = 10  # offsetof(struct virtio_net_hdr_mrg_rxbuf, num_buffers)


def scatter(world: RecvWorld, element: Element | PackedElement, data: bytes, offset: int) -> int:
    """``iov_from_buf``: copy ``data[offset:]`` into the element's buffers; bytes copied."""
    copied = 0
    for buffer in element.buffers:
        start = offset + copied
        if start >= len(data):
            break
        chunk = data[start : start + buffer.length]
        world.memory.write(buffer.addr, chunk)
        copied += len(chunk)
    return copied


class TakenBuffer(TypedDict):
    """What a device's take says of a buffer: its head, the guest address and length of its
    first descriptor (where a view first learns them), and the packet's bytes."""

    head: int
    addr: int
    len: int
    frame_len: int


def taken_buffer(element: Element | PackedElement, frame_len: int) -> TakenBuffer:
    """The detail of the take of ``element`` for a ``frame_len``-byte packet."""
    first = element.buffers[0]
    return TakenBuffer(head=element.head, addr=first.addr, len=first.length,
                       frame_len=frame_len)


def qemu_main(world: RecvWorld) -> Iterator[Action]:
    """The main loop: the RX queue's kick first, then the tap while it is read."""
    while True:
        if world.rx_kick.pending:
            world.rx_kick.clear()
            yield from _handle_rx(world)
        elif world.tap_polling and world.tun_ring:
            world.tap_fd.clear()
            yield from _tap_send(world)
        else:
            watched = (world.tap_fd, world.rx_kick) if world.tap_polling else (world.rx_kick,)
            yield Wait(watched, EVENTFD_WAKEUP_NS)
            world.tap_fd.clear()


def _tap_send(world: RecvWorld) -> Iterator[Action]:
    yield Do("tap_send", None)
    for _ in range(TAP_SEND_LIMIT):
        frame = world.tun_ring[0][0] if world.tun_ring else None
        yield Do("tap_read_packet", frame, detail={"syscall": "read"})
        yield Do("tun_chr_read_iter", frame, src="tap")
        yield Do("tun_do_read", frame)
        if not world.tun_ring:
            yield Do("tun_ring_recv", None, detail={"errno": "EAGAIN"})
            return
        frame, data = world.tun_ring.popleft()
        yield Do("tun_ring_recv", frame, detail={"left": len(world.tun_ring)})
        detail: dict[str, object] = {"bytes": len(data), "into": "qemu"}
        if world.tcp:
            detail["vnet_hdr_hex"] = data[:world.hdr_len].hex()
        yield Do("tun_put_user", frame, detail=detail)
        if not (yield from _send_async(world, frame, data)):
            yield from _read_poll(world, frame, enable=False)
            return


def _read_poll(world: RecvWorld, frame: int | None, *, enable: bool) -> Iterator[Action]:
    world.tap_polling = enable
    yield Do("tap_read_poll", frame, detail={"enable": enable})


def _send_async(world: RecvWorld, frame: int, data: bytes) -> Generator[Action, None, int]:
    """``qemu_send_packet_async`` to ``qemu_net_queue_send``: delivered size, or 0 (queued)."""
    yield Do("qemu_send_packet_async", frame, src="tap", detail={"sent_cb": "tap_send_completed"})
    yield Do("qemu_send_packet_async_with_flags", frame)
    yield Do("qemu_net_queue_send", frame)
    yield Do("qemu_can_send_packet", frame)
    yield Do("virtio_net_can_receive", frame, src="net-queue", detail={"ok": True})
    size = yield from _deliver(world, frame, data)
    if size == 0:
        world.net_queue.append((frame, data))
        yield Do("qemu_net_queue_append", frame, src="net-queue",
                 detail={"queued": len(world.net_queue)})
        return 0
    yield Do("qemu_net_queue_flush", frame, src="net-queue",
             detail={"queued": len(world.net_queue)})
    return size


def _deliver(world: RecvWorld, frame: int, data: bytes) -> Generator[Action, None, int]:
    yield Do("qemu_net_queue_deliver", frame, src="net-queue")
    yield Do("qemu_deliver_packet_iov", frame)
    yield Do("nc_sendv_compat", frame)
    yield Do("virtio_net_receive", frame, src="net-queue")
    yield Do("virtio_net_do_receive", frame)
    return (yield from _receive_rcu(world, frame, data))


def _receive_rcu(world: RecvWorld, frame: int, data: bytes) -> Generator[Action, None, int]:
    """``virtio_net_receive_rcu``: room, filter, pop and copy, fill, flush, notify."""
    yield Do("virtio_net_receive_rcu", frame, detail={"size": len(data)})
    yield Do("virtio_net_can_receive", frame, detail={"ok": True})
    if not (yield from _has_buffers(world, frame, len(data))):
        return 0
    yield Do("receive_filter", frame, detail={"accept": True})
    device, mergeable = world.device, world.params.mergeable
    elements: list[tuple[Element | PackedElement, int]] = []
    offset = 0
    while offset < len(data):
        if world.ring_reader != "virtqueue_pop":
            yield Do("virtqueue_pop", frame)
        world.slot = device.last_avail_idx
        element = device.pop()
        assert element is not None  # virtio_net_has_buffers saw room for the whole packet
        world.frame_at[element.head] = frame
        yield from with_ring(world, world.ring_reader, frame,
                             **taken_buffer(element, len(data)))
        if not elements:
            fields = header_fields(data[:world.hdr_len]) if world.tcp else {}
            yield Do("receive_header", frame, detail={"bytes": len(data),
                                                      "mergeable": mergeable, **fields})
        copied = scatter(world, element, data, offset)
        offset += copied
        elements.append((element, copied))
        if world.switches.fill_in_pop_loop:
            yield from fill_used(world, frame, element, copied, len(elements) - 1)
    if mergeable:
        first = elements[0][0].buffers[0].addr
        struct.pack_into("<H", world.memory.bytes, first + NUM_BUFFERS_AT, len(elements))
        yield note("virtio_net_receive_rcu", frame, num_buffers=len(elements))
    if not world.switches.fill_in_pop_loop:
        for index, (element, copied) in enumerate(elements):
            yield from fill_used(world, frame, element, copied, index)
    yield from flush_used(world, frame, len(elements))
    yield from _notify(world, frame)
    return len(data)


def _has_buffers(world: RecvWorld, frame: int, need: int) -> Generator[Action, None, bool]:
    """``virtio_net_has_buffers``: room for ``need`` bytes; without, notifications go on so
    that the guest's refill kicks, and the check runs once more."""
    device = world.device
    yield Do("virtio_net_has_buffers", frame, detail={"need": need})
    if not _room(world, need):
        device.set_notification(True)
        if world.rearm == "virtio_queue_enable_notification_and_check":
            yield from ring_call(world, world.rearm, frame, added=_room(world, need))
        else:
            yield from ring_call(world, world.rearm, frame, enable=True)
        if not _room(world, need):
            return False
    device.set_notification(False)
    yield from ring_call(world, "virtio_queue_set_notification", frame, enable=False)
    return True


def _room(world: RecvWorld, need: int) -> bool:
    if world.params.mergeable:
        return world.device.avail_bytes() >= need
    return not world.device.empty()


def _notify(world: RecvWorld, frame: int) -> Iterator[Action]:
    decision = world.device.should_notify()
    yield from ring_call(world, "virtio_notify", frame, interrupt=decision.interrupt,
                         old=decision.old, new=decision.new, used_event=decision.used_event)
    if decision.interrupt:
        yield Do("msix_notify", frame, detail={"vector": "rx"})
        yield from msi_to_guest(frame)
        world.irq.raise_(world.now())


def _handle_rx(world: RecvWorld) -> Iterator[Action]:
    """The RX queue's kick: deliver what waits in the NIC's queue; its callback reads the tap
    again."""
    yield Do("virtio_queue_host_notifier_read", None, src="kvm")
    yield Do("virtio_queue_notify_vq", None)
    yield Do("virtio_net_handle_rx", None)
    yield Do("qemu_flush_queued_packets", None, src="virtio-net",
             detail={"queued": len(world.net_queue)})
    yield Do("qemu_net_queue_flush", None, detail={"queued": len(world.net_queue)})
    while world.net_queue:
        frame, data = world.net_queue[0]
        if not (yield from _deliver(world, frame, data)):
            return  # still no room: it stays at the head of the queue
        world.net_queue.popleft()
        yield Do("tap_send_completed", frame, src="net-queue")
        yield from _read_poll(world, frame, enable=True)
