"""The scenario owns its words: each view asks it for the queue, the back end, the switches, the
tap, the titles and the decisions, and says them right for receive and for vhost-net."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from cli_run import run

from vtrace.catalog import CATALOG, ERAS
from vtrace.cli.diff import diff_lines
from vtrace.era_diff import era_diff
from vtrace.i18n import step_text
from vtrace.model import Event
from vtrace.renderers.describe import decision
from vtrace.renderers.html_words import words
from vtrace.renderers.overview import overview_source
from vtrace.renderers.ring_contents import RingContents
from vtrace.renderers.ring_view import ring_lines
from vtrace.renderers.summary import summary_lines
from vtrace.scenarios import REGISTERED, all_params
from vtrace.scenarios.recv import RECV, RecvParams
from vtrace.scenarios.send import SEND, SendParams
from vtrace.scenarios.setup import SETUP
from vtrace.scenarios.words import DECISIONS
from vtrace.session import replayed


def _events(name: str, **given: object) -> list[Event]:
    return list(replayed(name, dict(given), "modern", 1).events())


@pytest.mark.parametrize(("params", "scenario"), [(SendParams, SEND), (RecvParams, RECV)])
def test_a_parameter_class_takes_each_default_from_its_scenario(
        params: type, scenario: object) -> None:
    declared = {param.name: param.default for param in scenario.params}  # type: ignore[attr-defined]
    fields = {field.name: field.default for field in dataclasses.fields(params)}
    assert fields == declared
    assert SendParams().frames == RecvParams().frames == 3


def test_the_tap_direction_and_the_switches_are_the_scenarios() -> None:
    assert SEND.tap_direction == "guest-to-host"
    assert RECV.tap_direction == "host-to-guest"
    assert SETUP.tap_direction is None
    assert set(RECV.era_switches("lesson")) == {"fill_in_pop_loop", "gro_batch",
                                                 "refill_by_budget", "poll_disables_cb",
                                                 "page_pool"}
    assert RECV.era_switches("no such era") == {}


def test_diff_lists_the_receive_switches() -> None:
    out = "\n".join(diff_lines(era_diff("recv", {"frames": 1}, "lesson", "newest")))
    listed = out.split("Behaviour switches that differ:")[1].split("Changes:")[0]
    for name in ("fill_in_pop_loop", "gro_batch", "refill_by_budget", "poll_disables_cb",
                 "page_pool"):
        assert f"  {name}: lesson " in listed
    assert "True" not in out and "False" not in out


def test_the_player_names_the_receive_ring_and_the_vhost_worker() -> None:
    assert words(RECV, {"backend": "qemu"})["en"]["ring"] == "RX virtqueue"
    assert words(RECV, {"backend": "qemu"})["zh"]["ring"] == "RX 虚拟队列"
    assert words(SEND, {"backend": "qemu"})["en"]["desc.device"] == "taken by QEMU"
    vhost = words(SEND, {"backend": "vhost-net"})
    assert vhost["en"]["desc.device"] == "taken by the vhost worker"
    assert vhost["en"]["ring.device"] == "the vhost worker's view"
    assert "msix_notify" not in vhost["en"]["marker.irq"]
    assert "QEMU" not in vhost["zh"]["desc.device"]
    assert words(SETUP, {})["en"]["ring"] == ""


def test_the_receive_ring_says_how_many_buffers_it_cannot_name() -> None:
    session = replayed("recv", {"frames": 1}, "modern", 1)
    contents = RingContents(session.header, session.scenario)
    for event in session.events():
        contents.update(event)
        if event.step == "virtqueue_split_pop":
            break
    assert [entry.state for entry in contents.in_use()] == ["device"]
    assert contents.unlisted() == 255
    lines = ring_lines(contents)
    assert "  255 more posted: the stream names a buffer when the device takes it" in lines
    assert "  none" not in lines[:4]
    assert "  255 not taken yet, posted without their heads in the stream" in lines


def test_receive_plain_has_no_empty_note_line() -> None:
    code, out, _ = run("recv", "--frames", "3", "--view", "plain")
    assert code == 0
    assert not [line for line in out.splitlines() if line.rstrip().endswith("**")]
    assert "the frame fills 1 buffer (num_buffers 1)" in out


def test_setup_on_vhost_net_says_each_fact_and_names_the_queues() -> None:
    code, out, _ = run("setup", "--backend", "vhost-net", "--view", "plain")
    assert code == 0
    assert not [line for line in out.splitlines() if line.rstrip().endswith("**")]
    for said in ("queue rx0: its interrupt is now a KVM irqfd, woken through irqfd_wakeup",
                 "queue tx0: vhost-net now moves its packets through the tap's socket",
                 "the device's vhost worker vhost-<QEMU pid> now exists",
                 "QEMU is off the data path", "queue rx0: VHOST_SET_VRING_KICK",
                 "queue tx0: VHOST_NET_SET_BACKEND"):
        assert said in out


def test_vhost_nets_interrupt_decision_has_a_sentence() -> None:
    notify = next(event for event in _events("send", frames=1, backend="vhost-net")
                  if event.step == "vhost_notify")
    assert decision(notify).startswith("interrupt")
    assert decision(notify, "zh").startswith("中断")


def test_the_two_tap_read_poll_lines_differ() -> None:
    polls = [event for event in _events("recv", frames=3, rx_buffers=0)
             if event.step == "tap_read_poll"]
    said = [decision(event) for event in polls]
    assert "QEMU stops reading the tap: the NIC cannot take the packet now" in said
    assert "QEMU reads the tap again: the NIC can take packets" in said


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_shared_steps_do_not_speak_of_the_send_side(lang: str) -> None:
    for step in ("msix_notify", "qemu_deliver_packet_iov"):
        said = step_text(CATALOG[step], lang)
        assert "TX" not in said and "tap_receive_iov" not in said


def test_the_receive_overview_labels_the_guest_stack_without_a_qdisc() -> None:
    session = replayed("recv", {"frames": 1}, "modern", 1)
    source = overview_source(session)
    assert "GRO, IP/UDP" in source and "qdisc" not in source
    assert "The receive path across the layers" in source


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_titles_are_words(lang: str) -> None:
    for name, item in REGISTERED.items():
        if not item.replayable:
            continue
        for era in ERAS:
            for backend in ("qemu", "vhost-net"):
                header = replayed(name, {"backend": backend}, era, 1).header
                title = item.describe(header.params, lang)
                assert "=" not in title and "True" not in title, title
                assert ("vhost-net" in title) is (backend == "vhost-net"), title


def test_diagram_help_speaks_of_no_one_scenario() -> None:
    code, out, _ = run("diagram", "--help")
    assert code == 0
    assert "Frames the host sends" not in out and "Frames to replay" in out
    assert [param.help for param in all_params(("send", "recv"))
            if param.name == "frames"] == [
        "Frames to replay (the guest sends them, or the host sends them to the guest)."]


def test_a_capture_is_not_labelled_modelled_time(tmp_path: Path) -> None:
    session = replayed("send", {"frames": 1}, "modern", 1)
    assert "modelled time" in "\n".join(summary_lines(session.tally, session.scenario))
    code, stream, _ = run("send", "--frames", "1", "--events", "-", "--view", "quiet")
    assert code == 0
    head, *rest = stream.splitlines()
    header = json.loads(head)
    header["source"] = "trace"
    recorded = tmp_path / "captured.jsonl"
    recorded.write_text("\n".join([json.dumps(header), *rest]) + "\n", encoding="utf-8")
    code, out, err = run("play", str(recorded), "--view", "quiet")
    assert code == 0, err
    assert "time seen in the capture" in out + err and "modelled time" not in out + err


def test_a_step_records_one_kind_of_decision_in_every_scenario() -> None:
    kinds: dict[str, set[str]] = {}
    for item in REGISTERED.values():
        for step, kind in item.decisions.items():
            kinds.setdefault(step, set()).add(kind)
            assert kind in DECISIONS and step in CATALOG, (item.name, step)
    assert all(len(found) == 1 for found in kinds.values()), kinds


def test_a_replay_keeps_the_scenario_it_was_given() -> None:
    class Renamed(type(SEND)):  # type: ignore[misc]
        """The send scenario under a name the registry does not know."""

        name = "send-renamed"

    renamed = Renamed()
    session = replayed(renamed, {"frames": 1}, "modern", 1)
    assert session.scenario is renamed and session.header.scenario == "send-renamed"
    assert session.fed([]).scenario is renamed and session.fed([]).tally is session.tally
