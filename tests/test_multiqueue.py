"""``--queues N --flows M``: each flow's queue as ``vtrace.rss`` computes it, a vCPU and a
ring per queue, the refusals, every view."""

from __future__ import annotations

import io
from typing import Any

import pytest
from cli_run import run

from vtrace.catalog import ERAS
from vtrace.engine.sim import Fields
from vtrace.frames import VNET_HDR_SIZE, Endpoints, parse_frame
from vtrace.model import Event, Kind
from vtrace.renderers import by_name
from vtrace.ring import RingLayout
from vtrace.rss import DEFAULT_KEY, Flow, default_indirection_table, rss_queue, tx_queue, xps_map
from vtrace.scenarios import replay
from vtrace.scenarios.recv.guest import run_worlds as recv_worlds
from vtrace.scenarios.recv.world import HOST_TO_GUEST, RecvParams
from vtrace.scenarios.send.guest import run_worlds as send_worlds
from vtrace.scenarios.send.world import SendParams
from vtrace.session import replayed

FLOWS, QUEUES, FRAMES = 4, 2, 8


def _events(scenario: str, era: str = "modern", **more: Any) -> list[Event]:
    _, events = replay(scenario, {"frames": FRAMES, "queues": QUEUES, "flows": FLOWS, **more},
                       era, 1)
    return list(events)


def _expected_tx(flow: int) -> int:
    """The sender of flow f runs on CPU f mod N; XPS maps each CPU to one queue."""
    return tx_queue(flow % QUEUES, xps_map(QUEUES, QUEUES))


def _expected_rx(flow: int) -> int:
    seen = Flow("10.0.2.2", "10.0.2.15", HOST_TO_GUEST.src_port + flow, HOST_TO_GUEST.dst_port,
                "udp")
    return rss_queue(seen, DEFAULT_KEY, default_indirection_table(QUEUES), QUEUES)[0]


@pytest.mark.parametrize("era", ["lesson", "modern", "newest"])
def test_send_spreads_the_flows_over_both_queues_and_vcpus_as_xps_says(era: str) -> None:
    events = _events("send", era)
    picks = {event.frame: event.detail for event in events
             if event.step == "netdev_pick_tx" and event.frame is not None}
    assert sorted(picks) == list(range(FRAMES))
    for frame, detail in picks.items():
        assert detail["tx_queue"] == detail["queue"] == _expected_tx(frame % FLOWS)
    # Each frame's guest steps run on its queue's vCPU, and every one of them says the queue.
    for event in events:
        if event.frame is not None and event.thread.startswith("vcpu"):
            assert event.thread == f"vcpu{picks[event.frame]['queue']}"
            assert event.detail["queue"] in (picks[event.frame]["queue"], "stopped", "woken")
    assert {event.thread for event in events} == {"vcpu0", "vcpu1", "qemu-main"}


def test_send_notifies_each_queue_s_virtqueue_and_interrupts_on_its_vector() -> None:
    events = _events("send")
    notified = {(e.detail["queue"], e.detail["queue_index"]) for e in events
                if e.step == "vp_notify"}
    vectors = {(e.detail["queue"], e.detail["msix_vector"]) for e in events
               if e.step == "msix_notify"}
    assert notified == {(0, 1), (1, 3)}
    assert vectors == {(0, 2), (1, 4)}


@pytest.mark.parametrize("era", ["modern", "newest"])
def test_recv_spreads_the_flows_as_qemu_s_software_rss_hashes_them(era: str) -> None:
    events = _events("recv", era)
    rss = {event.frame: event.detail for event in events
           if event.step == "virtio_net_process_rss" and event.frame is not None}
    assert sorted(rss) == list(range(FRAMES))
    expected = {frame: _expected_rx(frame % FLOWS) for frame in range(FRAMES)}
    assert {frame: detail["rx_queue"] for frame, detail in rss.items()} == expected
    assert set(expected.values()) == {0, 1}  # both queues, with the driver's default table
    read = {event.frame: event.thread for event in events if event.step == "udp_recvmsg"}
    assert read == {frame: f"vcpu{queue}" for frame, queue in expected.items()}
    vectors = {(e.detail["queue"], e.detail["msix_vector"]) for e in events
               if e.step == "msix_notify"}
    assert vectors <= {(0, 1), (1, 3)} and {queue for queue, _ in vectors} == {0, 1}


