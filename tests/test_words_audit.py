"""The words audit: every text meant for people, in every view, of every scenario, era, back
end and language, reads as a sentence of that scenario.

For each example of each replayable scenario, in each era and language, the plain view
(with the ring), a live snapshot, the HTML player's words, the diagrams' labels and titles
and the summary are read; the compare table once per language. No text may be an empty
sentence (a ``**`` or ``—`` with nothing after it), hold a Python repr (``True``, ``None``,
``_ns=``), speak of another queue or scenario (a TX ring on receive) or, in Chinese, be an
English sentence (a note that exists in one language only).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator
from typing import Any

import pytest
from rich.console import Console

from vtrace.catalog import ERAS
from vtrace.cli.compare import table_lines
from vtrace.i18n import LANGS
from vtrace.model import Event, Kind
from vtrace.renderers.describe import decision, lesson, note, why
from vtrace.renderers.diagram_text import diagram_title, frames_title, message_label, note_text
from vtrace.renderers.html_words import words
from vtrace.renderers.live import LiveState
from vtrace.renderers.plain import PlainRenderer
from vtrace.renderers.summary import summary_lines
from vtrace.scenarios import REGISTERED, Scenario
from vtrace.scenarios.costs import measure_backends
from vtrace.session import Session, replayed

EMPTY = re.compile(r"(?:\*\*|—|↳|:)\s*$")
REPR = re.compile(r"\b(?:True|False|None)\b|_ns=")
CJK = re.compile(r"[\u3400-\u9fff]")
#: Words that belong to another scenario's queue or to the other back end.
FOREIGN: dict[str, tuple[str, ...]] = {
    "recv": ("TX virtqueue", "TX 虚拟队列", "TX queue's vector", "TX 队列的向量",
             "tap_receive_iov", "UDP/IP, qdisc", "UDP/IP、qdisc", "modelled time (",),
    "send": ("RX virtqueue", "RX 虚拟队列"),
    "setup": ("TX virtqueue", "TX 虚拟队列"),
}
FOREIGN_BACKEND: dict[str, tuple[str, ...]] = {
    "vhost-net": ("taken by QEMU", "已被 QEMU 取走", "shared with QEMU", "与 QEMU 共享",
                  "interrupt (msix_notify)", "QEMU's view"),
    "qemu": ("taken by the vhost", "shared with vhost-net"),
}


def runs() -> Iterator[tuple[str, dict[str, Any], str]]:
    for name, item in REGISTERED.items():
        if not item.replayable:
            continue
        for params in item.examples:
            small = {**params, "frames": min(int(params.get("frames", 3)), 3)} \
                if item.frames_param else dict(params)
            for era in ERAS:
                if item.refusal(item.settle(small), ERAS[era]) is None:
                    yield name, small, era


def problems(texts: Iterable[str], scenario: str, backend: str, lang: str,
             view: str) -> list[str]:
    """What is wrong with each text of one view."""
    found = []
    banned = FOREIGN.get(scenario, ()) + FOREIGN_BACKEND.get(backend, ())
    for text in texts:
        for line in text.splitlines():
            where = f"{view} {lang}: {line.strip()[:100]!r}"
            if EMPTY.search(line):
                found.append(f"empty sentence in {where}")
            if REPR.search(line):
                found.append(f"Python repr in {where}")
            found += [f"{word!r} on {scenario}/{backend} in {where}"
                      for word in banned if word in line]
    return found


def sentences(event: Event, lang: str) -> list[str]:
    """The event's sentences for people, as every view takes them."""
    decided = decision(event, lang)
    return [decided, note_text(event, lang, decided), why(event, lang), note(event, lang),
            lesson(event, lang)]


def untranslated(event: Event) -> list[str]:
    """The event's sentences that Chinese lacks (it shows the English, or nothing)."""
    found = []
    for english, chinese in zip(sentences(event, "en"), sentences(event, "zh"), strict=True):
        if english and (not chinese or not CJK.search(chinese)) and \
                not english.startswith(event.function) and event.kind is not Kind.STATE:
            found.append(f"no zh for {event.step}: {english[:80]!r}")
    return found


def live_screen(session_events: list[Event], header: Any, lang: str) -> str:
    state = LiveState(Session(header, ()), lang)
    for event in session_events:
        state.update(event)
    console = Console(width=160, height=48, color_system=None, force_terminal=True,
                      record=True, file=io.StringIO())
    console.print(state)
    return console.export_text()


def audit(name: str, params: dict[str, Any], era: str) -> list[str]:
    session = replayed(name, params, era, 1)
    events = list(session.events())
    scenario: Scenario = session.scenario
    backend = str(session.header.params.get("backend", "qemu"))
    found: list[str] = []
    for lang in LANGS:
        out = io.StringIO()
        PlainRenderer(lang=lang, show_ring=True).render(session.fed(events), out)
        found += problems([out.getvalue()], name, backend, lang, "plain")
        found += problems([live_screen(events, session.header, lang)], name, backend, lang,
                          "live")
        found += problems(words(scenario, session.header.params)[lang].values(), name, backend,
                          lang, "html")
        labels = [diagram_title(session, lang), frames_title(0, 2, lang)]
        for event in events:
            labels.append(message_label(event, lang))
            labels += sentences(event, lang)
        found += problems(labels, name, backend, lang, "diagram")
        found += problems(summary_lines(session.tally, scenario, lang), name, backend, lang,
                          "summary")
    seen: set[str] = set()
    for event in events:
        if event.step not in seen:
            seen.add(event.step)
            found += untranslated(event)
    return sorted(set(found))


@pytest.mark.parametrize(("name", "params", "era"), list(runs()),
                         ids=lambda value: value if isinstance(value, str) else None)
def test_every_text_of_every_view_reads_as_its_scenario(
        name: str, params: dict[str, Any], era: str) -> None:
    assert audit(name, params, era) == []


@pytest.mark.parametrize("lang", LANGS)
def test_the_compare_table_speaks_its_language(lang: str) -> None:
    lines = table_lines(measure_backends(3, "modern", 1), lang)
    assert problems(lines, "compare", "", lang, "compare") == []
    if lang == "zh":
        prose = [line for line in lines if line.strip() and not line.startswith(" " * 24)]
        assert all(CJK.search(line) for line in prose[:1] + prose[2:] if
                   not line.lstrip().startswith("sources")), prose
