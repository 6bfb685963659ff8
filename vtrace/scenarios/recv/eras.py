"""How the receive path differs from era to era, read from each era's sources (docs/sources.md)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SWITCHES", "RecvEra"]


@dataclass(frozen=True, slots=True)
class RecvEra:
    """The receive path's behaviour in one era's Linux and QEMU."""

    fill_in_pop_loop: bool  # QEMU 3.1 fills each element as it pops it; later ones after
    gro_batch: int  # packets GRO gathers on the NAPI's rx_list before the stack sees them
    refill_by_budget: bool  # refill at num_free > min(budget, size) / 2, else at size / 2
    poll_disables_cb: bool = False  # virtnet_poll turns the RX interrupt off first (7.2)
    page_pool: bool = False  # mergeable buffers from rq->page_pool's 4 KiB pages (7.2)


SWITCHES = {
    "lesson": RecvEra(fill_in_pop_loop=True, gro_batch=1, refill_by_budget=False),
    "modern": RecvEra(fill_in_pop_loop=False, gro_batch=8, refill_by_budget=True),
    "newest": RecvEra(fill_in_pop_loop=False, gro_batch=8, refill_by_budget=True,
                      poll_disables_cb=True, page_pool=True),
}
