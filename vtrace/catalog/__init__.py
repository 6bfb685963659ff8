"""The step catalog: every function vtrace shows, where it lives, and what it does.

The catalog is data: every module of this package named ``*_steps`` holds a
``STEPS`` tuple, every ``zh_*`` module the Chinese texts (``ZH``) of some of
them, so a new scenario's steps are two new files here and nothing else. This
module assembles them and walks the result: which
steps an era has, the ``Place`` of a step in a version, and finding a step by
name, from either side (a replay's key or a traced function's name). Line
numbers come from the Linux and QEMU trees listed in ``docs/sources.md``.
"""

from __future__ import annotations

import difflib
import importlib
import pkgutil
from collections.abc import Iterator, Mapping
from dataclasses import replace

from vtrace.catalog.base import (
    ERAS,
    VERSIONS,
    Era,
    Site,
    Step,
    Text,
    UnknownEra,
    era,
    site_of,
)
from vtrace.model import Place

__all__ = [
    "CATALOG",
    "ERAS",
    "VERSIONS",
    "Era",
    "Site",
    "Step",
    "Text",
    "UnknownEra",
    "UnknownStep",
    "era",
    "find",
    "first_present",
    "known_version",
    "lookup",
    "names",
    "nearest",
    "place",
    "present",
    "site_of",
    "steps",
]


def _with_chinese(step: Step, chinese: Mapping[str, str]) -> Step:
    """``step`` with the Chinese ``text``, ``lesson`` and version notes merged in."""

    def both(english: Text, key: str) -> Text:
        return {**english, "zh": chinese[key]} if key in chinese else english

    return replace(
        step,
        text=both(step.text, "text"),
        lesson=both(step.lesson, "lesson") if step.lesson else step.lesson,
        notes={version: both(note, version) for version, note in step.notes.items()},
    )


#: Data modules read first: where two steps share a function name (the guest's and the
#: host's ``__sys_sendto``), the one read first is what a traced name finds.
FIRST = ("send_steps", "setup_steps")


def _data_modules() -> tuple[list[str], list[str]]:
    """The names of the ``*_steps`` modules (``FIRST`` first, then by name) and ``zh_*``."""
    found = sorted(info.name for info in pkgutil.iter_modules(__path__))
    steps = [name for name in FIRST if name in found]
    steps += [name for name in found if name.endswith("_steps") and name not in FIRST]
    return steps, [name for name in found if name.startswith("zh_")]


def _assemble() -> dict[str, Step]:
    step_modules, chinese_modules = _data_modules()
    chinese: dict[str, Mapping[str, str]] = {}
    for name in chinese_modules:
        for key, texts in importlib.import_module(f"{__name__}.{name}").ZH.items():
            if key in chinese:
                raise ValueError(f"step {key!r} has Chinese texts twice")
            chinese[key] = texts
    catalog: dict[str, Step] = {}
    for name in step_modules:
        for item in importlib.import_module(f"{__name__}.{name}").STEPS:
            if item.key in catalog:
                raise ValueError(f"step {item.key!r} is in the catalog twice")
            catalog[item.key] = _with_chinese(item, chinese.get(item.key, {}))
    unknown = sorted(set(chinese) - set(catalog))
    if unknown:
        raise ValueError(f"Chinese texts for steps the catalog lacks: {unknown}")
    return catalog


CATALOG: Mapping[str, Step] = _assemble()


class UnknownStep(LookupError):
    """No step has that key or function name; the message suggests the nearest ones."""

    def __init__(self, name: str, suggestions: list[str]) -> None:
        hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(f"no step or function named {name!r}{hint}")
        self.name = name
        self.suggestions = suggestions


def present(step: Step, chosen: Era) -> bool:
    """Whether the step's function exists in the era's version of its project."""
    return site_of(step, chosen) is not None


def first_present(chosen: Era, *keys: str) -> str:
    """The first of ``keys`` whose function exists in the era (the last key if none does).

    The engine emits work under the function that does it in an era, e.g. the
    ring write under ``virtqueue_add_split``, or ``virtqueue_add`` where there
    is no split variant.
    """
    for key in keys:
        if present(CATALOG[key], chosen):
            return key
    return keys[-1]


def steps(chosen: Era | None = None) -> Iterator[Step]:
    """Catalog steps in catalog order, only those the era has."""
    for item in CATALOG.values():
        if chosen is None or present(item, chosen):
            yield item


def names() -> list[str]:
    """Every name ``lookup`` accepts: step keys and the function names of every version."""
    found = dict.fromkeys(CATALOG)
    for item in CATALOG.values():
        found[item.function] = None
        for site in item.sites.values():
            if site.function:
                found[site.function] = None
    return list(found)


def nearest(name: str, limit: int = 5) -> list[str]:
    """Known names close to ``name``: containing it first, then similar spellings."""
    known = names()
    wanted = name.lower()
    containing = [known_name for known_name in known if wanted and wanted in known_name.lower()]
    similar = difflib.get_close_matches(name, known, n=limit, cutoff=0.6)
    return list(dict.fromkeys(containing + similar))[:limit]


def lookup(name: str) -> Step:
    """The step with this key, or whose function has this name in some version."""
    if name in CATALOG:
        return CATALOG[name]
    for item in CATALOG.values():
        if item.function == name or any(site.function == name for site in item.sites.values()):
            return item
    raise UnknownStep(name, nearest(name))


def place(step: Step | str, version: str) -> Place | None:
    """The ``Place`` of a step in ``version`` of its project, as every event of it carries.

    ``version`` is a version vtrace knows (``"6.1"``, ``"7.2"``; see ``known_version``);
    it is ignored for the application's own steps. None when that version lacks the
    function. Replays and importers of real traces build places only here, so an event
    seen in a 6.1 guest and one replayed for 6.1 share the same place.
    """
    item = CATALOG[step] if isinstance(step, str) else step
    if item.project == "app":
        function, file, line, version = item.function, item.file, None, ""
    else:
        site = item.sites.get(version)
        if site is None:
            return None
        function, file, line = site.function or item.function, site.file or item.file, site.line
    return Place(item.key, function, file, line, item.project, version, item.phase, item.layer,
                 item.actor)


def known_version(project: str, reported: str) -> str | None:
    """The catalog's version for a version string a real system reports, or None.

    ``"6.1.0-56-amd64"`` and ``"6.1.192"`` are Linux ``"6.1"``; ``"7.2.22"`` and
    ``"1:7.2+dfsg-7+deb12u18"`` are QEMU ``"7.2"``: the catalog's lines are per
    major.minor release.
    """
    words = reported.split(":", 1)[-1].replace("+", ".").replace("-", ".").split(".")
    if len(words) < 2:
        return None
    wanted = f"{words[0]}.{words[1]}"
    return wanted if wanted in VERSIONS.get(project, ()) else None


def find(function: str, project: str, version: str) -> Step | None:
    """The step whose function is named ``function`` in ``version`` of ``project``.

    The reverse of ``place``: an importer that sees ``start_xmit`` in a 6.1 guest's
    trace finds the step the replay runs. A name the catalog does not know gives None.
    """
    return _BY_FUNCTION.get((project, version, function))


def _functions() -> dict[tuple[str, str, str], Step]:
    found: dict[tuple[str, str, str], Step] = {}
    for item in CATALOG.values():
        if item.project == "app":
            found.setdefault(("app", "", item.function), item)
            continue
        for version, site in item.sites.items():
            found.setdefault((item.project, version, site.function or item.function), item)
    return found


_BY_FUNCTION = _functions()
