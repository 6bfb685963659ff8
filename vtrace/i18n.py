"""Every human sentence the views print, per language; step explanations live in the catalog.

Function names, file paths and field names are never translated.
"""

from __future__ import annotations

from collections.abc import Mapping

from vtrace.catalog import Era, Step

__all__ = [
    "LANGS",
    "default_lang",
    "era_label",
    "known",
    "message_keys",
    "say",
    "step_lesson",
    "step_note",
    "step_text",
    "worded",
]

LANGS = ("en", "zh")

_MESSAGES: Mapping[str, Mapping[str, str]] = {
    "en": {
        "why.xmit_more": "no kick yet: {hint} says another frame follows",
        "why.avail_event_in_window": "kick: avail_event {avail_event} is in [{old}, {new})",
        "why.avail_event_outside_window":
            "kick suppressed: avail_event {avail_event} is outside [{old}, {new}), "
            "the device is still working",
        "why.no_notify_clear": "kick: VRING_USED_F_NO_NOTIFY is clear",
        "why.no_notify_set": "kick suppressed: the device set VRING_USED_F_NO_NOTIFY",
        "why.gro_psh": "GRO flushes: the segment carries PSH, the end of a write",
        "why.gro_short": "GRO flushes: the segment is shorter than the MSS",
        "why.gro_budget": "GRO flushes: the poll used its whole budget",
        "why.gro_napi_complete_done": "GRO flushes: the NAPI poll completes",
        "why.gro_cwr": "GRO flushes: the segment carries CWR",
        "why.gro_flags": "GRO flushes: the TCP flags differ from the held skb's",
        "why.gro_ack": "GRO flushes: the ACK number differs from the held skb's",
        "why.gro_options": "GRO flushes: the TCP options (timestamps) differ",
        "why.gro_ip_id": "GRO flushes: the IP id does not follow the held skb's",
        "why.gro_longer": "GRO flushes: the segment is longer than the held skb's MSS",
        "why.gro_seq": "GRO flushes: the segment is not the next in sequence",
        "why.gro_max_size": "GRO flushes: the merged skb would reach 64 KiB (gro_max_size)",
        "queue.stopped": "TX queue stopped: fewer than 19 free descriptors",
        "queue.woken": "TX queue woken: {num_free} descriptors free",
        "vm_entry": "VM entry: the guest runs again",
        "state.write": "{writer} writes {fields}",
        "fact.tunsetiff": "open {path}, then ioctl(TUNSETIFF) with {flags}",
        "fact.xps": "flow {flow} is sent from CPU {cpu}; XPS maps that CPU to TX queue "
                    "{tx_queue}",
        "fact.rss": "flow {flow}: Toeplitz hash {hash} ({hash_type}), indirection table "
                    "entry {indirection}: RX queue {rx_queue}",
        "fact.tap_created": "the host now has an interface {ifname}",
        "fact.fd_handler": "QEMU's main loop watches the tap's fd with {handler}",
        "fact.realize_all": "every queue pair is added now",
        "fact.realize_first": "only queue pair 0 is added now",
        "fact.tx_bh": "TX bottom half {bh} created with {via}",
        "fact.queue_added": "queue {queue}: guest kicks go to {handler}",
        "fact.peer": "the NIC's peer is {peer}",
        "fact.vring": "queue {queue}: notify with {notify}, callback {callback}",
        "fact.driver_ok": "driver ready: the guest writes DRIVER_OK to the device status",
        "fact.gathered": "one skb of {len} bytes, {frags} page fragments; the EWMA sizes the "
                         "next buffers at {next_buf_len}",
        "fact.status_write": "the store was the {status} write to the device status",
        "fact.config_write": "the store was a write of {field} to the common configuration",
        "fact.status": "device status {value}: {status} is set",
        "fact.features_accepted": "the device offers {offered}; the driver accepts {count} "
                                  "of them and refuses {refused}",
        "fact.features": "negotiated: {features}",
        "fact.features_hdr": "negotiated: {features}; so the virtio_net_hdr is {hdr_len} bytes",
        "fact.rings": "queue {queue}: QEMU now knows where its descriptor table, available "
                      "ring and used ring are",
        "fact.qom": "QOM type {type}, child of {parent}: its class hooks are filled in",
        "objects.title": "Objects the set-up made, and their links",
        "fact.ioeventfd": "queue {queue}: its notify address gets an ioeventfd",
        "fact.fast_mmio": "on {bus} now: later kicks stay in the kernel",
        "fact.vhost": "the data path goes to the host kernel's vhost-net ({backend})",
        "fact.worker": "the device's vhost worker {worker} now exists",
        "fact.irqfd": "queue {queue}: its interrupt is now a KVM irqfd, woken through {callback}",
        "fact.backend": "queue {queue}: vhost-net now moves its packets through the tap's socket",
        "fact.qemu_off_data_path": "QEMU is off the data path: the vhost worker moves the "
                                   "packets of both data queues",
        "era.lesson": "Linux 4.19 + QEMU 3.1 (the 2019 lesson)",
        "era.modern": "Linux 6.1 + QEMU 7.2 (Debian 12)",
        "era.newest": "Linux 7.2 + QEMU 10.2",
        "progress.frames": "reading frames",
        "progress.events": "reading events",
        "summary.title": "Summary",
        "summary.interrupted": "interrupted: summary so far",
        "summary.modelled_time": "modelled time",
        "summary.measured_time": "time seen in the capture",
        "summary.per_frame": "per frame",
        "summary.per_queue": "Per queue pair (its vCPU, QEMU's and the host's steps for it)",
        "summary.queue": "queue {queue}",
        "summary.total": "total",
        "live.layers": "Where the frame is",
        "live.where": "Where the code runs",
        "live.step": "Step",
        "live.counters": "Counters",
        "live.frames": "frames done",
        "live.per_queue": "each count in total (and per queue pair: {queues})",
        "live.lesson": "Compared with the lesson",
        "live.keys": "Enter/space: next step   q: quit",
        "ring.in_use": "descriptors in use",
        "ring.shared": "in guest memory",
        "ring.driver": "guest driver's shadows",
        "ring.device": "QEMU's view",
        "unverified": "line not checked",
        "user_space": "user space",
        "steps.title": "Steps in {era}",
        "steps.function": "function",
        "steps.project": "project",
        "steps.where": "defined at",
        "steps.layer": "layer",
        "steps.actor": "actor",
        "steps.count": "{count} steps; a line marked * was not checked against the source",
        "steps.map": "{title}: the path by layer, {era}",
        "steps.map_more": "+{count} more",
        "steps.map_hint": "vtrace steps: every function with its file and line",
        "explain.where": "Where it is",
        "explain.absent": "not in this version",
        "explain.callers": "Runs after",
        "explain.callees": "Runs next",
        "explain.none": "(nothing, in this era's replays)",
        "explain.differences": "What changed between versions",
        "explain.no_differences": "No difference noted between the versions vtrace knows.",
        "explain.this_era": "this era",
        "explain.layer": "{layer} layer, {actor} lifeline, in {era}",
        "explain.boundary": ("Before and after are read off this era's replays; a hop across a "
                             "boundary (a system call, a VM exit, an eventfd, an interrupt) "
                             "counts too."),
    },
    "zh": {
        "why.xmit_more": "暂不通知：{hint} 表示后面还有帧",
        "why.avail_event_in_window": "通知：avail_event {avail_event} 落在 [{old}, {new}) 中",
        "why.avail_event_outside_window":
            "不通知：avail_event {avail_event} 不在 [{old}, {new}) 中，设备还在处理",
        "why.no_notify_clear": "通知：VRING_USED_F_NO_NOTIFY 未设置",
        "why.no_notify_set": "不通知：设备设置了 VRING_USED_F_NO_NOTIFY",
        "why.gro_psh": "GRO 冲刷：这一段带 PSH，一次写入结束",
        "why.gro_short": "GRO 冲刷：这一段比 MSS 短",
        "why.gro_budget": "GRO 冲刷：这次轮询用满了预算",
        "why.gro_napi_complete_done": "GRO 冲刷：NAPI 轮询结束",
        "why.gro_cwr": "GRO 冲刷：这一段带 CWR",
        "why.gro_flags": "GRO 冲刷：TCP 标志与留住的 skb 不同",
        "why.gro_ack": "GRO 冲刷：ACK 号与留住的 skb 不同",
        "why.gro_options": "GRO 冲刷：TCP 选项（时间戳）不同",
        "why.gro_ip_id": "GRO 冲刷：IP id 接不上留住的 skb",
        "why.gro_longer": "GRO 冲刷：这一段比留住的 skb 的 MSS 长",
        "why.gro_seq": "GRO 冲刷：这一段的序号不是下一个",
        "why.gro_max_size": "GRO 冲刷：合并后的 skb 会达到 64 KiB（gro_max_size）",
        "queue.stopped": "TX 队列停止：空闲描述符少于 19 个",
        "queue.woken": "TX 队列恢复：{num_free} 个描述符空闲",
        "vm_entry": "VM 进入：客户机继续运行",
        "state.write": "{writer} 写入 {fields}",
        "fact.tunsetiff": "打开 {path}，再用 {flags} 调用 ioctl(TUNSETIFF)",
        "fact.xps": "流 {flow} 从 CPU {cpu} 发出；XPS 把这个 CPU 映射到 TX 队列 {tx_queue}",
        "fact.rss": "流 {flow}：Toeplitz 哈希 {hash}（{hash_type}），间接表第 {indirection} 项："
                    "RX 队列 {rx_queue}",
        "fact.tap_created": "宿主机上现在有了接口 {ifname}",
        "fact.fd_handler": "QEMU 主循环用 {handler} 监视 tap 的文件描述符",
        "fact.realize_all": "现在就添加所有队列对",
        "fact.realize_first": "现在只添加第 0 个队列对",
        "fact.tx_bh": "用 {via} 创建 TX 下半部 {bh}",
        "fact.queue_added": "队列 {queue}：客户机的通知交给 {handler}",
        "fact.peer": "网卡的对端是 {peer}",
        "fact.vring": "队列 {queue}：通知函数 {notify}，回调 {callback}",
        "fact.driver_ok": "驱动就绪：客户机把 DRIVER_OK 写入设备状态",
        "fact.gathered": "合成 {len} 字节，{frags} 个页片段；EWMA 使下批缓冲区为 {next_buf_len}",
        "fact.status_write": "这次写入就是向设备状态写 {status}",
        "fact.config_write": "这次写入是向通用配置写 {field}",
        "fact.status": "设备状态 {value}：{status} 已置位",
        "fact.features_accepted": "设备提供 {offered}；驱动接受其中 {count} 个，拒绝 {refused}",
        "fact.features": "协商结果：{features}",
        "fact.features_hdr": "协商结果：{features}；所以 virtio_net_hdr 是 {hdr_len} 字节",
        "fact.rings": "队列 {queue}：QEMU 现在知道它的描述符表、可用环和已用环在哪里",
        "fact.qom": "QOM 类型 {type}，父类型 {parent}：它的类钩子已填好",
        "objects.title": "建立过程创建的对象及其联系",
        "fact.ioeventfd": "队列 {queue}：它的通知地址获得一个 ioeventfd",
        "fact.fast_mmio": "已登记到 {bus}：以后的通知留在内核里处理",
        "fact.vhost": "数据路径交给宿主机内核的 vhost-net（{backend}）",
        "fact.worker": "设备的 vhost 工作线程 {worker} 已建立",
        "fact.irqfd": "队列 {queue}：它的中断现在是 KVM irqfd，经 {callback} 唤醒",
        "fact.backend": "队列 {queue}：vhost-net 从此经 tap 的套接字搬运它的包",
        "fact.qemu_off_data_path": "QEMU 离开了数据路径：两个数据队列的包都由 vhost 工作线程搬运",
        "era.lesson": "Linux 4.19 + QEMU 3.1（2019 年的课程）",
        "era.modern": "Linux 6.1 + QEMU 7.2（Debian 12）",
        "era.newest": "Linux 7.2 + QEMU 10.2",
        "progress.frames": "读取帧",
        "progress.events": "读取事件",
        "summary.title": "小结",
        "summary.interrupted": "已中断：到目前为止的小结",
        "summary.modelled_time": "模型时间",
        "summary.measured_time": "抓取中看到的时间",
        "summary.per_frame": "每帧",
        "summary.per_queue": "每个队列对（它的 vCPU、QEMU 和宿主机为它做的步骤）",
        "summary.queue": "队列 {queue}",
        "summary.total": "合计",
        "live.layers": "帧在哪里",
        "live.where": "代码在哪里运行",
        "live.step": "步骤",
        "live.counters": "计数",
        "live.frames": "走完的帧",
        "live.per_queue": "每个计数为合计（括号里按队列对：{queues}）",
        "live.lesson": "与课程对照",
        "live.keys": "回车/空格：下一步   q：退出",
        "ring.in_use": "使用中的描述符",
        "ring.shared": "客户机内存中",
        "ring.driver": "客户机驱动的影子副本",
        "ring.device": "QEMU 看到的",
        "unverified": "行号未核对",
        "user_space": "用户态",
        "steps.title": "{era} 中的步骤",
        "steps.function": "函数",
        "steps.project": "项目",
        "steps.where": "定义位置",
        "steps.layer": "层",
        "steps.actor": "角色",
        "steps.count": "共 {count} 个步骤；标 * 的行号未与源码核对",
        "steps.map": "{title}：按层看路径，{era}",
        "steps.map_more": "另有 {count} 个",
        "steps.map_hint": "vtrace steps：每个函数及其文件和行号",
        "explain.where": "位置",
        "explain.absent": "此版本中没有",
        "explain.callers": "在它之前运行",
        "explain.callees": "在它之后运行",
        "explain.none": "（在这个时代的回放中没有）",
        "explain.differences": "各版本之间的变化",
        "explain.no_differences": "在 vtrace 已知的版本之间没有记录到差异。",
        "explain.this_era": "本时代",
        "explain.layer": "{layer} 层，{actor} 生命线，{era}",
        "explain.boundary": ("之前和之后取自这个时代的回放；跨越边界的一跳"
                             "（系统调用、VM 退出、eventfd、中断）也算在内。"),
    },
}


