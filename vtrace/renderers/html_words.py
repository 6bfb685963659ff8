"""The words of the HTML player, in every language, worked out before the page is written.

The page carries them all, so switching between English and Chinese needs
no network and no code that knows either language. Words the other views
already have (layer titles, lifeline roles, counter and ring headings) are
taken from ``vtrace.i18n`` and ``diagram_text``; only the player's own
(buttons, panel titles, the key legend) are defined here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vtrace.i18n import LANGS, say
from vtrace.model import ACTORS, Layer
from vtrace.renderers.diagram_text import actor_role, layer_title, word
from vtrace.renderers.live import DEVICE, DRIVER, SHARED
from vtrace.scenarios import Scenario
from vtrace.scenarios.words import text

__all__ = ["RING_GROUPS", "counters", "words"]
#: The ring panel's groups, as the live view shows them.
RING_GROUPS = (("ring.shared", SHARED), ("ring.driver", DRIVER), ("ring.device", DEVICE))

_OWN: Mapping[str, Mapping[str, str]] = {
    "en": {
        "title": "vtrace player",
        "prev_step": "Previous step", "next_step": "Next step",
        "prev_frame": "Previous frame", "next_frame": "Next frame",
        "play": "Play", "pause": "Pause", "speed": "Speed",
        "jump": "Jump to step", "go": "Go", "legend": "Keys",
        "lang": "中文", "lang_label": "Switch language",
        "theme": "Light/dark", "permalink": "Link to this step",
        "scrubber": "Position in the run",
        "diagram": "Sequence diagram", "overview": "Where the frame is",
        "step": "Step", "counters": "Counters so far",
        "descriptors": "Descriptor table entries in use",
        "avail_ring": "avail ring, not yet taken", "used_ring": "used ring, not yet reclaimed",
        "head": "head", "addr": "addr", "len": "len", "state": "state",
        "desc.avail": "available", "desc.used": "used",
        "none": "none", "unknown": "?",
        "unlisted": "{count} more posted: the stream names a buffer when the device takes it",
        "no_ring": "This run has no virtqueue (set-up).",
        "changed": "changed at this step",
        "function": "function", "where": "where", "version": "version",
        "source": "seen by", "time": "time", "hop": "since the previous step",
        "modelled": "modelled", "measured": "measured",
        "decision": "decision", "why": "why", "vnote": "in this version",
        "lesson": "compared with the lesson",
        "near": "near this line: the line is from Debian's patched tree",
        "open_source": "open the source at this line",
        "frame": "frame", "step_of": "step {n} of {total}", "frame_of": "frame {frame}",
        "no_frame": "no frame",
        "round": "round {n} of {total}", "same": "the same steps as rounds {first}–{last}",
        "marker.kick": "kick (vp_notify)", "marker.exit": "VM exit (handle_ept_misconfig)",
        "marker.suppressed": "suppressed notification",
        "key.next": "next step (a presenter's clicker sends PageDown)",
        "key.prev": "previous step", "key.play": "play or pause",
        "key.home": "first step", "key.end": "last step",
        "key.frame": "next frame (Shift+F: previous)",
        "key.round": "next round of the diagram (Shift+R: previous)",
        "key.kick": "next kick (Shift+K: previous)", "key.exit": "next VM exit (Shift+X: previous)",
        "key.irq": "next interrupt (Shift+I: previous)",
        "key.suppressed": "next suppressed notification (Shift+S: previous)",
        "key.find": "find a function or file", "key.goto": "go to a step number",
        "key.present": "presentation mode: large type, the whole path in view",
        "key.figure": "show or hide the ring figure",
        "key.legend": "show or hide this legend",
        "key.queue": "the next queue pair's ring (each step opens on its own pair's)",
        "ring.queue": "queue pair {queue} of {count} (u: the next)",
        "counters.per_queue": "each count in total (and per queue pair: {queues})",
        "find": "Find", "find_go": "Next match", "not_found": "no step calls that",
        "present": "Present", "present_tip": "Presentation mode (p)",
        "objects": "Objects the set-up made, and their links",
        "fold_toggle": "Fold", "fold_tip": "Fold repeated rows into one (z)",
        "key.fold": "fold repeated rows into one, or draw every row",
        "fold_row": "the last {rows} rows ran {times} more times, with other numbers "
                    "(steps {first}–{last}; z draws them)",
        "fold_rounds": "rounds {first}–{last} took the same steps, with other numbers "
                       "(steps {from}–{to}; z draws them)",
        "figure_toggle": "Figure", "figure": "The ring in guest memory, drawn as the virtio "
        "specification draws it",
        "fig.desc": "descriptor table", "fig.avail": "available ring (driver → device)",
        "fig.used": "used ring (device → driver)",
        "fig.s.avail": "available", "fig.s.device": "with the device", "fig.s.used": "used",
        "fig.s.free": "free",
        "fig.ring": "descriptor ring (both directions: one ring)", "fig.s.freed": "reclaimed",
        "fig.driver": "driver (Linux)", "fig.device": "device (QEMU)",
        "fig.bits": "A: AVAIL, bit 7 of flags; U: USED, bit 15. Available: A = "
        "avail_wrap_counter, U its opposite; used: both = the device's used_wrap_counter.",
        "folded": "{n} lifelines this round does not use are folded away",
        "close": "Close",
        "look.exit": "thick red: a VM exit or entry; thick orange: an interrupt",
        "look.state": "dotted blue: a write to shared memory",
        "look.dashed": "dashed: a return or completion",
        "look.note": "◆ a decision or a note",
    },
    "zh": {
        "title": "vtrace 播放器",
        "prev_step": "上一步", "next_step": "下一步",
        "prev_frame": "上一帧", "next_frame": "下一帧",
        "play": "播放", "pause": "暂停", "speed": "速度",
        "jump": "跳到步骤", "go": "跳转", "legend": "按键",
        "lang": "English", "lang_label": "切换语言",
        "theme": "浅色/深色", "permalink": "本步骤的链接",
        "scrubber": "在运行中的位置",
        "diagram": "时序图", "overview": "帧在哪里",
        "step": "步骤", "counters": "到目前为止的计数",
        "descriptors": "使用中的描述符表项",
        "avail_ring": "avail 环中尚未取走的", "used_ring": "used 环中尚未收回的",
        "head": "head", "addr": "addr", "len": "len", "state": "状态",
        "desc.avail": "可用", "desc.used": "已用",
        "none": "无", "unknown": "？",
        "unlisted": "另有 {count} 个已投放：设备取走缓冲区时，流里才写出是哪一个",
        "no_ring": "本次运行没有虚拟队列（建立阶段）。",
        "changed": "在本步骤中改变",
        "function": "函数", "where": "位置", "version": "版本",
        "source": "记录来源", "time": "时间", "hop": "距上一步",
        "modelled": "模型", "measured": "实测",
        "decision": "决定", "why": "作用", "vnote": "本版本中",
        "lesson": "与课程对照",
        "near": "在这一行附近：行号来自 Debian 打过补丁的源码树",
        "open_source": "打开源码中的这一行",
        "frame": "帧", "step_of": "第 {n} 步，共 {total} 步", "frame_of": "第 {frame} 帧",
        "no_frame": "不属于某一帧",
        "round": "第 {n} 轮，共 {total} 轮", "same": "与第 {first}–{last} 轮步骤相同",
        "marker.kick": "通知（vp_notify）", "marker.exit": "VM 退出（handle_ept_misconfig）",
        "marker.suppressed": "被抑制的通知",
        "key.next": "下一步（翻页笔发送的是 PageDown）", "key.prev": "上一步",
        "key.play": "播放或暂停",
        "key.home": "第一步", "key.end": "最后一步",
        "key.frame": "下一帧（Shift+F：上一帧）",
        "key.round": "时序图下一轮（Shift+R：上一轮）",
        "key.kick": "下一次通知（Shift+K：上一次）",
        "key.exit": "下一次 VM 退出（Shift+X：上一次）",
        "key.irq": "下一次中断（Shift+I：上一次）",
        "key.suppressed": "下一次被抑制的通知（Shift+S：上一次）",
        "key.find": "查找函数或文件", "key.goto": "跳到某一步",
        "key.present": "演示模式：大字号，整条路径尽收眼底",
        "key.figure": "显示或隐藏环形队列图",
        "key.legend": "显示或隐藏本说明",
        "key.queue": "下一个队列对的环（每一步先显示它自己的队列对）",
        "ring.queue": "第 {queue} 个队列对，共 {count} 个（u：下一个）",
        "counters.per_queue": "每个计数为合计（括号里按队列对：{queues}）",
        "find": "查找", "find_go": "下一个", "not_found": "没有调用它的步骤",
        "present": "演示", "present_tip": "演示模式（p）",
        "objects": "建立过程创建的对象及其联系",
        "fold_toggle": "折叠", "fold_tip": "把重复的行折叠成一行（z）",
        "key.fold": "把重复的行折叠成一行，或画出每一行",
        "fold_row": "上面 {rows} 行又重复了 {times} 次，数值不同"
                    "（第 {first}–{last} 步；按 z 全部画出）",
        "fold_rounds": "第 {first}–{last} 轮走了相同的步骤，数值不同"
                       "（第 {from}–{to} 步；按 z 全部画出）",
        "figure_toggle": "图示", "figure": "客户机内存中的环形队列，按 virtio 规范的画法",
        "fig.desc": "描述符表", "fig.avail": "可用环（驱动 → 设备）",
        "fig.used": "已用环（设备 → 驱动）",
        "fig.s.avail": "可用", "fig.s.device": "在设备手中", "fig.s.used": "已用",
        "fig.s.free": "空闲",
        "fig.ring": "描述符环（两个方向共用一个环）", "fig.s.freed": "已收回",
        "fig.driver": "驱动（Linux）", "fig.device": "设备（QEMU）",
        "fig.bits": "A：AVAIL，flags 的第 7 位；U：USED，第 15 位。可用：A = "
        "avail_wrap_counter，U 取反；已用：两位都等于设备的 used_wrap_counter。",
        "folded": "本轮未用到的 {n} 条生命线已折叠",
        "close": "关闭",
        "look.exit": "红色粗线：VM 退出或进入；橙色粗线：中断",
        "look.state": "蓝色点线：写共享内存",
        "look.dashed": "虚线：返回或完成",
        "look.note": "◆ 决定或说明",
    },
}


#: The ring panel's first line: the queue's roles, as its scenario words them.
_ROLES = {"en": "{posts}; {takes}. An entry in use: {in_use}.",
          "zh": "{posts}；{takes}。使用中的项：{in_use}。"}


def counters(scenario: Scenario) -> list[str]:
    """The counters the player keeps: the scenario's own (it counts events itself)."""
    return [counter.name for counter in scenario.counters if counter.name != "events"]


