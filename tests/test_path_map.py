"""``vtrace steps --map``: one scenario's path on one 80x24 screen, names never cut."""

from __future__ import annotations

import re

import pytest
from cli_run import run
from rich.cells import cell_len

from vtrace.catalog import ERAS
from vtrace.i18n import LANGS
from vtrace.model import Event, Kind
from vtrace.renderers.path_map import map_lines
from vtrace.scenarios import REGISTERED
from vtrace.session import replayed

MORE = re.compile(r"^(\+\d+ more|另有 \d+ 个)$")


def _one_frame(scenario: str, era: str) -> list[Event]:
    given = {"frames": 1} if any(p.name == "frames" for p in REGISTERED[scenario].params) else {}
    return list(replayed(scenario, given, era, 1).source)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("era", sorted(ERAS))
@pytest.mark.parametrize("scenario", sorted(REGISTERED))
def test_the_map_fits_one_screen_and_names_only_real_calls(scenario: str, era: str,
                                                           lang: str) -> None:
    events = _one_frame(scenario, era)
    calls = {event.place.function for event in events if event.kind is Kind.CALL}
    lines = map_lines(events, "title", lang)
    assert len(lines) <= 24
    assert all(cell_len(line) <= 80 for line in lines)
    assert sum("╌" in line for line in lines) == 1  # the guest | host boundary, once
    body = [line for line in lines[2:-2] if "╌" not in line]
    names = [name.strip() for line in body for name in line.split("→")]
    shown = [name.split()[-1] if name and not MORE.match(name) else name for name in names]
    strange = [name for name in shown if name and name not in calls and not MORE.match(name)]
    assert shown and strange == []
    first = next(e.place.function for e in events if e.kind is Kind.CALL)
    assert first in " ".join(lines)


def test_a_narrow_screen_shortens_layers_and_says_how_many_are_left_out() -> None:
    events = _one_frame("send", "modern")
    lines = map_lines(events, "title", "en", width=60, height=16)
    assert len(lines) <= 16 and all(cell_len(line) <= 60 for line in lines)
    assert any(re.search(r"\+\d+ more$", line) for line in lines)


def test_the_command_prints_the_map_and_refuses_two_outputs() -> None:
    code, out, _ = run("steps", "--map", "--scenario", "recv")
    assert code == 0 and "recvfrom" in out and len(out.splitlines()) <= 24
    code, _, err = run("steps", "--map", "--json")
    assert code == 2 and "--map" in err and len(err.strip().splitlines()) == 1
