"""Every path vtrace can replay, registered by name; views find one by a stream's header.

A new scenario is a folder here with a ``Scenario`` instance, and one line in
``REGISTERED``. ``of(header)`` is how a view or a command learns what a stream is
of; a stream of a scenario this vtrace does not know (a recording from a newer
one) gets ``UNKNOWN``, which counts only events.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from vtrace import __version__
from vtrace.catalog import era
from vtrace.model import Event, Header
from vtrace.scenarios.base import EVENTS, Counter, Param, ParamError, RingPanel, Scenario
from vtrace.scenarios.params import SHARED
from vtrace.scenarios.recv import RECV
from vtrace.scenarios.send import SEND
from vtrace.scenarios.setup import SETUP

__all__ = [
    "REGISTERED",
    "UNKNOWN",
    "Counter",
    "Param",
    "ParamError",
    "RingPanel",
    "Scenario",
    "UnknownScenario",
    "all_params",
    "decision_kind",
    "of",
    "replay",
    "scenario",
]

REGISTERED: Mapping[str, Scenario] = {item.name: item for item in (SEND, RECV, SETUP)}
#: Every registered scenario's decisions: a step's name is the same step in each.
_DECISIONS: Mapping[str, str] = {step: kind for item in REGISTERED.values()
                                 for step, kind in item.decisions.items()}


class _Unknown(Scenario):
    name = "unknown"
    title = {"en": "A recording of a path this vtrace does not know",
                   "zh": "本版 vtrace 不认识的路径的记录"}
    counters = (EVENTS,)
    live_counters = ("events",)


UNKNOWN: Scenario = _Unknown()


class UnknownScenario(LookupError):
    """No registered scenario has that name."""

    def __str__(self) -> str:
        return f"no scenario named {self.args[0]!r}; try one of: {', '.join(REGISTERED)}"


def scenario(name: str) -> Scenario:
    try:
        return REGISTERED[name]
    except KeyError:
        raise UnknownScenario(name) from None


def all_params(names: tuple[str, ...]) -> tuple[Param, ...]:
    """Every parameter of the scenarios ``names``, once, for a command that serves them all: a
    parameter they share in its shared words, not one scenario's."""
    shared = {param.name: param for param in SHARED}
    return tuple({param.name: shared.get(param.name, param) for name in names
                  for param in REGISTERED[name].params}.values())


def decision_kind(step: str) -> str | None:
    """The kind of decision ``step`` records (``vtrace.scenarios.words.DECISIONS``), if any."""
    return _DECISIONS.get(step)


def of(header: Header) -> Scenario:
    """The scenario a stream is of, by its header (``UNKNOWN`` for a name not registered)."""
    return REGISTERED.get(header.scenario, UNKNOWN)


def replay(chosen: Scenario | str, given: Mapping[str, Any], era_name: str, seed: int,
           argv: tuple[str, ...] = ()) -> tuple[Header, Iterator[Event]]:
    """The header and events of a replay of ``chosen`` (a scenario, or its registered name):
    ``given`` parameters (in the options' units) over the scenario's defaults, checked."""
    if isinstance(chosen, str):
        chosen = scenario(chosen)
    params = chosen.settle(given)
    header = Header(__version__, chosen.name, {**chosen.recorded(params), "era": era_name}, seed,
                    argv)
    return header, chosen.run(params, era(era_name), seed)