def words(scenario: Scenario, params: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """Every word the page shows, per language: the queue's name and the back end's word
    (``params`` are the header's) come from the scenario."""
    backend = scenario.backend(params)
    shared_keys = [heading for heading, _ in RING_GROUPS] + ["ring.in_use"]
    table: dict[str, dict[str, str]] = {}
    for lang in LANGS:
        texts = dict(_OWN["en"])
        texts.update(_OWN.get(lang, {}))
        texts.update({key: say(key, lang) for key in shared_keys})
        queue = scenario.queue
        texts["ring"] = text(queue.name, lang) if queue else ""
        texts["ring.pair"] = text(queue.in_pair, lang) if queue else ""
        texts["ring.roles"] = _ROLES.get(lang, _ROLES["en"]).format(
            posts=text(queue.posts, lang), takes=text(queue.takes, lang),
            in_use=text(queue.in_use, lang)) if queue else ""
        texts["desc.device"] = text(backend.taken, lang)
        texts["ring.device"] = text(backend.side, lang)
        texts["marker.irq"] = text(backend.interrupt, lang)
        texts.update({f"counter.{counter.name}": counter.label.get(lang, counter.label["en"])
                      for counter in scenario.counters})
        texts.update({f"layer.{layer.value}": layer_title(layer, lang) for layer in Layer})
        texts["layer.other"] = layer_title(None, lang)
        texts.update({f"role.{actor}": actor_role(actor, lang) for actor in ACTORS})
        texts["boundary"] = word("boundary", lang)
        texts["guest"] = word("overview.guest", lang)
        texts["host"] = word("overview.host", lang)
        table[lang] = texts
    return table