def test_each_queue_has_its_own_ring_whose_bytes_match_its_events() -> None:
    worlds, run_ = send_worlds(SendParams(frames=FRAMES, queues=QUEUES, flows=FLOWS),
                               ERAS["modern"], 1)
    events = list(run_)
    assert worlds[0].memory is not worlds[1].memory
    for queue, world in enumerate(worlds):
        mine = [e for e in events if e.detail.get("queue") == queue and "ring" in e.detail
                and e.kind is Kind.CALL]
        folded: dict[str, int] = {}
        for event in mine:
            folded.update(event.detail["ring"])
        layout = world.memory.layout
        assert isinstance(layout, RingLayout)
        assert folded["avail.idx"] == world.memory.u16(layout.avail_idx) == len(world.frames)
        assert folded["used.idx"] == world.memory.u16(layout.used_idx) == len(world.frames)
        added = [e for e in mine if e.step == "virtqueue_add_split"]
        assert sorted(e.frame or 0 for e in added) == list(world.frames)
        last = {event.detail["head"]: event for event in added}
        for event in last.values():  # the last frame in each slot: its flow's port, here
            data = world.memory.read(event.detail["addr"], event.detail["len"])
            parsed = parse_frame(data[VNET_HDR_SIZE:])
            assert event.frame is not None
            assert parsed.src_port == Endpoints().src_port + event.frame % FLOWS


def test_recv_rings_fill_per_queue() -> None:
    worlds, run_ = recv_worlds(RecvParams(frames=FRAMES, queues=QUEUES, flows=FLOWS),
                               ERAS["modern"], 1)
    list(run_)
    for queue, world in enumerate(worlds):
        mine = [frame for frame in range(FRAMES) if _expected_rx(frame % FLOWS) == queue]
        assert world.delivered == mine
        layout = world.memory.layout
        assert isinstance(layout, RingLayout)
        assert world.memory.u16(layout.used_idx) == len(mine)


def test_one_queue_streams_say_nothing_of_queues() -> None:
    events = list(replay("send", {"frames": 2}, "modern", 1)[1])
    assert all("queue" not in event.detail or isinstance(event.detail["queue"], str)
               for event in events)
    assert {event.thread for event in events} == {"vcpu0", "qemu-main"}


@pytest.mark.parametrize(("args", "says"), [
    (("send", "--queues", "0"), "--queues"),
    (("send", "--queues", "9"), "--queues"),
    (("recv", "--queues", "9"), "--queues"),
    (("send", "--flows", "0"), "--flows"),
    (("recv", "--flows", "0"), "--flows"),
    (("recv", "--queues", "2", "--era", "lesson"), "tun_automq_select_queue"),
    (("send", "--queues", "2", "--backend", "vhost-net"), "--backend qemu only"),
    (("recv", "--queues", "2", "--backend", "vhost-net"), "--backend qemu only"),
])
def test_bad_queue_options_are_refused_in_one_line(args: tuple[str, ...], says: str) -> None:
    code, out, err = run(*args)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and says in err and "Traceback" not in err


def test_the_setup_turns_the_queues_on_with_the_mq_command() -> None:
    for era, last in (("lesson", "virtio_net_set_queues"), ("modern", "virtio_net_set_queue_pairs"),
                      ("newest", "virtio_net_set_queue_pairs")):
        events = list(replay("setup", {"queues": 2}, era, 1)[1])
        steps = [event.step for event in events]
        chain = ["virtnet_set_queues", "virtnet_send_command", "virtio_net_handle_ctrl",
                 "virtio_net_handle_mq", last, "virtnet_set_affinity"]
        assert [step for step in steps if step in chain] == chain
        mq = next(event for event in events if event.step == "virtio_net_handle_mq")
        assert mq.detail == {"cmd": "VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET", "queue_pairs": 2}


def test_endpoints_differ_per_flow_only_in_the_port() -> None:
    from vtrace.scenarios.multiqueue import endpoints_of
    assert endpoints_of(Endpoints(), 0) == Endpoints()
    assert endpoints_of(Endpoints(), 3).src_port == Endpoints().src_port + 3


def test_the_summary_counts_per_queue_pair_and_in_total() -> None:
    code, out, err = run("send", "--queues", "2", "--flows", "4", "-n", "8", "--view", "quiet")
    assert code == 0 and err == ""
    lines = out.splitlines()
    at = next(index for index, line in enumerate(lines) if line.startswith("Per queue pair"))
    assert lines[at + 1].split() == ["queue", "0", "queue", "1", "total"]
    sent = next(line for line in lines[at:] if line.strip().startswith("frames sent"))
    assert sent.split()[-3:] == ["4", "4", "8"]
    code, out, _ = run("send", "-n", "8", "--view", "quiet")
    assert code == 0 and "Per queue pair" not in out


def test_the_zh_summary_names_the_queues_in_chinese() -> None:
    code, out, _ = run("recv", "--queues", "2", "--flows", "4", "-n", "8", "--view", "quiet",
                       "--lang", "zh")
    assert code == 0 and "每个队列对" in out and "队列 1" in out and "合计" in out


