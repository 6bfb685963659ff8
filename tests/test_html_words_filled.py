"""The player writes most words once, as templates the page fills with each event's numbers:
every event, decoded as the page decodes it, must read exactly what the sentence functions
say of it, in every language, with its descriptor and ring values."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_html_embed import data_of, decoded, page

from vtrace.catalog import ERAS
from vtrace.i18n import LANGS
from vtrace.model import Event, Header, Kind
from vtrace.renderers.describe import decision
from vtrace.renderers.diagram_text import message_label, note_text
from vtrace.renderers.escape import clean
from vtrace.renderers.html_numbers import fill, slotted, split
from vtrace.scenarios import REGISTERED, of
from vtrace.session import replayed
from vtrace.tally import Tally


def said(event: Event) -> list[str]:
    """What the other views say of the event: label, decision, note, per language."""
    decided = [decision(event, lang) for lang in LANGS]
    return [clean(text) for text in (
        *(message_label(event, lang) for lang in LANGS), *decided,
        *(note_text(event, lang, text) for lang, text in zip(LANGS, decided, strict=True)))]


def check(header: Header, events: list[Event]) -> dict[str, Any]:
    data = data_of(page(header, events))
    back = decoded(data)
    assert len(back) == len(events)
    scenario = of(header)
    tally = Tally(scenario.calls, scenario.notes)
    for event, seen in zip(events, back, strict=True):
        assert seen["texts"] == said(event), (event.step, event.detail)
        head = event.detail.get("head")
        if type(head) is int:
            assert seen["descriptor"][0] == head
            assert seen["descriptor"][1:] == [_number(event.detail.get(name))
                                              for name in ("addr", "len")]
        else:
            assert seen["descriptor"] is None
        tally.add(event)
        for name, value in tally.ring.items():
            assert seen["ring"][name] == value, (event.step, name)
    return data


def _number(value: Any) -> Any:
    """A descriptor's field as the page shows it: a finite number, or nothing."""
    return value if type(value) in (int, float) and math.isfinite(value) else None


def _examples() -> Iterable[tuple[str, dict[str, Any], str]]:
    for name, scenario in REGISTERED.items():
        for params in scenario.examples:
            for era in ERAS:
                if scenario.refusal(scenario.settle(params), ERAS[era]) is None:
                    yield (name, {**params, "frames": 12} if scenario.frames_param
                           else dict(params), era)


@pytest.mark.parametrize(("name", "params", "era"), list(_examples()),
                         ids=lambda value: value if isinstance(value, str) else None)
def test_every_event_of_every_example_reads_as_the_views_say(
        name: str, params: dict[str, Any], era: str) -> None:
    session = replayed(name, params, era, 3)
    data = check(session.header, list(session.events()))
    if "frames" in params:
        # The words are shared: twice the frames add fewer rows of words than frames (only
        # what the longer run first meets, a full ring say), not a row per frame.
        longer = replayed(name, {**params, "frames": 2 * params["frames"]}, era, 3)
        added = len(data_of(page(longer.header, list(longer.events())))["says"]) - \
            len(data["says"])
        assert added < params["frames"]


def test_numbers_that_change_from_frame_to_frame_share_one_template() -> None:
    session = replayed("send", {"frames": 40}, "modern", 1)
    data = check(session.header, list(session.events()))
    kicks = [text for text in data["strings"] if text.startswith("kick: avail_event")]
    assert kicks == ["kick: avail_event ⟦2⟧ is in [⟦0⟧, ⟦1⟧)"]
    assert len(data["combos"]) < 120  # not a row per frame
    assert len(data["nums"]) < 40


_VALUE = st.one_of(st.integers(-3, 3), st.integers(), st.booleans(), st.none(),
                   st.sampled_from(["⟦0⟧", "⟦9⟧", "#0", "xmit_more", "avail_event_in_window"]),
                   st.text(max_size=4), st.floats(allow_nan=True))
_DETAIL = st.dictionaries(
    st.sampled_from(["why", "old", "new", "avail_event", "used_event", "interrupt", "queue",
                     "num_free", "head", "addr", "len", "hint", "fact", "enable", "kick"]),
    _VALUE, max_size=6)
_WRITES = st.dictionaries(st.sampled_from(["avail.idx", "used.idx", "⟦0⟧"]), _VALUE,
                          max_size=2)


@settings(max_examples=60)
@given(details=st.lists(st.tuples(_DETAIL, _WRITES, st.sampled_from(list(Kind))),
                        min_size=1, max_size=6))
def test_any_detail_reads_as_the_views_say(
        details: list[tuple[dict[str, Any], dict[str, Any], Kind]]) -> None:
    session = replayed("send", {"frames": 1}, "modern", 1)
    events = list(session.events())
    kick = next(event for event in events if event.step == "virtqueue_kick_prepare")
    made = []
    for seq, (detail, writes, kind) in enumerate(details * 2):  # each detail twice
        if kind is Kind.STATE:
            detail = {**detail, "writes": writes}
        made.append(dataclasses.replace(kick, seq=seq, kind=kind, detail=detail, t_ns=seq))
    check(session.header, made)


def test_a_structure_and_its_numbers_make_the_detail_again() -> None:
    detail = {"kick": True, "old": 7, "why": "x", "ring": {"num_added": 0, "state": "a"},
              "big": 2 ** 60}
    structure, numbers = split(detail)
    assert numbers == (7, 0)
    again = slotted(structure)
    assert again["kick"] is True and again["why"] == "x" and again["big"] == 2 ** 60
    assert fill(str(again["old"]), numbers) == "7"
    assert fill(str(again["ring"]["num_added"]), numbers) == "0"
    assert repr(again["old"]) == "#0"  # never a string's repr


def test_a_head_too_big_for_javascript_keeps_its_other_fields() -> None:
    session = replayed("send", {"frames": 1}, "modern", 1)
    kick = next(event for event in session.events() if event.step == "virtqueue_kick_prepare")
    detail = {"head": 2 ** 53, "addr": 0}
    check(session.header, [dataclasses.replace(kick, seq=seq, kind=Kind.CALL, detail=detail,
                                               t_ns=seq) for seq in range(2)])
