"""What every diagram format shares: the words on lifelines, arrows, notes and frames, in
each language, and the colour of each layer.

Sentences about a step's decision come from ``describe.decision`` (and so
from ``vtrace.i18n``); this module adds the short labels only diagrams
need: layer and lifeline titles, crossing names, frame and loop titles.
A language that lacks a word falls back to English.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import replace

from vtrace.i18n import worded
from vtrace.model import ACTOR_LAYER, Event, Header, Kind, Layer, Phase
from vtrace.renderers.base import count_param
from vtrace.renderers.describe import decision
from vtrace.session import Session

__all__ = [
    "GUEST_LAYERS",
    "HOST_LAYERS",
    "LAYER_FILL",
    "OTHER_FILL",
    "RED",
    "actor_role",
    "arrow_look",
    "crosses_layer",
    "crossing",
    "diagram_comment",
    "diagram_title",
    "ends",
    "frames_title",
    "has_word",
    "is_dashed",
    "layer_of",
    "layer_runs",
    "layer_title",
    "message_label",
    "note_text",
    "on_vcpus",
    "word",
]

GUEST_LAYERS = frozenset({Layer.GUEST_USER, Layer.GUEST_KERNEL})
HOST_LAYERS = frozenset({Layer.KVM, Layer.QEMU, Layer.HOST_KERNEL})

LAYER_FILL: Mapping[Layer, str] = {
    Layer.GUEST_USER: "#eaf2fb", Layer.GUEST_KERNEL: "#dbe8f7", Layer.VRING: "#fff3c4",
    Layer.KVM: "#f1e4f6", Layer.QEMU: "#e3f3e5", Layer.HOST_KERNEL: "#f4e8dc",
}
OTHER_FILL = "#eeeeee"  # lifelines of actors vtrace does not know
BLACK, RED, ORANGE, BLUE = "#222222", "#c0392b", "#d35400", "#1f5fa8"

_WORDS: Mapping[str, Mapping[str, str]] = {
    "en": {
        "layer.guest-user": "guest user space",
        "layer.guest-kernel": "guest kernel",
        "layer.vring": "shared memory",
        "layer.kvm": "host kernel: KVM",
        "layer.qemu": "QEMU (host user space)",
        "layer.host-kernel": "host kernel",
        "layer.other": "other",
        "role.app": "application",
        "role.stack": "socket, UDP/IP",
        "role.virtio_net": "virtio driver",
        "role.vring": "virtqueue",
        "role.kvm": "hypervisor",
        "role.virtio-net": "virtio device",
        "role.net-queue": "net layer",
        "role.tap": "tap backend",
        "role.vhost": "vhost-net worker",
        "role.tun": "tun/tap driver",
        "role.host-stack": "stack, bridge",
        "crossing.exit": "VM exit",
        "crossing.entry": "VM entry",
        "crossing.interrupt": "interrupt",
        "boundary": "guest | host",
        "frame": "frame {first}",
        "frames": "frames {first}–{last}",
        "continued": "{title} (continued)",
        "page": "{title} · page {page} of {pages}",
        "prologue": "before the first frame",
        "loop": "× {times}: {frames}, the same steps each time",
        "loop.interleaved": "× {times}: {frames}, the same steps in each thread each time "
                            "(the threads' steps interleave differently)",
        "same": "{frames}: the same steps as {like} above, not drawn again",
        "repeat": "↻ the last {steps} steps of {thread} ran {times} more times, with other "
                  "numbers (--no-fold draws them)",
        "repeat.once": "↻ the last {steps} steps of {thread} ran once more, with other numbers "
                       "(--no-fold draws them)",
        "same.many": "{frames}: × {times}, the same steps as {like} above, not drawn again",
        "cut": "{frames}: only the first {drawn} of its {steps} steps are drawn (draw a "
               "smaller batch, or write the HTML player, .html, or the .json trace)",
        "elided": "{frames} not drawn: {steps} steps in {rounds} rounds, {alike} of them the "
                  "same as one drawn above; the picture ends after the last whole round that "
                  "fits (draw fewer frames, or write the HTML player, .html, or the .json "
                  "trace)",
        "notify.off": "notifications off: no kicks wanted while QEMU drains the ring",
        "notify.on": "notifications on: kicks wanted again",
        "overview.bypassed": "bypassed with vhost-net: the host kernel's vhost worker moves the "
                             "packets;\nQEMU only set the device up (VHOST_SET_*) and is off "
                             "the data path",
        "overview.guest": "guest (VM)",
        "overview.qemu": "QEMU process",
        "overview.host": "host kernel",
        "overview.legend": "The path, step by step",
        "part.app": "application",
        "part.socket": "socket",
        "part.stack": "UDP/IP, qdisc",
        "part.virtio_net": "virtio_net driver",
        "part.vring": "virtqueue\nin guest memory,\nshared with QEMU",
        "part.vring.vhost": "virtqueue\nin guest memory,\nshared with vhost-net",
        "part.kvm": "KVM",
        "part.vhost": "vhost-net worker\n(kernel thread\nvhost-<QEMU pid>)",
        "part.virtio-net": "virtio-net device",
        "part.net-queue": "net layer",
        "part.tap": "tap backend",
        "part.tun-chr": "tun character device\n/dev/net/tun",
        "part.tap-netdev": "tap netdev (tap0)",
        "part.host-stack": "stack, bridge",
    },
    "zh": {
        "layer.guest-user": "客户机用户态",
        "layer.guest-kernel": "客户机内核",
        "layer.vring": "共享内存",
        "layer.kvm": "宿主机内核：KVM",
        "layer.qemu": "QEMU（宿主机用户态）",
        "layer.host-kernel": "宿主机内核",
        "layer.other": "其他",
        "role.app": "应用程序",
        "role.stack": "套接字、UDP/IP",
        "role.virtio_net": "virtio 驱动",
        "role.vring": "virtqueue",
        "role.kvm": "虚拟机监控器",
        "role.virtio-net": "virtio 设备",
        "role.net-queue": "网络层",
        "role.tap": "tap 后端",
        "role.vhost": "vhost-net 工作线程",
        "role.tun": "tun/tap 驱动",
        "role.host-stack": "协议栈、网桥",
        "crossing.exit": "VM exit（离开客户机）",
        "crossing.entry": "VM entry（回到客户机）",
        "crossing.interrupt": "中断注入",
        "boundary": "客户机 | 宿主机",
        "frame": "第 {first} 帧",
        "frames": "第 {first}–{last} 帧",
        "prologue": "第一帧之前",
        "continued": "{title}（续）",
        "page": "{title} · 第 {page}/{pages} 页",
        "loop": "× {times}：{frames}，每次步骤相同",
        "loop.interleaved": "× {times}：{frames}，每个线程每次步骤相同"
                            "（线程之间的先后交错不同）",
        "same": "{frames}：步骤与上面的{like}相同，不再重画",
        "repeat": "↻ {thread} 的最后 {steps} 步又重复了 {times} 次，数值不同（--no-fold 全部画出）",
        "repeat.once": "↻ {thread} 的最后 {steps} 步又重复了一次，数值不同（--no-fold 画出）",
        "same.many": "{frames}：× {times}，步骤与上面的{like}相同，不再重画",
        "cut": "{frames}：只画出了全部 {steps} 步中的前 {drawn} 步（换小一点的批量，"
               "或输出 HTML 播放器 .html、.json 跟踪文件）",
        "elided": "{frames}没有画出：共 {steps} 步、{rounds} 轮，其中 {alike} 轮与上面画出的某一轮"
                  "相同；图在能容纳的最后一个完整轮次之后结束（少画几帧，或输出 HTML 播放器 .html、"
                  ".json 跟踪文件）",
        "notify.off": "关闭通知：QEMU 清空队列期间不需要 kick",
        "notify.on": "重新打开通知：又需要 kick 了",
        "overview.bypassed": "vhost-net 绕过了这里：由宿主机内核的 vhost 工作线程搬运数据包；\n"
                             "QEMU 只负责建立设备（VHOST_SET_*），不在数据路径上",
        "overview.guest": "客户机（虚拟机）",
        "overview.qemu": "QEMU 进程",
        "overview.host": "宿主机内核",
        "overview.legend": "路径，逐步",
        "part.app": "应用程序",
        "part.socket": "套接字",
        "part.stack": "UDP/IP、qdisc",
        "part.virtio_net": "virtio_net 驱动",
        "part.vring": "virtqueue\n位于客户机内存，\n与 QEMU 共享",
        "part.vring.vhost": "virtqueue\n位于客户机内存，\n与 vhost-net 共享",
        "part.vhost": "vhost-net 工作线程\n（内核线程\nvhost-<QEMU pid>）",
        "part.virtio-net": "virtio-net 设备",
        "part.net-queue": "网络层",
        "part.tap": "tap 后端",
        "part.tun-chr": "tun 字符设备\n/dev/net/tun",
        "part.tap-netdev": "tap 网络设备 (tap0)",
        "part.host-stack": "协议栈、网桥",
    },
}


def word(key: str, lang: str = "en", **values: object) -> str:
    """The diagram word ``key`` in ``lang`` (English when that language lacks it)."""
    return worded(_WORDS, key, lang, **values)


def has_word(key: str) -> bool:
    """Whether ``key`` is a diagram word (in English, which has them all)."""
    return key in _WORDS["en"]


def layer_title(layer: Layer | None, lang: str = "en") -> str:
    return word(f"layer.{layer.value}" if layer else "layer.other", lang)


def layer_of(actor: str) -> Layer | None:
    """The layer of a lifeline: its actor's, also for one vCPU's (``virtio_net@vcpu1``)."""
    return ACTOR_LAYER.get(actor.partition("@")[0])


def on_vcpus(events: Iterable[Event], header: Header) -> Iterable[Event]:
    """With several queue pairs, the guest's lifelines once per vCPU: an event on ``vcpu1``
    runs between ``stack@vcpu1`` and ``virtio_net@vcpu1``."""
    if count_param(header.params, "queues") in (None, 1):
        return events
    return (_on_vcpu(event) for event in events)


def _on_vcpu(event: Event) -> Event:
    thread = event.thread
    if not thread.startswith("vcpu"):
        return event
    src, dst = (f"{actor}@{thread}" if layer_of(actor) in GUEST_LAYERS else actor
                for actor in (event.src, event.dst))
    return replace(event, src=src, dst=dst)


def actor_role(actor: str, lang: str = "en") -> str:
    """What a lifeline is, under its name; empty for actors vtrace does not know."""
    key = f"role.{actor.partition('@')[0]}"
    return word(key, lang) if has_word(key) else ""


def crosses_layer(event: Event) -> bool:
    """Whether the event goes from one layer to another (from one actor to another when
    either is unknown)."""
    src, dst = layer_of(event.src), layer_of(event.dst)
    return src != dst if src is not None and dst is not None else event.src != event.dst


def crossing(event: Event) -> str | None:
    """``exit``, ``entry`` or ``interrupt`` when the event crosses the guest/host boundary."""
    src, dst = layer_of(event.src), layer_of(event.dst)
    if event.kind is Kind.CALL and src in GUEST_LAYERS and dst in HOST_LAYERS:
        return "exit"
    if src in HOST_LAYERS and dst in GUEST_LAYERS:
        return "entry" if event.kind is Kind.RETURN else "interrupt"
    return None


def ends(event: Event, actors: Collection[str]) -> tuple[str, str]:
    """The lifelines an event's arrow joins, of ``actors``: a VM entry leaves KVM, which
    resumes the vCPU, even when the stream names the thread that asked for it (QEMU's
    vCPU thread going back into KVM_RUN)."""
    if crossing(event) == "entry" and "kvm" in actors:
        return "kvm", event.dst
    return event.src, event.dst


def is_dashed(event: Event) -> bool:
    """Returns and completions are drawn dashed, as UML draws a reply."""
    return event.kind is Kind.RETURN or event.phase in (Phase.COMPLETE, Phase.INTERRUPT)


def layer_runs(actors: list[str]) -> Iterator[tuple[Layer | None, int, int]]:
    """(layer, start, end) of each run of neighbouring lifelines in one layer."""
    start = 0
    for end in range(1, len(actors) + 1):
        layer = layer_of(actors[start])
        if end < len(actors) and layer_of(actors[end]) == layer:
            continue
        yield layer, start, end
        start = end


def arrow_look(event: Event) -> dict[str, str]:
    """Graphviz colour, style and pen width of the arrow an event draws: shared-memory writes
    dotted blue, completions and returns dashed, boundary crossings thick red (orange for
    the interrupt)."""
    kind = crossing(event)
    colour = BLUE if event.kind is Kind.STATE else {
        "exit": RED, "entry": RED, "interrupt": ORANGE}.get(kind or "", BLACK)
    style = "dotted" if event.kind is Kind.STATE else "dashed" if is_dashed(event) else "solid"
    return {"color": colour, "style": style, "penwidth": "2.4" if kind else "1.1"}


def message_label(event: Event, lang: str = "en") -> str:
    """The text on an arrow: the function, the fields written, or the crossing's name."""
    if event.kind is Kind.STATE:
        writes = event.detail.get("writes")
        if isinstance(writes, Mapping) and writes:
            return ", ".join(f"{name}={value}" for name, value in writes.items())
        return event.function
    kind = crossing(event)
    if event.kind is Kind.RETURN:
        return word(f"crossing.{kind}", lang) if kind else event.function
    return f"{word(f'crossing.{kind}', lang)}: {event.function}" if kind else event.function


