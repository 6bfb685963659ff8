"""What the host traces: tracepoints with their filters, and uprobes on QEMU's exports.

QEMU's tap and virtio-net datapath functions (tap_send, virtio_net_flush_tx,
virtio_net_receive, ...) are static, so absent from ``nm -D``; the uprobes sit
on the exported functions around them. Arguments follow the x86-64 SysV
convention; in QEMU's buffers the 12-byte virtio-net header comes first, so
byte 65 of a 66-byte buffer is the first digit of the seq number. QEMU
passes the guest's header through to the tap unchanged (equal header
lengths), so ``qemu_sendv_packet_async`` also reads its fields from the
first iovec: the real ``flags``, ``gso_type``, ``hdr_len``, ``gso_size``,
``csum_start`` and ``csum_offset`` of each packet the guest sent, and
``iovcnt``, the descriptors it took.

Filters are templates: ``{tap}`` is the tap's name, ``{tap_fd}`` QEMU's
descriptor of it (known once QEMU runs), ``{own_pid}`` this process (the
host's sender), ``{main}`` the comm of QEMU's main-loop thread.
"""

from __future__ import annotations

from dataclasses import dataclass

from vtrace.lab.params import Proto, Scenario

__all__ = ["MAIN_THREAD", "RECV_SEQ_DIGIT", "RECV_VNET_HDR_ARGS", "SEQ_DIGIT", "VNET_HDR_ARGS",
           "Tracepoint", "Uprobe", "tracepoints", "uprobe_definition", "uprobes"]

#: QEMU's main-loop thread's comm (its name cut to 15 bytes) with ``debug-threads=on``.
MAIN_THREAD = "qemu-system-x86"
_VCPU = 'comm ~ "CPU *"'


@dataclass(frozen=True, slots=True)
class Uprobe:
    symbol: str
    args: str = ""
    returns: bool = False  # also a return probe, NAME__return, with the return value
    event_filter: str | None = None


@dataclass(frozen=True, slots=True)
class Tracepoint:
    event: str  # GROUP/NAME
    event_filter: str = ""

    @property
    def needs_tap_fd(self) -> bool:
        return "{tap_fd}" in self.event_filter

    def filter_for(self, **values: str | int) -> str:
        return self.event_filter.format(**values)


#: struct virtio_net_hdr at the start of the first iovec (``+0(%si)``: iov[0].iov_base).
VNET_HDR_ARGS = ("flags=+0(+0(%si)):u8 gso_type=+1(+0(%si)):u8 hdr_len=+2(+0(%si)):u16 "
                 "gso_size=+4(+0(%si)):u16 csum_start=+6(+0(%si)):u16 "
                 "csum_offset=+8(+0(%si)):u16")
#: Where the seq's first digit is: a UDP frame sits behind its header in the first iovec
#: (12 + 42 + 11 bytes in); a TCP block's payload starts the second iovec (iov[1].iov_base
#: is 16 bytes into the array), the first page fragment, behind the pushed headers.
SEQ_DIGIT = {Proto.UDP: "+65(+0(%si))", Proto.TCP: "+11(+16(%si))"}


def _sent(proto: Proto) -> Uprobe:
    """``qemu_sendv_packet_async``: the descriptors, the header, the seq of each packet."""
    return Uprobe("qemu_sendv_packet_async",
                  f"iovcnt=%dx:s32 {VNET_HDR_ARGS} len0=+8(%si):u64 "
                  f"seqch={SEQ_DIGIT[proto]}:char", returns=True)


_SEND_UPROBES = (
    Uprobe("event_notifier_set", event_filter=_VCPU),
    Uprobe("msix_notify", "vector=%si:u32"),
    Uprobe("qemu_bh_schedule", event_filter=f'comm == "{MAIN_THREAD}"'),
    Uprobe("qemu_net_queue_send_iov"),
    Uprobe("virtio_notify"),
    Uprobe("virtio_queue_host_notifier_read"),
    Uprobe("virtio_queue_notify", "n=%si:s32"),
    Uprobe("virtqueue_flush", "count=%si:u32"),
    Uprobe("virtqueue_pop", "vq=%di:x64", returns=True),
    Uprobe("virtqueue_push", "len=%dx:u32"),
)
#: Where the seq's first digit is in a packet QEMU read from the tap: behind the 12-byte
#: header and a UDP frame's 42 bytes of headers, or a TCP segment's 66 (Ethernet, IPv4 and
#: TCP with timestamps, which both Linux ends use), then ``vtrace seq=``'s 11.
RECV_SEQ_DIGIT = {Proto.UDP: "+65(%si)", Proto.TCP: "+89(%si)"}


