"""The shared state of a receive replay: the RX ring, tun's queue, QEMU's, the signals.

``RecvWorld`` is what the host's sender, the back end (QEMU's main loop or the
vhost worker) and the guest's vCPU share. The guest posts device-writable
buffers; the back end writes frames into them. Which frame sits in which
buffer is the tracer's knowledge (``frame_at``), as a real tracer would read
it off the skb; the two sides themselves exchange only ring bytes. A big
buffer (no MRG_RXBUF) is one indirect descriptor when INDIRECT_DESC is
negotiated, as Linux posts it, or a chain of 19 descriptors without it.
"""

from __future__ import annotations

import struct
from collections import deque
from dataclasses import dataclass, field, replace
from typing import Any

from vtrace.catalog import Era, first_present
from vtrace.engine.sim import Scheduler
from vtrace.frames import MAX_FRAME, Endpoints
from vtrace.netfeatures import (
    Feature,
    driver_features,
    hdr_len,
    negotiate,
    negotiated,
    offered,
)
from vtrace.ring import (
    DESC_SIZE,
    MAX_QUEUE_SIZE,
    VRING_DESC_F_INDIRECT,
    VRING_DESC_F_NEXT,
    Buffer,
    Device,
    Driver,
    GuestMemory,
    RingLayout,
)
from vtrace.ring_packed import PackedDevice, PackedDriver, PackedLayout, PackedMemory
from vtrace.rxbuffers import (
    SKB_FRAG_PAGE,
    Ewma,
    PageFrag,
    PoolPages,
    RxBuffer,
    add_recvbuf_mergeable,
    get_mergeable_buf_len,
    padded_vnet_hdr,
    rq_min_buf_len,
)
from vtrace.scenarios.base import Param
from vtrace.scenarios.multiqueue import endpoints_of
from vtrace.scenarios.params import (
    BACKEND,
    EVENT_IDX,
    FEATURES,
    FLOWS,
    FRAMES,
    INTERVAL,
    OFFLOAD,
    QUEUE_SIZE,
    QUEUES,
    RING,
    SIZE,
    default_of,
)
from vtrace.scenarios.params import BATCH as SHARED_BATCH
from vtrace.scenarios.recv.eras import SWITCHES
from vtrace.scenarios.recv.gro import GroState
from vtrace.scenarios.ringstate import RingWorld
from vtrace.scenarios.send.eras import SWITCHES as SEND_SWITCHES
from vtrace.scenarios.send.tso import HEADERS, MAX_TCP_PAYLOAD, MSS
from vtrace.scenarios.send.world import PROTO

__all__ = ["BATCH", "BIG_CHAIN", "BIG_PAGES", "HOST_TO_GUEST", "MAX_BIG_QUEUE", "MERGEABLE",
           "MergeableSizing", "NAPI_BUDGET", "PAGE", "RECV_PROTO", "RECV_SIZE",
           "RX_BUFFERS", "RecvParams", "RecvWorld", "TUN_QUEUE", "WARM"]

PAGE = 4096
#: add_recvbuf_big: the header, the rest of its page, then MAX_SKB_FRAGS (17) pages.
BIG_CHAIN = 2 + 17
#: The pages of one big buffer: the first (header and data) and the 17 after it.
BIG_PAGES = BIG_CHAIN - 1
#: Guest memory behind the pages of a big buffer for its indirect table of BIG_CHAIN
#: entries (Linux kmallocs it in alloc_indirect_split; here it follows the pages).
INDIRECT_ROOM = 512
#: QEMU's largest rx_queue_size (VIRTQUEUE_MAX_SIZE): a ring of big buffers, each
#: BIG_PAGES pages, is replayed up to it.
MAX_BIG_QUEUE = 1024
TUN_QUEUE = 500  # tun's tx_queue_len (TUN_READQ_SIZE): the size of the tfile's ptr_ring

