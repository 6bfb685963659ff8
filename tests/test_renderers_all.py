"""Every registered renderer draws every replayable scenario, and the registry says how."""

from __future__ import annotations

import io
from typing import Any

import pytest

from vtrace.renderers import by_name, for_format, format_of, formats, names, views
from vtrace.renderers.base import UnknownRenderer
from vtrace.scenarios import REGISTERED
from vtrace.session import replayed

SCENARIOS = [name for name, item in REGISTERED.items() if item.replayable]


def _options(name: str) -> dict[str, Any]:
    cls = by_name(name)
    options: dict[str, Any] = {"lang": "en"}
    if "output_format" in cls.options:
        options["output_format"] = "dot"  # DOT needs no drawing program
    return options


@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("name", names())
def test_every_renderer_draws_every_scenario(name: str, scenario: str) -> None:
    cls = by_name(name)
    renderer = cls(**_options(name))
    session = replayed(scenario, {"frames": 1} if scenario == "send" else {}, "modern", 1)
    out: Any = io.BytesIO() if cls.binary else io.StringIO()
    renderer.render(session, out)
    assert len(out.getvalue()) > 0 or name == "quiet"


def test_the_registry_picks_by_format_and_extension() -> None:
    assert for_format("svg").name == "sequence" and for_format("txt").name == "plain"
    assert format_of("Run.SVG") == "svg" and format_of("a/b.jsonl") == "jsonl"
    assert "overview" not in [for_format(f).name for f in formats()]
    assert views() == ["live", "plain", "quiet"]
    with pytest.raises(UnknownRenderer, match="from its extension"):
        format_of("picture.gif")
    with pytest.raises(UnknownRenderer, match="no renderer named"):
        by_name("hologram")

