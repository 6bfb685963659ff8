"""A TCP receive: the host's GSO superframe and the header the tap writes in front of it.

With ``--proto tcp`` a program on the host writes ``size`` bytes to a TCP
socket connected to the guest. QEMU told the tap, with TUNSETOFFLOAD, which
offloads the guest takes (GUEST_CSUM, GUEST_TSO4/6, GUEST_ECN), so the tap
device advertises TSO and the host's stack hands it one GSO skb, not MSS-sized
segments. ``tun_put_user`` writes ``virtio_net_hdr_from_skb`` of that skb
(NEEDS_CSUM, TCPV4, the MSS, ``hdr_len`` the linear headers) and then the
frame: one read of QEMU's brings up to 64 KiB. Without guest TSO the tap lacks
TSO and the host cuts the superframe first (``recv.gro``). Everything here is a
pure function of the frame's index and size, so the pcap writer rebuilds the
same bytes.
"""

from __future__ import annotations

from vtrace.frames import VnetHeader
from vtrace.offload import GsoSkb, gso_superframe
from vtrace.scenarios.send.tso import MSS
from vtrace.tcpframes import TcpFlow, timestamp_option

__all__ = ["HOST_FLOW", "header_fields", "host_superframe"]

_PATTERN = bytes(range(256))

#: The host's program (port 5001) sending to the guest's socket.
HOST_FLOW = TcpFlow(src_ip=bytes((10, 0, 2, 2)), dst_ip=bytes((10, 0, 2, 15)), src_port=5001,
                    dst_port=40000, src_mac=bytes.fromhex("fe54001234ff"),
                    dst_mac=bytes.fromhex("525400123456"))


def host_superframe(frame: int, size: int) -> GsoSkb:
    """Frame ``frame``'s skb as the host's TCP hands it to the tap: ``size`` payload bytes,
    sequence numbers continuing, PSH on each (one write each), checksum partial."""
    start = frame * 7 & 0xFF  # byte i of the payload is (frame * 7 + i) mod 256
    payload = (_PATTERN[start:] + _PATTERN * (size // 256 + 1))[:size]
    return gso_superframe(HOST_FLOW, payload, mss=MSS, seq=1 + frame * size, ack=1,
                          ip_id=frame * ((size + MSS - 1) // MSS),
                          options=timestamp_option(2000 + frame, 1000 + frame))



def header_fields(raw: bytes) -> dict[str, int]:
    """The offload fields of a virtio_net_hdr as events carry them (``num_buffers`` apart)."""
    header = VnetHeader.unpack(raw)
    return {"flags": header.flags, "gso_type": header.gso_type, "hdr_len": header.hdr_len,
            "gso_size": header.gso_size, "csum_start": header.csum_start,
            "csum_offset": header.csum_offset}
