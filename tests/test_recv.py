"""The receive replay: RX ring invariants, ring bytes, the stall and restart, eras, back ends."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vtrace.catalog import ERAS, era
from vtrace.frames import VNET_HDR_SIZE, parse_frame
from vtrace.model import Event, Kind
from vtrace.ring import (
    VRING_DESC_F_INDIRECT,
    VRING_DESC_F_NEXT,
    VRING_DESC_F_WRITE,
    Driver,
    RingLayout,
)
from vtrace.scenarios.recv import RECV, RecvParams, recv
from vtrace.scenarios.recv.guest import run_world
from vtrace.scenarios.recv.world import BIG_CHAIN, TUN_QUEUE, RecvWorld
from vtrace.tally import Tally

BACKENDS = ("qemu", "vhost-net")


def _run(era_name: str = "modern", seed: int = 1, **given: object) -> tuple[RecvWorld,
                                                                           list[Event]]:
    world, events = run_world(RecvParams(**given), era(era_name), seed)  # type: ignore[arg-type]
    return world, list(events)


def _tally(events: list[Event]) -> Tally:
    tally = Tally(RECV.calls, RECV.notes)
    for event in events:
        tally.add(event)
    return tally


@settings(max_examples=60)
@given(frames=st.integers(1, 120), batch=st.integers(1, 120),
       queue_size=st.sampled_from((32, 64, 256)), rx_buffers=st.integers(0, 300),
       era_name=st.sampled_from(sorted(ERAS)), backend=st.sampled_from(BACKENDS),
       mergeable=st.booleans(), event_idx=st.booleans(), budget=st.sampled_from((1, 8, 64)),
       interval_ns=st.sampled_from((0, 20_000)))
def test_the_rx_ring_loses_nothing(frames: int, batch: int, queue_size: int, rx_buffers: int,
                                   era_name: str, backend: str, mergeable: bool,
                                   event_idx: bool, budget: int, interval_ns: int) -> None:
    world, events = _run(era_name, frames=frames, batch=batch, queue_size=queue_size,
                         rx_buffers=rx_buffers, backend=backend, mergeable=mergeable,
                         event_idx=event_idx, napi_budget=budget, interval_ns=interval_ns)
    driver, device = world.driver, world.device
    assert isinstance(driver, Driver)
    # Every frame reached the application exactly once, in order, unless tun dropped it.
    assert not world.dropped  # fewer than TUN_QUEUE frames can never fill tun's ring
    assert world.delivered == list(range(frames))
    # Nothing is left in flight: every used buffer was taken back, no queue holds a packet.
    assert device.inuse == 0 and driver.last_used_idx == device.used_idx
    assert not (world.tun_ring or world.net_queue or world.vhost_batch or world.frame_at)
    # No descriptor leaks: the free ones plus the chains still posted make the whole table.
    posted = (driver.avail_idx_shadow - device.last_avail_idx) & 0xFFFF
    per_chain = 1 if mergeable or world.indirect else BIG_CHAIN  # a big one goes indirect
    assert driver.num_free + posted * per_chain == queue_size
    # Every buffer posted was used or is still posted.
    tally = _tally(events)
    assert tally["buffers_posted"] == tally["buffers_used"] + posted
    assert tally["buffers_used"] == frames  # one buffer holds a whole frame
    assert tally["frames"] == frames
    assert all(e.detail.get("checksums_ok") for e in events if e.step == "udp_rcv")
    assert [e.t_ns for e in events] == sorted(e.t_ns for e in events)


def test_tun_drops_what_its_full_ring_cannot_hold() -> None:
    """A burst larger than tun's ring while the guest has no buffer: tun drops the excess, and
    every frame it kept still reaches the application exactly once."""
    frames = 4 * TUN_QUEUE
    world, events = _run(frames=frames, batch=frames, rx_buffers=0, interval_ns=0)
    assert world.dropped and len(world.dropped) + len(world.delivered) == frames
    assert sorted(world.delivered + world.dropped) == list(range(frames))
    assert world.delivered == sorted(world.delivered)
    drops = [e for e in events if e.step == "tun_net_xmit" and e.detail["dropped"]]
    assert [e.frame for e in drops] == world.dropped


@pytest.mark.parametrize("mergeable", [True, False])
def test_an_rx_descriptor_is_device_writable_at_the_spec_offsets(mergeable: bool) -> None:
    world, stream = run_world(RecvParams(frames=1, queue_size=32, rx_buffers=1,
                                         mergeable=mergeable), era("modern"), 1)
    # The ring as the guest finds it when the interrupt comes: used, not yet refilled.
    next(event for event in stream if event.step == "vring_interrupt")
    memory, layout = world.memory, world.memory.layout
    assert isinstance(layout, RingLayout)
    head = memory.u16(layout.avail_ring(0))
    addr, length, flags, following = struct.unpack_from("<QIHH", memory.bytes,
                                                        layout.descriptor(head))
    if mergeable:
        # A one-buffer chain's next holds its free-list successor, as Linux 6.1 writes it;
        # 32 buffers must hold 64 KiB: min_buf_len 2037, with the header to 64 bytes 2112.
        assert addr == memory.slot_address(head)
        assert (length, flags, following) == (2112, VRING_DESC_F_WRITE, head + 1)
    else:  # one indirect descriptor; the table's first entry is the writable header
        assert (length, flags) == (19 * 16, VRING_DESC_F_INDIRECT)
        header = struct.unpack_from("<QIHH", memory.bytes, addr)
        assert header == (memory.slot_address(head), VNET_HDR_SIZE,
                          VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1)
    # The used entry at offset 0 of used->ring names that head with the bytes written.
    used_head, written = struct.unpack_from("<II", memory.bytes, layout.used_ring(0))
    assert used_head == head and written == VNET_HDR_SIZE + 128
    assert memory.u16(layout.used_idx) == 1 and memory.u16(layout.avail_idx) >= 1


@pytest.mark.parametrize(("era_name", "hdr_len"), [("lesson", 12), ("modern", 12),
                                                  ("newest", 24)])
def test_the_frame_in_guest_memory_is_the_real_one(era_name: str, hdr_len: int) -> None:
    # vi->hdr_len of the era's features: Linux 7.2 with QEMU 10.2 takes UDP tunnel GSO.
    world, _ = _run(era_name, frames=1, queue_size=32)
    memory, layout = world.memory, world.memory.layout
    assert isinstance(layout, RingLayout)
    head, written = struct.unpack_from("<II", memory.bytes, layout.used_ring(0))
    data = memory.read(memory.slot_address(head), written)
    (num_buffers,) = struct.unpack_from("<H", data, 10)
    assert data[12:hdr_len] == bytes(hdr_len - 12)  # no hash, no tunnel offsets
    parsed = parse_frame(data[hdr_len:])
    assert world.hdr_len == hdr_len and num_buffers == 1
    assert parsed.ip_checksum_ok and parsed.udp_checksum_ok
    assert (parsed.src_ip, parsed.dst_ip, parsed.dst_port) == (bytes((10, 0, 2, 2)),
                                                                bytes((10, 0, 2, 15)), 9)


def _calls(events: list[Event], frame: int | None = None) -> list[str]:
    return [e.step for e in events if e.kind is Kind.CALL and (frame is None or e.frame == frame)]


@pytest.mark.parametrize("era_name", sorted(ERAS))
def test_no_buffer_stalls_qemu_until_the_guest_refills_and_kicks(era_name: str) -> None:
    world, events = _run(era_name, frames=1, rx_buffers=0)
    steps = _calls(events)
    queued = steps.index("qemu_net_queue_append")
    stop = steps.index("tap_read_poll")
    assert steps[queued - 2:queued] == ["virtio_net_has_buffers",
                                         world.rearm] and queued < stop
    poll_off = next(e for e in events if e.step == "tap_read_poll")
    assert poll_off.detail == {"enable": False}
    # Linux 7.2 has no refill_work (a failed refill makes NAPI poll again): the refill starts
    # at try_fill_recv there
    work = ["refill_work"] if "refill_work" in steps else []
    restart = steps[steps.index((work or ["try_fill_recv"])[0], stop):]
    expected = [*work, "try_fill_recv", "virtqueue_kick_prepare", "virtqueue_notify",
                "vp_notify", "handle_ept_misconfig", "kvm_io_bus_write", "ioeventfd_write",
                "virtio_queue_host_notifier_read", "virtio_queue_notify_vq",
                "virtio_net_handle_rx", "qemu_flush_queued_packets", "qemu_net_queue_flush",
                "qemu_net_queue_deliver"]
    assert [s for s in restart if s in expected][:len(expected)] == expected
    after = restart[restart.index("qemu_net_queue_deliver"):]
    assert after.index("virtio_notify") < after.index("tap_send_completed") < \
        after.index("tap_read_poll")
    assert [e.detail for e in events if e.step == "tap_read_poll"] == [
        {"enable": False}, {"enable": True}]
    tally = _tally(events)
    assert (tally["stalls"], tally["packets_queued"], tally["kicks"]) == (1, 1, 1)
    assert world.delivered == [0]


def test_no_buffer_stalls_vhost_until_the_kick_wakes_its_worker() -> None:
    world, events = _run(frames=2, rx_buffers=0, backend="vhost-net", interval_ns=0)
    stall = next(e for e in events if e.kind is Kind.NOTE and e.step == "handle_rx")
    assert stall.detail["stalled"] is True
    steps = _calls(events)
    kick = steps.index("ioeventfd_write")
    assert steps[kick + 1:kick + 6] == ["vhost_poll_wakeup", "vhost_poll_queue",
                                        "vhost_work_queue", "vhost_worker", "handle_rx_kick"]
    assert "tap_send" not in steps and "virtio_net_receive" not in steps  # no QEMU at all
    assert {e.thread for e in events} == {"vcpu0", "vhost-worker", "host-sender"}
    assert world.delivered == [0, 1]


CHAIN_QEMU_HOST = ["host_sys_sendto", "host_udp_sendmsg", "host_dev_queue_xmit", "tun_net_xmit",
                   "tun_sk_data_ready", "tap_read_packet", "tun_chr_read_iter", "tun_do_read",
                   "tun_ring_recv", "tun_put_user", "qemu_send_packet_async",
                   "qemu_send_packet_async_with_flags", "qemu_net_queue_send",
                   "qemu_can_send_packet", "virtio_net_can_receive", "qemu_net_queue_deliver",
                   "qemu_deliver_packet_iov", "nc_sendv_compat", "virtio_net_receive"]
CHAIN_VHOST = ["host_sys_sendto", "host_udp_sendmsg", "host_dev_queue_xmit", "tun_net_xmit",
               "tun_sk_data_ready", "vhost_poll_wakeup", "vhost_poll_queue", "vhost_work_queue",
               "vhost_net_buf_produce", "get_rx_bufs", "vhost_get_vq_desc", "tun_recvmsg",
               "tun_do_read", "tun_put_user", "handle_rx", "vhost_exceeds_weight",
               "vhost_net_signal_used", "vhost_add_used_and_signal_n", "vhost_add_used_n",
               "vhost_signal", "vhost_notify", "eventfd_signal", "irqfd_wakeup",
               "kvm_arch_set_irq_inatomic"]
UDP_419 = ["netif_receive_skb_internal", "ip_rcv", "ip_local_deliver", "udp_rcv",
           "__udp4_lib_rcv", "udp_queue_rcv_skb", "sock_def_readable"]
APP = ["recvfrom", "__sys_recvfrom", "udp_recvmsg"]
GUEST = {
    "lesson": ["virtqueue_get_buf_ctx", "receive_buf", "receive_mergeable", "page_to_skb",
               "napi_gro_receive", "dev_gro_receive", *UDP_419, *APP],
    "modern": ["virtqueue_get_buf_ctx", "receive_buf", "receive_mergeable", "page_to_skb",
               "napi_gro_receive", "dev_gro_receive", "gro_normal_one", "ip_local_deliver",
               "udp_rcv", "__udp4_lib_rcv", "udp_queue_rcv_skb", "sock_def_readable", *APP],
    "newest": ["virtnet_rq_get_buf", "virtqueue_get_buf_ctx", "receive_buf", "receive_mergeable",
               "page_to_skb", "virtnet_receive_done", "napi_gro_receive", "dev_gro_receive",
               "gro_normal_one", "ip_local_deliver", "udp_rcv", "udp_queue_rcv_skb",
               "sock_def_readable", *APP],
}
#: QEMU's MSI message on its way through KVM into the guest's APIC.
MSI = ["msi_send_message", "kvm_apic_mem_write", "kvm_irqchip_send_msi",
       "kvm_send_userspace_msi", "kvm_set_msi", "__apic_accept_irq"]
#: virtio_net_receive_rcu from the room check to the interrupt: 3.1 fills inside the pop loop,
#: before num_buffers is written; 7.2 and 10.2 after it, through their split-ring bodies.
DEVICE = {
    "lesson": ["virtio_net_receive_rcu", "virtio_net_can_receive", "virtio_net_has_buffers",
               "virtio_queue_set_notification", "receive_filter", "virtqueue_pop",
               "receive_header", "virtqueue_fill", "virtio_net_receive_rcu", "virtqueue_flush",
               "virtio_notify", "msix_notify", *MSI, "qemu_net_queue_flush"],
    "modern": ["virtio_net_do_receive", "virtio_net_receive_rcu", "virtio_net_can_receive",
               "virtio_net_has_buffers", "virtio_queue_set_notification", "receive_filter",
               "virtqueue_pop", "virtqueue_split_pop", "receive_header", "virtio_net_receive_rcu",
               "virtqueue_fill", "virtqueue_split_fill", "virtqueue_flush",
               "virtqueue_split_flush", "virtio_notify", "msix_notify", *MSI,
               "qemu_net_queue_flush"],
}
DEVICE["newest"] = DEVICE["modern"]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("era_name", sorted(ERAS))
def test_frame_zero_takes_the_eras_path(era_name: str, backend: str) -> None:
    _, events = _run(era_name, frames=1, backend=backend)
    found = [e.step for e in events if e.frame == 0 and e.kind in (Kind.CALL, Kind.NOTE)
             and (e.kind is Kind.CALL or e.step in ("virtio_net_receive_rcu", "handle_rx"))]
    if backend == "qemu":
        expected = CHAIN_QEMU_HOST + DEVICE[era_name] + GUEST[era_name]
    else:
        expected = CHAIN_VHOST + GUEST[era_name]
    assert found == expected


def test_the_eras_refill_at_their_thresholds() -> None:
    """4.19 refills past half the ring; 6.1 and 7.2 past half of min(budget, ring)."""
    for era_name, refills in (("lesson", False), ("modern", True), ("newest", True)):
        _, events = _run(era_name, frames=40, batch=40, queue_size=256, interval_ns=0)
        assert any(e.step == "try_fill_recv" and e.detail.get("gfp") == "GFP_ATOMIC"
                   for e in events) is refills, era_name


def test_gro_passes_packets_up_in_eights_from_6_1_on() -> None:
    """Twenty frames wait in tun until the refill; vhost then fills them in one round, and one
    poll sees them all."""
    _, events = _run("modern", frames=20, batch=20, interval_ns=0, rx_buffers=0,
                     backend="vhost-net")
    lists = [e.detail["packets"] for e in events if e.step == "gro_normal_list"]
    assert lists and all(count <= 8 for count in lists) and sum(lists) == 20 and 8 in lists
    _, old = _run("lesson", frames=20, batch=20, interval_ns=0, rx_buffers=0,
                  backend="vhost-net")
    assert not any(e.step == "gro_normal_list" for e in old)


def test_the_budget_bounds_each_poll() -> None:
    _, events = _run(frames=30, batch=30, interval_ns=0, napi_budget=4)
    per_poll: list[int] = []
    for event in events:
        if event.step == "virtnet_poll" and event.kind is Kind.CALL:
            per_poll.append(0)
        elif event.step == "receive_buf":
            per_poll[-1] += 1
    assert max(per_poll) == 4 and sum(per_poll) == 30


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_replay_is_the_same_for_the_same_seed(backend: str) -> None:
    params = RecvParams(frames=20, batch=5, backend=backend)
    first = list(recv(params, era("modern"), 7))
    assert first == list(recv(params, era("modern"), 7))
    assert [e.t_ns for e in first] != [e.t_ns for e in recv(params, era("modern"), 8)]


def test_the_examples_run_every_step_the_replays_emit() -> None:
    seen = {e.step for ex in RECV.examples for e in RECV.run(RECV.settle(ex), era("modern"), 1)}
    assert {"refill_work", "tap_send_completed", "handle_rx_kick", "receive_big",
            "add_recvbuf_big", "virtqueue_get_buf", "gro_normal_list"} <= seen


@pytest.mark.parametrize(("era_name", "padded"), [("lesson", 16), ("modern", 32),
                                                  ("newest", 32)])
def test_a_udp_big_chains_data_starts_after_the_eras_padded_header(era_name: str,
                                                                   padded: int) -> None:
    # add_recvbuf_big: sg[1] starts sizeof(struct padded_vnet_hdr) into the first page,
    # virtio_net_hdr (12) + 4 in 4.19, virtio_net_hdr_v1_hash (20) + 12 in 6.1 and 7.2.
    world, _ = _run(era_name, frames=1, queue_size=32, mergeable=False)
    (first, header), (data, length) = world.chain(0)[:2]
    assert header == world.hdr_len and data - first == padded and length == 4096 - padded


@pytest.mark.parametrize(("era_name", "length"), [("modern", 1536), ("newest", 1600)])
def test_a_full_frame_fits_one_mergeable_buffer_of_the_eras_length(era_name: str,
                                                                   length: int) -> None:
    # get_mergeable_buf_len: ALIGN(vi->hdr_len + GOOD_PACKET_LEN (1518), 64) on a ring of
    # 64 or more; 7.2 takes vi->hdr_len, 24 bytes with UDP tunnel GSO, so 1514 bytes and
    # the header fit one.
    world, events = _run(era_name, frames=1, queue_size=64, size=1514)
    assert world.mergeable_buf == length
    assert [e.detail["num_buffers"] for e in events if e.step == "receive_mergeable"
            and "num_buffers" in e.detail] == [1]
