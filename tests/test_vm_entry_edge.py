"""The VM entry is KVM resuming the vCPU: in every diagram its arrow leaves the KVM
lifeline (and the text view puts its line in KVM's layer), in every scenario, era and
back end, whichever thread the stream says asked for it (QEMU's vCPU thread after a
KVM_EXIT_MMIO)."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from vtrace import scenarios
from vtrace.catalog import ERAS
from vtrace.model import Event, Header, Kind
from vtrace.renderers.diagram_text import RED, crossing
from vtrace.renderers.folding import batch_of
from vtrace.renderers.html import HtmlRenderer
from vtrace.renderers.mermaid import mermaid_lines
from vtrace.renderers.overview import overview_hops
from vtrace.renderers.plain import PlainRenderer
from vtrace.renderers.sequence import sequence_source
from vtrace.session import Session


def _runs() -> Iterator[tuple[str, dict[str, Any], str]]:
    for era in ERAS:
        for backend in ("qemu", "vhost-net"):
            yield "setup", {"backend": backend}, era
            yield "recv", {"frames": 1, "backend": backend}, era
            for ioeventfd in (True, False) if backend == "qemu" else (True,):
                yield "send", {"frames": 1, "backend": backend, "ioeventfd": ioeventfd}, era


RUNS = list(_runs())
NAMES = [f"{name}-{given['backend']}-{era}-{'mmio' if given.get('ioeventfd') is False else 'fd'}"
         for name, given, era in RUNS]


def _replay(name: str, given: dict[str, Any], era: str) -> tuple[Header, list[Event]]:
    header, events = scenarios.replay(name, given, era, 1)
    return header, list(events)


def _entries(events: list[Event]) -> int:
    return sum(1 for event in events if event.kind is Kind.RETURN and crossing(event) == "entry")


_NODE = re.compile(r'^\s*(n\d+) \[label=(?:"([^"]*)"|(\S+)) .*pos="([-\d.]+),([-\d.]+)!"', re.M)
_EDGE = re.compile(r'^\s*(n\d+) -> (n\d+) \[color="([^"]+)" penwidth=\S+ style=(\w+)', re.M)


def _entry_edges(dot: str) -> list[tuple[float, float]]:
    """The x of the tail and head of each VM-entry arrow (thick red and dashed)."""
    xs = {match[1]: float(match[4]) for match in _NODE.finditer(dot)}
    return [(xs[tail], xs[head]) for tail, head, colour, style in _EDGE.findall(dot)
            if colour == RED and style == "dashed"]


def _lifeline_x(dot: str, actor: str) -> float:
    return next(float(match[4]) for match in _NODE.finditer(dot)
                if (match[2] or match[3]) == actor)


@pytest.mark.parametrize(("name", "given", "era"), RUNS, ids=NAMES)
@pytest.mark.parametrize("summary", [False, True], ids=["full", "summary"])
def test_the_vm_entry_leaves_kvm(name: str, given: dict[str, Any], era: str,
                                 summary: bool) -> None:
    header, events = _replay(name, given, era)
    count = _entries(events)
    dot = sequence_source(Session(header, events), summary=summary, max_steps=100_000)
    drawn = _entry_edges(dot)
    assert len(drawn) == count
    if count:
        kvm, guest = _lifeline_x(dot, "kvm"), _lifeline_x(dot, "virtio_net")
        assert all(edge == (kvm, guest) for edge in drawn), (kvm, guest, drawn)
    lines = mermaid_lines(Session(header, events), summary=summary, max_steps=100_000)
    arrows = [re.match(r"\s*(\w+)-->>(\w+): VM entry", line) for line in lines]
    assert [(found[1], found[2]) for found in arrows if found] == [("kvm", "virtio_net")] * count


def test_every_kind_of_entry_is_covered() -> None:
    """The runs above include the entries QEMU's vCPU thread asks for and KVM's own."""
    asked = {event.src for name, given, era in RUNS for event in _replay(name, given, era)[1]
             if event.kind is Kind.RETURN and crossing(event) == "entry"}
    assert asked == {"kvm", "virtio-net"}


@pytest.mark.parametrize(("name", "given", "era"), RUNS, ids=NAMES)
def test_the_text_diagram_puts_the_vm_entry_in_kvm(name: str, given: dict[str, Any],
                                                   era: str) -> None:
    header, events = _replay(name, given, era)
    out = io.StringIO()
    PlainRenderer().render(Session(header, events), out)
    entries = [line for line in out.getvalue().splitlines() if "<- VM entry" in line]
    assert len(entries) == _entries(events)
    assert all(re.search(r"µs +\S+ +kvm +<- VM entry", line) for line in entries), entries


@pytest.mark.parametrize(("name", "given", "era"), RUNS, ids=NAMES)
def test_the_overview_draws_the_vm_entry_from_kvm(name: str, given: dict[str, Any],
                                                  era: str) -> None:
    header, events = _replay(name, given, era)
    drawn = [(src, dst) for hop in overview_hops(events, batch=batch_of(header.params))
             for (src, dst), steps in (((hop.src, hop.dst), hop.steps),
                                       ((hop.dst, hop.src), hop.back))
             for _, event in steps
             if event.kind is Kind.RETURN and crossing(event) == "entry"]
    assert all(src == "kvm" for src, _ in drawn), drawn
    assert drawn or name == "recv"  # a receive's first round takes no exit


@pytest.mark.parametrize(("name", "given", "era"), RUNS, ids=NAMES)
def test_the_player_draws_the_vm_entry_from_kvm(name: str, given: dict[str, Any],
                                                era: str) -> None:
    """The player's arrows are its shapes' lifelines: an entry's leaves KVM, as above."""
    header, events = _replay(name, given, era)
    out = io.StringIO()
    HtmlRenderer().render(Session(header, events), out)
    found = re.search(r'<script type="application/json" id="vtrace-data">(.*?)</script>',
                      out.getvalue(), re.S)
    assert found is not None
    data = json.loads(found[1])
    entries = [(data["actors"][shape[2]], data["actors"][shape[3]]) for shape in data["shapes"]
               if shape[6] == "entry"]
    assert all(pair == ("kvm", "virtio_net") for pair in entries), entries
    assert bool(entries) == bool(_entries(events))