#: The struct virtio_net_hdr the host's tun_put_user wrote in front of a packet QEMU read
#: from the tap (``buf``, the second argument), which receive_header copies into the guest.
RECV_VNET_HDR_ARGS = ("flags=+0(%si):u8 gso_type=+1(%si):u8 hdr_len=+2(%si):u16 "
                      "gso_size=+4(%si):u16 csum_start=+6(%si):u16 csum_offset=+8(%si):u16")


def _recv_uprobes(proto: Proto) -> tuple[Uprobe, ...]:
    return (
        Uprobe("qemu_flush_queued_packets"),
        Uprobe("qemu_net_queue_send", "size=%r8:u64"),
        Uprobe("qemu_send_packet_async", f"size=%dx:u64 {RECV_VNET_HDR_ARGS} "
                                         f"seqch={RECV_SEQ_DIGIT[proto]}:char", returns=True),
        Uprobe("tap_read_packet", "fd=%di:s32 maxlen=%dx:u64", returns=True),
        Uprobe("virtqueue_fill", "len=%dx:u32 idx=%cx:u32"),
    )


_NET_ON_TAP = 'name == "{tap}"'
_SEND_TRACEPOINTS = (
    Tracepoint("syscalls/sys_enter_writev", "fd == {tap_fd}"),
    Tracepoint("syscalls/sys_exit_writev", f'comm == "{MAIN_THREAD}"'),
    Tracepoint("syscalls/sys_enter_write", "count == 8"),  # eventfd kicks and interrupts
    Tracepoint("net/netif_rx_entry", _NET_ON_TAP),
    Tracepoint("net/netif_rx", _NET_ON_TAP),
    Tracepoint("net/netif_receive_skb_entry", _NET_ON_TAP),
    Tracepoint("net/netif_receive_skb", _NET_ON_TAP),
    Tracepoint("sched/sched_switch", f'prev_comm == "{MAIN_THREAD}" && prev_state != 1'),
)
_RECV_TRACEPOINTS = (
    Tracepoint("syscalls/sys_enter_read", "fd == {tap_fd}"),
    Tracepoint("syscalls/sys_exit_read", f'comm == "{MAIN_THREAD}" && ret != 8'),
    Tracepoint("syscalls/sys_enter_sendto", "common_pid == {own_pid}"),
    Tracepoint("syscalls/sys_exit_sendto", "common_pid == {own_pid}"),
    Tracepoint("net/net_dev_queue", _NET_ON_TAP),
    Tracepoint("net/net_dev_start_xmit", _NET_ON_TAP),
    Tracepoint("net/net_dev_xmit", _NET_ON_TAP),
)


def uprobes(scenario: Scenario, proto: Proto = Proto.UDP) -> tuple[Uprobe, ...]:
    """Receiving also sees guest-to-host packets (the clock anchor: one datagram, or a TCP
    receive's ACKs), so it adds to send's."""
    return (*_SEND_UPROBES, _sent(proto),
            *(_recv_uprobes(proto) if scenario is Scenario.RECV else ()))


def tracepoints(scenario: Scenario) -> tuple[Tracepoint, ...]:
    return _SEND_TRACEPOINTS + (_RECV_TRACEPOINTS if scenario is Scenario.RECV else ())


def uprobe_definition(probe: Uprobe, group: str, binary: str, offset: int) -> list[str]:
    """The ``uprobe_events`` lines of ``probe``: an entry probe, and a return probe if asked."""
    place = f"{binary}:{offset:#x}"
    lines = [f"p:{group}/{probe.symbol} {place} {probe.args}".rstrip()]
    if probe.returns:
        lines.append(f"r:{group}/{probe.symbol}__return {place} ret=$retval")
    return lines
