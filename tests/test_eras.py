"""Each era replays its own code path: the chains of the reference tables, per version."""

from __future__ import annotations

import io

import pytest

from vtrace.catalog import CATALOG, ERAS, Era
from vtrace.model import Event, Header, Kind
from vtrace.renderers.plain import PlainRenderer
from vtrace.scenarios.send import SendParams, send
from vtrace.session import Session

# The first frame's way from the application to the host stack (tables 1a to 1e).
GUEST = ["sendto", "__sys_sendto", "udp_sendmsg", "__dev_queue_xmit", "dev_hard_start_xmit",
         "start_xmit"]
KICK = ["virtqueue_kick_prepare", "virtqueue_notify", "vp_notify", "handle_ept_misconfig",
        "kvm_io_bus_write", "ioeventfd_write"]
DEVICE = ["virtio_queue_host_notifier_read", "virtio_queue_notify_vq",
          "virtio_net_handle_tx_bh", "virtio_queue_set_notification"]
BACKEND = ["qemu_sendv_packet_async", "qemu_net_queue_send_iov", "qemu_deliver_packet_iov",
           "tap_receive_iov", "tap_write_packet", "tun_chr_write_iter", "tun_get_user",
           "tun_rx_batched", "netif_receive_skb", "virtqueue_push"]
# virtqueue_push fills the used entry, then flushes; QEMU 7.2 and 10.2 through the split bodies.
PUSH_3_1 = ["virtqueue_fill", "virtqueue_flush", "virtio_notify", "msix_notify"]
PUSH_SPLIT = ["virtqueue_fill", "virtqueue_split_fill", "virtqueue_flush",
              "virtqueue_split_flush", "virtio_notify", "msix_notify"]

CHAINS = {
    # free_old_xmit_skbs's loop ends on a virtqueue_get_buf that finds nothing used.
    "lesson": [*GUEST, "free_old_xmit_skbs", "virtqueue_get_buf", "xmit_skb",
               "virtqueue_add_outbuf", "virtqueue_add", *KICK, *DEVICE, "qemu_bh_schedule",
               "virtio_net_tx_bh", "virtio_net_flush_tx", "virtqueue_pop", *BACKEND,
               *PUSH_3_1],
    "modern": [*GUEST, "virtqueue_disable_cb", "free_old_xmit_skbs", "virtqueue_get_buf",
               "virtqueue_enable_cb_delayed", "xmit_skb", "virtqueue_add_outbuf",
               "virtqueue_add", "virtqueue_add_split", *KICK, *DEVICE, "qemu_bh_schedule",
               "virtio_net_tx_bh", "virtio_net_flush_tx", "virtqueue_pop",
               "virtqueue_split_pop", *BACKEND, *PUSH_SPLIT],
    "newest": [*GUEST, "virtqueue_disable_cb", "xmit_skb", "virtnet_add_outbuf",
               "virtqueue_add_outbuf", "virtqueue_add", "virtqueue_add_split", *KICK,
               "virtqueue_enable_cb_delayed", *DEVICE, "replay_bh_schedule_event",
               "qemu_bh_schedule", "virtio_net_tx_bh", "virtio_net_flush_tx",
               "virtqueue_pop", "virtqueue_split_pop", *BACKEND, *PUSH_SPLIT],
}


def _calls(events: list[Event]) -> list[Event]:
    return [event for event in events if event.kind is Kind.CALL]


def _replay(name: str, **params: object) -> list[Event]:
    return list(send(SendParams(**params), ERAS[name], seed=3))  # type: ignore[arg-type]


def _first_frame_path(events: list[Event]) -> list[str]:
    """Call steps up to the first frame's interrupt, in order."""
    path = []
    for event in _calls(events):
        path.append(event.step)
        if event.step == "msix_notify":
            break
    return path


@pytest.mark.parametrize("name", sorted(CHAINS))
def test_each_era_replays_the_chain_of_its_versions(name: str) -> None:
    assert _first_frame_path(_replay(name)) == CHAINS[name]


@pytest.mark.parametrize("name", sorted(ERAS))
def test_every_event_says_which_version_it_comes_from(name: str) -> None:
    chosen = ERAS[name]
    for event in _replay(name, frames=3, batch=3):
        step = CATALOG[event.step]
        expected = {"linux": chosen.linux, "qemu": chosen.qemu, "app": ""}[step.project]
        assert event.version == expected
        assert event.version == "" or expected in step.sites


def _ring_writer(events: list[Event]) -> str:
    return next(event.step for event in events
                if event.kind is Kind.CALL and "avail.idx" in event.detail.get("ring", {}))


