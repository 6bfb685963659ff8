"""The catalog's vocabulary: eras, source sites, steps, and where a step is in an era.

A ``Step`` names one real function. ``sites`` maps each version vtrace knows
to the place the function is defined there; a version missing from
``sites`` does not have the function, so an era with that version skips
the step. Texts are per language (``{"en": ..., "zh": ...}``); ``notes``
holds what is particular to one version of the step's project.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from vtrace.model import ACTOR_LAYER, Layer, Phase

__all__ = [
    "ERAS",
    "Era",
    "Site",
    "Step",
    "Text",
    "UnknownEra",
    "at",
    "era",
    "site_of",
    "step",
]

Text = Mapping[str, str]  # language -> sentence


@dataclass(frozen=True, slots=True)
class Era:
    """A pair of versions whose code paths vtrace replays.

    How a path behaves differently in an era is the scenario's business
    (``vtrace.scenarios.send.eras``, for example), read from the era's sources.
    """

    name: str
    linux: str
    qemu: str

    @property
    def versions(self) -> Mapping[str, str]:
        return {"linux": self.linux, "qemu": self.qemu}


ERAS: Mapping[str, Era] = {
    "lesson": Era("lesson", "4.19", "3.1"),
    "modern": Era("modern", "6.1", "7.2"),
    "newest": Era("newest", "7.2", "10.2"),
}

#: Every version of each project that some era uses, oldest first.
VERSIONS: Mapping[str, tuple[str, ...]] = {
    "linux": tuple(dict.fromkeys(e.linux for e in ERAS.values())),
    "qemu": tuple(dict.fromkeys(e.qemu for e in ERAS.values())),
}


class UnknownEra(KeyError):
    """No era has that name."""

    def __str__(self) -> str:
        return f"no era named {self.args[0]!r}; try one of: {', '.join(ERAS)}"


def era(name: str) -> Era:
    try:
        return ERAS[name]
    except KeyError:
        raise UnknownEra(name) from None


@dataclass(frozen=True, slots=True)
class Site:
    """Where a function is defined in one version; ``line`` None means not checked."""

    line: int | None
    file: str | None = None  # overrides the step's file when it moved
    function: str | None = None  # overrides the step's name when it was renamed


@dataclass(frozen=True, slots=True)
class Step:
    """One function on a path, with its location per version and its explanation."""

    key: str
    function: str
    project: str  # linux, qemu or app
    file: str | None
    sites: Mapping[str, Site]  # a version missing here lacks the function; the era skips it
    actor: str
    phase: Phase
    cost_ns: int  # modelled cost, not a measurement
    text: Text
    lesson: Text = field(default_factory=dict)  # where the 2019 lesson tells it differently
    notes: Mapping[str, Text] = field(default_factory=dict)  # version -> what is particular

    @property
    def layer(self) -> Layer:
        return ACTOR_LAYER[self.actor]


def at(**by_version: int | None) -> dict[str, Site]:
    """``at(v4_19=1562, v6_1=1886)`` -> {"4.19": Site(1562), "6.1": Site(1886)}."""
    return {key[1:].replace("_", "."): Site(line) for key, line in by_version.items()}


def step(key: str, project: str, file: str | None, sites: Mapping[str, Site], actor: str,
         phase: Phase, cost_ns: int, en: str, *, lesson: str | None = None,
         notes: Mapping[str, str] | None = None, function: str | None = None) -> Step:
    """A step with its English texts; the Chinese ones are merged in by the package."""
    return Step(key, function or key, project, file, dict(sites), actor, phase, cost_ns,
                {"en": en}, {"en": lesson} if lesson else {},
                {version: {"en": note} for version, note in (notes or {}).items()})


def site_of(step: Step, chosen: Era) -> tuple[str, str | None, int | None, str] | None:
    """(function, file, line, version) of ``step`` in the era's version of its project.

    None when the function does not exist in that version, so the era skips the step.
    """
    if step.project == "app":
        return step.function, step.file, None, ""
    version = chosen.versions[step.project]
    site = step.sites.get(version)
    if site is None:
        return None
    return site.function or step.function, site.file or step.file, site.line, version
