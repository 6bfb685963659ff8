"""The teacher guides (en and zh) are tested like the exercises: every ``vtrace`` command
they give runs, and every figure and step they state is what the tool prints.

A claim ties the sentence as each guide words it to a command run in English and to what
its output must show; a guide that changes a figure fails here until the claim follows.
"""

from __future__ import annotations

import io
import re
import shlex
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pytest
from fake_terminal import Terminal
from player_steps import TerminalStep, terminal_steps
from rich.console import Console

from vtrace.cli import main
from vtrace.cli.env import Environment
from vtrace.model import Layer
from vtrace.renderers.live import LiveState
from vtrace.session import from_file, replayed

DOCS = Path(__file__).parent.parent / "docs"
GUIDES = ("teacher-guide.md", "teacher-guide.zh.md")


def _text(doc: str) -> str:
    """The guide with every run of white space one space, so a sentence may wrap."""
    return re.sub(r"\s+", " ", (DOCS / doc).read_text(encoding="utf-8"))


def _commands(doc: str, inline: bool = True) -> list[str]:
    """Every ``vtrace`` command of the guide: code-block lines and (``inline``) inline code,
    without a name left for the reader to fill in (``vtrace explain NAME``)."""
    text = (DOCS / doc).read_text(encoding="utf-8")
    found = [line.split("#", 1)[0].strip()
             for block in re.findall(r"```\n(.*?)```", text, re.S)
             for line in block.splitlines() if line.startswith("vtrace ")]
    found += re.findall(r"`(vtrace [^`]*)`", text) if inline else []
    return list(dict.fromkeys(command for command in found
                              if not re.search(r"\b[A-Z]{2,}\b|[^\x00-\x7f]", command)
                              and command.split() != ["vtrace", "explain"]))


@contextmanager
def _enter(stream: IO[Any]) -> Iterator[Callable[[], str]]:
    """A presenter who only ever presses Enter."""
    yield lambda: "\n"


