"""send --backend vhost-net: the worker's order per era, the ring, the set-up, vtrace compare."""

from __future__ import annotations

import io
import json
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vtrace.catalog import CATALOG, era
from vtrace.cli import main
from vtrace.cli.env import Environment
from vtrace.model import Event, Kind
from vtrace.scenarios import ParamError, replay
from vtrace.scenarios.costs import FIGURES, measure_backends
from vtrace.scenarios.send import SEND, SendParams, send
from vtrace.scenarios.setup import setup

WORKER = "vhost-worker"
KICK = ["ioeventfd_write", "vhost_poll_wakeup", "vhost_poll_queue", "vhost_work_queue"]
ROUND = ["vhost_worker", "handle_tx_kick", "handle_tx", "vhost_disable_notify",
         "handle_tx_copy", "get_tx_bufs", "vhost_get_vq_desc"]
EMPTY = ["vhost_exceeds_weight", "get_tx_bufs", "vhost_get_vq_desc", "vhost_enable_notify"]
SIGNAL = ["vhost_net_signal_used", "vhost_add_used_and_signal_n", "vhost_add_used_n",
          "vhost_signal", "vhost_notify", "eventfd_signal", "irqfd_wakeup",
          "kvm_arch_set_irq_inatomic"]
#: One frame, read off drivers/vhost/net.c: 4.19 sends it at once with sendmsg; 6.1 and 7.2
#: build an XDP buffer and flush it with vhost_tx_batch when the ring is empty.
FRAME_0 = {
    "lesson": ROUND + ["tun_sendmsg", "tun_get_user", "tun_rx_batched", "netif_receive_skb"]
    + EMPTY + SIGNAL,
    "modern": ROUND + ["vhost_net_build_xdp"] + EMPTY
    + ["vhost_tx_batch", "tun_sendmsg", "tun_xdp_one", "netif_receive_skb"] + SIGNAL,
}
FRAME_0["newest"] = FRAME_0["modern"]


def _replay(era_name: str, **params: int | bool | str) -> list[Event]:
    return list(send(SendParams(backend="vhost-net", **params), era(era_name), 1))  # type: ignore[arg-type]


@pytest.mark.parametrize("era_name", sorted(FRAME_0))
def test_one_frame_goes_through_the_worker_in_the_order_of_the_eras_sources(
        era_name: str) -> None:
    events = [e for e in _replay(era_name, frames=1) if e.kind is Kind.CALL]
    vcpu = [e.step for e in events if e.thread == "vcpu0"]
    start = vcpu.index("ioeventfd_write")
    assert vcpu[start:start + len(KICK)] == KICK
    assert [e.step for e in events if e.thread == WORKER] == FRAME_0[era_name]
    functions = {e.step: e.function for e in events}
    expected = "vhost_run_work_list" if era_name == "newest" else "vhost_worker"
    assert functions["vhost_worker"] == expected
    assert next(e for e in events if e.step == "vhost_worker").detail["runs_in"] == (
        "vhost_task" if era_name == "newest" else "kthread")


@pytest.mark.parametrize("era_name", sorted(FRAME_0))
def test_no_qemu_thread_or_step_is_on_the_data_path(era_name: str) -> None:
    events = _replay(era_name, frames=5, batch=2)
    assert {e.thread for e in events} == {"vcpu0", WORKER}
    assert not [e.step for e in events if CATALOG[e.step].project == "qemu"]
    interrupt = next(e for e in events if e.step == "vring_interrupt")
    assert interrupt.src == "kvm"


def test_sixty_four_buffers_make_one_batch_to_tun_in_6_1_and_one_signal_each_in_4_19() -> None:
    modern = [e for e in _replay("modern", frames=200, batch=200, queue_size=256,
                                 interval_ns=0) if e.kind is Kind.CALL]
    batches = [e.detail["num"] for e in modern if e.step == "tun_sendmsg"]
    assert max(batches) == 64 and sum(batches) == 200
    lesson = [e for e in _replay("lesson", frames=200, batch=200, queue_size=256,
                                 interval_ns=0) if e.kind is Kind.CALL]
    assert sum(e.step == "tun_sendmsg" for e in lesson) == 200
    assert max(e.detail["count"] for e in lesson
               if e.step == "vhost_add_used_and_signal_n") == 64


def test_a_round_ends_after_256_packets_and_the_work_queues_itself_again() -> None:
    events = [e for e in _replay("modern", frames=600, batch=600, queue_size=1024,
                                 interval_ns=0) if e.kind is Kind.CALL]
    exceeded = [e for e in events if e.step == "vhost_exceeds_weight" and e.detail["exceeded"]]
    assert exceeded and all(e.detail["packets"] == 256 for e in exceeded)
    rounds = [e for e in events if e.step == "vhost_worker"]
    assert any(not e.detail["woken"] for e in rounds)  # ran again without sleeping


