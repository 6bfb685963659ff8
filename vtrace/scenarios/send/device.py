"""QEMU's side of the send replay: the kick handler, the TX bottom half, the tap and tun.

QEMU's main loop wakes on the kick's eventfd, defers the work to a bottom
half, and the bottom half drains the ring: each element goes through the
net layer to the tap, into the host kernel's tun driver, and back to the
guest as a used entry, with an MSI-X interrupt when the guest asked for one: QEMU
writes the MSI message, KVM_SIGNAL_MSI hands it to KVM, and KVM's local APIC of the
vCPU accepts it.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable, Iterator, Sequence

from vtrace.engine.kvm import msi_to_guest
from vtrace.engine.sim import Action, Do, Wait
from vtrace.frames import VNET_HDR_SIZE, VnetHeader, parse_frame
from vtrace.offload import gso_segments, virtio_net_hdr_to_skb
from vtrace.ring import Buffer
from vtrace.scenarios.ringstate import fill_used, flush_used, indirect_read, ring_call
from vtrace.scenarios.send.world import World, with_ring

__all__ = ["EVENTFD_WAKEUP_NS", "TX_BURST", "element_bytes", "handle_tx_bh", "into_tun",
           "into_tun_gso", "qemu_main"]

TX_BURST = 256  # virtio-net's default x-txburst
EVENTFD_WAKEUP_NS = 2500  # a sleeping main loop noticing its eventfd


def handle_tx_bh(world: World, frame: int | None) -> Iterator[Action]:
    """``virtio_net_handle_tx_bh``: defer the work to the bottom half."""
    scheduled = world.tx_waiting
    yield Do("virtio_net_handle_tx_bh", frame, detail={"tx_waiting": True})
    if not scheduled:
        yield from _reschedule(world, frame, notifications_off=True)


def _flush_tx(world: World) -> Generator[Action, None, int]:
    """``virtio_net_flush_tx``: pop, send, push, maybe interrupt; returns how many it sent."""
    device, sent = world.device, 0
    yield Do("virtio_net_flush_tx", None)
    while sent < TX_BURST:
        if device.empty():  # virtqueue_pop finds nothing: the loop ends
            break
        frame = world.frame_of(device.next_head())
        if world.ring_reader != "virtqueue_pop":
            yield Do("virtqueue_pop", frame)
        world.slot = device.last_avail_idx
        element = device.pop()
        assert element is not None  # the guest only ever adds
        yield from with_ring(world, world.ring_reader, frame, head=element.head,
                             **indirect_read(element))
        payload = element_view(world, element.buffers)
        yield Do("qemu_sendv_packet_async", frame, src="virtio-net",
                 detail={"iov": len(element.buffers)})
        yield Do("qemu_net_queue_send_iov", frame)
        yield Do("qemu_deliver_packet_iov", frame)
        yield Do("tap_receive_iov", frame, src="net-queue", detail={"using_vnet_hdr": True})
        yield Do("tap_write_packet", frame, detail={"syscall": "writev", "bytes": len(payload)})
        yield Do("tun_chr_write_iter", frame, src="tap", detail={"bytes": len(payload)})
        hdr_len = world.path.offload.hdr_len
        if world.params.proto == "tcp":
            yield from into_tun_gso(frame, payload, hdr_len)
        else:
            yield from into_tun(frame, payload, hdr_len)
        # virtqueue_push: fill the used entry (nothing written into a TX buffer), publish it.
        yield Do("virtqueue_push", frame, src="tap", detail={"head": element.head})
        yield from fill_used(world, frame, element, 0, 0)
        yield from flush_used(world, frame, 1)
        decision = device.should_notify()
        yield from ring_call(world, "virtio_notify", frame, interrupt=decision.interrupt,
                              old=decision.old, new=decision.new,
                              used_event=decision.used_event)
        if decision.interrupt:
            yield Do("msix_notify", frame, detail={"vector": "tx"})
            yield from msi_to_guest(frame)
            world.irq.raise_(world.now())
        sent += 1
    return sent


def element_bytes(world: World, buffers: Iterable[Buffer]) -> bytes:
    """The bytes an element's buffers hold, copied out of guest memory once (a 64 KiB
    superframe's copies add up)."""
    view = memoryview(world.memory.bytes)
    return b"".join(view[buffer.addr:buffer.addr + buffer.length] for buffer in buffers)


