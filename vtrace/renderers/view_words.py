"""The words of the terminal views' step mode and ring contents, in every language.

Field names (``avail.idx``, ``num_free``), function names and header fields
are never translated.
"""

from __future__ import annotations

from collections.abc import Mapping

from vtrace.i18n import worded
from vtrace.stepping import Position

__all__ = ["WORDS", "hint", "word"]

WORDS: Mapping[str, Mapping[str, str]] = {
    "en": {
        "hint": "Enter/→ next  ← back  f frame  k x i s  / find  g go to  ? keys  q quit",
        "hint.run": "Ctrl-C stops",
        "hint.last": "the last step: Enter ends",
        "typed": "go to step: {typed}▏ Enter goes, Esc cancels",
        "finding": "find a function: {typed}▏ Enter finds, Esc cancels",
        "legend": ("next step: Enter, space, →, ↓, PageDown · back: ←, ↑, PageUp · "
                   "f: next frame · k, x, i, s: next kick, VM exit, interrupt, suppressed "
                   "notification (K, X, I, S: the one before) · / NAME Enter: find a "
                   "function · g NUMBER Enter: go to step · v: ring figure or values (live view) · "
                   "u: the next queue pair's ring (--queues) · ?: hide keys · q: quit"),
        "missed.k": "no kick after this step",
        "missed.x": "no VM exit after this step",
        "missed.i": "no interrupt after this step",
        "missed.s": "no suppressed notification after this step",
        "missed.K": "no kick before this step",
        "missed.X": "no VM exit before this step",
        "missed.I": "no interrupt before this step",
        "missed.S": "no suppressed notification before this step",
        "missed./": "no step calls a function of that name",
        "back": "back to step {step}",
        "repeat": ("↻ the last {lines} lines of {thread} ran {times} more times: the same "
                   "steps with other numbers (--no-fold shows every one)"),
        "repeat.once": ("↻ the last {lines} lines of {thread} ran once more: the same steps "
                        "with other numbers (--no-fold shows them)"),
        "alike": ("⋯ {steps} steps of {thread} as frame #{like} took them, with other numbers: "
                  "{first} … {last} (--no-fold shows them)"),
        "alike.one": ("⋯ 1 step of {thread} as frame #{like} took it, with other numbers: "
                      "{first} (--no-fold shows it)"),
        "alike.frames": ("⋯ frames #{frame} to #{until} each took {steps} steps of {thread} as "
                         "the frame before, with other numbers: {first} … {last} (--no-fold "
                         "shows them)"),
        "step": "step {step}",
        "frame": "frame #{frame}",
        "no_frame": "no frame",
        "in_use": "in use",
        "ring.contents": "Ring contents",
        "ring.descriptors": "descriptor table, entries in use",
        "ring.avail": "avail ring (newest last)",
        "ring.used": "used ring (newest last)",
        "ring.event_idx": "event indices",
        "ring.none": "none",
        "ring.more": "... {count} more",
        "ring.unlisted": "{count} more posted: the stream names a buffer when the device "
                         "takes it",
        "ring.unnamed": "{count} not taken yet, posted without their heads in the stream",
        "ring.pending": "not taken yet",
        "ring.taken": "taken",
        "state.avail": "available",
        "state.device": "taken by the device",
        "state.used": "used",
        "frame.title": "frame #{frame}, first bytes",
        "frame.unknown": "frame #{frame}: {length} bytes, not recorded in the stream",
    },
    "zh": {
        "hint": "回车/→ 下一步  ← 上一步  f 下一帧  k x i s  / 查找  g 跳到  ? 按键  q 退出",
        "hint.run": "Ctrl-C 停止",
        "hint.last": "最后一步：按回车结束",
        "typed": "跳到第几步：{typed}▏ 回车跳转，Esc 取消",
        "finding": "查找函数：{typed}▏ 回车查找，Esc 取消",
        "legend": ("下一步：回车、空格、→、↓、PageDown · 上一步：←、↑、PageUp · "
                   "f：下一帧 · k、x、i、s：下一次 kick、VM exit、中断、被抑制的通知"
                   "（K、X、I、S：上一次） · / 函数名 回车：查找函数 · g 数字 回车：跳到该步 · "
                   "v：环的图或数值（实时视图） · u：下一个队列对的环（--queues） · "
                   "?：隐藏按键说明 · q：退出"),
        "missed.k": "这一步之后没有 kick",
        "missed.x": "这一步之后没有 VM exit",
        "missed.i": "这一步之后没有中断",
        "missed.s": "这一步之后没有被抑制的通知",
        "missed.K": "这一步之前没有 kick",
        "missed.X": "这一步之前没有 VM exit",
        "missed.I": "这一步之前没有中断",
        "missed.S": "这一步之前没有被抑制的通知",
        "missed./": "没有哪一步调用这个名字的函数",
        "back": "回到第 {step} 步",
        "repeat": ("↻ {thread} 的最后 {lines} 行又重复了 {times} 次：步骤相同、数值不同"
                   "（--no-fold 全部列出）"),
        "repeat.once": ("↻ {thread} 的最后 {lines} 行又重复了一次：步骤相同、数值不同"
                        "（--no-fold 列出）"),
        "alike": ("⋯ {thread} 的 {steps} 步与帧 #{like} 走过的相同，数值不同：{first} … {last}"
                  "（--no-fold 全部列出）"),
        "alike.one": ("⋯ {thread} 的 1 步与帧 #{like} 走过的相同，数值不同：{first}"
                      "（--no-fold 列出）"),
        "alike.frames": ("⋯ 帧 #{frame} 到 #{until}：每帧在 {thread} 中走过与前一帧相同的 "
                         "{steps} 步，数值不同：{first} … {last}（--no-fold 全部列出）"),
        "step": "第 {step} 步",
        "frame": "帧 #{frame}",
        "no_frame": "不属于某一帧",
        "in_use": "使用中",
        "ring.contents": "环的内容",
        "ring.descriptors": "描述符表中使用中的项",
        "ring.avail": "avail 环（最新的在最后）",
        "ring.used": "used 环（最新的在最后）",
        "ring.event_idx": "事件索引",
        "ring.none": "无",
        "ring.more": "……还有 {count} 项",
        "ring.unlisted": "另有 {count} 个已投放：设备取走缓冲区时，流里才写出是哪一个",
        "ring.unnamed": "{count} 项尚未取走，投放时流里没有写出它们的 head",
        "ring.pending": "尚未取走",
        "ring.taken": "已取走",
        "state.avail": "可用",
        "state.device": "设备已取走",
        "state.used": "已用",
        "frame.title": "帧 #{frame} 的开头字节",
        "frame.unknown": "帧 #{frame}：{length} 字节，流中没有记录内容",
    },
}


def word(key: str, lang: str = "en", **values: object) -> str:
    """The words ``key`` in ``lang`` (English when that language lacks them)."""
    return worded(WORDS, key, lang, **values)


def hint(at: Position, lang: str = "en") -> str:
    """The one line that tells a presenter which keys do what, at ``at``."""
    if at.typed is not None:
        return word("typed", lang, typed=at.typed)
    if at.finding is not None:
        return word("finding", lang, typed=at.finding)
    if at.legend:
        return word("legend", lang)
    said = word("hint", lang)
    if at.missed is not None:
        said = f"{word(f'missed.{at.missed}', lang)} · {said}"
    return f"{word('hint.last', lang)} · {said}" if at.last else said