def test_the_live_ring_panel_switches_between_the_queue_pairs() -> None:
    from rich.console import Console

    from vtrace.renderers.live import LiveState
    session = replayed("send", {"frames": 8, "queues": 2, "flows": 4}, "modern", 1)
    state = LiveState(session, "en")
    for event in session.source:
        state.update(event)
    assert sorted(state.queue_rings) == [0, 1]
    for presses, queue in ((0, 0), (1, 1), (2, 0)):
        state.show_queue(presses)
        assert state.shown_queue == queue
        assert state.ring is state.queue_rings[queue][0]
        assert state.ring.values["avail.idx"] == 4
        console = Console(width=160, height=50, record=True)
        console.print(state)
        lines = [line.strip(" │") for line in console.export_text().splitlines()]
        title = next(at for at, line in enumerate(lines) if "TX virtqueue" in line)
        assert f"queue {queue} (256)" in lines[title + 1]


@pytest.mark.parametrize(("lang", "ring", "pair"), [("en", "TX virtqueue", "queue {} (256)"),
                                                     ("zh", "TX 虚拟队列", "队列 {} (256)")])
def test_the_ring_panel_s_title_is_not_cut_at_80_by_24(lang: str, ring: str,
                                                       pair: str) -> None:
    from rich.console import Console

    from vtrace.renderers.live import LiveState
    session = replayed("send", {"queues": 2, "flows": 4}, "modern", 1)
    state = LiveState(session, lang)
    for event in session.source:
        state.update(event)
    console = Console(width=80, height=24, record=True)
    console.print(state)
    screen = console.export_text()
    assert "…" not in screen
    lines = [line.strip(" │") for line in screen.splitlines()]
    title = next(at for at, line in enumerate(lines) if ring in line)
    assert pair.format(state.shown_queue) in lines[title + 1]


def test_u_moves_the_step_view_to_the_next_queue_pair() -> None:
    from vtrace.renderers.view_words import word
    from vtrace.stepping import Position, drive
    events = _events("send")
    shown: list[Position] = []

    class Recorder:
        def reset(self) -> None:
            pass

        def feed(self, event: Event) -> None:
            pass

        def show(self, at: Position) -> None:
            shown.append(at)

    pressed = iter(["u", "u", "\n", "q"])
    drive(events, Recorder(), lambda: next(pressed), lambda event: None)
    assert [at.queue for at in shown] == [0, 1, 2, 2]
    assert "u: the next queue pair's ring" in word("legend", "en")
    assert "u：下一个队列对的环" in word("legend", "zh")


@pytest.mark.parametrize("scenario", ["send", "recv"])
def test_the_sequence_diagram_has_the_guest_s_lifelines_once_per_vcpu(scenario: str) -> None:
    from vtrace.renderers.diagram_text import on_vcpus
    from vtrace.renderers.folding import fold
    from vtrace.renderers.sequence import sequence_source
    session = replayed(scenario, {"frames": 2, "queues": 2, "flows": 2}, "modern", 1)
    outline = fold(on_vcpus(session.events(), session.header), batch=1)
    guest = [actor for actor in outline.actors if "@" in actor]
    assert guest[:3] == ["app@vcpu0", "stack@vcpu0", "virtio_net@vcpu0"]
    assert guest[3:] == ["app@vcpu1", "stack@vcpu1", "virtio_net@vcpu1"]
    assert outline.actors[len(guest)] == "vring"
    one = replayed(scenario, {"frames": 2}, "modern", 1)
    assert "@vcpu" not in sequence_source(one)
    assert "virtio_net@vcpu1" in sequence_source(
        replayed(scenario, {"frames": 2, "queues": 2, "flows": 2}, "modern", 1))


def test_plain_show_ring_shows_each_queue_pair_s_own_ring() -> None:
    code, out, err = run("send", "--queues", "2", "--flows", "2", "-n", "2", "--view", "plain",
                         "--show-ring")
    assert code == 0 and err == ""
    blocks = out.split("│ queue ")[1:]
    assert {block[0] for block in blocks} == {"0", "1"}
    # Each pair's ring has its own first descriptor: both show [0] holding their own frame.
    assert any("[0]" in block and "#0" in block for block in blocks if block[0] == "0")
    assert any("[0]" in block and "#1" in block for block in blocks if block[0] == "1")


def _compare(*args: str) -> tuple[int, str]:
    from vtrace.cli import main
    from vtrace.cli.env import Environment
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as exited:
        main(["compare", *args], Environment(argv=("compare", *args), stdout=out, stderr=err))
    return int(exited.value.code or 0), out.getvalue()


