"""``vtrace diagram --ring-at N ring.svg``: the ring at the end of step N (numbered as step
mode numbers steps), drawn from the same description as the terminal's figure, naming the
values the events' ring detail gave up to then."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from cli_run import run

from vtrace.model import Event, Kind
from vtrace.renderers.ring_contents import RingContents
from vtrace.scenarios import of
from vtrace.session import replayed
from vtrace.stepping import Position, drive

SVG = "{http://www.w3.org/2000/svg}"


def _texts(path: Path) -> list[str]:
    root = ET.parse(path).getroot()
    return [node.text or "" for node in root.iter(f"{SVG}text")]


class _Ring:
    """A step-mode view that keeps the ring each step shows."""

    def __init__(self, contents: RingContents) -> None:
        self.contents = contents
        self.shown: list[tuple[Position, dict[str, int], list[int]]] = []

    def reset(self) -> None:
        raise AssertionError("only forward")

    def feed(self, event: Event) -> None:
        self.contents.update(event)

    def show(self, at: Position) -> None:
        self.shown.append((at, dict(self.contents.values),
                           [entry.head for entry in self.contents.in_use()]))


def _step_mode(given: dict[str, Any], steps: int) -> list[tuple[Position, dict[str, int],
                                                                list[int]]]:
    session = replayed("send", given, "modern", 1)
    view = _Ring(RingContents(session.header, session.scenario))
    keys = iter(["\n"] * (steps - 1) + ["q"])
    drive(session.source, view, lambda: next(keys))
    return view.shown


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_svg_names_the_values_step_mode_shows_at_that_step(tmp_path: Path,
                                                               lang: str) -> None:
    given = {"frames": 4, "batch": 4}
    shown = _step_mode(given, 130)
    for step in (1, 14, 40, 92, 130):
        out = tmp_path / f"ring-{step}.svg"
        code, _, err = run("diagram", "--ring-at", str(step), "--frames", "4", "--batch", "4",
                           "--lang", lang, str(out))
        assert code == 0, err
        texts = _texts(out)
        at, values, heads = shown[step - 1]
        assert at.step == step
        named = {found[1]: int(found[2]) for text in texts
                 if (found := re.fullmatch(r"([a-z_.]+) (\d+)\*?", text))}
        assert named == {name: values[name] for name in named}
        assert set(named) >= {"avail.idx", "used.idx", "used_event", "avail_event",
                              "avail_idx_shadow", "last_used_idx", "last_avail_idx"}
        table = [int(texts[index - 1].rstrip("*")) for index, text in enumerate(texts)
                 if text.startswith("0x")]  # each row's number stands before its addr
        assert table == heads


def test_changed_cells_are_marked_and_arrows_point_at_descriptors(tmp_path: Path) -> None:
    session = replayed("send", {"frames": 1}, "modern", 1)
    calls = [event for event in session.source if event.kind is Kind.CALL]
    added = next(number for number, event in enumerate(calls, 1)
                 if event.function == "virtqueue_add_split")
    out = tmp_path / "added.svg"
    assert run("diagram", "--ring-at", str(added), str(out))[0] == 0
    texts = _texts(out)
    assert "avail.idx 1*" in texts and "[0] → 0*" in texts
    assert 'class="arrow"' in out.read_text(encoding="utf-8")
    assert of(session.header).ring is not None


@pytest.mark.parametrize(("args", "said"), [
    (["--ring-at", "9999", "r.svg"], "the stream has 61 steps"),
    (["--ring-at", "3", "r.png"], "writes an SVG figure"),
    (["--ring-at", "3", "--scenario", "setup", "r.svg"], "no ring"),
    (["--ring-at", "3", "--overview", "r.svg"], "--overview does not apply"),
    (["--ring-at", "0", "r.svg"], "0"),
])
def test_bad_requests_are_one_line_and_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              args: list[str], said: str) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = run("diagram", *args)
    assert code == 2 and said in err and "Traceback" not in err
    assert not list(tmp_path.iterdir())


class _PackedRing(_Ring):
    """A step-mode view that keeps, per step, the packed ring's slots as its panel has them."""

    def show(self, at: Position) -> None:
        self.shown.append((at, dict(self.contents.values), sorted(self.contents.slots)))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_packed_stream_draws_the_packed_ring_step_mode_has(tmp_path: Path, lang: str) -> None:
    """One descriptor ring (each slot's flags with its AVAIL and USED bits), the indices
    pointing into it, both sides' wrap counters and event areas: the values of the events'
    ring detail at that step, and no split ring."""
    given = {"frames": 4, "batch": 4, "ring": "packed"}
    session = replayed("send", given, "modern", 1)
    view = _PackedRing(RingContents(session.header, session.scenario))
    keys = iter(["\n"] * 129 + ["q"])
    drive(session.source, view, lambda: next(keys))
    calls = [event for event in replayed("send", given, "modern", 1).source
             if event.kind is Kind.CALL]
    flushed = next(number for number, event in enumerate(calls, 1)
                   if event.function == "virtqueue_packed_flush")
    chosen = [next(number for number, event in enumerate(calls, 1) if event.function == function
                   and (function == "virtqueue_packed_flush" or "head" in event.detail))
              for function in ("virtqueue_add_packed", "virtqueue_packed_pop",
                               "virtqueue_packed_flush")]
    chosen.append(next(number for number, event in enumerate(calls, 1) if number > flushed
                       and event.function == "virtqueue_get_buf" and "head" in event.detail))
    for step in (*chosen, 130):
        out = tmp_path / f"ring-{step}.svg"
        code, _, err = run("diagram", "--ring-at", str(step), "--frames", "4", "--batch", "4",
                           "--ring", "packed", "--lang", lang, str(out))
        assert code == 0, err
        texts = _texts(out)
        at, values, slots = view.shown[step - 1]
        assert at.step == step
        named = {found[1]: found[2] for text in texts
                 if (found := re.fullmatch(r"([a-z_.]+) (\S+?)\*?", text))
                 and found[1] in values}
        assert set(named) >= {"next_avail_idx", "avail_wrap_counter", "last_used_idx",
                              "used_wrap_counter", "last_avail_idx", "used_idx",
                              "last_avail_wrap_counter", "vq.used_wrap_counter",
                              "driver_event.off_wrap", "driver_event.flags",
                              "device_event.off_wrap", "device_event.flags"}
        for name, text in named.items():
            if name.endswith(".flags"):
                assert text == ("ENABLE", "DISABLE", "DESC")[values[name]]
            else:
                assert int(text, 0) == values[name], name
        title = "The packed ring" if lang == "en" else "packed 环"
        assert title in out.read_text(encoding="utf-8").split("</title>")[0]
        assert not {"avail.idx", "used.idx", "used_event"} & set(named)
        drawn, cell = [], texts.index("slot" if lang == "en" else "槽") + 8  # the column heads
        while re.fullmatch(r"\d+\*?", texts[cell]):  # a row: 8 cells, then what points at it
            if texts[cell + 1]:
                drawn.append(int(texts[cell].rstrip("*")))
            cell += 9 if texts[cell + 8].startswith("← ") else 8
        assert drawn and set(drawn) <= set(slots)
        assert any(text.startswith("← ") and "next_avail_idx" in text for text in texts)