@settings(max_examples=25, deadline=None)
@given(frames=st.integers(1, 300), batch=st.integers(1, 120),
       queue_size=st.sampled_from([32, 64, 256, 1024]), event_idx=st.booleans(),
       era_name=st.sampled_from(["lesson", "modern", "newest"]),
       interval_ns=st.sampled_from([0, 3_000, 50_000]))
def test_every_frame_reaches_tun_once_and_no_descriptor_leaks(
        frames: int, batch: int, queue_size: int, event_idx: bool, era_name: str,
        interval_ns: int) -> None:
    events = _replay(era_name, frames=frames, batch=batch, queue_size=queue_size,
                     event_idx=event_idx, interval_ns=interval_ns)
    calls = Counter((e.step, e.frame) for e in events if e.kind is Kind.CALL)
    into_host = "tun_get_user" if era_name == "lesson" else "tun_xdp_one"
    for frame in range(frames):
        assert calls[(into_host, frame)] == 1
        assert calls[("vhost_get_vq_desc", frame)] == 1
        assert calls[("virtqueue_get_buf", frame)] <= 1
    ring: dict[str, int] = {"last_used_idx": 0, "num_free": queue_size}
    for event in events:
        ring.update(event.detail.get("ring", {}))
    assert ring["avail.idx"] == ring["used.idx"] == ring["last_avail_idx"] == frames & 0xFFFF
    assert ring["inuse"] == 0
    assert ring["num_free"] + ((ring["used.idx"] - ring["last_used_idx"]) & 0xFFFF) == queue_size
    assert all(a.t_ns <= b.t_ns for a, b in zip(events, events[1:], strict=False))


def test_vhost_writes_avail_event_only_when_it_turns_kicks_back_on() -> None:
    events = _replay("modern", frames=40, batch=8, queue_size=32, interval_ns=0)
    writers = {e.step for e in events
               if e.kind is Kind.STATE and "avail_event" in e.detail["writes"]}
    assert writers == {"vhost_enable_notify"}


def test_vhost_net_without_ioeventfd_is_refused() -> None:
    with pytest.raises(ParamError, match="--no-ioeventfd: vhost-net always"):
        SEND.settle({"backend": "vhost-net", "ioeventfd": False})


def test_without_ioeventfd_every_kick_wakes_qemus_main_loop_through_the_bottom_half() -> None:
    """The wake-up counted at virtio_pci_notify_write: each one schedules the bottom half."""
    events = [e for e in send(SendParams(frames=40, batch=4, ioeventfd=False), era("modern"), 1)
              if e.kind is Kind.CALL and e.thread == "vcpu0"]
    for at, event in enumerate(events):
        if event.step == "virtio_pci_notify_write":
            assert "qemu_bh_schedule" in [e.step for e in events[at:at + 8]]


# -- vtrace compare --------------------------------------------------------------------------

#: How each figure is counted straight from the stream, without the tally's table.
def _counted(events: list[Event]) -> dict[str, int]:
    calls = [e for e in events if e.kind is Kind.CALL]

    def count(*steps: str) -> int:
        return sum(e.step in steps for e in calls)

    worker = [e for e in calls if e.step == "vhost_worker"]
    return {
        "vm_exits": count("handle_ept_misconfig"),
        "exits_to_user": count("kvm_cpu_exec"),
        # send's worker says whether a kick woke it; recv's runs only when woken
        "wakeups": count("virtio_queue_host_notifier_read", "virtio_pci_notify_write",
                         "msix_notify", "kvm_arch_set_irq_inatomic", "tap_send")
        + sum(e.detail.get("woken", True) for e in worker),
        "syscalls": count("tap_write_packet", "tap_read_packet", "kvm_cpu_exec"),
        "copies": count("tun_get_user", "vhost_net_build_xdp", "tun_put_user",
                        "receive_header"),
        "interrupts": count("msix_notify", "kvm_arch_set_irq_inatomic"),
        "kicks_suppressed": sum(e.step == "virtqueue_kick_prepare" and not e.detail["kick"]
                                for e in calls),
        "interrupts_suppressed": sum(e.step in ("virtio_notify", "vhost_notify")
                                     and not e.detail["interrupt"] for e in calls),
        "time_ns": events[-1].t_ns,
    }