def element_view(world: World, buffers: Sequence[Buffer]) -> memoryview:
    """The bytes of an element whose buffers lie back to back, in place in guest memory (a
    TCP send's header, headers and fragments do); copied when they do not. The device
    uses them before it returns the element, so the guest cannot overwrite them meanwhile."""
    if all(buffer.addr + buffer.length == after.addr
           for buffer, after in zip(buffers, buffers[1:], strict=False)):
        start = buffers[0].addr
        end = buffers[-1].addr + buffers[-1].length
        return memoryview(world.memory.bytes)[start:end]
    return memoryview(element_bytes(world, buffers))


def into_tun(frame: int | None, payload: bytes | memoryview,
             hdr_len: int = VNET_HDR_SIZE) -> Iterator[Action]:
    """``tun_get_user``: the vnet header and frame copied into an skb, handed to the stack."""
    parsed = parse_frame(bytes(payload[hdr_len:]))
    yield Do("tun_get_user", frame, detail={
        "bytes": parsed.length, "vnet_hdr": hdr_len,
        "checksums_ok": parsed.ip_checksum_ok and parsed.udp_checksum_ok})
    yield Do("tun_rx_batched", frame)
    yield Do("netif_receive_skb", frame, src="tun", detail={"dport": parsed.dst_port})


def into_tun_gso(frame: int | None, payload: bytes | memoryview, hdr_len: int = VNET_HDR_SIZE,
                 via: str = "tun_get_user") -> Iterator[Action]:
    """``tun_get_user`` (or ``tun_xdp_one`` for a vhost-net batch) with the guest's header:
    ``virtio_net_hdr_to_skb`` turns it into the skb's checksum and gso fields; a GSO
    superframe is cut into wire frames only when it leaves the host (``skb_gso_segment`` on
    a device that cannot segment), never when it is delivered locally; a segment the guest
    already cut leaves as it is."""
    header = VnetHeader.unpack(bytes(payload[:hdr_len]))
    superframe = memoryview(payload)[hdr_len:]  # read in place: 64 KiB copies add up
    skb = virtio_net_hdr_to_skb(header, superframe)
    detail: dict[str, object] = {"bytes": len(superframe), "vnet_hdr": hdr_len}
    yield Do(via, frame, detail={**detail, "gso_size": header.gso_size})
    yield Do("virtio_net_hdr_to_skb", frame, detail={
        "gso_type": sorted(skb.gso_type), "gso_size": skb.gso_size,
        "checksum_partial": skb.checksum_partial, "csum_start": skb.csum_start,
        "csum_offset": skb.csum_offset})
    if via == "tun_get_user":
        yield Do("tun_rx_batched", frame)
    yield Do("netif_receive_skb", frame, src="tun", detail={"gso": bool(skb.gso_size)})
    if skb.gso_size:
        segments = gso_segments(len(superframe) - header.hdr_len, header.gso_size)
        yield Do("skb_gso_segment", frame, src="host-stack", detail={"bytes": len(superframe)})
        yield Do("tcp_gso_segment", frame, detail={"mss": header.gso_size, "segments": segments})


def _tx_bh(world: World) -> Iterator[Action]:
    """``virtio_net_tx_bh``: flush, re-enable notifications, flush once more."""
    world.tx_bh.clear()
    world.tx_waiting = False
    yield Do("virtio_net_tx_bh", None)
    sent = yield from _flush_tx(world)
    if sent >= TX_BURST:  # a full burst: more is surely coming, notifications stay off
        yield from _reschedule(world, None, notifications_off=False)
        return
    world.device.set_notification(True)
    yield from ring_call(world, "virtio_queue_set_notification", None, enable=True)
    sent = yield from _flush_tx(world)
    if sent > 0:
        yield from _reschedule(world, None, notifications_off=True)


def _reschedule(world: World, frame: int | None, *, notifications_off: bool) -> Iterator[Action]:
    """Turn notifications off when asked, then schedule the TX bottom half.

    QEMU 10.2 schedules through record/replay's wrapper; older ones call qemu_bh_schedule.
    """
    world.tx_waiting = True
    if notifications_off:
        world.device.set_notification(False)
        yield from ring_call(world, "virtio_queue_set_notification", frame, enable=False)
    yield Do("replay_bh_schedule_event", frame, detail={"bh": "tx_bh"})
    yield Do("qemu_bh_schedule", frame, detail={"bh": "tx_bh"})
    world.tx_bh.raise_(world.now())


def qemu_main(world: World) -> Iterator[Action]:
    while True:
        yield Wait((world.kick_fd, world.tx_bh), EVENTFD_WAKEUP_NS)
        if world.kick_fd.pending:
            world.kick_fd.clear()
            yield Do("virtio_queue_host_notifier_read", None, src="kvm")
            yield Do("virtio_queue_notify_vq", None)
            yield from handle_tx_bh(world, None)
        if world.tx_bh.pending:
            yield from _tx_bh(world)
