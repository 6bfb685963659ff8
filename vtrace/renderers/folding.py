"""Cutting an event stream into rounds and folding repeated rounds, while it streams.

A sequence diagram draws events in time order, but frames overlap in time:
QEMU works on frame k while the guest already sends frame k+1, and some
events belong to no frame (``free_old_xmit_skbs``, ``virtio_net_flush_tx``,
the interrupt path). So the stream is not grouped by frame. It is cut in
time instead, into *rounds*:

* a round starts with the first event of a frame that starts a batch (the
  header's ``batch``, 1 when unknown): with ``--batch 5`` one round holds
  frames 0-4, their single kick and the device work that follows;
* every event up to the next round's start belongs to the round, whatever
  its frame: frame-less events, and late events of earlier frames;
* events before the first frame form a round of their own.

A round's *signature* is, for each event, its place (step, function and
source line), kind, source, destination, frame relative to the round's
first frame, and its decisions: the strings and booleans in ``detail``
(why a kick was suppressed, notifications on or off) plus the names of its
other details.
Counters and ring indices are left out, so frame 9,999 has the signature of
frame 1. Consecutive rounds with equal signatures fold into one drawn round
with a repeat count: 10,000 identical frames draw like two.

Only the round being built and the previous one are held, so memory does
not grow with the stream. What is drawn is capped at ``max_steps`` events;
past that, rounds are only counted (a stream whose rounds never repeat
would otherwise draw an unreadable picture).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from vtrace.model import ACTOR_LAYER, ACTORS, Event, Kind
from vtrace.renderers.base import count_param
from vtrace.renderers.diagram_text import crosses_layer, note_text

__all__ = ["MAX_STEPS", "Outline", "Round", "batch_of", "fold", "in_summary", "lifelines"]

#: Events drawn at most; the rest of a stream is counted, not drawn.
MAX_STEPS = 1200


@dataclass(slots=True)
class Round:
    """Events drawn together, and how many consecutive rounds had exactly these steps."""

    first: int | None  # first frame started in the round; None before any frame
    last: int | None  # last frame started in the round
    events: list[Event]
    times: int = 1
    until: int | None = None  # last frame of the last repeat

    def frames(self) -> tuple[int | None, int | None]:
        """(first, last) frame of the round and all its repeats."""
        return self.first, self.until if self.until is not None else self.last


@dataclass(slots=True)
class Outline:
    """What a sequence diagram draws: rounds, lifelines, and what did not fit."""

    rounds: list[Round] = field(default_factory=list)
    actors: list[str] = field(default_factory=list)  # the lifelines drawn rounds use
    steps: int = 0  # events drawn (each once, however often its round repeats)
    hidden_steps: int = 0
    hidden_frames: int = 0


def lifelines(used: list[str]) -> list[str]:
    """The lifelines to draw for the actors ``used``: the known ones in ``ACTORS`` order, then
    the others in the order they came; every known one when none is used."""
    drawn = [actor for actor in ACTORS if actor in used]
    drawn += [actor for actor in used if actor not in ACTOR_LAYER and actor not in drawn]
    return drawn or list(ACTORS)


def batch_of(params: Mapping[str, Any]) -> int:
    """The header's ``batch`` when it is a sane count, else 1."""
    return count_param(params, "batch") or 1


def in_summary(event: Event, lang: str = "en") -> bool:
    """Whether ``--detail summary`` keeps the event: layer crossings, notes, decisions."""
    return crosses_layer(event) or event.kind is Kind.NOTE or bool(note_text(event, lang))


def _shape(detail: Mapping[str, Any]) -> tuple[Hashable, ...]:
    """The decisions in ``detail``: bool and str values, the keys of nested mappings, and only
    the names of everything else (counters and indices)."""
    shape: list[Hashable] = []
    for name, value in detail.items():
        kind = value.__class__
        if kind is bool or kind is str:
            shape.append((name, value))
        elif kind is dict:
            shape.append((name, *value))
        else:
            shape.append(name)
    return tuple(shape)


class _Folder:
    """The streaming state of ``fold``."""

    def __init__(self, max_steps: int) -> None:
        self.outline = Outline()
        self.max_steps = max_steps
        self.pending: Round | None = None
        self.pending_signature: list[tuple[Hashable, ...]] | None = None  # None: never folds
        self.shown_until: int | None = None

    def close(self, current: Round, signature: list[tuple[Hashable, ...]], overflow: int) -> None:
        """A round is complete: fold it into the pending one or make it the pending one."""
        pending = self.pending
        if pending is not None and signature == self.pending_signature and not overflow:
            pending.times += 1
            pending.until = current.last
            return
        if pending is not None:
            self.emit(pending)
        self.pending = current
        self.pending_signature = None if overflow else signature
        self.outline.hidden_steps += overflow

    def emit(self, done: Round) -> None:
        outline = self.outline
        room = self.max_steps - outline.steps
        if room <= 0:
            outline.hidden_steps += len(done.events)
            return
        if len(done.events) > room:
            outline.hidden_steps += len(done.events) - room
            del done.events[room:]
        outline.rounds.append(done)
        outline.steps += len(done.events)
        shown = self.shown_until
        for event in done.events:
            if event.frame is not None and (shown is None or event.frame > shown):
                shown = event.frame
            for actor in (event.src, event.dst):
                if actor not in outline.actors:
                    outline.actors.append(actor)
        self.shown_until = done.until if done.until is not None else shown

    def finish(self, newest: int | None) -> Outline:
        """The outline, once the stream has ended at ``newest``, its highest frame."""
        if self.pending is not None:
            self.emit(self.pending)
        outline = self.outline
        outline.actors = lifelines(outline.actors)
        if newest is not None:
            shown = self.shown_until if self.shown_until is not None else -1
            outline.hidden_frames = max(0, newest - shown)
        return outline


def fold(events: Iterable[Event], *, batch: int = 1, summary: bool = False, lang: str = "en",
         max_steps: int = MAX_STEPS) -> Outline:
    """Cut ``events`` into rounds and fold the repeats (the module docstring says how)."""
    folder = _Folder(max_steps)
    current = Round(None, None, [])
    keep = current.events.append
    signature: list[tuple[Hashable, ...]] = []
    sign = signature.append
    lead: int | None = None
    newest: int | None = None
    overflow = 0
    room = max_steps + 1  # one more than can be drawn, so an overlong round never folds
    # The hot loop of a long stream: locals only, one tuple per event.
    for event in events:
        if summary and not in_summary(event, lang):
            continue
        frame = event.frame
        if frame is not None and (newest is None or frame > newest):
            newest = frame
            if lead is None or frame - lead >= batch:
                if current.events or overflow:
                    folder.close(current, signature, overflow)
                current, signature, overflow, lead = Round(frame, frame, []), [], 0, frame
                keep, sign = current.events.append, signature.append
            else:
                current.last = frame
        if len(signature) < room:
            keep(event)
            detail = event.detail
            sign((event.place, event.kind, event.src, event.dst,
                  None if frame is None or lead is None else frame - lead,
                  _shape(detail) if detail else ()))
        else:
            overflow += 1
    if current.events or overflow:
        folder.close(current, signature, overflow)
    return folder.finish(newest)
