"""The host's side of the receive replay: a program sends UDP datagrams, or TCP, to the guest.

Each datagram (or TCP superframe, ``recv.tcp``) goes down the host's stack to
the tap's ``tun_net_xmit``, which queues it on the tun file's ring (dropping it
when the ring is full) and wakes the reader: QEMU's main loop polling the tap
fd, or with vhost-net the worker's poll entry on tun's socket, while vhost
polls it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from vtrace.catalog import ERAS
from vtrace.engine.sim import Action, Do, Thread, Wait
from vtrace.frames import MIN_FRAME, VnetHeader, build_frame
from vtrace.offload import gso_segments, virtio_net_hdr_from_skb
from vtrace.scenarios.multiqueue import endpoints_of, rx_pick, tagged
from vtrace.scenarios.recv.gro import host_segments
from vtrace.scenarios.recv.tcp import host_superframe
from vtrace.scenarios.recv.vhost import poll_wakeup
from vtrace.scenarios.recv.world import HOST_TO_GUEST, TUN_QUEUE, RecvWorld, negotiated_hdr_len

__all__ = ["host_sender", "sent_buffer", "udp_buffer"]


def host_sender(world: RecvWorld, thread: Thread,
                worlds: Sequence[RecvWorld] = ()) -> Iterator[Action]:
    """The host's program; with several queues' ``worlds``, each frame goes to the tap queue
    of the RX queue its flow's RSS hash picks, and its events say which (``detail.queue``)."""
    params = world.params
    picked = [rx_pick(flow, params.queues, HOST_TO_GUEST).queue
              for flow in range(params.flows)] if worlds else []
    for first in range(0, params.frames, params.batch):
        if first:
            yield Wait((), 0, thread.clock + params.interval_ns)
        for frame in range(first, min(first + params.batch, params.frames)):
            if worlds:
                queue = picked[frame % params.flows]
                yield from tagged(_send(worlds[queue], frame), queue, 2 * queue, {})
            else:
                yield from _send(world, frame)


def _send(world: RecvWorld, frame: int) -> Iterator[Action]:
    size = world.params.size
    if world.gro.segmented:
        for data in (yield from host_segments(world, frame)):
            yield from _to_tun(world, frame, data)
        return
    if world.tcp:
        skb = host_superframe(frame, size)
        yield Do("host_sys_sendto", frame, detail={"bytes": size})
        yield Do("host_tcp_sendmsg", frame, detail={
            "gso_size": skb.gso_size, "segments": gso_segments(size, skb.gso_size or size)})
        data = virtio_net_hdr_from_skb(skb).pack(world.hdr_len) + skb.frame
    else:
        yield Do("host_sys_sendto", frame, detail={"bytes": size - MIN_FRAME})
        yield Do("host_udp_sendmsg", frame)
        # tun_put_user will put the header the skb's state gives in front: checksum complete.
        data = udp_buffer(frame, size, world.params.flows, world.hdr_len)
    yield Do("host_dev_queue_xmit", frame)
    yield from _to_tun(world, frame, data)


def _to_tun(world: RecvWorld, frame: int, data: bytes) -> Iterator[Action]:
    """``tun_net_xmit`` of one packet: onto the tun file's ring, or dropped when it is full;
    then the reader is woken."""
    full = len(world.tun_ring) >= TUN_QUEUE
    yield Do("tun_net_xmit", frame, src="host-stack",
             detail={"queued": len(world.tun_ring) + (not full), "dropped": full})
    if full:
        world.dropped.append(frame)
        return
    world.tun_ring.append((frame, data))
    yield Do("tun_sk_data_ready", frame)
    if world.vhost:
        if world.sock_polled:
            yield from poll_wakeup(world, frame, "handle_rx_net", src="tun")
    elif world.tap_polling:
        world.tap_fd.raise_(world.now())


def udp_buffer(frame: int, size: int, flows: int, header_length: int) -> bytes:
    """A UDP frame as tun_put_user hands it over: the ``header_length``-byte header the
    skb's state gives (checksum complete), then the frame of ``frame``'s flow."""
    return VnetHeader().pack(header_length) + build_frame(
        frame, size, endpoints_of(HOST_TO_GUEST, frame % flows))


def sent_buffer(params: Mapping[str, Any], frame: int) -> bytes | None:
    """What the host sent as ``frame`` of a replay with ``params``; None for TCP, whose
    header length follows the negotiated features."""
    if params.get("proto") == "tcp" or params.get("era") not in ERAS:
        return None
    length = negotiated_hdr_len(ERAS[params["era"]], bool(params.get("mergeable", True)))
    return udp_buffer(frame, int(params["size"]), int(params.get("flows", 1)), length)
