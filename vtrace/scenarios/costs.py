"""What the same frames cost on each back end, counted from replayed events.

Every registered scenario with a ``backend`` parameter is replayed once per
back end with the same frames, era and seed; each figure is the sum of
counters the scenario's tally keeps from the events (``Scenario.calls``), or
the modelled time of the last event, so nothing here is typed in. vhost-user
and SR-IOV/VFIO are not replayed: they are explained rows with their sources.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from vtrace.catalog import ERAS, Text
from vtrace.scenarios import REGISTERED, Scenario, replay
from vtrace.tally import Tally

__all__ = ["EXPLAINED", "FIGURES", "Explained", "Figure", "Measured", "measure", "measure_backends",
           "measure_queues", "with_backends"]


@dataclass(frozen=True, slots=True)
class Figure:
    """One column of the table: the tally counters it adds up (``t_ns``: modelled time)."""

    name: str
    label: Text
    counters: tuple[str, ...]


FIGURES: tuple[Figure, ...] = (
    Figure("vm_exits", {"en": "VM exits", "zh": "VM 退出"}, ("vm_exits",)),
    Figure("exits_to_user", {"en": "exits to user space", "zh": "退回用户态"},
           ("exits_to_qemu",)),
    Figure("wakeups", {"en": "thread wake-ups", "zh": "线程唤醒"}, ("wakeups",)),
    Figure("syscalls", {"en": "host system calls", "zh": "宿主系统调用"}, ("syscalls",)),
    Figure("copies", {"en": "copies of the payload", "zh": "负载拷贝"}, ("copies",)),
    Figure("interrupts", {"en": "interrupts injected", "zh": "注入的中断"}, ("interrupts",)),
    Figure("kicks_suppressed", {"en": "kicks suppressed", "zh": "被抑制的通知"},
           ("kicks_suppressed",)),
    Figure("interrupts_suppressed", {"en": "interrupts suppressed", "zh": "被抑制的中断"},
           ("interrupts_suppressed",)),
    Figure("time_ns", {"en": "modelled time (ns)", "zh": "模型时间（纳秒）"}, ("t_ns",)),
)


@dataclass(frozen=True, slots=True)
class Measured:
    """One replay's figures: None for a figure whose counters the scenario does not keep."""

    scenario: str
    backend: str
    era: str
    frames: int
    totals: Mapping[str, int | None]
    queues: int = 1  # queue pairs (--queues), the flows spread over them

    def per_frame(self, name: str) -> float | None:
        total = self.totals[name]
        return None if total is None or not self.frames else total / self.frames

    def as_dict(self) -> dict[str, Any]:
        return {"scenario": self.scenario, "backend": self.backend, "era": self.era,
                "frames": self.frames, "queues": self.queues, "total": dict(self.totals),
                "per_frame": {name: self.per_frame(name) for name in self.totals}}


def with_backends() -> tuple[Scenario, ...]:
    """The registered, replayable scenarios that move frames and take a ``backend``."""
    return tuple(scenario for scenario in REGISTERED.values() if scenario.replayable
                 and scenario.frames_param is not None
                 and any(param.name == "backend" for param in scenario.params))


def backends(scenario: Scenario) -> tuple[str, ...]:
    return tuple(str(choice) for param in scenario.params if param.name == "backend"
                 for choice in param.choices)


def measure(scenario: Scenario, backend: str, frames: int, era: str, seed: int,
            batch: int = 1, queues: int = 1) -> Measured:
    """Replay ``frames`` frames of ``scenario`` on ``backend`` (``batch`` back to back, where
    the scenario has batches; with ``queues`` pairs, as many flows) and add up its
    counters."""
    given: dict[str, Any] = {"backend": backend}
    if queues > 1:
        given.update(queues=queues, flows=queues)
    if scenario.frames_param:
        given[scenario.frames_param] = frames
    if any(param.name == "batch" for param in scenario.params):
        given["batch"] = batch
    header, events = replay(scenario, given, era, seed)
    tally = Tally(scenario.calls, scenario.notes)
    for event in events:
        tally.add(event)
    kept = {counter.name for counter in scenario.counters} | {"t_ns"}
    totals = {figure.name: sum(tally[name] for name in figure.counters)
              if set(figure.counters) <= kept else None for figure in FIGURES}
    return Measured(scenario.name, backend, era, tally.frames or frames, totals, queues)


