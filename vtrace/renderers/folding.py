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
source line), kind, source, destination, thread, frame relative to the
round's first frame, and its decisions: the strings and booleans in
``detail`` (why a kick was suppressed, notifications on or off) plus the
names of its other details. Counters and ring indices are left out, so
frame 9,999 has the signature of frame 1. Two rounds are the same when
each thread takes the same steps in the same order: threads that run at
once (the host's sender, QEMU or the vhost worker, the guest's vCPU)
interleave by the modelled timing, which differs from round to round.

* Consecutive rounds that are the same fold into one drawn round with a
  repeat count (a loop frame in the picture), which says when the threads
  interleaved differently from the drawn one: 10,000 identical frames draw
  like two.
* A round that is the same as one drawn earlier, but not the one before
  it, is not drawn again: it becomes a *reference* to that round (one
  line), and consecutive references to one round merge.

Inside a round, a loop of steps of no frame (a refill posting 256 buffers with
the same calls) is drawn once and a ``Repeat`` says how many more passes ran
(``repeats``);
``loops=False`` (``--no-fold``) draws every pass.

Only the round being built, the previous one and the signatures of the
rounds drawn are held, so memory does not grow with the stream. What is
drawn is capped at ``max_steps`` rows (an event, or a reference). A round
is drawn whole or not at all: the first round that does not fit ends the
drawing, and it and every round after it are counted (frames, steps,
rounds, and how many of them are the same as one drawn), for the picture
to say what it left out. Only a round larger than the whole cap, drawn
first, is cut, and the picture says how much of it is drawn.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from vtrace.model import ACTOR_LAYER, ACTORS, Event, Kind
from vtrace.renderers.base import count_param
from vtrace.renderers.diagram_text import crosses_layer, note_text
from vtrace.renderers.repeats import Repeat, decisions, fold_repeats

__all__ = ["MAX_STEPS", "Outline", "Round", "batch_of", "decisions", "fold", "in_summary",
           "lifelines"]

#: Rows drawn at most (about 18,000 points of the full diagram); the rest is counted.
MAX_STEPS = 800


@dataclass(slots=True)
class Round:
    """Events drawn together, and how many consecutive rounds had exactly these steps."""

    first: int | None  # first frame started in the round; None before any frame
    last: int | None  # last frame started in the round
    events: list[Event | Repeat]  # a Repeat: a loop's passes after the first (``repeats``)
    times: int = 1
    until: int | None = None  # last frame of the last repeat
    interleaved: bool = False  # some repeat's threads interleaved unlike the drawn one
    like: Round | None = None  # a reference: the earlier drawn round with these steps
    cut: int = 0  # steps of a round larger than the cap left out of the drawing

    def frames(self) -> tuple[int | None, int | None]:
        """(first, last) frame of the round and all its repeats."""
        return self.first, self.until if self.until is not None else self.last


@dataclass(slots=True)
class Outline:
    """What a sequence diagram draws: rounds, lifelines, and what did not fit."""

    rounds: list[Round] = field(default_factory=list)
    actors: list[str] = field(default_factory=list)  # the lifelines drawn rounds use
    steps: int = 0  # rows drawn: events (each once, however often its round repeats), references
    hidden_steps: int = 0  # events not drawn
    hidden_first: int | None = None  # first and last frame of the rounds not drawn
    hidden_last: int | None = None
    hidden_rounds: int = 0  # rounds not drawn
    hidden_alike: int = 0  # of them, the same as a round drawn


def lifelines(used: list[str]) -> list[str]:
    """The lifelines to draw for the actors ``used``: the known ones in ``ACTORS`` order, then
    the others in the order they came; every known one when none is used."""
    drawn = [actor for actor in ACTORS if actor in used]
    # With several queue pairs each vCPU's guest lifelines (``virtio_net@vcpu1``) come
    # first, one vCPU after the other.
    per_vcpu = sorted((actor for actor in used if actor.partition("@")[0] in ACTOR_LAYER
                       and "@" in actor), key=lambda actor: (
        actor.partition("@")[2], ACTORS.index(actor.partition("@")[0])))
    drawn = list(dict.fromkeys(per_vcpu)) + drawn
    drawn += [actor for actor in used if actor.partition("@")[0] not in ACTOR_LAYER
              and actor not in drawn]
    return drawn or list(ACTORS)


def batch_of(params: Mapping[str, Any]) -> int:
    """The header's ``batch`` when it is a sane count, else 1."""
    return count_param(params, "batch") or 1


def in_summary(event: Event, lang: str = "en") -> bool:
    """Whether ``--detail summary`` keeps the event: layer crossings, notes, decisions."""
    return crosses_layer(event) or event.kind is Kind.NOTE or bool(note_text(event, lang))


Signature = list[tuple[Hashable, ...]]