def test_the_ring_write_shows_under_the_function_that_does_it() -> None:
    assert _ring_writer(_replay("lesson")) == "virtqueue_add"
    assert _ring_writer(_replay("modern")) == "virtqueue_add_split"
    pops = [event.step for event in _replay("lesson")
            if "last_avail_idx" in event.detail.get("ring", {})]
    assert pops and set(pops) == {"virtqueue_pop"}
    pops = [event.step for event in _replay("newest")
            if "last_avail_idx" in event.detail.get("ring", {})]
    assert pops and set(pops) == {"virtqueue_split_pop"}


def test_the_xmit_more_hint_names_what_each_kernel_reads() -> None:
    hints = {name: {event.detail.get("hint") for event in _replay(name, frames=2, batch=2)
                    if event.step == "start_xmit" and event.kind is Kind.CALL}
             for name in ERAS}
    assert hints == {"lesson": {"skb->xmit_more"}, "modern": {"netdev_xmit_more()"},
                     "newest": {"__netdev_tx_sent_queue()"}}
    deferred = [event for event in _replay("lesson", frames=2, batch=2)
                if event.kind is Kind.NOTE and event.detail.get("why") == "xmit_more"]
    assert deferred and deferred[0].detail["hint"] == "skb->xmit_more"


def _reclaimed_in_start_xmit(events: list[Event]) -> bool:
    """Whether ``free_old_xmit_skbs`` runs between ``start_xmit`` and ``xmit_skb``."""
    inside = False
    for event in _calls(events):
        if event.step == "start_xmit":
            inside = True
        elif event.step == "xmit_skb":
            inside = False
        elif inside and event.step == "free_old_xmit_skbs":
            return True
    return False


def test_completion_without_napi_in_the_lesson_era() -> None:
    events = _replay("lesson", frames=6, interval_ns=100_000)
    steps = {event.step for event in _calls(events)}
    assert "skb_xmit_done" in steps
    assert not steps & {"virtnet_poll_tx", "virtqueue_napi_schedule"}
    assert _reclaimed_in_start_xmit(events)


def test_napi_completion_in_the_modern_eras() -> None:
    for name in ("modern", "newest"):
        events = _replay(name, frames=6, interval_ns=100_000)
        steps = [event.step for event in _calls(events)]
        assert "virtqueue_napi_schedule" in steps and "virtnet_poll_tx" in steps
        gets = [event for event in _calls(events) if event.step == "virtqueue_get_buf"]
        assert sum(event.frame is not None for event in gets) == 6
        # Each free_old_xmit_skbs ends on one call that finds nothing.
        assert sum(event.frame is None for event in gets) == steps.count("free_old_xmit_skbs")
    assert _reclaimed_in_start_xmit(_replay("modern", frames=6, interval_ns=100_000))
    assert not _reclaimed_in_start_xmit(_replay("newest", frames=6, interval_ns=100_000))


def test_newest_reclaims_through_the_renamed_function() -> None:
    functions = {event.function for event in _replay("newest", frames=4)
                 if event.step == "free_old_xmit_skbs"}
    assert functions == {"free_old_xmit"}


@pytest.mark.parametrize("name", sorted(ERAS))
@pytest.mark.parametrize(("frames", "batch", "queue_size", "event_idx"), [
    (200, 32, 32, True), (120, 1, 32, True), (90, 30, 64, False)])
def test_every_frame_reaches_the_host_in_every_era(name: str, frames: int, batch: int,
                                                    queue_size: int, event_idx: bool) -> None:
    events = _replay(name, frames=frames, batch=batch, queue_size=queue_size,
                     event_idx=event_idx, interval_ns=0)
    delivered = [event.frame for event in events if event.step == "netif_receive_skb"]
    assert delivered == list(range(frames))
    assert [event.t_ns for event in events] == sorted(event.t_ns for event in events)


def test_no_ioeventfd_takes_the_lessons_exit_path_in_every_era() -> None:
    for name in ERAS:
        steps = [event.step for event in _calls(_replay(name, ioeventfd=False))]
        assert "kvm_cpu_exec" in steps and "virtio_pci_notify_write" in steps
        assert "ioeventfd_write" not in steps


def _plain(name: str, frames: int) -> list[str]:
    out = io.StringIO()
    header = Header("test", "send", {"era": name}, 1)
    PlainRenderer().render(Session(header, send(SendParams(frames=frames), ERAS[name], 1)), out)
    return out.getvalue().splitlines()


@pytest.mark.parametrize("name", sorted(ERAS))
def test_the_plain_view_points_out_each_difference_once(name: str) -> None:
    chosen: Era = ERAS[name]
    lines = _plain(name, frames=3)
    notes = [line.strip()[2:] for line in lines if line.lstrip().startswith("↳")]
    assert len(notes) == len(set(notes))
    add = CATALOG["virtqueue_add"].notes[chosen.linux]["en"]
    assert add in notes
    lesson = CATALOG["tun_rx_batched"].lesson["en"]
    assert any(note.endswith(lesson) for note in notes)
