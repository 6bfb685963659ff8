"""How the send path differs from era to era, read from each era's sources (docs/sources.md)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SWITCHES", "SendEra"]


@dataclass(frozen=True, slots=True)
class SendEra:
    """The send path's behaviour in one era's Linux and QEMU."""

    napi_tx: bool  # the virtio_net ``napi_tx`` module parameter's default
    xmit_more: str = "netdev_xmit_more()"  # what start_xmit reads for "more frames follow"
    bql: bool = False  # byte queue limits decide the kick (__netdev_tx_sent_queue)
    napi_reclaims_only: bool = False  # with NAPI TX, start_xmit leaves all reclaiming to NAPI
    disable_cb_writes_used_event: bool = True  # 4.19 only sets its shadow flag
    free_list_in_ring: bool = False  # 4.19 threads its free list through desc[].next
    vhost_xdp_batch: bool = True  # vhost-net hands tun XDP buffers, 64 per sendmsg
    vhost_worker: str = "kthread"  # what runs vhost's work: a kthread or a vhost_task


SWITCHES = {
    "lesson": SendEra(napi_tx=False, xmit_more="skb->xmit_more",
                      disable_cb_writes_used_event=False, free_list_in_ring=True,
                      vhost_xdp_batch=False),
    "modern": SendEra(napi_tx=True),
    "newest": SendEra(napi_tx=True, bql=True, napi_reclaims_only=True,
                      vhost_worker="vhost_task"),
}