def default_lang(environ: Mapping[str, str]) -> str:
    """``VTRACE_LANG`` of ``environ``, else the locale's language when vtrace speaks it, else
    English."""
    chosen = environ.get("VTRACE_LANG", "")
    if chosen in LANGS:
        return chosen
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(variable, "")
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def known(key: str) -> bool:
    """Whether ``key`` names a message (event files from elsewhere may hold other words)."""
    return key in _MESSAGES["en"]


def worded(table: Mapping[str, Mapping[str, str]], key: str, lang: str = "en",
           **values: object) -> str:
    """The words ``key`` of ``table`` (language -> key -> template) in ``lang``, English
    when that language lacks them, with ``values`` filled in."""
    template = table.get(lang, {}).get(key) or table["en"][key]
    return template.format(**values) if values else template


def say(key: str, lang: str = "en", **values: object) -> str:
    """The message ``key`` in ``lang`` (English when that language lacks it)."""
    return worded(_MESSAGES, key, lang, **values)


def step_text(step: Step, lang: str = "en") -> str:
    return step.text.get(lang) or step.text["en"]


def step_lesson(step: Step, lang: str = "en") -> str:
    return step.lesson.get(lang) or step.lesson.get("en", "")


def step_note(step: Step, version: str, lang: str = "en") -> str:
    """What is particular to ``version`` of the step's function, or ``""``."""
    note = step.notes.get(version)
    return (note.get(lang) or note.get("en", "")) if note else ""


def era_label(chosen: Era, lang: str = "en") -> str:
    return say(f"era.{chosen.name}", lang)


def message_keys(lang: str) -> frozenset[str]:
    """The message keys ``lang`` defines (for checking that translations are complete)."""
    return frozenset(_MESSAGES.get(lang, {}))
