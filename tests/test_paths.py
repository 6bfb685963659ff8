"""What runs before and after a step comes from the replays, for every scenario and era."""

from __future__ import annotations

import pytest

from vtrace.catalog import CATALOG, ERAS, Era
from vtrace.model import Kind
from vtrace.scenarios import REGISTERED
from vtrace.scenarios.paths import paths


def test_the_bottom_half_runs_after_it_is_scheduled() -> None:
    for chosen in ERAS.values():
        assert "qemu_bh_schedule" in paths(chosen).callers["virtio_net_tx_bh"], chosen.name


def test_the_schedule_wrapper_of_qemu_10_2_sits_before_qemu_bh_schedule() -> None:
    assert paths(ERAS["newest"]).callers["qemu_bh_schedule"] == ("replay_bh_schedule_event",)
    assert "replay_bh_schedule_event" not in paths(ERAS["modern"]).callers["qemu_bh_schedule"]


def test_a_function_the_era_lacks_is_stepped_over() -> None:
    assert paths(ERAS["modern"]).callees["xmit_skb"] == ("virtnet_add_outbuf",) or \
        "virtqueue_add_outbuf" in paths(ERAS["modern"]).callees["xmit_skb"]
    assert "virtnet_add_outbuf" not in paths(ERAS["lesson"]).callees["xmit_skb"]


def test_the_interrupt_goes_from_qemus_msix_notify_through_kvm_to_the_guest() -> None:
    callers = paths(ERAS["modern"]).callers
    assert "msix_notify" in callers["msi_send_message"]
    assert "kvm_irqchip_send_msi" in callers["kvm_send_userspace_msi"]
    assert "__apic_accept_irq" in callers["vring_interrupt"]


def test_the_interrupt_handler_is_entered_only_where_kvm_injects_it() -> None:
    for chosen in ERAS.values():
        assert set(paths(chosen).callers["vring_interrupt"]) <= {
            "__apic_accept_irq", "kvm_arch_set_irq_inatomic"}, chosen.name


@pytest.mark.parametrize("chosen", ERAS.values(), ids=list(ERAS))
def test_every_hop_of_every_replay_is_in_the_paths(chosen: Era) -> None:
    """Walk every scenario x era x ioeventfd: each call's predecessor on its thread is known,
    and a call a signal led to has the step that raised it as its caller."""
    found = paths(chosen)
    for name, scenario in REGISTERED.items():
        if not scenario.replayable:
            continue
        for ioeventfd in (True, False):
            given = {"ioeventfd": ioeventfd} if any(
                param.name == "ioeventfd" for param in scenario.params) else {}
            run = scenario.run(scenario.settle(given), chosen, 1)
            wakes = run.note_wakes()
            events = list(run)
            assert all(event.step in found.runs[name] for event in events)
            last: dict[str, str] = {}
            for event in events:
                if event.kind is not Kind.CALL:
                    continue
                before = last.get(event.thread)
                if event.seq in wakes:
                    assert wakes[event.seq] in found.callers[event.step], event.step
                elif before is not None and before != event.step and \
                        CATALOG[before].actor == event.src:
                    assert before in found.callers[event.step], (before, event.step)
                last[event.thread] = event.step


def test_runs_list_only_steps_of_the_era() -> None:
    for chosen in ERAS.values():
        for keys in paths(chosen).runs.values():
            assert all(CATALOG[key].sites.get(chosen.versions.get(CATALOG[key].project, ""))
                       is not None or CATALOG[key].project == "app" for key in keys)