#: The host side of the tap sends to the guest's address.
HOST_TO_GUEST = Endpoints(src_mac=bytes.fromhex("fe54001234ff"),
                          dst_mac=bytes.fromhex("525400123456"),
                          src_ip=bytes((10, 0, 2, 2)), dst_ip=bytes((10, 0, 2, 15)),
                          src_port=40000, dst_port=9)


BATCH = replace(SHARED_BATCH, help="Frames the host sends back to back.")
MERGEABLE = Param("mergeable", True, "Negotiate VIRTIO_NET_F_MRG_RXBUF (mergeable RX buffers); "
                  "without it the guest posts big buffers of 18 pages, each one indirect "
                  "descriptor (with INDIRECT_DESC) or a chain of 19.")
NAPI_BUDGET = Param("napi_budget", 64, "NAPI's weight: packets virtnet_poll takes per poll.",
                    low=1, high=4096)
RECV_PROTO = replace(PROTO, help="What the host program sends: UDP datagrams, or TCP: one GSO "
                     "superframe per frame through a tap that takes TSO, or without guest TSO "
                     "(--features -guest_tso4) MSS-sized segments the guest's GRO merges.",
                     silent_default=True)
RECV_SIZE = replace(SIZE, high=MAX_TCP_PAYLOAD,
                    help=f"Ethernet frame length in bytes (without the virtio_net_hdr; at most "
                         f"{MAX_FRAME} for UDP); with --proto tcp, the TCP payload of each "
                         f"superframe (up to {MAX_TCP_PAYLOAD:,}: one IPv4 packet of 65,535 "
                         "bytes less its IP and TCP headers).")
WARM = Param("warm", False, "Start from the receive queue's steady state: as after a long TCP "
             "stream of such frames, the average that sizes mergeable buffers "
             "(rq->mrg_avg_pkt_len) has settled at the frame's length, so every buffer posted "
             "is that size from the start (vtrace lab's TCP runs meet this after their 4 MiB "
             "warm-up). Without it the guest has just opened the device. A UDP frame never "
             "passes the buffers' minimum, so only --proto tcp changes.",
             silent_default=True)
RX_BUFFERS = Param("rx_buffers", MAX_QUEUE_SIZE, "Buffers the guest posted when it opened the "
                   "device (more than fit: the ring full; 0 shows the stall and restart).",
                   low=0, high=MAX_QUEUE_SIZE)


@dataclass(frozen=True, slots=True)
class RecvParams:
    """What ``vtrace recv`` asks for, typed; each default is its ``Param``'s."""

    frames: int = default_of(FRAMES, int)
    size: int = default_of(SIZE, int)
    batch: int = default_of(BATCH, int)
    queue_size: int = default_of(QUEUE_SIZE, int)
    event_idx: bool = default_of(EVENT_IDX, bool)
    mergeable: bool = default_of(MERGEABLE, bool)
    napi_budget: int = default_of(NAPI_BUDGET, int)
    rx_buffers: int = default_of(RX_BUFFERS, int)
    interval_ns: int = default_of(INTERVAL, int)
    backend: str = default_of(BACKEND, str)
    proto: str = default_of(RECV_PROTO, str)
    ring: str = default_of(RING, str)  # split or packed
    features: str = default_of(FEATURES, str)  # settled into mergeable by RecvScenario
    offload: bool = default_of(OFFLOAD, bool)
    queues: int = default_of(QUEUES, int)
    flows: int = default_of(FLOWS, int)
    warm: bool = default_of(WARM, bool)


