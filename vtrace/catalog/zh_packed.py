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
    "virtqueue_add_indirect_packed": {
        "text": "协商了间接描述符时，整条链放进一张表，每个缓冲区一项；next_avail_idx 处的槽写"
                "入表的地址、每项 16 字节的长度和 id，flags 为 INDIRECT 加 AVAIL 与 USED，最后写"
                "。",
        "6.1": "与 split 环相比：split 的间接表靠 next 字段相连；packed 的表按顺序读，其中的 id "
               "不用。Linux 用 kmalloc 分配它；vtrace 把每个 id 的表放在缓冲区之后。",
        "7.2": "与 split 环相比：和那里一样，整条链只占一个槽、一个 id。Linux 7.2 由调用者传入 id"
               "，按序变体因此可以用它自己的。",
    },
    "virtqueue_packed_pop": {
        "text": "virtqueue_pop 的 packed 环实现：last_avail_idx 处的槽，当其 AVAIL 位与 USED 位不"
                "同且等于 last_avail_wrap_counter 时可用（is_desc_avail）；读屏障之后读描述符，映"
                "射缓冲区，把 last_avail_idx 推进所用的描述符数，越过环尾时翻转回绕计数器。",
        "7.2": "与 split 环相比：QEMU 在这里不读 avail->idx，也不写 avail_event；它直接读描述符槽"
               "（vring_packed_desc_read：先读 flags，读屏障，再读其余字段），缓冲区的 id 来自描述"
               "符。",
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
        "7.2": "与 split 环相比：已用元素覆盖同一个环里的描述符槽（virtqueue_packed_fill_desc），也"
               "不发布 used->idx，由 flags "
               "告诉驱动。（Debian 的 7.2 带有稳定版修复：每个元素放在它前面各元素的描述符之后。"
               "）",
        "10.2": "与 split 环相比：已用元素回到描述符环，由 flags 发布；没有 used->idx。",
    },
    "virtqueue_kick_prepare_packed": {
        "text": "virtqueue_kick_prepare 的 packed 环实现：一次 32 位读取设备事件区。DISABLE 不通"
                "知，ENABLE 通知；DESC（EVENT_IDX）时，off_wrap（回绕位不等于 avail_wrap_counter "
                "时退回一圈）落在刚加的描述符中才通知。",
        "6.1": "与 split 环相比：used 环里没有 avail_event，也没有 VRING_USED_F_NO_NOTIFY；由设备"
               "自己的 4 字节事件区说明，下标还带一个回绕位。vq->packed_ring 置位时，virtqueue_k"
               "ick_prepare 选这个实现。",
        "7.2": "与 split 环相比：off_wrap 和 flags 在设备的事件区里，而不在 used 环里。Linux 7.2 "
               "经 VIRTQUEUE_CALL 到达这里；按序操作表用的也是这个实现。",
    },
    "virtqueue_get_buf_ctx_packed": {
        "text": "virtqueue_get_buf_ctx 的 packed 环实现：last_used_idx 处的槽已用（AVAIL = USED"
                " = used 回绕计数器）时，读出 id 和长度，摘下缓冲区，last_used_idx 越过它（到环尾"
                "时第 15 位翻转）。",
        "6.1": "与 split 环相比：没有可比较的 used->idx，也没有 used 环条目；设备写的 id 和长度就"
               "在描述符槽里，槽的 flags 说明它已被使用（more_used_packed 问 is_used_desc_packed）"
               "。flags 为 DESC 时，新的 last_used_idx 写"
               "进驱动的 off_wrap，split 环在这里写 used_event。",
        "7.2": "与 split 环相比：槽的 flags 说明它已被使用。Linux 7.2 经 VIRTQUEUE_CALL 到达这里"
               "；协商了 VIRTIO_F_IN_ORDER 时由 virtqueue_get_buf_ctx_packed_in_order 代替。",
    },
    "detach_buf_packed": {
        "text": "把已用缓冲区的 id 放回空闲链表：desc_state[id].last 的 next 指向原来的 free_hea"
                "d，free_head 变为这个 id，num_free 增加它的描述符数；它的 token（skb 或页）交还"
                "给调用者。",
        "6.1": "与 split 环相比：id 的空闲链表在 desc_extra 里，与环分开，因为设备会用已用元素覆"
               "盖环的槽。",
        "7.2": "与 split 环相比：空闲链表在 desc_extra 里。Linux 7.2 拆出了 detach_buf_packed_in_o"
               "rder，本函数在重连空闲链表之后调用它。",
    },
    "virtqueue_disable_cb_packed": {
        "text": "virtqueue_disable_cb 的 packed 环实现：把 event_flags_shadow 设为 DISABLE 并写进"
                "驱动的事件区；如果自打开中断以来已经来过一次中断，就不写（设备反正不会再发）。",
        "6.1": "与 split 环相比：驱动自己事件区里的 DISABLE 代替了 avail 环里的 VRING_AVAIL_F_NO"
               "_INTERRUPT。",
        "7.2": "与 split 环相比：这个标志在驱动的事件区里，而不在 avail 环里。Linux 7.2 经 VOID_V"
               "IRTQUEUE_CALL 到达这里。",
    },
    "virtqueue_enable_cb_prepare_packed": {
        "text": "virtqueue_enable_cb_prepare 的 packed 环实现：有 EVENT_IDX 时把 last_used_idx（"
                "含回绕位）写进驱动的 off_wrap，写屏障后再写 flags（DESC 或 ENABLE）；返回 last_u"
                "sed_idx 供 virtqueue_poll 用。",
        "6.1": "与 split 环相比：驱动事件区里的 off_wrap 代替了 avail 环末尾的 used_event；它必须"
               "先于让设备去读它的 flags 写入。",
        "7.2": "与 split 环相比：用驱动的事件区，而不是 avail 环。Linux 7.2 的包装函数在 VIRTQUEU"
               "E_CALL 之前清除 event_triggered。",
    },
    "virtqueue_poll_packed": {
        "text": "virtqueue_poll 的 packed 环实现：enable_cb_prepare 返回的值（下标和回绕位）所指"
                "的槽，此刻是否已被使用（is_used_desc_packed）？",
        "6.1": "与 split 环相比：它读槽的 flags，而不是 used->idx。",
        "7.2": "与 split 环相比：读槽的 flags，而不是 used->idx。Linux 7.2 中 more_used_packed 调"
               "用的也是这个函数。",
    },
    "virtqueue_enable_cb_delayed_packed": {
        "text": "virtqueue_enable_cb_delayed 的 packed 环实现：有 EVENT_IDX 时把 last_used_idx 之"
                "后在途缓冲区 3/4 处的槽（含回绕位）写进驱动的 off_wrap，再写 flags；last_used_i"
                "dx 处的槽已用时返回 false。",
        "6.1": "与 split 环相比：同样是 3/4 的门槛，但带着回绕位写进驱动的事件区，而不是 used_ev"
               "ent。",
        "7.2": "与 split 环相比：写的是驱动事件区里的 off_wrap。Linux 7.2 经 VIRTQUEUE_CALL 到达"
               "这里。",
    },
    "virtio_packed_should_notify": {
        "text": "virtio_should_notify 的 packed 环实现：读驱动的事件区；DISABLE 不中断，ENABLE "
                "中断；DESC 时对 off_wrap 调 vring_packed_need_event（回绕位不等于 used_wrap_coun"
                "ter 时退回一圈）。",
        "7.2": "与 split 环相比：没有 avail 环末尾的 used_event，也没有 VRING_AVAIL_F_NO_INTERRU"
               "PT；由驱动自己的事件区说明（vring_packed_event_read）。used_idx 照样记进 signall"
               "ed_used。",
        "10.2": "与 split 环相比：由驱动的事件区决定；QEMU 10.2 的读法与 7.2 相同。",
    },
    "virtio_queue_packed_set_notification": {
        "text": "virtio_queue_set_notification 的 packed 环实现：在设备的事件区里写 DISABLE；或"
                "者有 EVENT_IDX 时先写 off_wrap（shadow_avail_idx 和它的回绕计数器），写屏障之后"
                "写 DESC；否则写 ENABLE。",
        "7.2": "与 split 环相比：设备自己的事件区代替了 used 环末尾的 avail_event 和 VRING_USED_F"
               "_NO_NOTIFY。",
        "10.2": "与 split 环相比：写的是设备的事件区，写法与 7.2 相同。",
    },
    "vring_create_virtqueue_packed": {
        "text": "在客户机内存中分配 packed 环（vring_alloc_queue_packed）：一张清零的 16 字节描述"
                "符表和两个 4 字节事件区（驱动的、设备的）；再建 id 状态和空闲链表，两个回绕计数器"
                "都为 1。",
        "6.1": "与 split 环相比：三次分开的分配，没有 avail 环，也没有 used 环；协商了 VIRTIO_F_R"
               "ING_PACKED 时，vring_create_virtqueue 选这个函数。",
        "7.2": "与 split 环相比：一个描述符环和两个事件区。Linux 7.2 在 __vring_new_virtqueue_pa"
               "cked 里建立队列，协商了 VIRTIO_F_IN_ORDER 时选按序操作表。",
    },
}
