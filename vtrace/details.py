"""What an event's ``detail`` may hold: one ``TypedDict`` per family of steps.

A replayed step's family is the catalog module that lists it (``send_steps``,
``vhost_steps``, ...): ``FAMILIES`` maps each module's family name to the keys its
steps write and their types. Every key is optional: a step writes only those of its
row in ``docs/events.md``, which a test checks against these types both ways, and
another checks every replayed event against its family. ``TraceDetail`` is what a
capture adds (``vtrace import``, the lab). An event holds its detail as a read-only
``Mapping``: nothing changes it once the event is made.

``decision`` is the kind of decision a step took, where it took one; the views'
sentences dispatch on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypedDict

__all__ = [
    "FAMILIES",
    "Detail",
    "GroDetail",
    "MqDetail",
    "PackedDetail",
    "RecvDetail",
    "RecvGuestDetail",
    "RingValues",
    "SendDetail",
    "SetupDetail",
    "StepDetail",
    "TraceDetail",
    "VhostDetail",
]

#: Ring field -> value: ``vtrace.ring.RING_FIELDS`` names the fields.
RingValues = Mapping[str, int]


class StepDetail(TypedDict, total=False):
    """Keys every family shares."""

    ring: RingValues  # the ring values the step changed
    writes: RingValues  # on a ``state`` event: the shared fields written and their new values
    decision: str  # the kind of decision the step took
    fact: str  # a point the views explain in words (``fact.*`` messages)
    vm_entry: bool  # on a ``return`` event: the guest runs again
    # With --queues above 1, the queue pair's index on every event of that pair; a queue's
    # name (the set-up) or what happened to it (``stopped``, ``woken``) where a step says so.
    queue: int | str


class SendDetail(StepDetail, total=False):
    """``send_steps``: the guest's transmit path, QEMU's TX device, the tap, KVM's exits."""

    addr: int
    avail_event: int | None
    bh: str
    bus: str
    bytes: int
    checksum_partial: bool
    checksums_ok: bool
    csum_offset: int
    csum_start: int
    dport: int
    empty: bool
    enable: bool
    exit: str
    exit_reason: str
    field: str  # kvm_cpu_exec in the set-up: the common configuration field a store wrote
    flags: str | int  # a decision's flags by name, or a header's or descriptor's bits
    frame_bytes: int
    frame_len: int  # recv: the packet the device takes a buffer for, header included
    gso: bool
    gso_size: int
    gso_type: int | list[str]  # the header's value, or the host skb's GSO types by name
    hdr_len: int
    head: int
    hint: str
    indirect: list[list[int]]  # a TCP send's indirect table: [address, length] each
    interrupt: bool
    iov: int
    kick: bool
    layout: str
    len: int
    match: bool
    more_used: bool
    msix_vector: int  # msix_notify with --queues above 1: the queue's MSI-X vector
    mss: int
    napi: bool
    napi_complete: bool
    new: int
    next: int  # the added head descriptor's next field, as the ring holds it
    num_free: int
    old: int
    queue_index: int
    segments: int
    sg: int
    status: str  # kvm_cpu_exec in the set-up: the status bit a store sets
    syscall: str
    tx_waiting: bool
    type: str
    used_event: int | None
    used_pending: int
    using_vnet_hdr: bool
    vector: str
    vnet_hdr: int
    vnet_hdr_hex: str
    why: str
    xmit_more: bool


class VhostDetail(StepDetail, total=False):
    """``vhost_steps``: the host kernel's vhost-net worker, and QEMU handing rings to it."""

    addr: int  # recv: vhost_get_vq_desc's first descriptor
    already_queued: bool
    backend: str
    batched: int
    bytes: int
    callback: str
    cmd: str
    count: int
    error: str  # vhost_net_build_xdp: why the buffer went another way (ENOSPC)
    eventfd: str
    exceeded: bool
    frame_len: int  # recv: the packet vhost takes a buffer for, header included
    fn: str
    head: int
    heads: int | list[int]  # a count (vhost_net_signal_used), or the heads (vhost_add_used_n)
    interrupt: bool
    ioctl: str
    left: int
    len: int
    more: bool
    msg_more: bool
    need: int
    new: int
    num: int
    num_buffers: int
    old: int
    packets: int
    path: str
    poll: str
    queue_pairs: int
    queued: bool
    queues: int
    runs_in: str
    stalled: bool
    status: str
    syscall: str
    taken: int
    to_tun: str
    type: str
    used_event: int | None
    vector: str
    vnet_hdr: int
    waiting: int
    woken: bool
    work: str
    worker: str
    works: int
    zerocopy: bool


