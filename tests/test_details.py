"""``vtrace.details`` is the schema of ``detail``: every replayed event fits its step's family,
and docs/events.md names, for each step, exactly keys its family declares, and every key a
family declares."""

from __future__ import annotations

import importlib
import re
import types
import typing
from collections.abc import Mapping
from pathlib import Path

import pytest
from test_events_doc import EVENTS

from vtrace.catalog import CATALOG
from vtrace.details import FAMILIES, StepDetail
from vtrace.ring import RING_FIELDS
from vtrace.ring_packed import PACKED_FIELDS
from vtrace.scenarios.ringstate import SLOT_WRITES

DOC = Path(__file__).resolve().parent.parent / "docs" / "events.md"


def _family_of_steps() -> dict[str, str]:
    found: dict[str, str] = {}
    for family in FAMILIES:
        for step in importlib.import_module(f"vtrace.catalog.{family}_steps").STEPS:
            found.setdefault(step.key, family)
    return found


FAMILY_OF = _family_of_steps()
SHARED_KEYS = frozenset(typing.get_type_hints(StepDetail))


def _keys(family: str) -> frozenset[str]:
    return frozenset(typing.get_type_hints(FAMILIES[family]))


def _fits(value: object, hint: object) -> bool:
    """Whether ``value`` is of the type ``hint`` spells (bool is no int here)."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_fits(value, arm) for arm in typing.get_args(hint))
    if hint is type(None):
        return value is None
    if origin is list:
        (item,) = typing.get_args(hint)
        return isinstance(value, list) and all(_fits(one, item) for one in value)
    if origin is Mapping or origin is typing.get_origin(Mapping[str, int]):
        key, item = typing.get_args(hint)
        return isinstance(value, Mapping) and all(
            _fits(name, key) and _fits(one, item) for name, one in value.items())
    return type(value) is hint


def test_every_step_of_the_catalog_has_a_family() -> None:
    assert sorted(set(CATALOG) - set(FAMILY_OF)) == []


def test_every_replayed_detail_fits_its_family() -> None:
    hints = {family: typing.get_type_hints(cls) for family, cls in FAMILIES.items()}
    wrong = sorted({(event.step, key, repr(value)) for event in EVENTS
                    for key, value in event.detail.items()
                    if key not in hints[FAMILY_OF[event.step]]
                    or not _fits(value, hints[FAMILY_OF[event.step]][key])})
    assert wrong == [], "keys or values vtrace.details does not declare"


def test_ring_values_name_ring_fields() -> None:
    named = {name for event in EVENTS for key in ("ring", "writes")
             for name in event.detail.get(key, {})}
    assert named and named <= set(RING_FIELDS) | set(PACKED_FIELDS) | set(SLOT_WRITES)


def _detail_rows() -> list[tuple[set[str], set[str]]]:
    """(steps, keys) of each row of the tables under ``## `detail```."""
    text = DOC.read_text(encoding="utf-8")
    start = text.index("\n## `detail`")
    section = text[start:text.index("\n## ", start + 1)]
    rows = []
    for line in section.splitlines():
        cells = line.split(" | ")
        if not line.startswith("| `") or len(cells) < 3:
            continue
        steps = set(re.findall(r"`([^`]+)`", cells[0]))
        rows.append((steps, set(re.findall(r"`([^`]+)`", cells[1]))))
    return rows


ROWS = _detail_rows()


def test_the_doc_names_only_keys_the_families_declare() -> None:
    assert ROWS
    wrong = sorted((step, key) for steps, keys in ROWS for step in steps if step in FAMILY_OF
                   for key in keys if key not in _keys(FAMILY_OF[step]))
    assert wrong == []


@pytest.mark.parametrize("family", FAMILIES)
def test_the_doc_names_every_key_a_family_declares(family: str) -> None:
    documented = {key for steps, keys in ROWS if any(FAMILY_OF.get(step) == family
                                                     for step in steps) for key in keys}
    assert sorted(_keys(family) - SHARED_KEYS - documented) == []
