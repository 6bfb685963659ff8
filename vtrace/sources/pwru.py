"""pwru's ``--output-json`` lines: one JSON object per probe hit on a function given an skb.

Read: ``func`` (the kernel function; a suffix pwru adds, ``(tc)``, ``(xdp)``,
or a drop reason in parentheses, is dropped from the name and kept in the
detail), ``skb`` (the skb's address: pwru dumps no payload, so frames are
numbered by address in the order they appear; the kernel reuses a freed
skb's address, so a reused address stays one frame), ``cpu`` (left out by
pwru when 0), ``process`` (``path:pid``, cut to its last 16 characters),
``time`` (with ``--timestamp current``: ns of the kernel's monotonic clock;
``absolute``: ``HH:MM:SS.mmm`` of the wall clock; ``relative``: ns since the
same skb's last event, which no clock can be rebuilt from: an integer under
one second is taken for one, and such events keep the time of the event
before them; ``none``: absent, likewise) and
``tuple.proto`` (with ``--output-tuple``: a packet of another protocol than
UDP, an ARP's tuple without one included, is no frame of the run). pwru
probes function entries only: every record is a call.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from vtrace.model import Kind
from vtrace.sources.convert import OTHER_PACKET, Draft
from vtrace.sources.registry import Format, Reading, register
from vtrace.sources.skb_events import Packets, draft, first_object, records

__all__ = ["FORMAT"]

_UDP = 17


def _sniff(path: Path, head: bytes) -> bool:
    first = first_object(path, head)
    return first is not None and "func" in first and "skb" in first


def _read(path: Path, reading: Reading) -> Iterator[Draft]:
    packets = Packets()
    t_ns = 0
    for _, event in records(path):
        func = str(event.get("func", ""))
        name, _, suffix = func.partition("(")
        name = name.strip()
        detail: dict[str, Any] = {"tracer": "pwru", "skb": event.get("skb", "")}
        if suffix:
            detail["func_suffix"] = suffix.rstrip(")")
        t_ns = _time(event.get("time"), t_ns)
        tuple_ = event.get("tuple")
        other = isinstance(tuple_, Mapping) and tuple_.get("proto") != _UDP
        label = OTHER_PACKET if other else packets.label(event.get("skb"))
        comm, _, pid = str(event.get("process", "")).rpartition(":")
        yield draft(reading, t_ns, label, name, Kind.CALL, comm=comm.rpartition("/")[2],
                    tid=int(pid) if pid.isdigit() else -1, cpu=int(event.get("cpu", 0)),
                    detail=detail)


def _time(value: object, last_ns: int) -> int:
    """ns of an event's ``time`` field; the time before it where the field holds no clock."""
    if isinstance(value, int) and value > 1_000_000_000:  # not a relative delta
        return value
    if isinstance(value, str):
        clock, _, millis = value.partition(".")
        parts = clock.split(":")
        if len(parts) == 3 and all(part.isdigit() for part in parts) and millis.isdigit():
            hours, minutes, seconds = (int(part) for part in parts)
            return ((hours * 60 + minutes) * 60 + seconds) * 1_000_000_000 + \
                int(millis.ljust(9, "0")[:9])
    return last_ns


FORMAT = register(Format("pwru", 31, _sniff, read=_read))
