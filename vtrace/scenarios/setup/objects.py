"""The objects the set-up creates on each side of the boundary, and how they link.

Each step that brings an object into being adds it to the panel, worded with
its event's detail (which queue). The links are the fields that join them in
Linux 6.1's ``drivers/net/tun.c`` and ``drivers/net/virtio_net.c`` and QEMU
7.2's ``net/tap.c``, ``net/net.c`` and ``hw/virtio/virtio.c``: ``tun_file.tun``,
``NetClientState.peer``, ``VirtIODevice.vq``, ``virtnet_info.rq/sq/cvq``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vtrace.catalog import Text
from vtrace.model import Event, Kind
from vtrace.scenarios.words import text

__all__ = ["MADE", "MADE_PACKED", "SIDES", "ObjectsPanel"]

#: Where an object lives, in the order the panel lists them.
SIDES: dict[str, Text] = {
    "host": {"en": "host kernel", "zh": "宿主内核"},
    "qemu": {"en": "QEMU", "zh": "QEMU"},
    "kvm": {"en": "KVM", "zh": "KVM"},
    "guest": {"en": "guest kernel", "zh": "客户机内核"},
}

#: The guest's field that holds each queue's virtqueue.
_GUEST_QUEUE = {"rx0": "vi->rq[0].vq", "tx0": "vi->sq[0].vq", "ctrl": "vi->cvq"}

#: step -> (object, side, how it links), worded with the event's detail.
MADE: dict[str, tuple[tuple[str, str, Text], ...]] = {
    "tun_chr_open": (("tun_file", "host", {
        "en": "the open /dev/net/tun, with its socket; no interface yet",
        "zh": "打开的 /dev/net/tun，带着它的 socket；还没有接口"}),),
    "tun_set_iff": (
        ("net_device tap0", "host", {
            "en": "the host's interface; netdev_priv() is its tun_struct",
            "zh": "宿主机的接口；netdev_priv() 就是它的 tun_struct"}),
        ("tun_struct", "host", {
            "en": "tfiles[0] → the tun_file, whose tun points back here",
            "zh": "tfiles[0] → tun_file，tun_file 的 tun 指回这里"})),
    "net_tap_fd_init": (("TAPState tap0", "qemu", {
        "en": "QEMU's tap back end: its fd is the tun_file, its NetClientState nc waits "
              "for a peer",
        "zh": "QEMU 的 tap 后端：fd 就是那个 tun_file，它的 NetClientState nc 等着对端"}),),
    "virtio_net_device_realize": (("VirtIONet", "qemu", {
        "en": "the device: a VirtIODevice whose vq[] will hold its queues",
        "zh": "设备本身：一个 VirtIODevice，它的 vq[] 将放着各个队列"}),),
    "virtio_add_queue": (("VirtQueue {queue}", "qemu", {
        "en": "in VirtIONet's vq[]; handle_output = {handler}; its vring is learnt at "
              "queue_enable",
        "zh": "在 VirtIONet 的 vq[] 里；handle_output = {handler}；它的 vring 在写 queue_enable "
              "时才知道"}),),
    "qemu_new_nic": (("NICState", "qemu", {
        "en": "VirtIONet's nic; its NetClientState and the tap's are each other's peer",
        "zh": "VirtIONet 的 nic；它的 NetClientState 与 tap 的互为 peer"}),),
    "virtnet_probe": (("net_device + virtnet_info", "guest", {
        "en": "the guest's interface; netdev_priv() is virtnet_info, whose vdev is the "
              "virtio device",
        "zh": "客户机的接口；netdev_priv() 是 virtnet_info，它的 vdev 就是 virtio 设备"}),),
    "vring_create_virtqueue": (("vring {queue}", "guest", {
        "en": "descriptor table, available and used ring in guest memory; {field}",
        "zh": "客户机内存中的描述符表、可用环和已用环；{field}"}),),
    "virtio_queue_set_rings": (("VirtQueue {queue}.vring", "qemu", {
        "en": "desc, avail and used now hold the guest's addresses: both sides share the ring",
        "zh": "desc、avail 和 used 现在是客户机的地址：两边共用这个环"}),),
    "kvm_irqfd": (("irqfd {queue}", "kvm", {
        "en": "on the queue's call eventfd: a signal injects the queue's MSI-X vector "
              "through irqfd_wakeup",
        "zh": "挂在队列的 call eventfd 上：一有信号就经 irqfd_wakeup 注入该队列的 MSI-X 向量"}),),
    "virtio_pci_ioeventfd_assign": (("ioeventfd {queue}", "kvm", {
        "en": "on the queue's notify address; the eventfd is VirtQueue {queue}'s "
              "host_notifier",
        "zh": "挂在队列的通知地址上；这个 eventfd 就是 VirtQueue {queue} 的 host_notifier"}),),
}

#: What a packed ring's set-up makes instead, where it differs (the event says ``layout``).
MADE_PACKED: dict[str, tuple[tuple[str, str, Text], ...]] = {
    "vring_create_virtqueue": (("vring {queue}", "guest", {
        "en": "a packed ring: one ring of 16-byte descriptors, the driver's and the device's "
              "event areas, in guest memory; {field}",
        "zh": "packed 环：客户机内存中一个 16 字节描述符的环，以及驱动的和设备的事件区；"
              "{field}"}),),
    "virtio_queue_set_rings": (("VirtQueue {queue}.vring", "qemu", {
        "en": "desc, avail and used now hold the guest's addresses of the descriptor ring and "
              "the driver's and the device's event areas: both sides share the ring",
        "zh": "desc、avail 和 used 现在是客户机中描述符环、驱动事件区和设备事件区的地址：两边共用"
              "这个环"}),),
}


def _words(detail: Mapping[str, Any]) -> dict[str, Any]:
    queue = detail.get("queue", "")
    return {**detail, "field": _GUEST_QUEUE.get(queue, "")}


class ObjectsPanel:
    """The objects made so far: ``feed`` says what an event made, ``lines`` lists them all."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.made: list[tuple[str, str, str]] = []  # object, side, link
        self.latest: list[str] = []  # the lines of the latest event that made objects

    def feed(self, event: Event) -> list[str]:
        if event.kind is not Kind.CALL or event.step not in MADE:
            return []
        words = _words(event.detail)
        made = MADE_PACKED if event.detail.get("layout") == "packed" else MADE
        new = [(name.format(**words), side, text(link, self.lang).format(**words))
               for name, side, link in made.get(event.step, MADE[event.step])]
        self.made += new
        colon = self._colon()
        self.latest = [f"+ {name} ({text(SIDES[side], self.lang)}){colon}{link}"
                       for name, side, link in new]
        return self.latest

    def newest(self) -> list[str]:
        return self.latest

    def by_side(self) -> list[tuple[str, list[str]]]:
        """Each side (host kernel, QEMU, KVM, guest kernel), with the names of its objects
        in the order they were made (none yet: an empty list)."""
        return [(text(words, self.lang), [name for name, where, _ in self.made if where == side])
                for side, words in SIDES.items()]

    def _colon(self) -> str:
        return "：" if self.lang == "zh" else ": "

    def lines(self) -> list[str]:
        """Every object made, side by side: host kernel, QEMU, KVM, guest kernel."""
        lines = []
        for side, words in SIDES.items():
            here = [(name, link) for name, where, link in self.made if where == side]
            if here:
                lines.append(text(words, self.lang))
                lines += [f"  {name}: {link}" for name, link in here]
        return lines
