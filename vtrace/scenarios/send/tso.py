"""A TCP send with TSO: the guest's GSO superframe, its header, its chain, the host's segments.

With ``--proto tcp`` each frame the guest sends is one GSO skb carrying
``size`` bytes of TCP payload; the flow uses Linux's default timestamps (12
option bytes), so a 1500-byte MTU gives an MSS of 1448. The header is the
12-byte modern one (VERSION_1); ``xmit_skb`` pushes it in front of the frame
(``can_push``) and the payload sits in page fragments. INDIRECT_DESC is
negotiated, so the entries go in an indirect table and the ring holds one
descriptor. Linux allocates that table with kmalloc; here it sits in the
frame's buffer slot, after the frame. Everything here is a pure function of
the frame's index and size, so the pcap writer rebuilds the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

from vtrace.frames import VNET_HDR_SIZE, VnetHeader
from vtrace.offload import GsoSkb, gso_superframe, tcp_gso_segment, virtio_net_hdr_from_skb
from vtrace.ring import DESC_SIZE
from vtrace.tcpframes import TcpFlow, timestamp_option
from vtrace.txchain import TxSkb, page_frags, scatter_list

__all__ = ["MAX_TCP_PAYLOAD", "MSS", "TcpSend", "slot_bytes", "tcp_send", "wire_frames"]

MTU = 1500
OPTIONS = 12  # NOP, NOP, timestamps
# The superframe is one IPv4 packet: its 16-bit total length holds IP and TCP headers too.
MAX_TCP_PAYLOAD = 0xFFFF - 20 - 20 - OPTIONS
FLOW = TcpFlow()
MSS = MTU - 20 - 20 - OPTIONS  # IPv4 and TCP headers, timestamps
HEADERS = 14 + 20 + 20 + OPTIONS  # what the skb's linear area holds
TABLE_ENTRIES = 2 + 17  # header and linear part, then up to MAX_SKB_FRAGS fragments


@dataclass(frozen=True, slots=True)
class TcpSend:
    """One superframe as the driver sees it: the skb, its header and its bytes."""

    skb: GsoSkb
    header: VnetHeader

    @property
    def buffer(self) -> bytes:
        """The header then the frame, as they sit in guest memory."""
        return self.header.pack(VNET_HDR_SIZE) + self.skb.frame

    def scatter(self, address: int) -> list[tuple[int, int]]:
        """The (address, length) entries ``xmit_skb`` hands the ring for a buffer at
        ``address``: header and linear headers in one (``can_push``), then page fragments."""
        data = address + VNET_HDR_SIZE
        skb = TxSkb(data=data, headlen=self.skb.headlen,
                    frags=page_frags(data + self.skb.headlen,
                                     len(self.skb.frame) - self.skb.headlen))
        return scatter_list(skb, VNET_HDR_SIZE, any_header_sg=True)

    def table(self, address: int) -> int:
        """Where the indirect table of a buffer at ``address`` goes: after it, 16-aligned."""
        return _aligned(address + len(self.buffer))


def slot_bytes(size: int) -> int:
    """Guest memory one superframe of ``size`` payload bytes needs, header and indirect
    table included."""
    return _aligned(VNET_HDR_SIZE + HEADERS + size) + DESC_SIZE * TABLE_ENTRIES


def _aligned(address: int) -> int:
    return (address + DESC_SIZE - 1) & ~(DESC_SIZE - 1)


def tcp_send(frame: int, size: int) -> TcpSend:
    """Frame ``frame``'s superframe: ``size`` payload bytes, sequence numbers continuing."""
    payload = bytes((frame + index) & 0xFF for index in range(size))
    skb = gso_superframe(FLOW, payload, mss=MSS, seq=1 + frame * size, ack=1,
                         ip_id=frame * ((size + MSS - 1) // MSS),
                         options=timestamp_option(1000 + frame, 500))
    return TcpSend(skb, virtio_net_hdr_from_skb(skb))


def wire_frames(frame: int, size: int) -> list[bytes]:
    """The segments the host's ``tcp_gso_segment`` makes of frame ``frame``, checksums complete."""
    return tcp_gso_segment(tcp_send(frame, size).skb.frame, MSS)
