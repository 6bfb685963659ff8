"""retis's events file (``retis collect -o``): one JSON event per line, in sections.

Read: ``common`` (``timestamp`` ns of CLOCK_MONOTONIC, ``smp_id``, ``task``
with ``comm`` and ``pid``), ``kernel`` (``symbol`` and ``probe_type``:
``kprobe`` a call, ``kretprobe`` a return, ``raw_tracepoint`` a tracepoint
such as ``net:net_dev_start_xmit``, kept as a note named after the event),
``packet.data`` (the packet's bytes, base64: the frame is the ``vtrace
seq=N`` they carry), ``skb-tracking.orig_head`` (the packet's identity, which
numbers frames when no bytes were dumped), ``dev.name`` and
``skb-drop.drop_reason`` (kept in the detail). The ``startup`` event and
``userspace`` (USDT) probes name no kernel step and are skipped and counted
as unmapped respectively; every other section is left out.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from vtrace.model import Kind
from vtrace.sources.convert import Draft
from vtrace.sources.registry import Format, Reading, register
from vtrace.sources.skb_events import Packets, draft, first_object, label_of, records

__all__ = ["FORMAT"]

_KINDS = {"kprobe": Kind.CALL, "kretprobe": Kind.RETURN, "raw_tracepoint": Kind.NOTE}


def _sniff(path: Path, head: bytes) -> bool:
    first = first_object(path, head)
    return first is not None and "common" in first and \
        any(key in first for key in ("kernel", "startup", "userspace"))


def _read(path: Path, reading: Reading) -> Iterator[Draft]:
    packets = Packets()
    for _, event in records(path):
        common = _section(event, "common")
        kernel = _section(event, "kernel")
        if not kernel:
            if "userspace" in event:
                name = str(_section(event, "userspace").get("symbol", "userspace"))
                reading.unmapped[name] = reading.unmapped.get(name, 0) + 1
            continue
        symbol = str(kernel.get("symbol", ""))
        probe = str(kernel.get("probe_type", "kprobe"))
        task = _section(common, "task")
        tracking = _section(event, "skb-tracking")
        label = label_of(_payload(event))
        if label is None:
            label = packets.label(tracking.get("orig_head"))
        detail: dict[str, Any] = {"tracer": "retis", "probe": probe}
        if "orig_head" in tracking:
            detail["tracking"] = tracking["orig_head"]
        if "name" in _section(event, "dev"):
            detail["dev"] = _section(event, "dev")["name"]
        if "drop_reason" in _section(event, "skb-drop"):
            detail["drop_reason"] = _section(event, "skb-drop")["drop_reason"]
        yield draft(reading, int(common.get("timestamp", 0)), label,
                    symbol.rpartition(":")[2], _KINDS.get(probe, Kind.NOTE),
                    comm=str(task.get("comm", "")), tid=int(task.get("pid", -1)),
                    cpu=int(common.get("smp_id", 0)), detail=detail)


def _section(event: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    found = event.get(name)
    return found if isinstance(found, dict) else {}


def _payload(event: Mapping[str, Any]) -> bytes | None:
    data = _section(event, "packet").get("data")
    if not isinstance(data, str):
        return None
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return None


FORMAT = register(Format("retis", 30, _sniff, read=_read))
