"""The overview: the layered picture with the path of the first round numbered on it."""

from __future__ import annotations

import dataclasses
import io
import re
import xml.etree.ElementTree as ElementTree

import pytest
from diagram_fixtures import hostile_events, hostile_header, recorded

from vtrace.catalog import era
from vtrace.model import Event, Header
from vtrace.renderers.overview import (
    OverviewRenderer,
    overview_hops,
    overview_source,
    overview_title,
)
from vtrace.scenarios.send import SEND, SendParams, send
from vtrace.session import Session, replayed


def path(**params: object) -> list[tuple[str, str, str]]:
    """(number, hop, function) for each numbered step of one frame's replay."""
    events = send(SendParams(frames=1, **params), era("modern"), 1)  # type: ignore[arg-type]
    numbered = []
    for hop in overview_hops(events):
        numbered += [(number, f"{hop.src}>{hop.dst}", event.function)
                     for number, event in hop.steps]
        numbered += [(number, f"{hop.dst}>{hop.src}", event.function)
                     for number, event in hop.back]
    return [(str(number), hop, function) for number, hop, function in sorted(numbered)]


def test_the_path_is_numbered_in_the_order_it_happens() -> None:
    steps = path()
    assert [number for number, _, _ in steps] == [str(n) for n in range(1, len(steps) + 1)]
    hops = [hop for _, hop, _ in steps]
    order = ["app>socket", "socket>stack", "stack>virtio_net", "virtio_net>vring",
             "virtio_net>kvm", "kvm>virtio_net", "kvm>virtio-net", "virtio-net>net-queue",
             "net-queue>tap", "tap>tun-chr", "tun-chr>tap-netdev", "tap-netdev>host-stack"]
    assert [hop for hop in hops if hop in order][:len(order)] == order
    assert ("virtio-net>kvm" in hops) and ("virtio-net>vring" in hops)
    assert "virtio-net>virtio_net" not in hops  # the interrupt comes back through KVM


def test_the_interrupt_comes_back_through_kvm() -> None:
    functions = {function for _, hop, function in path() if hop == "virtio-net>kvm"}
    assert functions == {"kvm_send_userspace_msi"}
    events = send(SendParams(frames=1), era("modern"), 1)
    back = next(hop for hop in overview_hops(events) if (hop.src, hop.dst) == ("virtio_net", "kvm"))
    assert [(event.kind.value, event.function) for _, event in back.back] == [
        ("return", "handle_ept_misconfig"), ("call", "vring_interrupt")]  # VM entry, interrupt


def test_without_ioeventfd_the_kick_goes_to_qemus_vcpu_thread() -> None:
    functions = {hop: function for _, hop, function in path(ioeventfd=False)}
    assert functions["kvm>virtio-net"] == "kvm_cpu_exec"


def test_a_hop_back_shares_the_line_of_the_hop_there() -> None:
    events = send(SendParams(frames=1), era("modern"), 1)
    exit_hop = next(hop for hop in overview_hops(events) if (hop.src, hop.dst) ==
                    ("virtio_net", "kvm"))
    assert exit_hop.badge() == "5/6,17"  # the VM entry, then the interrupt


def test_only_the_first_round_is_read() -> None:
    events = send(SendParams(frames=3), era("modern"), 1)
    overview_hops(events)
    assert next(events).frame is not None  # the rest of the stream was left alone


def test_the_svg_shows_the_layers_parts_and_legend() -> None:
    header, events = recorded()
    out = io.BytesIO()
    OverviewRenderer().render(Session(header, events), out)
    root = ElementTree.fromstring(out.getvalue())
    shown = " ".join(element.text or "" for element in root.iter()
                     if element.tag.endswith("}text"))
    for words in ("guest (VM)", "QEMU process", "host kernel", "virtio_net driver",
                  "tap netdev (tap0)", "KVM", "VM exit: handle_ept_misconfig",
                  "tun_chr_write_iter"):
        assert words in shown


def test_dot_source_in_chinese() -> None:
    header, events = recorded()
    source = overview_source(Session(header, events), lang="zh")
    assert "客户机（虚拟机）" in source and "发送路径" in source


def test_actors_it_has_no_part_for_are_left_out() -> None:
    hops = overview_hops(hostile_events())
    assert hops == []
    out = io.BytesIO()
    OverviewRenderer().render(Session(hostile_header(), hostile_events()), out)
    root = ElementTree.fromstring(out.getvalue())  # the hostile title stays text
    assert not [element for element in root.iter() if element.tag.endswith("script")]


def replay(scenario: str, backend: str) -> tuple[Header, list[Event]]:
    session = replayed(scenario, {"frames": 1, "backend": backend}, "modern", 1)
    return session.header, list(session.events())