@pytest.mark.parametrize("era_name,frames,batch", [("modern", 3, 1), ("lesson", 200, 50),
                                                   ("newest", 300, 100)])
def test_the_compare_figures_are_the_counts_of_the_event_streams(
        era_name: str, frames: int, batch: int) -> None:
    rows = measure_backends(frames, era_name, 1, batch)
    assert [(row.scenario, row.backend) for row in rows][:2] == [("send", "qemu"),
                                                                  ("send", "vhost-net")]
    for row in rows:
        _, events = replay(row.scenario, {"frames": frames, "batch": batch,
                                          "backend": row.backend}, era_name, 1)
        assert dict(row.totals) == _counted(list(events))
    assert {figure.name for figure in FIGURES} == set(rows[0].totals)


def test_vhost_net_takes_no_host_system_call_and_fewer_interrupts_in_a_burst() -> None:
    qemu, vhost = measure_backends(300, "modern", 1, 100)[:2]
    assert qemu.totals["syscalls"] == 300 and vhost.totals["syscalls"] == 0
    interrupts = vhost.totals["interrupts"], qemu.totals["interrupts"]
    assert interrupts[0] is not None and interrupts[1] is not None
    assert interrupts[0] < interrupts[1]  # used entries go 64 at a time
    assert vhost.totals["copies"] == qemu.totals["copies"] == 300


def _run(args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as exited:
        main(args, Environment(argv=tuple(args), stdout=out, stderr=err))
    return int(exited.value.code or 0), out.getvalue(), err.getvalue()


def test_compare_prints_the_table_and_json(tmp_path: Path) -> None:
    status, out, _ = _run(["compare", "-n", "3"])
    assert status == 0 and "send vhost-net" in out and "SR-IOV / VFIO" in out
    status, out, _ = _run(["compare", "-n", "3", "--json"])
    data = json.loads(out)
    assert status == 0 and [row["backend"] for row in data["rows"]][:2] == ["qemu", "vhost-net"]
    assert all(item["sources"] for item in data["explained"])


@pytest.mark.parametrize("args,message", [
    (["compare", "--out", "costs.png"], "name it FILE.svg"),
    (["compare", "--frames", "0"], "--frames"),
    (["send", "--backend", "vhost-net", "--no-ioeventfd"], "vhost-net always takes the kick"),
    (["send", "--backend", "dpdk"], "dpdk"),
])
def test_bad_compare_and_backend_options_exit_2_with_one_line(args: list[str],
                                                              message: str) -> None:
    status, _, err = _run(args)
    assert status == 2 and message in err and len(err.strip().splitlines()) == 1


# -- vtrace setup --backend vhost-net --------------------------------------------------------

@pytest.mark.parametrize("era_name", ["lesson", "modern", "newest"])
def test_setup_hands_the_rings_and_the_tap_to_vhost(era_name: str) -> None:
    events = [e for e in setup(era(era_name), 1, "vhost-net") if e.kind is Kind.CALL]
    steps = [e.step for e in events]
    owner = ["vhost_net_open", "vhost_net_init", "vhost_dev_init", "vhost_kernel_set_owner",
             "vhost_net_ioctl", "vhost_dev_set_owner"]
    at = steps.index("vhost_net_open")
    assert steps[at:at + len(owner)] == owner
    assert steps.index("vhost_net_open") > steps.index("net_tap_fd_init")
    assert ("vhost_worker_create" in steps) == (era_name == "newest")
    cmds = [e.detail["cmd"] for e in events if e.step == "vhost_net_ioctl"]
    assert cmds[0] == "VHOST_SET_OWNER" and cmds[1] == "VHOST_SET_MEM_TABLE"
    assert cmds[-2:] == ["VHOST_NET_SET_BACKEND"] * 2
    ring_cmds = ["VHOST_SET_VRING_NUM", "VHOST_SET_VRING_BASE", "VHOST_SET_VRING_ADDR",
                 "VHOST_SET_VRING_KICK", "VHOST_SET_VRING_CALL"]
    assert cmds[2:-2] == ring_cmds * 2
    assert "virtio_device_start_ioeventfd_impl" not in steps  # vhost grabbed the ioeventfds
    assigned = [e.detail["queue"] for e in events if e.step == "virtio_pci_ioeventfd_assign"]
    assert assigned == ["rx0", "tx0"]
    irqfds = steps.index("kvm_irqfd")
    notifiers = steps.index("virtio_pci_ioeventfd_assign")
    assert (notifiers < irqfds) == (era_name == "newest")  # QEMU 10.2 sets them up first
    assert steps.index("virtio_net_vhost_status") > steps.index("register_netdev")