def measure_backends(frames: int, era: str, seed: int, batch: int = 1,
            scenarios: Iterable[Scenario] | None = None) -> tuple[Measured, ...]:
    """Each scenario with a back end, on each of its back ends, with the same frames."""
    return tuple(measure(scenario, backend, frames, era, seed, batch)
                 for scenario in (with_backends() if scenarios is None else scenarios)
                 for backend in backends(scenario))


def measure_queues(frames: int, era: str, seed: int, queues: int,
                   batch: int = 1) -> tuple[Measured, ...]:
    """Each scenario with a back end on QEMU's, with one queue pair and with ``queues`` (as
    many flows), the same frames; a scenario the era cannot spread over queues (recv
    without RSS) has its one-queue row only."""
    rows = []
    for scenario in with_backends():
        rows.append(measure(scenario, "qemu", frames, era, seed, batch))
        spread = scenario.settle({"queues": queues, "flows": queues})
        if scenario.refusal(spread, ERAS[era]) is None:
            rows.append(measure(scenario, "qemu", frames, era, seed, batch, queues))
    return tuple(rows)


@dataclass(frozen=True, slots=True)
class Explained:
    """A back end vtrace does not replay: where its work happens, its cost, what it gives up."""

    name: str
    where: Text
    costs: Text
    gives_up: Text
    sources: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "where": dict(self.where), "costs": dict(self.costs),
                "gives_up": dict(self.gives_up), "sources": list(self.sources)}


EXPLAINED: tuple[Explained, ...] = (
    Explained(
        "vhost-user (DPDK)",
        {"en": "A user-space switch (a DPDK application with its vhost library, such as "
               "OVS-DPDK) maps guest memory shared over a UNIX socket and runs the "
               "virtqueues; kicks and interrupts are eventfds as with vhost-net.",
         "zh": "用户态交换机（带 vhost 库的 DPDK 程序，如 OVS-DPDK）映射经 UNIX 套接字共享的客户机"
               "内存并处理虚拟队列；通知和中断同 vhost-net 一样是 eventfd。"},
        {"en": "Cores busy-polling the rings and the NIC, and hugepage-backed guest memory; a "
               "polling back end keeps guest kicks off, so few VM exits and no host "
               "system call per packet.",
         "zh": "持续轮询环和网卡的 CPU 核，以及由大页支持的客户机内存；轮询的后端让客户机通知保持"
               "关闭，因此 VM 退出很少，每个包也没有宿主系统调用。"},
        {"en": "The host kernel's network stack (tap, bridges, netfilter) and CPU time while "
               "idle.",
         "zh": "宿主内核网络栈（tap、网桥、netfilter），以及空闲时的 CPU 时间。"},
        ("https://www.qemu.org/docs/master/interop/vhost-user.html",
         "https://doc.dpdk.org/guides/prog_guide/vhost_lib.html"),
    ),
    Explained(
        "SR-IOV / VFIO",
        {"en": "The NIC itself: the guest's driver owns a virtual function passed through with "
               "VFIO and the NIC reads and writes guest memory by DMA through the IOMMU; no "
               "host software is on the data path.",
         "zh": "网卡本身：客户机驱动独占一个经 VFIO 直通的虚拟功能，网卡通过 IOMMU 以 DMA 读写客户"
               "机内存；数据路径上没有宿主软件。"},
        {"en": "A NIC with SR-IOV and an IOMMU; interrupts go through VFIO's eventfds as KVM "
               "irqfds (or are posted by the CPU); guest memory stays pinned.",
         "zh": "需要支持 SR-IOV 的网卡和 IOMMU；中断经 VFIO 的 eventfd 作为 KVM irqfd 注入（或由 "
               "CPU 直接投递）；客户机内存被钉住。"},
        {"en": "virtio's portability: the guest needs the vendor's VF driver, the host no "
               "longer sees or filters the traffic, and live migration is hard.",
         "zh": "virtio 的可移植性：客户机需要厂商的 VF 驱动，宿主看不到也无法过滤流量，热迁移也变得"
               "困难。"},
        ("https://docs.kernel.org/driver-api/vfio.html",
         "https://docs.kernel.org/PCI/pci-iov-howto.html"),
    ),
)
