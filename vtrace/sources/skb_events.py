"""What the JSON event tracers (``retis``, ``pwru``) share: lines of JSON, probes on skbs.

Both print one JSON object per line, each an event of a kernel probe that
was handed an ``sk_buff``. ``records`` reads such a file (a line that is not
a JSON object is refused with its number); ``draft`` turns one probe hit into
a ``Draft`` on the guest's or the host's Linux (the host's unless ``--side
guest``: both tools run on a host), counting names the catalog has no step
for in ``Reading.unmapped``. The frame an event belongs to comes from the
datagram's payload where the tracer dumped it (the lab's datagrams carry
``vtrace seq=N``), else from the packet's identity in order of appearance
(``Packets``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from vtrace.model import Kind, Source
from vtrace.sources import TraceSyntaxError
from vtrace.sources.convert import OTHER_PACKET, Draft, thread_of
from vtrace.sources.places import base_name, catalog_functions
from vtrace.sources.registry import Reading, head_lines

__all__ = ["PAYLOAD_SEQ", "Packets", "draft", "first_object", "label_of", "records"]

PAYLOAD_SEQ = re.compile(rb"vtrace seq=(\d+)")


def records(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) of each non-blank line of ``path``."""
    with open(path, encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                found = json.loads(line)
            except json.JSONDecodeError as error:
                raise TraceSyntaxError(str(path), number, f"not JSON: {error.msg}") from None
            if not isinstance(found, dict):
                raise TraceSyntaxError(str(path), number, "not a JSON object")
            yield number, found


def first_object(path: Path, head: bytes) -> dict[str, Any] | None:
    """The first line of a file as a JSON object, if it is one."""
    lines = head_lines(head) if path.is_file() else []
    if not lines or not lines[0].startswith("{"):
        return None
    try:
        found = json.loads(lines[0])
    except json.JSONDecodeError:
        return None
    return found if isinstance(found, dict) else None


def label_of(payload: bytes | None) -> int | None:
    """The frame a packet's bytes name (``vtrace seq=N``); another packet is no frame of the
    run, and None (nothing dumped) leaves the frame as it was."""
    if payload is None:
        return None
    seq = PAYLOAD_SEQ.search(payload)
    return int(seq.group(1)) if seq else OTHER_PACKET


class Packets:
    """Frames numbered by a packet's identity (a tracking id, an skb address) in the order
    they first appear, for tracers that dump no payload to read the seq from."""

    def __init__(self) -> None:
        self._numbers: dict[object, int] = {}

    def label(self, identity: object) -> int | None:
        if identity is None:
            return None
        return self._numbers.setdefault(identity, len(self._numbers))


def draft(reading: Reading, t_ns: int, label: int | None, name: str, kind: Kind, *,
          comm: str, tid: int, cpu: int, detail: Mapping[str, Any]) -> Draft:
    """A probe hit on function or tracepoint ``name`` as a draft on the side ``reading`` says."""
    guest = reading.side == "guest"
    placer = reading.sides.guest if guest else reading.sides.host
    place, known = placer.place(name)
    full: dict[str, Any] = {"comm": comm, "tid": tid, "cpu": cpu, **detail}
    if not known:
        full["in_catalog"] = False
    function = base_name(name)
    if function not in catalog_functions("linux"):
        reading.unmapped[function] = reading.unmapped.get(function, 0) + 1
    thread = f"vcpu{cpu}" if guest else thread_of(comm, tid)
    source = Source.GUEST_FTRACE if guest else Source.HOST_TRACEPOINT
    return Draft(t_ns + reading.shift_ns, label, place, kind, thread, source, full)
