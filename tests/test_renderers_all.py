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


#: Streams beyond each scenario's defaults that reach other code in every renderer: the
#: packed ring, a TCP superframe (indirect table, mergeable buffers), several queue pairs.
VARIANTS: list[tuple[str, dict[str, Any]]] = [
    *((scenario, {"frames": 1} if scenario == "send" else {}) for scenario in SCENARIOS),
    ("send", {"frames": 2, "ring": "packed"}),
    ("recv", {"frames": 2, "ring": "packed"}),
    *((scenario, {"frames": 1, "proto": "tcp", "size": 65000, "ring": "packed"})
      for scenario in ("send", "recv")),
    *((scenario, {"frames": 4, "queues": 2, "flows": 4}) for scenario in ("send", "recv")),
]


@pytest.mark.parametrize(("scenario", "params"), VARIANTS,
                         ids=[" ".join([scenario, *map(str, params.values())])
                              for scenario, params in VARIANTS])
@pytest.mark.parametrize("name", names())
def test_every_renderer_draws_every_scenario(name: str, scenario: str,
                                             params: dict[str, Any]) -> None:
    cls = by_name(name)
    renderer = cls(**_options(name))
    session = replayed(scenario, params, "modern", 1)
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

