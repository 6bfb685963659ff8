"""Words for one event, shared by the text views: where it is, what it decided, why.

Besides the step's explanation, an event can carry a version note (what is
particular to the function in that version) and a lesson note (where the
2019 lesson tells the story differently); both come from the catalog.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vtrace.catalog import CATALOG
from vtrace.i18n import known, say, step_lesson, step_note, step_text
from vtrace.model import Event, Kind
from vtrace.scenarios import decision_kind
from vtrace.scenarios.words import decision_sentence

__all__ = ["PROJECT_NAMES", "decision", "lesson", "location", "note", "ring_fields", "why"]

PROJECT_NAMES = {"linux": "Linux", "qemu": "QEMU", "app": "app"}


def location(event: Event, lang: str = "en") -> str:
    """``file:line (Linux 6.1)``, or what is known of it."""
    if event.file is None:
        return say("user_space", lang)
    line = f":{event.line}" if event.line is not None else f" ({say('unverified', lang)})"
    project = PROJECT_NAMES.get(event.project, event.project)
    return f"{event.file}{line} [{project} {event.version}]"


def decision(event: Event, lang: str = "en") -> str:
    """The sentence for a kick, interrupt, queue or VM-entry decision this event records;
    which kind of decision a step records, its scenario says (``decision_kind``)."""
    detail = event.detail
    if event.kind is Kind.RETURN and detail.get("vm_entry"):
        return say("vm_entry", lang)
    if event.kind is Kind.STATE:
        writes = ", ".join(f"{name}={value}" for name, value in detail.get("writes", {}).items())
        return say("state.write", lang, writer=event.src, fields=writes)
    if "why" in detail:
        if not known(f"why.{detail['why']}"):  # a file from elsewhere may say anything
            return str(detail["why"])
        return say(f"why.{detail['why']}", lang, avail_event=detail.get("avail_event"),
                   old=detail.get("old"), new=detail.get("new"),
                   hint=detail.get("hint", "xmit_more"))
    if "fact" in detail:
        values = {name: value for name, value in detail.items() if name != "fact"}
        try:
            return say(f"fact.{detail['fact']}", lang, **values)
        except (KeyError, IndexError):  # a stream from another vtrace version
            return ""
    # The event's own kind of decision (``details.StepDetail.decision``), else its scenario's.
    kind = detail.get("decision")
    if not isinstance(kind, str):
        kind = decision_kind(event.step)
    if kind is not None and (said := decision_sentence(kind, detail, lang)):
        return said
    queue = detail.get("queue")
    if queue in ("stopped", "woken"):
        return say(f"queue.{queue}", lang, num_free=detail.get("num_free"))
    return ""


def ring_fields(detail: Mapping[str, Any]) -> str:
    """The ring values an event changed, as ``name=value`` pairs."""
    ring = detail.get("ring") or {}
    return " ".join(f"{name}={value}" for name, value in ring.items())


def why(event: Event, lang: str = "en") -> str:
    step = CATALOG.get(event.step)
    return step_text(step, lang) if step else ""


def note(event: Event, lang: str = "en") -> str:
    """What is particular to the event's function in the event's version, or ``""``."""
    step = CATALOG.get(event.step)
    return step_note(step, event.version, lang) if step else ""


def lesson(event: Event, lang: str = "en") -> str:
    step = CATALOG.get(event.step)
    return step_lesson(step, lang) if step else ""
