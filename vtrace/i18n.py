"""Every human sentence the views print, per language; step explanations live in the catalog.

Function names, file paths and field names are never translated.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from vtrace.catalog import Step

__all__ = ["LANGS", "default_lang", "say", "step_lesson", "step_text"]

LANGS = ("en", "zh")

_MESSAGES: Mapping[str, Mapping[str, str]] = {
    "en": {
        "why.xmit_more": "no kick yet: xmit_more says another frame follows",
        "why.avail_event_in_window": "kick: avail_event {avail_event} is in [{old}, {new})",
        "why.avail_event_outside_window":
            "kick suppressed: avail_event {avail_event} is outside [{old}, {new}), "
            "the device is still working",
        "why.no_notify_clear": "kick: VRING_USED_F_NO_NOTIFY is clear",
        "why.no_notify_set": "kick suppressed: the device set VRING_USED_F_NO_NOTIFY",
        "irq.yes": "interrupt: used_event {used_event} is in [{old}, {new})",
        "irq.no": "interrupt suppressed: used_event {used_event} is outside [{old}, {new})",
        "irq.flag_yes": "interrupt: VRING_AVAIL_F_NO_INTERRUPT is clear",
        "irq.flag_no": "interrupt suppressed: the guest set VRING_AVAIL_F_NO_INTERRUPT",
        "queue.stopped": "TX queue stopped: fewer than 19 free descriptors",
        "queue.woken": "TX queue woken: {num_free} descriptors free",
        "vm_entry": "VM entry: the guest runs again",
        "state.write": "{writer} writes {fields}",
        "summary.title": "Summary",
        "summary.interrupted": "interrupted: summary so far",
        "summary.frames": "frames sent",
        "summary.events": "events",
        "summary.kicks": "kicks (notify writes)",
        "summary.kicks_suppressed": "kicks suppressed by the ring",
        "summary.kicks_deferred": "kicks deferred by xmit_more",
        "summary.vm_exits": "VM exits",
        "summary.exits_to_qemu": "exits to QEMU's vCPU thread",
        "summary.interrupts": "interrupts",
        "summary.interrupts_suppressed": "interrupts suppressed",
        "summary.bytes_to_host": "bytes copied into host skbs",
        "summary.completed": "buffers reclaimed by the guest",
        "summary.modelled_time": "modelled time",
        "summary.per_frame": "per frame",
        "live.layers": "Where the frame is",
        "live.step": "Step",
        "live.ring": "TX virtqueue",
        "live.counters": "Counters",
        "live.frames": "frames",
        "live.lesson": "The lesson says",
        "live.keys": "Enter/space: next step   q: quit",
        "ring.in_use": "descriptors in use",
        "ring.shared": "in guest memory",
        "ring.driver": "guest driver's shadows",
        "ring.device": "QEMU's view",
        "unverified": "line not checked",
    },
    "zh": {},
}


def default_lang() -> str:
    """``VTRACE_LANG``, else the locale's language when vtrace speaks it, else English."""
    chosen = os.environ.get("VTRACE_LANG", "")
    if chosen in LANGS:
        return chosen
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(variable, "")
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def say(key: str, lang: str = "en", **values: object) -> str:
    """The message ``key`` in ``lang`` (English when that language lacks it)."""
    template = _MESSAGES.get(lang, {}).get(key) or _MESSAGES["en"][key]
    return template.format(**values) if values else template


def step_text(step: Step, lang: str = "en") -> str:
    return step.text.get(lang) or step.text["en"]


def step_lesson(step: Step, lang: str = "en") -> str:
    return step.lesson.get(lang) or step.lesson.get("en", "")