def test_a_packed_flush_marks_the_slot_it_wrote_back(tmp_path: Path) -> None:
    session = replayed("send", {"frames": 1, "ring": "packed"}, "modern", 1)
    calls = [event for event in session.source if event.kind is Kind.CALL]
    flushed = next(number for number, event in enumerate(calls, 1)
                   if event.function == "virtqueue_packed_flush")
    out = tmp_path / "flushed.svg"
    assert run("diagram", "--ring-at", str(flushed), "--ring", "packed", str(out))[0] == 0
    texts = _texts(out)
    row = texts[texts.index("0*"):texts.index("0*") + 8]
    assert row == ["0*", "0x2000*", "0*", "0*", "0x8080*", "1*", "1*", "used*"]
    assert "used_idx 1*" in texts


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_multiqueue_stream_draws_the_ring_of_the_steps_queue(tmp_path: Path,
                                                               lang: str) -> None:
    given = {"frames": 2, "queues": 2, "flows": 2}
    session = replayed("send", given, "modern", 1)
    calls = [event for event in session.source if event.kind is Kind.CALL]
    added = [number for number, event in enumerate(calls, 1)
             if event.function == "virtqueue_add_split"]
    assert [calls[number - 1].detail["queue"] for number in added] == [0, 1]
    for queue, step in enumerate(added):
        out = tmp_path / f"ring-{queue}.svg"
        code, _, err = run("diagram", "--queues", "2", "--flows", "2", "--frames", "2",
                           "--ring-at", str(step), "--lang", lang, str(out))
        assert code == 0, err
        title = ET.parse(out).getroot().find(f"{SVG}title")
        assert title is not None and (title.text or "").endswith(
            ("queue " if lang == "en" else "队列 ") + str(queue))
        texts = _texts(out)
        assert "avail.idx 1*" in texts
        assert sum(text.startswith("0x") for text in texts) == 1  # its own frame's descriptor


def test_diagram_draws_a_lifeline_per_vcpu_with_queues_and_flows(tmp_path: Path) -> None:
    out = tmp_path / "mq.mmd"
    code, _, err = run("diagram", "--queues", "2", "--flows", "2", "--frames", "2", str(out))
    assert code == 0, err
    text = out.read_text(encoding="utf-8")
    assert "participant virtio_net_vcpu0" in text and "participant virtio_net_vcpu1" in text