def hop_order(scenario: str, backend: str) -> list[str]:
    """``src>dst`` of each numbered hop of one frame, in number order."""
    header, events = replay(scenario, backend)
    numbered = [(number, f"{hop.src}>{hop.dst}") for hop in overview_hops(events)
                for number, _ in hop.steps]
    numbered += [(number, f"{hop.dst}>{hop.src}") for hop in overview_hops(events)
                 for number, _ in hop.back]
    return [hop for _, hop in sorted(numbered)]


def in_order(taken: list[str], wanted: list[str]) -> bool:
    """Whether ``wanted`` occur in ``taken`` in this order (others may come between)."""
    rest = iter(taken)
    return all(hop in rest for hop in wanted)


QEMU_PARTS = ("virtio-net device", "net layer", "tap backend")


def labels(source: str) -> dict[str, str]:
    """Each node's label (its line breaks as newlines), with its attribute list, in DOT."""
    return {re.sub(r"\\[ln]", "\n", match.group(1)).strip("\n"): match.group(0)
            for match in re.finditer(r'label="((?:[^"\\]|\\.)*)"[^\]]*', source)}


@pytest.mark.parametrize(("scenario", "backend", "path", "title"), [
    ("send", "qemu", ["app>socket", "virtio_net>vring", "virtio_net>kvm", "kvm>virtio-net",
                      "net-queue>tap", "tap>tun-chr", "tap-netdev>host-stack",
                      "virtio-net>vring", "virtio-net>kvm", "kvm>virtio_net"],
     "The send path across the layers"),
    ("send", "vhost-net", ["app>socket", "virtio_net>vring", "virtio_net>kvm", "kvm>vhost",
                           "vhost>tun-chr", "tap-netdev>host-stack", "vhost>vring",
                           "vhost>kvm", "kvm>virtio_net"],
     "The send path across the layers"),
    ("recv", "qemu", ["host-stack>tap-netdev", "tap>tun-chr", "tap>net-queue",
                      "net-queue>virtio-net", "virtio-net>vring", "virtio-net>kvm",
                      "kvm>virtio_net", "virtio_net>stack", "app>socket"],
     "The receive path across the layers"),
    ("recv", "vhost-net", ["host-stack>tap-netdev", "tun-chr>vhost", "vhost>tun-chr",
                           "vhost>vring", "vhost>kvm", "kvm>virtio_net", "virtio_net>stack",
                           "app>socket"],
     "The receive path across the layers"),
])
def test_each_scenario_and_back_end_numbers_its_own_path(scenario: str, backend: str,
                                                         path: list[str], title: str) -> None:
    taken = hop_order(scenario, backend)
    assert in_order(taken, path), taken
    parts = {part for hop in taken for part in hop.split(">")}
    if backend == "vhost-net":  # QEMU drops out: no hop touches its parts
        assert "vhost" in parts and not parts & {"virtio-net", "net-queue", "tap"}
    else:
        assert "vhost" not in parts
    header, events = replay(scenario, backend)
    source = overview_source(Session(header, events))
    nodes = labels(source)
    assert title in nodes
    assert ("vhost-net worker\n(kernel thread\nvhost-<QEMU pid>)" in nodes) == \
        (backend == "vhost-net")
    caption = [label for label in nodes if label.startswith("bypassed with vhost-net")]
    assert bool(caption) == (backend == "vhost-net")
    for part in QEMU_PARTS:  # greyed out and dashed only when bypassed
        assert ('style="filled,rounded,dashed"' in nodes[part]) == (backend == "vhost-net")
    for number in range(1, len(taken) + 1):  # every number in the legend
        assert any(re.match(rf"\s*{number}  ", label) for label in nodes), number


def test_the_receive_overview_in_chinese() -> None:
    header, events = replay("recv", "vhost-net")
    source = overview_source(Session(header, events), lang="zh")
    assert "接收路径穿过的各层" in source and "vhost-net 工作线程" in source
    assert "vhost-net 绕过了这里" in source
    assert overview_title(SEND, "zh") == "发送路径穿过的各层"


def test_a_scenario_without_its_own_title_gets_the_generic_one() -> None:
    header = dataclasses.replace(replay("send", "qemu")[0], scenario="trace")
    assert overview_title(Session(header, []).scenario) == "The path across the layers"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_step_list_names_the_parts_as_the_picture_does(lang: str) -> None:
    for name, given in (("send", {"frames": 1}), ("recv", {"frames": 1, "backend": "vhost-net"}),
                        ("setup", {})):
        session = replayed(name, given, "modern", 1)
        source = overview_source(session, lang=lang)
        legend = re.findall(r'label="[ \d]\d  [^"]*\(([^"]*) → ([^"]*)\)\\l"', source)
        assert legend
        for ends in legend:
            assert not {"tap-netdev", "host-stack", "tun-chr", "virtio-net", "net-queue",
                        "vring", "app", "tap", "stack"} & set(ends), ends
