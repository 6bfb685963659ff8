"""The set-up scenario: the tap, the virtio-net device and the guest's driver coming to exist.

``chains`` replays it; this module declares the scenario. A set-up moves no
frames, so its summary has no per-frame column and the live view no ring; it counts
events and the device status writes, not VM exits (see ``counters``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from vtrace.catalog import Era
from vtrace.engine.sim import Run
from vtrace.netfeatures import Feature, FeatureError, Switched, device_offer, negotiated
from vtrace.scenarios.base import EVENTS, Counter, ParamError, Scenario
from vtrace.scenarios.params import (
    BACKEND,
    FEATURES,
    OFFLOAD,
    QUEUES,
    RING,
    check_packed_backend,
    packed_refusal,
)
from vtrace.scenarios.setup.chains import setup
from vtrace.scenarios.setup.objects import ObjectsPanel
from vtrace.scenarios.words import text

__all__ = ["SETUP", "SetupScenario", "setup"]


STATUS_WRITES = Counter("status_writes", {"en": "device status writes", "zh": "设备状态写入"},
                        per_frame=False)


def _one(detail: Mapping[str, Any]) -> int:
    return 1


class SetupScenario(Scenario):
    name = "setup"
    title = {"en": "Setting up the device and the tap (vtrace setup)",
             "zh": "建立设备和 tap（vtrace setup）"}
    summary = "Replay the set-up before any packet moves: tap, virtio-net device, guest driver."
    usage = (
        "vtrace setup",
        "vtrace setup --era lesson --view plain",
        "vtrace setup --lang zh --step",
        "vtrace setup --events setup.jsonl --view quiet",
        "vtrace setup --backend vhost-net",
        "vtrace setup --ring packed --view plain",
        "vtrace setup --queues 2",
        "vtrace setup --features -version_1,-mrg_rxbuf",
        "vtrace setup --no-offload --features +mq,+rss,+hash",
    )
    params = (BACKEND, RING, replace(QUEUES, help="Queue pairs the driver turns on with a "
                                     "VIRTIO_NET_CTRL_MQ command once the device is live."),
              FEATURES, OFFLOAD)
    # No VM exits are counted: the replay shows the stores that change the device (status,
    # features, ring addresses), not every access to its configuration, so a count of exits
    # would be a number that did not happen. The status writes are all there.
    counters = (EVENTS, STATUS_WRITES)
    live_counters = ("events", "status_writes")
    calls = {"virtio_set_status": ("status_writes", _one)}
    examples = ({}, {"backend": "vhost-net"}, {"ring": "packed"}, {"queues": 2})

    # A step done once per queue says which queue (and the request it makes of it).
    decisions = {"virtio_notify": "interrupt", **dict.fromkeys((
        "vp_active_vq", "vp_modern_set_queue_enable", "virtio_queue_set_rings",
        "vring_create_virtqueue_packed",
        "virtio_queue_enable", "vp_setup_vq", "setup_vq", "kvm_mem_ioeventfd_add",
        "virtio_bus_set_host_notifier",
        "vp_find_one_vq_msix",
        "kvm_virtio_pci_irqfd_use", "vhost_virtqueue_start", "vhost_vring_ioctl",
        "vhost_kernel_set_vring_addr", "vhost_kernel_set_vring_kick",
        "vhost_kernel_set_vring_call", "vhost_kernel_net_set_backend"), "queue")}
    path_title = {"en": "The device's set-up across the layers", "zh": "设备建立过程穿过的各层"}

    def phrases(self, params: Mapping[str, Any], lang: str) -> tuple[list[str], list[str]]:
        """The title, then the back end when it is not QEMU's own."""
        return [text(self.title, lang)], [text(self.backend(params).title, lang)]

    def objects(self, lang: str) -> ObjectsPanel:
        return ObjectsPanel(lang)

    def settle(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """As ``Scenario.settle``; Linux's vhost-net has no packed ring."""
        params = super().settle(given)
        check_packed_backend(params)
        return params

    def refusal(self, params: Mapping[str, Any], era: Era) -> str | None:
        return packed_refusal(params, era)

    def run(self, params: Mapping[str, Any], era: Era, seed: int) -> Run:
        refused = self.refusal(params, era)
        if refused is not None:
            raise ParamError(refused)
        switched = Switched(params.get("features", ""), params.get("offload", True))
        try:
            device = device_offer(era.qemu, switched.features, no_offload=not switched.offload)
            negotiated(era.qemu, era.linux, switched.features, no_offload=not switched.offload)
        except FeatureError as error:
            raise ParamError(f"--features: {error}") from None
        if Feature.VERSION_1 not in device:
            raise ParamError("--features -version_1: the set-up follows the modern virtio-pci "
                             "transport; a legacy device (virtio_pci_legacy) is not replayed")
        return setup(era, seed, params["backend"], params["ring"], params.get("queues", 1),
                     switched)


SETUP = SetupScenario()
