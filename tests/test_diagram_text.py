"""The words diagrams share: crossings, arrow labels, notes, titles."""

from __future__ import annotations

from typing import Any

from vtrace.model import Event, Header, Kind, Layer, Phase, Place
from vtrace.renderers.diagram_text import (
    actor_role,
    arrow_look,
    crosses_layer,
    crossing,
    diagram_comment,
    diagram_title,
    frames_title,
    message_label,
    note_text,
    word,
)
from vtrace.session import Session


def make(src: str, dst: str, kind: Kind = Kind.CALL, step: str = "start_xmit",
         phase: Phase = Phase.XMIT, **detail: Any) -> Event:
    place = Place(step=step, function=step, file=None, line=None, project="linux",
                  version="6.1", phase=phase, layer=Layer.GUEST_KERNEL, actor=dst)
    return Event(seq=0, frame=0, place=place, kind=kind, src=src, dst=dst, t_ns=0,
                 detail=detail)


def test_crossings_of_the_guest_host_boundary() -> None:
    assert crossing(make("virtio_net", "kvm")) == "exit"
    assert crossing(make("kvm", "virtio_net", Kind.RETURN)) == "entry"
    assert crossing(make("virtio-net", "virtio_net")) == "interrupt"
    assert crossing(make("virtio_net", "vring", Kind.STATE)) is None
    assert crossing(make("stack", "virtio_net")) is None
    assert crosses_layer(make("stack", "virtio_net")) is False
    assert crosses_layer(make("tap", "tun")) is True
    assert crosses_layer(make("x", "y")) is True


def test_labels_name_the_function_the_fields_or_the_crossing() -> None:
    assert message_label(make("virtio_net", "kvm", step="handle_ept_misconfig")) == (
        "VM exit: handle_ept_misconfig")
    assert message_label(make("kvm", "virtio_net", Kind.RETURN)) == "VM entry"
    assert message_label(make("virtio_net", "vring", Kind.STATE,
                              writes={"avail.idx": 1})) == "avail.idx=1"
    assert message_label(make("virtio_net", "kvm", step="x"), "zh").startswith("VM exit（")


def test_notes_say_the_decision() -> None:
    off = make("virtio-net", "virtio-net", phase=Phase.DEVICE, enable=False)
    assert note_text(off).startswith("notifications off")
    kick = make("virtio_net", "virtio_net", Kind.NOTE, kick=False, why="xmit_more")
    assert note_text(kick).startswith("no kick")
    assert note_text(make("a", "a", why="not-a-reason")) == "not-a-reason"
    assert note_text(make("virtio_net", "vring", Kind.STATE, writes={"a": 1})) == ""


def test_looks_set_completions_dashed_and_crossings_thick() -> None:
    assert arrow_look(make("virtio_net", "kvm"))["penwidth"] == "2.4"
    assert arrow_look(make("a", "a", phase=Phase.COMPLETE))["style"] == "dashed"
    assert arrow_look(make("a", "vring", Kind.STATE))["style"] == "dotted"


def test_titles_and_fallback_to_english() -> None:
    assert frames_title(3, 3) == "frame 3" and frames_title(0, 4) == "frames 0–4"
    assert frames_title(None, None) == "before the first frame"
    assert frames_title(0, 4, "zh") == "第 0–4 帧"
    assert word("part.kvm", "zh") == "KVM"
    assert actor_role("tap") == "tap backend" and actor_role("unknown") == ""
    header = Header("0.1.0", "send", {"frames": 1, "size": 60, "event_idx": False}, 7)
    assert diagram_title(Session(header, ())) == "1 frame of 60 bytes, EVENT_IDX off"
    assert diagram_comment(header) == "vtrace send · frames=1, size=60, event_idx=False · seed 7"
    header = Header("0.1.0", "send", {"frames": 2, "size": 128, "era": "lesson",
                                      "ioeventfd": False, "batch": 2}, 7)
    assert diagram_title(Session(header, ()), "zh") == \
        "2 帧，每帧 128 字节，每批 2 帧，Linux 4.19 + QEMU 3.1，ioeventfd 关闭"
    assert diagram_title(Session(Header("0.1.0", "setup", {"era": "modern"}, 1), ())) == \
        "Setting up the device and the tap (vtrace setup), Linux 6.1 + QEMU 7.2"