@dataclass(slots=True)
class MergeableSizing:
    """``rq->mrg_avg_pkt_len`` and where mergeable buffers come from: how long the next one
    is (``get_mergeable_buf_len``) and where it lies (``add_recvbuf_mergeable``). Linux 4.19
    and 6.1 carve it from 32 KiB page fragments (``rq->alloc_frag``), a pool in guest memory
    that outlasts every buffer a full ring can hold; 7.2 takes it from the queue's page pool
    (``page_pool``) of 4 KiB pages, which may hand it more than asked."""

    base: int  # guest address of page 0 of the pool
    pages: int
    hdr_len: int
    min_buf_len: int
    average: Ewma = Ewma()
    frag: PageFrag = PageFrag()
    posted: dict[int, RxBuffer] = field(default_factory=dict)  # head -> its buffer
    page_pool: PoolPages | None = None  # Linux 7.2's rq->page_pool

    @staticmethod
    def pool_pages(queue_size: int, page_pool: bool = False) -> int:
        """Pages a ring of ``queue_size`` buffers spans at most. A 32 KiB page holds at
        least four buffers (a page-sized one takes its page whole), one more at each end;
        a pool page at least one, and the fragment page may hold none."""
        return queue_size + 2 if page_pool else queue_size // 4 + 3

    def length(self) -> int:
        return get_mergeable_buf_len(self.average, self.min_buf_len, self.hdr_len)

    def carve(self) -> RxBuffer:
        """The next buffer; nothing is taken yet."""
        if self.page_pool is not None:
            return self.page_pool.peek(self.length())
        return add_recvbuf_mergeable(self.frag, self.length())[0]

    def address(self, buffer: RxBuffer) -> int:
        page = PAGE if self.page_pool is not None else SKB_FRAG_PAGE
        return self.base + (buffer.page % self.pages) * page + buffer.offset

    def take(self, head: int) -> RxBuffer:
        """Carve the buffer posted at ``head``."""
        if self.page_pool is not None:
            buffer = self.page_pool.take(self.length())
        else:
            buffer, self.frag = add_recvbuf_mergeable(self.frag, self.length())
        self.posted[head] = buffer
        return buffer

    def release(self, head: int) -> RxBuffer:
        """The buffer at ``head`` is used: its packet is gathered."""
        buffer = self.posted.pop(head)
        if self.page_pool is not None:
            self.page_pool.release(buffer)
        return buffer


def _negotiated(era: Era, mergeable: bool) -> frozenset[Feature]:
    """The features of a modern virtio-net-pci device with QEMU's defaults, with or
    without MRG_RXBUF (``mrg_rxbuf=off``)."""
    device = offered(era.qemu) - ({Feature.MRG_RXBUF} if not mergeable else set())
    return negotiate(device, driver_features(era.linux))


def negotiated_hdr_len(era: Era, mergeable: bool) -> int:
    """vi->hdr_len of a receive in ``era``: what the era's device and driver negotiate."""
    return hdr_len(_negotiated(era, mergeable))


def big_indirect(era: Era, params: RecvParams) -> bool:
    """``vq->indirect`` of the receive queues when they hold big buffers: INDIRECT_DESC
    negotiated, and no ``ctx`` for them, which ``virtnet_find_vqs`` gives only with
    mergeable buffers or without big packets (``vring_create_virtqueue`` sets
    ``indirect = INDIRECT_DESC && !context``). Mergeable buffers never go indirect."""
    return not params.mergeable and Feature.INDIRECT_DESC in negotiated(
        era.qemu, era.linux, params.features, no_offload=not params.offload)


