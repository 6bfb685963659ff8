"""Every exercise's command, as docs/exercises.md and .zh.md give it, shows its answer."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from vtrace.cli import main

DOCS = Path(__file__).parent.parent / "docs"

#: command -> (summary row -> its whole-run value, words the output must hold)
ANSWERS: dict[str, tuple[dict[str, str], tuple[str, ...]]] = {
    "vtrace recv --frames 3": ({}, (
        "tun_net_xmit", "tap_send", "virtio_net_receive", "skb_recv_done", "virtnet_poll",
        "napi_gro_receive", "udp_rcv", "udp_recvmsg")),
    "vtrace send --frames 8 --batch 1 --view quiet": (
        {"kicks (notify writes)": "8", "VM exits": "8"}, ()),
    "vtrace send --frames 8 --batch 4 --view quiet": (
        {"kicks (notify writes)": "2", "VM exits": "2", "kicks deferred by xmit_more": "6"},
        ()),
    "vtrace send --frames 40 --batch 8 --queue-size 32 --interval-us 0 --view quiet": (
        {"interrupts": "9", "interrupts suppressed": "31"}, ()),
    "vtrace send --frames 40 --batch 8 --queue-size 32 --interval-us 0 --no-event-idx "
    "--view quiet": ({"interrupts": "26", "interrupts suppressed": "14"}, ()),
    "vtrace send --frames 3 --view quiet": (
        {"VM exits": "3", "exits to QEMU's vCPU thread": "0"}, ()),
    "vtrace send --frames 3 --no-ioeventfd --view quiet": (
        {"VM exits": "3", "exits to QEMU's vCPU thread": "3"}, ()),
    "vtrace send --frames 40 --batch 40 --queue-size 32 --interval-us 0 --view quiet": (
        {"frames sent": "40", "kicks (notify writes)": "1", "kicks deferred by xmit_more": "36",
         "kicks suppressed by the ring": "3", "interrupts": "7", "interrupts suppressed": "33",
         "buffers reclaimed by the guest": "40"}, ()),
    "vtrace send --frames 40 --batch 40 --queue-size 32 --interval-us 0 --view plain": (
        {}, ("virtqueue_enable_cb_delayed", "virtnet_poll_tx")),
    "vtrace send --era lesson --frames 8 --batch 4 --view quiet": (
        {"interrupts": "1", "buffers reclaimed by the guest": "4"}, ()),
    "vtrace send --era modern --frames 8 --batch 4 --view quiet": (
        {"interrupts": "6", "buffers reclaimed by the guest": "8"}, ()),
    "vtrace diff --era lesson --era modern": ({}, (
        "arch/x86/kvm/vmx.c", "arch/x86/kvm/vmx/vmx.c", "virtqueue_add_split",
        "virtqueue_split_pop", "virtqueue_split_fill", "virtqueue_split_flush",
        "virtnet_poll_tx", "napi_tx: lesson off, modern on")),
    "vtrace send --ring packed --frames 33 --queue-size 32 --view plain --show-ring": (
        {"frames sent": "33"}, (
            "flags=AVAIL  avail=1 used=0 → available to the device  #0", "slot.flags=128",
            "flags=AVAIL|USED", "slot.flags=32896", "avail_wrap_counter=0",
            "used_wrap_counter=0", "flags=USED  avail=0 used=1 → available to the device  #32",
            "flags=0  avail=0 used=0 → used, reclaimed by the driver  #32",
            "slot=1 slot.flags=32896")),
    "vtrace send --ring packed --frames 8 --batch 4 --view plain --show-ring": ({}, (
        "[4] addr=0x21a4 len=140 id=3 flags=AVAIL ", "[7] addr=0x2000 len=140 id=0",
        "[4] addr=0x21a4 len=0 id=3 flags=AVAIL|USED",
        "[7] addr=0x2000 len=0 id=0 flags=AVAIL|USED")),
}
#: Exercise 10: a 64 KiB TCP send with TSO, then without it.
ANSWERS |= {
    "vtrace send --proto tcp --size 65000 --frames 1 --view quiet": (
        {"kicks (notify writes)": "1", "VM exits": "1", "buffers reclaimed by the guest": "1",
         "interrupts": "1", "host system calls": "1", "events": "70",
         "TCP segments the host's GSO put on the wire": "45"}, ()),
    "vtrace send --proto tcp --size 65000 --frames 1 --features -host_tso4 --view quiet": (
        {"kicks (notify writes)": "1", "VM exits": "1", "kicks deferred by xmit_more": "44",
         "buffers reclaimed by the guest": "45", "interrupts": "45", "host system calls": "45",
         "events": "2,146", "TCP segments the guest's GSO made (no TSO)": "45"}, ()),
}
#: Exercise 11: four flows over two queue pairs.
ANSWERS |= {
    "vtrace send --queues 2 --flows 4 --frames 4 --view plain": ({}, (
        "flow 0 is sent from CPU 0; XPS maps that CPU to TX queue 0",
        "flow 1 is sent from CPU 1; XPS maps that CPU to TX queue 1",
        "flow 2 is sent from CPU 0; XPS maps that CPU to TX queue 0",
        "flow 3 is sent from CPU 1; XPS maps that CPU to TX queue 1")),
    "vtrace recv --queues 2 --flows 4 --frames 4 --view plain": ({}, (
        "flow 0: Toeplitz hash 0x18b5fb0f (UDPV4), indirection table entry 15: RX queue 1",
        "flow 1: Toeplitz hash 0x8a2b5ade (UDPV4), indirection table entry 94: RX queue 0",
        "flow 2: Toeplitz hash 0xd1faabe7 (UDPV4), indirection table entry 103: RX queue 1",
        "flow 3: Toeplitz hash 0x43640a36 (UDPV4), indirection table entry 54: RX queue 0")),
}



def commands_in(doc: Path) -> list[str]:
    """Every line of a code block that runs vtrace."""
    text = doc.read_text(encoding="utf-8")
    return [line.strip() for block in re.findall(r"```\n(.*?)```", text, re.S)
            for line in block.splitlines() if line.startswith("vtrace ")]


@pytest.mark.parametrize("doc", ["exercises.md", "exercises.zh.md"])
def test_the_docs_give_exactly_the_commands_checked_here(doc: str) -> None:
    assert commands_in(DOCS / doc) == list(ANSWERS)


def summary_value(out: str, row: str) -> str:
    match = re.search(rf"^\s+{re.escape(row)}\s+(\S+)", out, re.M)
    assert match, f"no summary row {row!r}"
    return match.group(1)


@pytest.mark.parametrize("command", list(ANSWERS))
def test_each_command_shows_its_answer(command: str,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    argv = shlex.split(command)[1:]
    with pytest.raises(SystemExit) as done:
        main([*argv, "--lang", "en"])
    assert done.value.code in (0, None)
    out = capsys.readouterr().out
    rows, words = ANSWERS[command]
    for row, value in rows.items():
        assert summary_value(out, row) == value, row
    for word in words:
        assert word in out, word


def test_the_era_diff_lists_exactly_the_four_absent_split_ring_functions(
        capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["diff", "--era", "lesson", "--era", "modern", "--lang", "en"])
    absent = {line.split()[2] for line in capsys.readouterr().out.splitlines()
              if "absent: no such function" in line}
    assert absent == {"virtqueue_add_split", "virtqueue_split_pop", "virtqueue_split_fill",
                      "virtqueue_split_flush"}
    for doc in ("exercises.md", "exercises.zh.md"):
        text = (DOCS / doc).read_text(encoding="utf-8")
        assert all(f"`{name}`" in text for name in absent) and "skip" not in text
