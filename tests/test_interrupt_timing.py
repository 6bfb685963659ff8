"""The completion interrupt reaches the guest when it arrives, whatever the guest is doing.

An application that sleeps between sends leaves its vCPU halted; the interrupt wakes it,
so the handler runs one delivery time after KVM's APIC accepted the interrupt QEMU's
``msix_notify`` sent (``__apic_accept_irq``), for every frame and at any interval. A
vCPU busy sending takes it between two sends, never before it arrived.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from vtrace.catalog import CATALOG, ERAS
from vtrace.cli import cli
from vtrace.engine.kvm import MSI_STEPS
from vtrace.engine.sim import JITTER
from vtrace.model import Event, Kind
from vtrace.scenarios.send.guest import IRQ_DELIVERY_NS
from vtrace.session import replayed

#: The APIC's acceptance, the last step QEMU's thread runs before the interrupt is raised.
ACCEPTED = MSI_STEPS[-1]
#: That step's own modelled cost at its slowest: the interrupt is raised when it ends.
SLOWEST_NOTIFY_NS = int(CATALOG[ACCEPTED].cost_ns * (1 + JITTER)) + 1


def _latencies(given: dict[str, object], era: str) -> list[int]:
    """For every vring_interrupt, the time since the APIC accepted the interrupt it takes;
    when several were raised while one was pending, since the first of them."""
    raised: Event | None = None
    found: list[int] = []
    for event in replayed("send", given, era, 1).events():
        if event.kind is not Kind.CALL:
            continue
        if event.step == ACCEPTED:
            assert raised is None, "a second interrupt before the first was taken"
            raised = event
        elif event.step == "vring_interrupt":
            assert raised is not None
            found.append(event.t_ns - raised.t_ns)
            raised = None
    assert raised is None, "an interrupt was never taken"
    return found


def _raised_to_taken(given: dict[str, object]) -> list[int]:
    """For every vring_interrupt, the time since the interrupt was raised: the end of the
    (first pending) APIC acceptance, which is when QEMU's thread runs its next step."""
    raises: list[int] = []  # the moments of the interrupts raised and not yet taken
    notified = False  # QEMU's last step was the APIC's: its next step starts at the raise
    found: list[int] = []
    for event in replayed("send", given, "modern", 1).events():
        if event.thread == "qemu-main" and notified:
            raises.append(event.t_ns)
            notified = False
        if event.kind is not Kind.CALL:
            continue
        if event.step == ACCEPTED:
            notified = True
        elif event.step == "vring_interrupt":
            assert raises, "an interrupt taken that was never raised"
            found.append(event.t_ns - raises[0])
            raises.clear()
    return found


@pytest.mark.parametrize("era", list(ERAS))
@pytest.mark.parametrize("interval_us", [None, 200])
def test_an_idle_guest_takes_every_interrupt_one_delivery_time_after_it_arrives(
        interval_us: int | None, era: str) -> None:
    given: dict[str, object] = {"frames": 12}
    if interval_us is not None:
        given["interval_ns"] = interval_us
    latencies = _latencies(given, era)
    # Linux 4.19 reclaims in start_xmit and leaves the interrupt off after the first one.
    assert len(latencies) == (1 if era == "lesson" else 12)
    assert all(IRQ_DELIVERY_NS <= took <= IRQ_DELIVERY_NS + SLOWEST_NOTIFY_NS
               for took in latencies), latencies


@pytest.mark.parametrize("given", [
    {"frames": 64, "batch": 8, "queue_size": 32, "interval_ns": 0},
    {"frames": 64, "batch": 16, "event_idx": False},
    {"frames": 64, "batch": 8, "ioeventfd": False},
])
def test_a_busy_guest_never_takes_an_interrupt_before_it_arrives(
        given: dict[str, object]) -> None:
    latencies = _raised_to_taken(given)
    assert latencies
    assert min(latencies) >= IRQ_DELIVERY_NS


def test_explain_says_the_handler_runs_after_kvm_accepted_the_interrupt() -> None:
    result = CliRunner().invoke(cli, ["explain", "vring_interrupt"])
    assert result.exit_code == 0, result.output
    assert "Runs after  __apic_accept_irq, kvm_arch_set_irq_inatomic\n" in result.output
    assert "qemu_bh_schedule" not in result.output