def _run(command: str, cwd: Path, monkeypatch: pytest.MonkeyPatch,
         capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """(exit status, standard output) of ``command``, in ``cwd``, off a terminal (the plain
    view); ``--step`` is driven by Enter to the end."""
    monkeypatch.chdir(cwd)
    capsys.readouterr()
    argv = shlex.split(command)[1:]
    out = io.StringIO()
    env = Environment(argv=tuple(argv), stdin=Terminal(), stdout=out, stderr=io.StringIO(),
                      environ={"TERM": "xterm", "NO_COLOR": "1"}, keys=_enter)
    with pytest.raises(SystemExit) as done:
        main(argv, env)
    code = done.value.code
    return (code if isinstance(code, int) else 0), out.getvalue() + capsys.readouterr().out


@pytest.mark.parametrize("doc", GUIDES)
def test_every_command_in_the_guide_runs(doc: str, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    commands = _commands(doc)
    assert len(commands) >= 20
    for command in commands:
        code, _ = _run(command, tmp_path, monkeypatch, capsys)
        assert code == 0, command


def test_both_guides_give_the_same_commands_to_type() -> None:
    english, chinese = (_commands(doc, inline=False) for doc in GUIDES)
    assert [command.replace(" --lang zh", "") for command in chinese] == english


# -- what the guides say the commands show ---------------------------------------------------


def _row(out: str, label: str) -> str:
    """The whole-run figure of a summary row."""
    match = re.search(rf"^\s+{re.escape(label)}\s+(\S+)", out, re.M)
    assert match, f"no summary row {label!r}"
    return match.group(1)


def _in_order(out: str, names: tuple[str, ...]) -> bool:
    """Whether the functions appear in the plain view in this order (others between)."""
    at = 0
    for name in names:
        found = re.search(rf"\s{re.escape(name)}\s", out[at:])
        if found is None:
            return False
        at += found.end() - 1
    return True


@dataclass(frozen=True)
class Claim:
    """What both guides say (``en``, ``zh``, as written), the command that shows it, the
    summary rows it states and the functions it names, in the order they run."""

    en: str
    zh: str
    command: str
    rows: dict[str, str] = field(default_factory=dict)
    steps: tuple[str, ...] = ()
    words: tuple[str, ...] = ()


CLAIMS = (
    Claim("There are three sections: the send path, the receive path and the set-up",
          "一共三部分：发送路径、接收路径和建立过程", "vtrace steps --era lesson",
          words=("Sending a frame (vtrace send)", "Receiving a frame (vtrace recv)",
                 "Setting up the device and the tap (vtrace setup)")),
    Claim("QEMU opens `/dev/net/tun` and asks for a tap with `TUNSETIFF` and the flags "
          "`IFF_TAP|IFF_NO_PI|IFF_VNET_HDR`",
          "`IFF_TAP|IFF_NO_PI|IFF_VNET_HDR`", "vtrace setup --era lesson --view plain",
          steps=("tap_open", "tun_set_iff", "register_netdevice", "virtio_net_add_queue",
                 "virtio_add_queue", "virtio_add_queue", "virtio_add_queue", "virtnet_probe",
                 "vring_create_virtqueue", "kvm_cpu_exec", "kvm_assign_ioeventfd"),
          words=("open /dev/net/tun, then ioctl(TUNSETIFF) with IFF_TAP|IFF_NO_PI|IFF_VNET_HDR",
                 "interface tap0", "queue tx0: guest kicks go to virtio_net_handle_tx_bh",
                 "notify with vp_notify, callback skb_xmit_done", "driver ready")),
    Claim("the status byte grows `0x01`, `0x03`, `0x0b`, `0x0f`",
          "状态字节依次是 `0x01`、`0x03`、`0x0b`、`0x0f`", "vtrace setup --era lesson --view plain",
          steps=("virtio_set_status", "virtio_set_status", "vp_finalize_features",
                 "virtio_set_features", "virtio_set_status", "virtnet_probe",
                 "virtio_queue_set_rings", "virtio_set_status", "kvm_assign_ioeventfd"),
          words=("device status 0x01: ACKNOWLEDGE is set", "device status 0x03: DRIVER is set",
                 "device status 0x0b: FEATURES_OK is set", "device status 0x0f: DRIVER_OK is set",
                 "negotiated: csum")),
    Claim("`avail.idx` becomes 1", "`avail.idx` 变成 1",
          "vtrace send --era lesson -n 1 --view plain",
          steps=("virtqueue_add", "virtqueue_kick_prepare", "vp_notify",
                 "handle_ept_misconfig", "ioeventfd_write", "virtio_net_handle_tx_bh",
                 "virtio_net_tx_bh", "tap_write_packet", "tun_get_user", "tun_rx_batched",
                 "virtqueue_push", "virtio_notify", "msix_notify", "skb_xmit_done"),
          words=("avail.idx=1", "avail_event 0 is in [0, 1)", "Compared with the lesson")),
    Claim("`vcpu_mmio_write` → `kvm_cpu_exec` → `virtio_pci_notify_write` → "
          "`virtio_queue_notify` → `virtio_net_handle_tx_bh`",
          "`vcpu_mmio_write` → `kvm_cpu_exec` → `virtio_pci_notify_write` → "
          "`virtio_queue_notify` → `virtio_net_handle_tx_bh`",
          "vtrace send --era lesson -n 1 --no-ioeventfd --view plain",
          steps=("vcpu_mmio_write", "kvm_cpu_exec", "virtio_pci_notify_write",
                 "virtio_queue_notify", "virtio_net_handle_tx_bh")),
    Claim("`virtqueue_add` → `virtqueue_add_split`", "`virtqueue_add` → `virtqueue_add_split`",
          "vtrace send --era modern -n 3 --view plain",
          steps=("virtqueue_add", "virtqueue_add_split", "skb_xmit_done",
                 "virtqueue_napi_schedule", "virtnet_poll_tx"),
          words=("virtqueue_pop", "virtqueue_split_pop")),
    Claim("Two, one per batch: six are deferred by `xmit_more`",
          "两次，每批一次：另外六次因 `xmit_more` 推迟",
          "vtrace send -n 8 -b 4 --view quiet --era lesson",
          rows={"kicks (notify writes)": "2", "kicks deferred by xmit_more": "6",
                "VM exits": "2"}),
    Claim("Also two: with ioeventfd, a kick is one exit and no trip to QEMU",
          "也是两次：有 ioeventfd 时，一次通知就是一次退出", "vtrace send -n 8 -b 4 --view quiet",
          rows={"kicks (notify writes)": "2", "kicks deferred by xmit_more": "6",
                "VM exits": "2", "exits to QEMU's vCPU thread": "0"}),
    Claim("Expect 1 against 6 interrupts, and 4 against 8 buffers reclaimed",
          "中断是 1 比 6，最后收回的缓冲区是 4 比 8",
          "vtrace send -n 8 -b 4 --view quiet --era lesson",
          rows={"interrupts": "1", "buffers reclaimed by the guest": "4"}),
    Claim("Expect 1 against 6 interrupts, and 4 against 8 buffers reclaimed",
          "中断是 1 比 6，最后收回的缓冲区是 4 比 8",
          "vtrace send -n 8 -b 4 --view quiet --era modern",
          rows={"interrupts": "6", "buffers reclaimed by the guest": "8"}),
    Claim("The summary shows 1 stall, 1 packet queued, 1 kick.",
          "汇总里是 1 次停顿、1 个排队的包、1 次通知",
          "vtrace recv -n 1 --rx-buffers 0 --view plain",
          rows={"stalls (no buffer posted)": "1", "packets queued in QEMU": "1",
                "kicks (refill notifications)": "1"},
          steps=("qemu_net_queue_append", "tap_read_poll", "vp_notify",
                 "virtio_net_handle_rx", "qemu_flush_queued_packets", "tap_send_completed")),
    Claim("`vtrace recv -n 8 -b 8 --view quiet`: none.", "（通知 0 次）",
          "vtrace recv -n 8 -b 8 --view quiet",
          rows={"VM exits": "0", "kicks (refill notifications)": "0"}),
    Claim("8 frames, 4 interrupts, 4 suppressed, 5 NAPI polls (the modern era)",
          "8 帧，4 次中断，4 次被抑制，5 次 NAPI 轮询（今天的年代）",
          "vtrace recv -n 8 -b 8 --view quiet",
          rows={"frames received": "8", "interrupts": "4", "interrupts suppressed": "4",
                "NAPI polls": "5", "events": "522"}),
    Claim("takes 1 interrupt and 1 poll", "只有 1 次中断、1 次轮询",
          "vtrace recv -n 8 -b 8 --view quiet --era lesson",
          rows={"interrupts": "1", "NAPI polls": "1"}),
    Claim("`napi_gro_receive` → `netif_receive_skb_internal` → `ip_rcv`",
          "`napi_gro_receive` → `netif_receive_skb_internal` →",
          "vtrace recv -n 8 -b 8 --era lesson --view plain",
          steps=("napi_gro_receive", "netif_receive_skb_internal", "ip_rcv")),
    Claim("(`gro_normal_one`, `gro_normal_list`, `ip_list_rcv`)",
          "（`gro_normal_one`、`gro_normal_list`、`ip_list_rcv`）",
          "vtrace recv -n 8 -b 8 --era modern --view plain",
          steps=("gro_normal_one", "gro_normal_list", "ip_list_rcv")),
    Claim("312 events instead of 522 for the same 8 frames",
          "同样 8 帧，312 个事件而不是 522 个",
          "vtrace recv -n 8 -b 8 --backend vhost-net --view quiet",
          rows={"frames received": "8", "events": "312"}),
    Claim("so a 256-entry ring holds 256 buffers", "所以 256 项的环放得下 256 个缓冲区",
          "vtrace recv -n 1 --no-mergeable --view quiet",
          rows={"buffers posted": "256"}),
    Claim("and it holds only 13 buffers", "环只放得下 13 个缓冲区",
          "vtrace recv -n 1 --features -mrg_rxbuf,-indirect_desc --view quiet",
          rows={"buffers posted": "13"}),
    Claim("Answer: 9 kicks, 9 VM exits; 968 kicks are deferred by `xmit_more` and 23 are "
          "suppressed by the ring",
          "答案：9 次通知、9 次 VM 退出；968 次因 `xmit_more` 推迟，23 次被环抑制",
          "vtrace send --frames 1000 --batch 32 --view quiet",
          rows={"frames sent": "1,000", "kicks (notify writes)": "9", "VM exits": "9",
                "kicks deferred by xmit_more": "968", "kicks suppressed by the ring": "23"}),
    Claim("Answer: 1 stall, 1 packet queued in QEMU, 1 kick (the refill), 1 VM exit.",
          "答案：1 次停顿、QEMU 里排队 1 个包、1 次通知（补充缓冲区之后）、1 次 VM 退出。",
          "vtrace recv --rx-buffers 0 --view plain",
          rows={"frames received": "3", "stalls (no buffer posted)": "1",
                "packets queued in QEMU": "1", "kicks (refill notifications)": "1",
                "VM exits": "1"},
          steps=("qemu_net_queue_append", "tap_read_poll", "virtio_net_handle_rx",
                 "qemu_flush_queued_packets")),
    Claim("Answer: 4 device status writes (`0x01`, `0x03`, `0x0b`, `0x0f`).",
          "答案：设备状态写入 4 次（`0x01`、`0x03`、`0x0b`、`0x0f`）。",
          "vtrace setup --view plain",
          rows={"device status writes": "4"},
          steps=("virtio_set_status", "virtio_set_features", "virtio_queue_set_rings"),
          words=("device status 0x01: ACKNOWLEDGE is set", "device status 0x03: DRIVER is set",
                 "device status 0x0b: FEATURES_OK is set",
                 "device status 0x0f: DRIVER_OK is set", "negotiated: csum",
                 "queue tx0: QEMU now knows where its descriptor table")),
    Claim("`--era lesson --ring packed` is refused", "`--era lesson --ring packed` 会被拒绝",
          "vtrace send --ring packed -n 3 --view plain --show-ring",
          steps=("virtqueue_add", "virtqueue_add_packed", "virtqueue_packed_pop",
                 "virtqueue_packed_fill", "virtqueue_packed_flush", "virtio_notify"),
          words=("flags=AVAIL  avail=1 used=0 → available to the device  #0",
                 "driver event area", "device event area")),
    Claim("4 steps only on the split side, 12 only on the packed one",
          "只在 split 一侧的有 4 步，只在 packed 一侧的有 12 步",
          "vtrace diff --ring split --ring packed",
          words=("57 steps alike, 0 changed, 4 only in split, 12 only in packed",
                 "virtqueue_packed_pop", "virtqueue_packed_fill", "virtqueue_packed_flush",
                 "virtqueue_kick_prepare_packed", "virtqueue_get_buf_ctx_packed",
                 "detach_buf_packed")),
    Claim("the split ring touches 5 lines of 64 bytes per frame",
          "split 环每帧 触及 5 个 64 字节缓存行",
          "vtrace compare --ring split --ring packed",
          words=("64-byte lines touched                      15 / 5.00              6 / 2.00",
                 "lines both sides touch                     15 / 5.00              6 / 2.00",
                 "reads by the driver                       30 / 10.00             27 / 9.00",
                 "writes by the driver                       27 / 9.00             27 / 9.00",
                 "reads by the device                        21 / 7.00            39 / 13.00",
                 "kicks                                       3 / 1.00              3 / 1.00",
                 "interrupts injected                         3 / 1.00              3 / 1.00")),
)


@pytest.mark.parametrize("claim", CLAIMS, ids=[claim.command for claim in CLAIMS])
def test_what_the_guides_say_is_what_the_tool_shows(claim: Claim, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    for doc, said in zip(GUIDES, (claim.en, claim.zh), strict=True):
        assert said in _text(doc), (doc, said)
    code, out = _run(f"{claim.command} --lang en", tmp_path, monkeypatch, capsys)
    assert code == 0
    for label, value in claim.rows.items():
        assert _row(out, label) == value, label
    assert _in_order(out, claim.steps), claim.steps
    for words in claim.words:
        assert words in out, words


# -- the 45-minute lesson plan: the steps to stop at ------------------------------------------

PLAN = (("## A 45-minute lesson plan", r"step (\d+): `(\w+)`"),
        ("## 45 分钟教案", r"第 (\d+) 步：`(\w+)`"))


def _stops(doc: str, heading: str, pattern: str) -> list[tuple[str, int, str]]:
    """(command, step number, function) for every step the plan's table says to stop at,
    the command being the first one of its row, as typed in English."""
    text = (DOCS / doc).read_text(encoding="utf-8")
    plan = text.split(heading, 1)[1].split("\n## ", 1)[0]
    stops = []
    for row in plan.splitlines():
        commands = re.findall(r"`(vtrace [^`]*)`", row)
        if row.startswith("|") and commands:
            for number, name in re.findall(pattern, row):
                stops.append((commands[0].replace(" --lang zh", ""), int(number), name))
            for ring_at in re.findall(r"--ring-at (\d+)", row):
                assert int(ring_at) in {int(number) for number, _ in re.findall(pattern, row)}
    return stops


def test_the_lesson_plan_stops_where_step_mode_shows_those_functions(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    english, chinese = (_stops(doc, heading, pattern)
                        for doc, (heading, pattern) in zip(GUIDES, PLAN, strict=True))
    assert english == chinese
    assert len(english) >= 6
    replays: dict[str, list[TerminalStep]] = {}
    for command, number, name in english:
        if command not in replays:
            events = tmp_path / f"{len(replays)}.jsonl"
            replay = f"{command.replace(' --step', '')} --view quiet --events {events} --lang en"
            assert _run(replay, tmp_path, monkeypatch, capsys)[0] == 0
            with events.open(encoding="utf-8") as lines:
                replays[command] = terminal_steps(list(from_file(lines).source))
        shown = replays[command][number - 1]
        assert (shown.number, shown.call.place.function) == (number, name), command


def test_one_packet_crosses_six_layers() -> None:
    """'guest user space, guest kernel, the ring in guest memory, KVM, QEMU, the host
    kernel'."""
    assert "(guest user space, guest kernel, the ring in guest memory, KVM, QEMU, the host " \
           "kernel.)" in _text(GUIDES[0])
    assert len(Layer) == 6


def test_a_big_buffer_takes_one_indirect_descriptor_or_a_chain_of_19() -> None:
    """Without mergeable buffers each big buffer is one indirect descriptor, so 256 fill a
    256-entry ring; without INDIRECT_DESC 13 chains of 19 do (13 x 19 = 247, and a 14th
    would need 266). After one frame 255, or 12 chains, are still posted."""
    for doc in GUIDES:
        assert "19" in _text(doc).split("--no-mergeable", 1)[1][:60]
    for features, posted, per_buffer in (("", 256, 1), ("-mrg_rxbuf,-indirect_desc", 13, 19)):
        session = replayed("recv", {"frames": 1, "mergeable": False, "features": features},
                           "modern", 1)
        session.count()
        assert session.tally["buffers_posted"] == posted == 256 // per_buffer
        assert session.tally.ring["num_free"] == 256 - (posted - 1) * per_buffer


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_smallest_terminal_the_guide_asks_for_shows_the_whole_ring(lang: str) -> None:
    """'at least 110 columns wide and 35 lines tall ... in fewer lines the ring panel keeps
    only its five main values', for every step of the lesson's packet."""
    assert "at least 110 columns wide and 35 lines tall" in _text(GUIDES[0])
    assert "110 列宽、35 行高" in _text(GUIDES[1])
    for height, whole in ((35, True), (30, False)):
        session = replayed("send", {"frames": 1}, "lesson", 1)
        state = LiveState(session, lang)
        for event in session.source:
            state.update(event)
            console = Console(width=110, height=height, color_system=None, force_terminal=True,
                              record=True, file=io.StringIO())
            console.print(state)
            screen = console.export_text()
            assert len(screen.splitlines()) <= height
            assert ("avail_idx_shadow" in screen and "last_avail_idx" in screen) is whole
            assert "num_free" in screen
