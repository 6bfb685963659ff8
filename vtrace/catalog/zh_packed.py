"""Chinese texts for the packed ring's steps: ``text`` and one entry per version note.

Keys match ``packed_steps``; function names and fields stay as they are in the sources.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["ZH"]

ZH: Mapping[str, Mapping[str, str]] = {
    "virtqueue_add_packed": {
        "text": "virtqueue_add 的 packed 环实现：把缓冲区的地址、长度和 id 写进 next_avail_idx 处"
                "的描述符槽，AVAIL 位设为 avail_wrap_counter，USED 位设为它的反值；头描述符的 fla"
                "gs 在写屏障之后最后写，让设备一次看到整条链。越过环尾时下标回到 0，avail_wrap_co"
                "unter 翻转。",
        "6.1": "与 split 环相比：没有 avail 环，也没有 avail->idx；描述符的 flags 让它变为可用，i"
               "d 就在描述符里。协商了间接描述符时，多个缓冲区的链走 virtqueue_add_indirect_packe"
               "d。",
        "7.2": "与 split 环相比：让槽变为可用的是它的 flags，而不是 avail->idx。Linux 7.2 通过 VI"
               "RTQUEUE_CALL 的操作表到达这里；按序变体 virtqueue_add_packed_in_order 服务于 VIRT"
               "IO_F_IN_ORDER。",
    },
    "virtqueue_packed_pop": {
        "text": "virtqueue_pop 的 packed 环实现：last_avail_idx 处的槽，当其 AVAIL 位与 USED 位不"
                "同且等于 last_avail_wrap_counter 时可用（is_desc_avail）；读屏障之后读描述符，映"
                "射缓冲区，把 last_avail_idx 推进所用的描述符数，越过环尾时翻转回绕计数器。",
        "7.2": "与 split 环相比：QEMU 在这里不读 avail->idx，也不写 avail_event；它直接读描述符槽"
               "，缓冲区的 id 来自描述符。",
        "10.2": "与 split 环相比：说明哪些可用的是槽的 flags，而不是 avail->idx；QEMU 10.2 的读法"
                "与 7.2 相同。",
    },
    "virtqueue_packed_fill": {
        "text": "virtqueue_fill 的 packed 环实现：把已用元素的 id、长度和描述符数记进 used_elems"
                "；此时还不写环。",
        "7.2": "与 split 环相比：virtqueue_split_fill 立即写 used 环的条目；packed 的要等到 flush"
               "。",
        "10.2": "与 split 环相比：packed 的 fill 只记录元素；QEMU 10.2 为 VIRTIO_F_IN_ORDER 增加"
                "了 virtqueue_ordered_fill。",
    },
    "virtqueue_packed_flush": {
        "text": "virtqueue_flush 的 packed 环实现：从 used_idx 起把每个已用元素的 id 和长度写进描"
                "述符槽，AVAIL 和 USED 都设为 used_wrap_counter，第一个元素的槽在写屏障之后最后写"
                "；推进 used_idx，越过环尾时翻转 used_wrap_counter。",
        "7.2": "与 split 环相比：已用元素覆盖同一个环里的描述符槽，也不发布 used->idx，由 flags "
               "告诉驱动。（Debian 的 7.2 带有稳定版修复：每个元素放在它前面各元素的描述符之后。"
               "）",
        "10.2": "与 split 环相比：已用元素回到描述符环，由 flags 发布；没有 used->idx。",
    },
}