def _canonical(signature: Signature) -> tuple[tuple[Hashable, ...], ...]:
    """The signature with each thread's steps together, in their order: what two rounds
    must share to be the same (``thread`` is the last field of every step)."""
    return tuple(sorted(signature, key=itemgetter(-1)))


class _Folder:
    """The streaming state of ``fold``."""

    def __init__(self, max_steps: int) -> None:
        self.outline = Outline()
        self.max_steps = max_steps
        self.pending: Round | None = None
        self.pending_signature: Signature = []
        self.pending_same: tuple[Hashable, ...] | None = None  # None: never folds
        self.pending_overflow = 0
        self.drawn: dict[tuple[Hashable, ...], Round] = {}  # drawn rounds by their sameness
        self.stopped = False  # a round did not fit: the rest is counted
        self.shown_until: int | None = None

    def close(self, current: Round, signature: Signature, overflow: int) -> None:
        """A round is complete: fold it into the pending one or make it the pending one."""
        pending = self.pending
        same = None if overflow else _canonical(signature)
        if pending is not None and same is not None and same == self.pending_same:
            pending.times += 1
            pending.until = current.last
            pending.interleaved = pending.interleaved or signature != self.pending_signature
            return
        if pending is not None:
            self.emit(pending, self.pending_same, self.pending_overflow)
        self.pending, self.pending_signature = current, signature
        self.pending_same, self.pending_overflow = same, overflow

    def emit(self, done: Round, same: tuple[Hashable, ...] | None, overflow: int) -> None:
        outline = self.outline
        like = self.drawn.get(same) if same is not None else None
        if self.stopped:
            self.hide(done, overflow, like is not None)
            return
        room = self.max_steps - outline.steps
        last = outline.rounds[-1] if outline.rounds else None
        if like is not None and last is not None and last.like is like:
            last.times += done.times  # one more round like the one the last line names
            last.until = self.shown_until = done.frames()[1]
        elif like is not None and room > 0:
            outline.rounds.append(Round(done.first, done.last, [], done.times,
                                        done.frames()[1], like=like))
            outline.steps += 1
            self.shown_until = done.frames()[1]
        elif len(done.events) + overflow <= room:
            self.draw(done)
            if same is not None:
                self.drawn[same] = done
        elif not any(drawn.first is not None for drawn in outline.rounds) and room > 0:
            done.cut = len(done.events) + overflow - room  # larger than the cap: cut it
            outline.hidden_steps += done.cut
            del done.events[room:]
            self.draw(done)
            self.stopped = True
        else:
            self.stopped = True
            self.hide(done, overflow, like is not None)

    def draw(self, done: Round) -> None:
        outline = self.outline
        outline.rounds.append(done)
        outline.steps += len(done.events)
        shown = self.shown_until
        for event in done.events:
            if isinstance(event, Repeat):
                continue
            if event.frame is not None and (shown is None or event.frame > shown):
                shown = event.frame
            for actor in (event.src, event.dst):
                if actor not in outline.actors:
                    outline.actors.append(actor)
        self.shown_until = done.until if done.until is not None else shown

    def hide(self, done: Round, overflow: int, alike: bool) -> None:
        outline = self.outline
        if outline.hidden_first is None:
            outline.hidden_first = done.first
        outline.hidden_rounds += done.times
        outline.hidden_alike += done.times if alike else 0
        outline.hidden_steps += (len(done.events) + overflow) * done.times

    def finish(self, newest: int | None) -> Outline:
        """The outline, once the stream has ended at ``newest``, its highest frame."""
        if self.pending is not None:
            self.emit(self.pending, self.pending_same, self.pending_overflow)
        outline = self.outline
        outline.actors = lifelines(outline.actors)
        if newest is not None and outline.hidden_rounds:
            outline.hidden_last = newest
        return outline


def fold(events: Iterable[Event], *, batch: int = 1, summary: bool = False, lang: str = "en",
         max_steps: int = MAX_STEPS, loops: bool = True) -> Outline:
    """Cut ``events`` into rounds and fold the repeats (the module docstring says how);
    ``loops``: a loop inside a round is drawn once with a count, too."""
    folder = _Folder(max_steps)
    current = Round(None, None, [])
    keep = current.events.append
    signature: Signature = []
    sign = signature.append
    lead: int | None = None
    newest: int | None = None
    overflow = 0
    room = max_steps + 1  # one more than can be drawn, so an overlong round never folds
    shown = (event for event in events if in_summary(event, lang)) if summary else events
    # The hot loop of a long stream: locals only, one tuple per event.
    for event in fold_repeats(shown, frameless=True) if loops else shown:
        if isinstance(event, Repeat):
            if len(signature) < room:
                keep(event)
                sign(("repeat", event.block, event.last.thread))
            else:
                overflow += 1
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
                  decisions(detail) if detail else (), event.thread))
        else:
            overflow += 1
    if current.events or overflow:
        folder.close(current, signature, overflow)
    return folder.finish(newest)
