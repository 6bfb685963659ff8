"""What a scenario and its back end say in words: the queue and its roles, the device, the
tap's direction, the phrases of a title and the sentences of its decisions.

Views ask the scenario (``Scenario.queue``, ``Scenario.backend``, ``Scenario.tap``,
``Scenario.describe``, ``decision_sentence``) rather than guessing from step names, so a
receive ring is never called a TX ring, nor the vhost worker QEMU.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeGuard

from vtrace.catalog import Text
from vtrace.frames import Endpoints

__all__ = ["BACKENDS", "DECISIONS", "QEMU", "VHOST_NET", "Backend", "Queue", "Tap",
           "decision_sentence", "frame_phrases", "ring_phrase", "text"]


def text(words: Text, lang: str) -> str:
    """``words`` in ``lang``, English when that language lacks them."""
    return words.get(lang) or words["en"]


@dataclass(frozen=True, slots=True)
class Queue:
    """A virtqueue as a scenario uses it: its name, and the role of each side.

    ``posts`` says what the driver makes available, ``takes`` what the device does with
    it, ``in_use`` what a descriptor in use holds. ``in_pair`` names the entry a frame sits
    in when there are several queue pairs, each with this queue: ``{pair}`` is the pair's
    number, ``{entry}`` the entry (``avail.ring[3]``).
    """

    name: Text
    posts: Text
    takes: Text
    in_use: Text
    in_pair: Text

    def entry_in_pair(self, entry: str, pair: int, lang: str) -> str:
        """``TX queue 1: avail.ring[3]``: ``entry`` of this queue in queue pair ``pair``."""
        return text(self.in_pair, lang).format(pair=pair, entry=entry)


@dataclass(frozen=True, slots=True)
class Backend:
    """Who runs the device's data path: its word in sentences and titles, and what the ring
    views call its side."""

    name: str
    device: Text  # "QEMU's virtio-net"
    taken: Text  # a descriptor the device holds: "taken by QEMU"
    side: Text  # the ring view's heading for the device's own values
    title: Text  # the phrase a title adds ("" for the default back end)
    interrupt: Text  # how it interrupts the guest, for a legend
    bypasses_qemu: bool = False  # QEMU only sets the device up and is off the data path


QEMU = Backend("qemu", {"en": "QEMU's virtio-net", "zh": "QEMU 的 virtio-net"},
               {"en": "taken by QEMU", "zh": "已被 QEMU 取走"},
               {"en": "QEMU's view", "zh": "QEMU 看到的"}, {"en": "", "zh": ""},
               {"en": "interrupt (msix_notify)", "zh": "中断（msix_notify）"})
VHOST_NET = Backend("vhost-net", {"en": "the vhost-net worker", "zh": "vhost-net 工作线程"},
                    {"en": "taken by the vhost worker", "zh": "已被 vhost 工作线程取走"},
                    {"en": "the vhost worker's view", "zh": "vhost 工作线程看到的"},
                    {"en": "vhost-net", "zh": "vhost-net"},
                    {"en": "interrupt (irqfd, kvm_arch_set_irq_inatomic)",
                     "zh": "中断（irqfd，kvm_arch_set_irq_inatomic）"}, bypasses_qemu=True)
BACKENDS: Mapping[str, Backend] = {backend.name: backend for backend in (QEMU, VHOST_NET)}


@dataclass(frozen=True, slots=True)
class Tap:
    """Where a scenario's frames cross the tap: ``direction`` (``guest-to-host`` or
    ``host-to-guest``), the addresses of a replayed frame, and the steps where a frame
    crosses (the first one met is the packet's time)."""

    direction: str
    endpoints: Endpoints
    steps: frozenset[str]


_PHRASES: Mapping[str, Mapping[str, str]] = {
    "en": {
        "frame": "{n:,} frame of {size} bytes", "frames": "{n:,} frames of {size} bytes",
        "batch": "in batches of {n:,}",
        "event_idx.on": "EVENT_IDX on", "event_idx.off": "EVENT_IDX off",
        "ioeventfd.on": "ioeventfd on", "ioeventfd.off": "ioeventfd off",
        "mergeable.on": "mergeable buffers", "mergeable.off": "big-packet buffers",
        "queue": "a queue of {n}", "interval": "{us} µs apart", "no_interval": "back to back",
        "napi_budget": "NAPI budget {n}", "rx_buffers": "{n} buffers posted at start",
        "proto.tcp": "TCP with TSO", "warm": "buffers sized for a long stream",
        "ring.packed": "packed ring",
    },
    "zh": {
        "frame": "{n:,} 帧，每帧 {size} 字节", "frames": "{n:,} 帧，每帧 {size} 字节",
        "batch": "每批 {n:,} 帧",
        "event_idx.on": "EVENT_IDX 开启", "event_idx.off": "EVENT_IDX 关闭",
        "ioeventfd.on": "ioeventfd 开启", "ioeventfd.off": "ioeventfd 关闭",
        "mergeable.on": "可合并缓冲区", "mergeable.off": "大包缓冲区",
        "queue": "队列大小 {n}", "interval": "间隔 {us} µs", "no_interval": "连续发送",
        "napi_budget": "NAPI 预算 {n}", "rx_buffers": "开始时投放 {n} 个缓冲区",
        "proto.tcp": "TCP，使用 TSO", "warm": "缓冲区已按长数据流定好大小",
        "ring.packed": "packed 环",
    },
}


def _count(value: object) -> TypeGuard[int]:
    return type(value) is int and value > 0


def ring_phrase(params: Mapping[str, Any], lang: str) -> str:
    """``packed ring`` for a packed stream; nothing for the split ring, the default."""
    if params.get("ring") != "packed":
        return ""
    return _PHRASES.get(lang, _PHRASES["en"])["ring.packed"]


def frame_phrases(params: Mapping[str, Any], lang: str, switches: tuple[str, ...],
                  defaults: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """``3 frames of 128 bytes`` (and the batch) before the era; the back end, the on/off
    ``switches`` and the parameters left at an unusual value after it. A value of the wrong
    type (a file may hold anything) is shown as recorded."""
    words = _PHRASES.get(lang, _PHRASES["en"])
    frames, size, batch = (params.get(name) for name in ("frames", "size", "batch"))
    if _count(frames) and _count(size):
        head = words["frame" if frames == 1 else "frames"].format(n=frames, size=size)
    else:
        head = f"frames={frames}, size={size}"
    before = [head]
    if _count(batch) and batch > 1:
        before.append(words["batch"].format(n=batch))
    backend = BACKENDS.get(str(params.get("backend")))
    after = [text(backend.title, lang)] if backend is not None else []
    if params.get("proto") == "tcp":
        after.append(words["proto.tcp"])
    if params.get("warm") is True:
        after.append(words["warm"])
    if said := ring_phrase(params, lang):
        after.append(said)
    after += [words[f"{name}.{'on' if params[name] else 'off'}"]
              for name in switches if isinstance(params.get(name), bool)]
    for name in ("queue_size", "napi_budget", "rx_buffers"):
        value = params.get(name)
        if type(value) is int and name in defaults and value != defaults[name]:
            after.append(words["queue" if name == "queue_size" else name].format(n=value))
    interval = params.get("interval_ns")
    if type(interval) is int and interval != defaults.get("interval_ns"):
        after.append(words["interval"].format(us=f"{interval / 1000:g}") if interval
                     else words["no_interval"])
    return before, after


Sentence = Callable[[Mapping[str, Any], str], str]

_SAID: Mapping[str, Mapping[str, str]] = {
    "en": {
        "irq.yes": "interrupt: used_event {used_event} is in [{old}, {new})",
        "irq.no": "interrupt suppressed: used_event {used_event} is outside [{old}, {new})",
        "irq.flag_yes": "interrupt: VRING_AVAIL_F_NO_INTERRUPT is clear",
        "irq.flag_no": "interrupt suppressed: the guest set VRING_AVAIL_F_NO_INTERRUPT",
        "tap_poll.off": "QEMU stops reading the tap: the NIC cannot take the packet now",
        "tap_poll.on": "QEMU reads the tap again: the NIC can take packets",
        "buffers.one": "the frame fills 1 buffer (num_buffers 1)",
        "buffers.many": "the frame fills {n} buffers (num_buffers {n})",
        "stalled": "no buffer posted: {n} packets wait until the guest refills the ring",
        "queue": "queue {queue}", "queue.request": "queue {queue}: {request}",
    },
    "zh": {
        "irq.yes": "中断：used_event {used_event} 落在 [{old}, {new}) 中",
        "irq.no": "不发中断：used_event {used_event} 不在 [{old}, {new}) 中",
        "irq.flag_yes": "中断：VRING_AVAIL_F_NO_INTERRUPT 未设置",
        "irq.flag_no": "不发中断：客户机设置了 VRING_AVAIL_F_NO_INTERRUPT",
        "tap_poll.off": "QEMU 停止读 tap：网卡现在接不了这个包",
        "tap_poll.on": "QEMU 重新读 tap：网卡又能接包了",
        "buffers.one": "这一帧填满 1 个缓冲区（num_buffers 1）",
        "buffers.many": "这一帧填满 {n} 个缓冲区（num_buffers {n}）",
        "stalled": "没有投放的缓冲区：{n} 个包等待客户机补充",
        "queue": "队列 {queue}", "queue.request": "队列 {queue}：{request}",
    },
}


def _said(key: str, lang: str, **values: object) -> str:
    return _SAID.get(lang, _SAID["en"]).get(key, _SAID["en"][key]).format(**values)


def _interrupt(detail: Mapping[str, Any], lang: str) -> str:
    if not isinstance(detail.get("interrupt"), bool):
        return ""
    if detail.get("used_event") is None:
        return _said("irq.flag_yes" if detail["interrupt"] else "irq.flag_no", lang)
    return _said("irq.yes" if detail["interrupt"] else "irq.no", lang,
                 used_event=detail.get("used_event"), old=detail.get("old"),
                 new=detail.get("new"))


def _tap_poll(detail: Mapping[str, Any], lang: str) -> str:
    enable = detail.get("enable")
    return _said(f"tap_poll.{'on' if enable else 'off'}", lang) \
        if isinstance(enable, bool) else ""


def _buffers(detail: Mapping[str, Any], lang: str) -> str:
    if detail.get("stalled") is True:
        waiting = detail.get("waiting")
        return _said("stalled", lang, n=waiting) if type(waiting) is int else ""
    count = detail.get("num_buffers")
    if type(count) is not int:
        return ""
    return _said("buffers.one" if count == 1 else "buffers.many", lang, n=count)


def _queue(detail: Mapping[str, Any], lang: str) -> str:
    """Which queue a set-up step works on (``rx0``, ``tx0``), and the request it makes."""
    queue = detail.get("queue")
    if not isinstance(queue, str):
        return ""
    request = detail.get("ioctl", detail.get("cmd"))
    return _said("queue.request", lang, queue=queue, request=request) \
        if isinstance(request, str) else _said("queue", lang, queue=queue)


#: The sentence of each kind of decision a step records, by the ``decision`` kind its
#: scenario gives the step (``Scenario.decisions``).
DECISIONS: Mapping[str, Sentence] = {
    "interrupt": _interrupt, "tap_poll": _tap_poll, "buffers": _buffers, "queue": _queue,
}


def decision_sentence(kind: str, detail: Mapping[str, Any], lang: str) -> str:
    """The sentence for a decision of ``kind`` with ``detail``, or ``""``."""
    sentence = DECISIONS.get(kind)
    return sentence(detail, lang) if sentence is not None else ""
