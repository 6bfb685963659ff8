"""Catalog data: a TCP receive without guest TSO, cut by the host and merged again by GRO.

QEMU leaves TUN_F_TSO4 out of the tap's offloads when the guest did not take
GUEST_TSO4 (``virtio_net_apply_guest_offloads`` → ``tap_fd_set_offload`` →
tun's ``set_offload``); the host's ``validate_xmit_skb`` then segments each
write before the tap, and the guest's GRO (``tcp_gro_receive`` →
``skb_gro_receive``) merges the segments into one skb, which goes up when
GRO flushes it (``napi_gro_complete``, ``napi_gro_flush``). Line numbers are
definition lines in the trees listed in ``docs/sources.md``.
"""

from __future__ import annotations

from vtrace.catalog.base import Site, Step, at, step
from vtrace.catalog.send_steps import DEV, QVN, TUN
from vtrace.model import Phase

__all__ = ["STEPS"]

GRO = "net/core/gro.c"
TCP_OFFLOAD = "net/ipv4/tcp_offload.c"


STEPS: tuple[Step, ...] = (
    # -- set-up: the tap's offloads follow the guest's -----------------------------------------
    step("virtio_net_apply_guest_offloads", "qemu", QVN, at(v3_1=657, v7_2=842, v10_2=805),
         "virtio-net", Phase.SETUP, 200,
         "When the driver sets FEATURES_OK, tell the tap which receive offloads the guest "
         "took: checksum (GUEST_CSUM), TSO for IPv4 and IPv6, ECN, UFO. A guest without "
         "GUEST_TSO4 gets no TCP superframes from the tap.",
         notes={"10.2": "QEMU 10.2 passes the offloads in a NetOffloads struct, which also "
                        "carries USO and UDP tunnel GSO."}),
    step("tap_fd_set_offload", "qemu", "net/tap-linux.c", at(v3_1=237, v7_2=239, v10_2=258),
         "tap", Phase.SETUP, 300,
         "Turn the offloads into TUN_F_* bits and give them to the tap with the TUNSETOFFLOAD "
         "ioctl. TSO bits are set only with TUN_F_CSUM: without GUEST_CSUM the tap takes no "
         "offload at all."),
    step("tun_set_offload", "linux", TUN, at(v4_19=2715, v6_1=2890, v7_2=2862), "tun",
         Phase.SETUP, 300,
         "tun's TUNSETOFFLOAD: map the TUN_F_* bits to the tap device's features "
         "(NETIF_F_HW_CSUM, NETIF_F_TSO, NETIF_F_TSO6 ...) and update them. Without "
         "TUN_F_TSO4 the tap lacks NETIF_F_TSO, so the host's stack must segment TCP before "
         "it.", function="set_offload"),
    # -- the host cuts the write ---------------------------------------------------------------
    step("host_validate_xmit_skb", "linux", DEV, at(v4_19=3312, v6_1=3766, v7_2=4066),
         "host-stack", Phase.HOST, 300,
         "On the way to the tap: netif_needs_gso finds the GSO skb's type (TCPv4) missing "
         "from the tap's features, so the skb is segmented here, on the host, and the tap "
         "gets one skb per MSS.", function="validate_xmit_skb",
         notes={"7.2": "Linux 7.2 first drops unreadable (device-memory) skbs with "
                       "validate_xmit_unreadable_skb; the segmenting is the same."}),
    step("host_skb_gso_segment", "linux", "include/linux/netdevice.h",
         {**at(v4_19=4263, v6_1=4836), "7.2": Site(80, "include/net/gso.h")}, "host-stack",
         Phase.HOST, 400,
         "Segment the write's skb for the tap's features through the protocol handlers: "
         "inet_gso_segment, then tcp4_gso_segment.", function="skb_gso_segment"),
    step("host_tcp_gso_segment", "linux", TCP_OFFLOAD, at(v4_19=57, v6_1=132, v7_2=133),
         "host-stack", Phase.HOST, 3000,
         "One segment per MSS of the write: headers copied, sequence numbers and IP ids "
         "advancing, PSH only on the last. With the tap's checksum offload each TCP checksum "
         "stays partial (tun writes NEEDS_CSUM); without it, it is completed here.",
         function="tcp_gso_segment"),
    # -- the guest's GRO merges ----------------------------------------------------------------
    step("__skb_gro_checksum_complete", "linux", DEV,
         {"4.19": Site(5756), "6.1": Site(801, file=GRO), "7.2": Site(794, file=GRO)},
         "stack", Phase.APP, 400,
         "The segment came without NEEDS_CSUM or DATA_VALID (no GUEST_CSUM): GRO sums it in "
         "software against the pseudo-header before it may merge; a bad sum flushes it."),
    step("tcp_gro_receive", "linux", TCP_OFFLOAD, at(v4_19=183, v6_1=260, v7_2=286), "stack",
         Phase.APP, 150,
         "Look for a held skb of the same ports. The segment continues it when flags, ACK, "
         "options and the IP id follow, it is no longer than the held skb's MSS and its "
         "sequence number is the next one: then skb_gro_receive appends it. PSH, a shorter "
         "segment or any mismatch flushes the held skb; a first segment without PSH is held.",
         notes={"7.2": "Linux 7.2 finds the held skb with tcp_gro_lookup and gets the TCP "
                       "header from tcp4_gro_receive."}),
    step("skb_gro_receive", "linux", "net/core/skbuff.c",
         {"4.19": Site(3846), "6.1": Site(153, file=GRO), "7.2": Site(92, file=GRO)},
         "stack", Phase.APP, 200,
         "Append the segment's payload to the held skb: its page fragments move over (or the "
         "skb joins the frag_list), count and length grow. It refuses when the held skb would "
         "reach 64 KiB (gro_max_size).",
         notes={"4.19": "Linux 4.19 compares with the constant 65536.",
                "6.1": "Linux 6.1 compares with dev->gro_max_size (65536 by default).",
                "7.2": "Linux 7.2 compares with netif_get_gro_max_size: gro_ipv4_max_size "
                       "for IPv4, 65536 by default."}),
    step("napi_gro_complete", "linux", DEV,
         {"4.19": Site(5281), "6.1": Site(299, file=GRO),
          "7.2": Site(266, file=GRO, function="gro_complete")},
         "stack", Phase.APP, 100,
         "A held skb leaves GRO. Made of one segment, it goes up as it is; made of several, "
         "the protocols' gro_complete handlers turn it into a GSO skb first. Then the stack "
         "gets it.",
         notes={"4.19": "Linux 4.19 hands it to netif_receive_skb_internal at once.",
                "6.1": "Linux 6.1 puts it on the rx_list with gro_normal_one, counting its "
                       "segments.",
                "7.2": "Linux 7.2 calls it gro_complete and works on the NAPI's gro_node; "
                       "gro_normal_one counts its segments."}),
    step("inet_gro_complete", "linux", "net/ipv4/af_inet.c",
         at(v4_19=1559, v6_1=1654, v7_2=1594), "stack", Phase.APP, 60,
         "IPv4's gro_complete: fix the merged packet's total length and header checksum, "
         "then call TCP's, tcp4_gro_complete."),
    step("tcp4_gro_complete", "linux", TCP_OFFLOAD, at(v4_19=321, v6_1=412, v7_2=452),
         "stack", Phase.APP, 60,
         "Make the merged skb a GSO skb like one TSO would have sent: gso_type TCPV4, "
         "gso_segs the merged count, gso_size the MSS, and the checksum partial, seeded with "
         "the pseudo-header (tcp_gro_complete)."),
    step("napi_gro_flush", "linux", DEV,
         {"4.19": Site(5338), "6.1": Site(357, file=GRO),
          "7.2": Site(528, file="include/net/gro.h", function="gro_flush_normal")},
         "stack", Phase.APP, 80,
         "Complete the skbs GRO holds, oldest first; with flush_old only those held since an "
         "earlier jiffy. napi_complete_done flushes them all, and so does __napi_poll after a "
         "full budget on a kernel with HZ below 1000 (Debian's is 250).",
         notes={"7.2": "Linux 7.2's napi_complete_done and __napi_poll call "
                       "gro_flush_normal: gro_flush and __gro_flush (net/core/gro.c:326), "
                       "then the rx_list passed up."}),
    step("__napi_poll", "linux", DEV,
         {"4.19": Site(6245, function="napi_poll"), "6.1": Site(6614), "7.2": Site(7767)},
         "stack", Phase.APP, 60,
         "The poll used its whole weight, so NAPI stays scheduled; before the next round it "
         "flushes what GRO holds (all of it with HZ below 1000) and passes the rx_list up.",
         notes={"4.19": "Linux 4.19 does it in napi_poll; __napi_poll came in 5.12."}),
)