class RecvDetail(StepDetail, total=False):
    """``recv_steps``: the host sender, tun, the tap and QEMU's RX device."""

    accept: bool
    flow: int  # virtio_net_process_rss: the frame's flow
    hash: str
    hash_type: str
    indirection: int
    redirect: bool
    rx_queue: int
    added: bool
    bytes: int
    count: int
    csum_offset: int
    csum_start: int
    dropped: bool
    enable: bool
    errno: str
    flags: int
    gso_size: int
    gso_type: int
    hdr_len: int
    head: int
    idx: int
    into: str
    left: int
    len: int
    mergeable: bool
    need: int
    num_buffers: int
    ok: bool
    queued: int
    segments: int
    sent_cb: str
    size: int
    syscall: str
    vnet_hdr_hex: str


class RecvGuestDetail(StepDetail, total=False):
    """``recv_guest_steps``: the guest's receive path, NAPI, GRO and the application."""

    alloc_len: int  # page_pool_alloc_va: what the page pool gave
    avg_pkt_len: int
    budget: int
    bytes: int
    checksum: str  # without guest TSO: partial (NEEDS_CSUM) or verified by GRO
    checksums_ok: bool
    dport: int
    flush: bool
    frag_list: int
    frags: int
    gfp: str
    gso: bool
    gso_size: int
    gso_type: int
    head: int
    ip_checksum_ok: bool
    ip_summed: str
    len: int
    linear: int
    min_buf_len: int
    more_used: bool
    napi_tx: bool
    next_buf_len: int
    num_buffers: int
    offset: int
    packets: int
    partial: bool  # a read that does not end the host's write
    posted: int
    processed: int
    psh: bool
    refill_work: bool
    result: str
    rx_count: int
    segs: int
    sg: int
    size: int
    work_done: int


class SetupDetail(StepDetail, total=False):
    """``setup_steps``: the tap, the device, the driver's probe and the ioeventfds."""

    bh: str
    bus: str
    callback: str
    cmd: str
    count: int  # how many of the offered features the driver accepts
    deliver: str
    device: str
    driver: str
    features: str  # feature names, space-separated
    field: str  # the common configuration's field a store wrote
    flags: str
    handler: str
    ifname: str
    ioctl: str
    layout: str  # packed, with --ring packed
    len: int
    netdev: str
    notify: str
    offered: str
    parent: str
    path: str
    peer: str
    per_vq_vectors: bool
    queues: int
    refused: str
    rx_poll: str
    status: str  # a device status bit: ACKNOWLEDGE, DRIVER, FEATURES_OK, DRIVER_OK
    syscall: str
    tx_poll: str
    type: str
    value: str  # the device status byte, as 0x0f
    via: str


class TraceDetail(TypedDict, total=False):
    """What a captured event carries besides its step's keys; a uprobe's arguments come
    under their own names too (docs/import.md)."""

    comm: str
    tid: int
    cpu: int
    text: str
    fields: str
    ret: str
    parent: str
    address: str
    duration_us: str
    frame_hex: str
    in_catalog: bool


class MqDetail(StepDetail, total=False):
    """``mq_steps``: the transmit queue a packet takes, the queue pairs turned on."""

    cmd: str
    cpu: int
    flow: int
    queue_pairs: int
    tx_queue: int
    xps_cpus: list[int]


class PackedDetail(StepDetail, total=False):
    """``packed_steps``: the packed virtqueue's bodies of the ring functions."""

    addr: int
    count: int
    flags: str | int  # WRITE: a receive buffer; an indirect slot's flags as written
    frame_len: int
    head: int  # the buffer id
    id: int  # the buffer id detach_buf_packed frees
    idx: int
    indirect: list[list[int]]  # an indirect table's (address, length) entries
    len: int
    sg: int


class GroDetail(StepDetail, total=False):
    """``gro_steps``: a TCP receive without guest TSO, the tap's offloads, the host's
    segments and the guest's GRO."""

    bytes: int
    checksum: str
    count: int
    csum_offset: int
    flush: bool
    flush_old: bool
    gso_segs: int
    gso_size: int
    guest_csum: bool
    guest_tso4: bool
    held: bool
    hw_csum: bool
    ioctl: str
    len: int
    mss: int
    netif_needs_gso: bool
    offload: str
    ok: bool
    segments: int
    segs: int
    seq: int
    tap_tso: bool
    tso: bool
    weight: int
    why: str
    work: int


#: Family (the catalog module ``<family>_steps``) -> the keys its steps write.
FAMILIES: Mapping[str, type[StepDetail]] = {
    "send": SendDetail,
    "vhost": VhostDetail,
    "recv": RecvDetail,
    "recv_guest": RecvGuestDetail,
    "setup": SetupDetail,
    "packed": PackedDetail,
    "mq": MqDetail,
    "gro": GroDetail,
}

#: An event's detail, read-only: one family's keys, or a capture's. Its values stay ``Any`` to
#: readers, who index it by the names above; the tests hold every replay to its family.
Detail = Mapping[str, Any]