def test_compare_sets_one_queue_pair_beside_several() -> None:
    import json
    code, out = _compare("--queues", "2", "-n", "8", "--json")
    assert code == 0
    rows = [(row["scenario"], row["backend"], row["queues"]) for row in json.loads(out)["rows"]]
    assert rows == [("send", "qemu", 1), ("send", "qemu", 2), ("recv", "qemu", 1),
                    ("recv", "qemu", 2)]
    code, out = _compare("--queues", "2", "-n", "8", "--era", "lesson")
    assert code == 0 and "send qemu, 2 queues" in out and "recv qemu, 2 queues" not in out
    code, out = _compare("-n", "2", "--json")
    assert {row["queues"] for row in json.loads(out)["rows"]} == {1}


def test_the_mermaid_diagram_has_the_guest_s_lifelines_once_per_vcpu() -> None:
    out = io.StringIO()
    by_name("mermaid")(lang="en").render(
        replayed("recv", {"frames": 2, "queues": 2, "flows": 2}, "modern", 1), out)
    assert "participant virtio_net_vcpu1 as virtio_net@vcpu1" in out.getvalue()


def test_u_in_the_live_step_view_shows_the_other_queue_pair_s_ring(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from collections.abc import Callable, Iterator
    from contextlib import contextmanager
    from typing import IO

    from fake_terminal import Terminal

    from vtrace.cli import main
    from vtrace.cli.env import Environment

    def keys(pressed: list[str]) -> Callable[[IO[Any]], Any]:
        @contextmanager
        def reader(stream: IO[Any]) -> Iterator[Callable[[], str]]:
            sequence = iter(pressed)
            yield lambda: next(sequence)
        return reader

    monkeypatch.setenv("COLUMNS", "160")
    monkeypatch.setenv("LINES", "50")
    screens = []
    for pressed in (["\n"] * 30 + ["q"], ["\n"] * 30 + ["u", "q"]):
        out = Terminal()
        env = Environment(argv=(), stdin=Terminal(), stdout=out, stderr=io.StringIO(),
                          environ={"TERM": "xterm", "COLUMNS": "160", "LINES": "50"},
                          keys=keys(pressed))
        with pytest.raises(SystemExit) as exited:
            main(["send", "--queues", "2", "--flows", "2", "-n", "2", "--step", "--view",
                  "live"], env)
        assert exited.value.code == 0
        screens.append(out.getvalue())
    assert "queue 0 (256)" in screens[0] and "queue 1 (256)" not in screens[0]
    assert "queue 1 (256)" in screens[1]


@pytest.mark.parametrize("follow", [False, True])
def test_a_live_run_shows_the_ring_of_the_newest_step_s_queue_pair(follow: bool) -> None:
    from rich.console import Console

    from vtrace.renderers.live import LiveState
    session = replayed("send", {"frames": 8, "queues": 2, "flows": 4}, "modern", 1)
    state = LiveState(session, "en", session.tally if follow else None)
    events = iter(replayed("send", {"frames": 8, "queues": 2, "flows": 4}, "modern",
                           1).source)
    take = state.taker() if follow else None
    seen: set[int] = set()
    for event in events:
        if take is not None:
            session.tally.add(event)
            take(Fields(event.seq, event.frame, event.place, event.kind, event.src,
                        event.dst, event.t_ns, event.detail, event.thread, event.source))
        else:
            state.update(event)
        if event.kind is not Kind.CALL or event.step != "virtqueue_add_split":
            continue
        console = Console(width=160, height=50, record=True)
        console.print(state)  # lays the screen out, as each refresh does
        queue = event.detail["queue"]
        seen.add(queue)
        assert state.shown_queue == queue
        assert state.ring is state.queue_rings[queue][0]
        lines = [line.strip(" │") for line in console.export_text().splitlines()]
        title = next(at for at, line in enumerate(lines) if "TX virtqueue" in line)
        assert f"queue {queue} (256)" in lines[title + 1]
    assert seen == {0, 1}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_live_counters_are_per_queue_pair_where_the_screen_has_room(lang: str) -> None:
    from rich.cells import cell_len
    from rich.console import Console

    from vtrace.renderers.live import LiveState
    session = replayed("send", {"frames": 16, "queues": 2, "flows": 8}, "modern", 1)
    state = LiveState(session, lang)
    for count, event in enumerate(session.source):
        if count == 500:
            break
        state.update(event)
    heading = {"en": "per queue pair: 0 | 1", "zh": "按队列对：0 | 1"}[lang]
    for (width, height), split in (((80, 24), False), ((100, 30), True)):
        console = Console(width=width, height=height, color_system=None, force_terminal=True,
                          record=True, file=io.StringIO())
        console.print(state)
        screen = console.export_text()
        lines = screen.splitlines()
        assert len(lines) <= height and {cell_len(line) for line in lines} == {width}
        assert (heading in screen) is split
        assert ("8 (4 | 4)" in screen) is split
        assert "queue 1 (256)" in screen or "1 (256)" in screen  # the ring panel stays