class RecvWorld(RingWorld[GuestMemory | PackedMemory, Driver | PackedDriver,
                          Device | PackedDevice]):
    """Shared state of one receive run."""

    def __init__(self, params: RecvParams, era: Era, scheduler: Scheduler) -> None:
        self.params = params
        self.switches = SWITCHES[era.name]
        self.napi_tx = SEND_SWITCHES[era.name].napi_tx
        self.vhost = params.backend == "vhost-net"
        self.tcp = params.proto == "tcp"
        self.gro = GroState.of(era, params.proto, params.features, params.offload)
        features = _negotiated(era, params.mergeable)
        self.hdr_len = negotiated_hdr_len(era, params.mergeable)  # vi->hdr_len
        #: add_recvbuf_big's data offset: sizeof(struct padded_vnet_hdr) in the era's Linux
        self.big_data_offset = padded_vnet_hdr(era.linux)
        #: rq->min_buf_len, the floor of every mergeable buffer (virtnet_find_vqs)
        self.min_buf_len = rq_min_buf_len(features, era.linux, params.queue_size)
        #: A UDP receive's mergeable buffer: its frames keep the EWMA below the floor, so
        #: the header and min_buf_len, to 64: 1536 (1600 with the 24-byte header) on a
        #: ring of 64 or more, 2112 on a ring of 32, where 32 buffers must hold 64 KiB.
        #: Linux 7.2's page pool gives more (1600, 2496, 1600, ...; a page for 2112).
        self.mergeable_buf = get_mergeable_buf_len(Ewma(), self.min_buf_len, self.hdr_len)
        #: Each big buffer goes in one indirect descriptor: a head's slot holds its pages and
        #: its table (the packed ring keeps the tables apart); otherwise a slot per page.
        self.indirect = big_indirect(era, params)
        slot_size = self.mergeable_buf if params.mergeable else PAGE
        if self.indirect:
            slot_size = BIG_PAGES * PAGE + (0 if params.ring == "packed" else INDIRECT_ROOM)
        self.sizing: MergeableSizing | None = None
        page_pool = self.switches.page_pool
        # a TCP receive's pool, or any mergeable receive's with a page pool
        pages = MergeableSizing.pool_pages(params.queue_size, page_pool)
        if params.mergeable and (self.tcp or page_pool):
            slot_size = -(-pages * (PAGE if page_pool else SKB_FRAG_PAGE) // params.queue_size)
        if params.ring == "packed":
            memory: GuestMemory | PackedMemory = PackedMemory(PackedLayout(params.queue_size),
                                                              slot_size)
        else:
            memory = GuestMemory(RingLayout(params.queue_size), slot_size=slot_size)
        if params.mergeable and (self.tcp or page_pool):
            self.sizing = MergeableSizing(
                memory.buffers_base, pages, self.hdr_len, self.min_buf_len,
                # receive_mergeable feeds the EWMA head_skb->len, each packet from Ethernet
                # on: the superframe, or where the host cuts it, a segment
                Ewma(HEADERS + (min(params.size, MSS) if self.gro.segmented else params.size))
                if params.warm and self.tcp else Ewma(),
                page_pool=PoolPages(pages) if page_pool else None)
        if isinstance(memory, PackedMemory):
            super().__init__(era, memory, PackedDriver(memory, event_idx=params.event_idx,
                                                       indirect=self.indirect),
                             PackedDevice(memory, event_idx=params.event_idx))
        else:
            super().__init__(
                era, memory,
                Driver(memory, event_idx=params.event_idx,
                       disable_writes_used_event=SEND_SWITCHES[era.name]
                       .disable_cb_writes_used_event,
                       free_list_in_ring=SEND_SWITCHES[era.name].free_list_in_ring),
                Device(memory, event_idx=params.event_idx))
        # How virtio_net_has_buffers turns notifications on when it finds too little room.
        self.rearm = first_present(era, "virtio_queue_enable_notification_and_check",
                                   "virtio_queue_set_notification")
        self.irq = scheduler.signal("msix" if not self.vhost else "irqfd")
        self.tap_fd = scheduler.signal("tap")  # the tap fd is readable: QEMU's main loop wakes
        self.rx_kick = scheduler.signal("ioeventfd")  # the guest kicked the RX queue
        self.work = scheduler.signal("vhost")  # the vhost worker has works queued
        self.tun_ring: deque[tuple[int, bytes]] = deque()  # (frame, vnet header + frame)
        self.net_queue: deque[tuple[int, bytes]] = deque()  # the NIC's incoming queue in QEMU
        self.vhost_batch: deque[tuple[int, bytes]] = deque()  # vhost's rxq, taken from tun
        self.works: dict[str, None] = {}  # vhost works queued, in order
        self.tap_polling = True  # QEMU reads the tap fd
        self.sock_polled = True  # vhost polls tun's socket for data
        self.frame_at: dict[int, int] = {}  # head -> frame written into it
        self.napi_scheduled = False
        self.parsed: dict[int, tuple[int, bool]] = {}  # frame -> (port, checksums right)
        self.rx_list: list[int] = []  # GRO_NORMAL packets waiting for the stack
        self.socket: deque[int] = deque()  # the application's receive queue
        self.delivered: list[int] = []  # frames the application read, in order
        self.dropped: list[int] = []  # frames tun dropped: its ring was full
        self.refill_due: int | None = None  # when refill_work runs, if scheduled
        # The packed ring's buffers by id, as the driver posted them: the device overwrites
        # their slots with used elements (Linux keeps them in desc_extra and the token).
        self.posted: dict[int, list[tuple[int, int]]] = {}

    def post(self, buffers: list[Buffer]) -> tuple[int, dict[str, Any]]:
        """``virtqueue_add`` of device-writable ``buffers``: the chain's head (the packed
        ring's id) and what its event shows of the descriptor at the head: its address,
        length and flags, the split ring's ``next``, and an indirect table's entries
        (``virtqueue_use_indirect``: one descriptor for several buffers)."""
        driver, listed = self.driver, [[buffer.addr, buffer.length] for buffer in buffers]
        if isinstance(driver, PackedDriver):
            assert isinstance(self.memory, PackedMemory)
            self.slot = driver.next_avail_idx
            head = driver.free_head
            shown: dict[str, Any] = {"addr": buffers[0].addr, "len": buffers[0].length,
                                     "flags": "WRITE"}
            if driver.uses_indirect(len(buffers)):
                shown = {"addr": self.memory.indirect_table(head),
                         "len": DESC_SIZE * len(buffers),
                         "flags": VRING_DESC_F_INDIRECT | driver.avail_used_flags,
                         "indirect": listed}
            driver.add(buffers, head)
            self.posted[head] = [(buffer.addr, buffer.length) for buffer in buffers]
            return head, shown
        if self.indirect and len(buffers) > 1:
            table = self.memory.slot_address(driver.free_head) + BIG_PAGES * PAGE
            head = driver.add_indirect(buffers, table, driver.free_head)
            return head, {"addr": table, "len": DESC_SIZE * len(buffers),
                          "flags": VRING_DESC_F_INDIRECT, "next": self.desc_next(head),
                          "indirect": listed}
        head = driver.add(buffers, driver.free_head)
        return head, {"addr": buffers[0].addr, "len": buffers[0].length, "flags": "WRITE",
                      "next": self.desc_next(head)}

    def endpoints_of(self, frame: int) -> Endpoints:
        """The endpoints of ``frame``'s flow (flow 0's are ``HOST_TO_GUEST``)."""
        return endpoints_of(HOST_TO_GUEST, frame % self.params.flows)

    def chain(self, head: int) -> list[tuple[int, int]]:
        """(address, length) of each buffer of the chain at ``head``, read from the ring, or
        through the indirect table its descriptor points to."""
        if isinstance(self.memory, PackedMemory):
            return self.posted[head]
        memory, layout = self.memory, self.memory.layout
        addr, length, flags, _ = struct.unpack_from("<QIHH", memory.bytes,
                                                    layout.descriptor(head))
        if flags & VRING_DESC_F_INDIRECT:
            return self._walk(addr, 0, length // DESC_SIZE)
        return self._walk(0, head, layout.size)

    def _walk(self, table: int, index: int, count: int) -> list[tuple[int, int]]:
        """The descriptors from ``index`` on while NEXT is set, in the table at ``table``."""
        found = []
        for _ in range(count):
            addr, length, flags, following = struct.unpack_from(
                "<QIHH", self.memory.bytes, table + DESC_SIZE * index)
            found.append((addr, length))
            if not flags & VRING_DESC_F_NEXT:
                break
            index = following
        return found
