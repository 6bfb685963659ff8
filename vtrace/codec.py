"""JSON Lines encoding of the event stream, both ways, in one place.

A stream is a header line (``"kind": "header"``) followed by one line per
event. ``docs/events.md`` documents the format; ``SCHEMA_VERSION`` in
``vtrace.model`` is its version.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import fields
from operator import attrgetter
from typing import IO, Any, TypeVar

from vtrace.model import (
    READABLE_VERSIONS,
    SCHEMA_VERSION,
    Event,
    Header,
    Kind,
    Layer,
    Phase,
    Place,
    Record,
    Source,
)

__all__ = ["DecodeError", "decode", "decode_line", "encode", "read_stream", "tee_jsonl"]

_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
#: Fields of an event that change from event to event; every other field is in the cache key.
PER_EVENT = ("seq", "frame", "t_ns", "detail")
#: The rest, derived from ``Event`` so that a new field cannot be left out of the key.
FIXED = tuple(field.name for field in fields(Event) if field.name not in PER_EVENT)
_fixed_of = attrgetter(*FIXED)
#: JSON of the fields that repeat from event to event, keyed by their values. A replay
#: has a few hundred distinct combinations, so encoding each once saves most of the work.
_FIXED: dict[tuple[object, ...], str] = {}
#: Entries each cache here may hold: far more than a replay needs, and a bound on what
#: a hostile file can make them grow to.
_CACHE_LIMIT = 4096


class DecodeError(ValueError):
    """A line is not a vtrace record this version understands."""


def encode(record: Record) -> str:
    """One JSON line (without the newline) for a header or an event."""
    if isinstance(record, Header):
        return _ENCODER.encode({
            "v": record.v,
            "kind": "header",
            "vtrace": record.vtrace_version,
            "scenario": record.scenario,
            "params": dict(record.params),
            "seed": record.seed,
            "argv": list(record.argv),
            "source": record.source.value,
        })
    place = record.place
    fixed = _fixed_of(record)
    middle = _FIXED.get(fixed)
    if middle is None:
        if len(_FIXED) >= _CACHE_LIMIT:
            _FIXED.clear()
        middle = _FIXED[fixed] = _ENCODER.encode({
            "phase": place.phase.value,
            "layer": place.layer.value,
            "actor": place.actor,
            "step": place.step,
            "function": place.function,
            "file": place.file,
            "line": place.line,
            "project": place.project,
            "version": place.version,
            "kind": record.kind.value,
            "src": record.src,
            "dst": record.dst,
            "thread": record.thread,
            "source": record.source.value,
        })[1:-1]
    frame = "null" if record.frame is None else record.frame
    details = _detail_json(record.detail) if record.detail else "{}"
    return (f'{{"v":{record.v},"seq":{record.seq},"frame":{frame},"t_ns":{record.t_ns},'
            f'{middle},"detail":{details}}}')


def tee_jsonl(header: Header, events: Iterable[Event], out: IO[str]) -> Iterator[Event]:
    """Write the stream to ``out``, the header at once, then each event as it passes through:
    the one JSON Lines writer."""
    write = out.write
    write(encode(header) + "\n")
    for event in events:
        write(encode(event) + "\n")
        yield event


def _detail_json(detail: Mapping[str, Any]) -> str:
    """``detail`` as JSON, character for character what the encoder would write.

    Details are small maps of numbers, flags and words, some with one map inside
    (``ring``, ``writes``). Writing those from cached key text is several times
    quicker than a whole encoder call per event; any other value goes to the encoder.
    """
    parts = []
    for key, value in detail.items():
        write = _WRITERS.get(type(value))
        if write is None or type(key) is not str:
            return _ENCODER.encode(dict(detail))
        key_json = _KEY_JSON.get(key)
        if key_json is None:
            if len(_KEY_JSON) >= _CACHE_LIMIT:
                _KEY_JSON.clear()
            key_json = _KEY_JSON[key] = _ENCODER.encode(key) + ":"
        parts.append(key_json + write(value))
    return "{" + ",".join(parts) + "}"


def _bool_json(flag: bool) -> str:
    return "true" if flag else "false"


def _null_json(_: None) -> str:
    return "null"


_WRITERS: dict[type, Callable[[Any], str]] = {
    int: int.__repr__, bool: _bool_json, type(None): _null_json, str: _ENCODER.encode,
    dict: _detail_json,
}
_KEY_JSON: dict[str, str] = {}


def decode(obj: dict[str, Any]) -> Record:
    """The record a decoded JSON object stands for."""
    try:
        version = obj["v"]
        if type(version) is not int or version not in READABLE_VERSIONS:
            raise DecodeError(f"schema version {version!r} is newer than {SCHEMA_VERSION}, "
                              "the newest this vtrace reads")
        if obj["kind"] == "header":
            return Header(
                vtrace_version=str(obj["vtrace"]),
                scenario=str(obj["scenario"]),
                params=dict(obj["params"]),
                seed=int(obj["seed"]),
                argv=tuple(str(arg) for arg in obj.get("argv", ())),
                source=_member(_SOURCES, obj.get("source", "replay"), "source"),
            )
        return Event(
            seq=int(obj["seq"]),
            frame=None if obj["frame"] is None else int(obj["frame"]),
            place=_place_of(obj),
            kind=_member(_KINDS, obj["kind"], "kind"),
            src=str(obj["src"]),
            dst=str(obj["dst"]),
            t_ns=int(obj["t_ns"]),
            detail=dict(obj.get("detail") or {}),
            thread=str(obj.get("thread", "")),
            source=_member(_SOURCES, obj.get("source", "replay"), "source"),
        )
    except DecodeError:
        raise
    except (KeyError, TypeError, ValueError) as error:
        raise DecodeError(f"not a vtrace record: {error}") from None


_Member = TypeVar("_Member", Kind, Source)
_KINDS = {kind.value: kind for kind in Kind}
_SOURCES = {source.value: source for source in Source}
#: Places read so far, keyed by their fields as the line spells them: the lines of
#: one step share one ``Place``, which is checked once.
_PLACES: dict[tuple[object, ...], Place] = {}


def _member(table: dict[str, _Member], spelled: object, what: str) -> _Member:
    member = table.get(spelled) if isinstance(spelled, str) else None
    if member is None:
        raise DecodeError(f"not a vtrace record: unknown {what} {spelled!r}")
    return member


def _place_of(obj: dict[str, Any]) -> Place:
    spelled = (obj["step"], obj["function"], obj["file"], obj["line"], obj["project"],
               obj["version"], obj["phase"], obj["layer"], obj["actor"])
    line = spelled[3]
    if line is not None and type(line) is not int:  # true == 1 must not find line 1's place
        raise DecodeError(f"not a vtrace record: line {line!r} is not a number")
    place = _PLACES.get(spelled)
    if place is None:
        step, function, file, _, project, version, phase, layer, actor = spelled
        words = (step, function, project, version, actor) + (() if file is None else (file,))
        if not all(type(word) is str for word in words):
            raise DecodeError("not a vtrace record: a step's names must be strings")
        if len(_PLACES) >= _CACHE_LIMIT:
            _PLACES.clear()
        place = _PLACES[spelled] = Place(step, function, file, line, project, version,
                                         Phase(phase), Layer(layer), actor)
    return place


def decode_line(line: str) -> Record:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as error:
        raise DecodeError(f"not JSON: {error.msg}: column {error.colno}") from None
    if not isinstance(obj, dict):
        raise DecodeError("not a JSON object")
    return decode(obj)


def read_stream(lines: Iterable[str]) -> tuple[Header, Iterator[Event]]:
    """Split a JSON Lines stream into its header and a lazy iterator of its events."""
    iterator = iter(enumerate(lines, start=1))
    header: Record | None = None
    for number, line in iterator:
        if line.strip():
            header = _decode_at(number, line)
            break
    if not isinstance(header, Header):
        raise DecodeError("line 1: the stream does not start with a header record")

    def events() -> Iterator[Event]:
        for number, line in iterator:
            if not line.strip():
                continue
            record = _decode_at(number, line)
            if not isinstance(record, Event):
                raise DecodeError(f"line {number}: a second header")
            yield record

    return header, events()


def _decode_at(number: int, line: str) -> Record:
    try:
        return decode_line(line)
    except DecodeError as error:
        raise DecodeError(f"line {number}: {error}") from None