def note_text(event: Event, lang: str = "en", decided: str | None = None) -> str:
    """The decision or state worth a note beside the event, or ``""`` (``decided``: the
    event's ``decision`` in ``lang``, when the caller has it already)."""
    if event.kind in (Kind.STATE, Kind.RETURN):
        return ""
    enable = event.detail.get("enable")
    if isinstance(enable, bool) and event.phase is Phase.DEVICE:
        return word("notify.on" if enable else "notify.off", lang)
    return decision(event, lang) if decided is None else decided


def frames_title(first: int | None, last: int | None, lang: str = "en") -> str:
    """``frame 3``, ``frames 0–4``, or the title of what comes before any frame."""
    if first is None or last is None:
        return word("prologue", lang)
    if first == last:
        return word("frame", lang, first=first)
    return word("frames", lang, first=first, last=last)


def diagram_title(session: Session, lang: str = "en") -> str:
    """What was run, in words (``1 frame of 128 bytes, Linux 6.1 + QEMU 7.2, EVENT_IDX on,
    ioeventfd on``), as the session's scenario describes its parameters."""
    return session.scenario.describe(session.header.params, lang)


def diagram_comment(header: Header) -> str:
    """``vtrace send · frames=1, batch=1, ... · seed 1``: the exact parameters, for a comment
    in the file rather than the picture."""
    params = ", ".join(f"{name}={value}" for name, value in header.params.items())
    return f"vtrace {header.scenario} · {params} · seed {header.seed}"
