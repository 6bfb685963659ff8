"""``vtrace setup --ring packed``: the device offers VIRTIO_F_RING_PACKED, the driver builds
packed rings and QEMU learns their three addresses as it does a split ring's."""

from __future__ import annotations

import pytest
from cli_run import run

from vtrace.catalog import era
from vtrace.model import Event, Kind
from vtrace.scenarios.params import PACKED_ERAS
from vtrace.scenarios.setup import setup
from vtrace.scenarios.setup.chains import QUEUES
from vtrace.scenarios.setup.objects import ObjectsPanel


def _calls(era_name: str, ring: str) -> list[Event]:
    return [event for event in setup(era(era_name), 1, ring=ring) if event.kind is Kind.CALL]


@pytest.mark.parametrize("era_name", PACKED_ERAS)
def test_each_queue_gets_a_packed_ring_and_qemu_its_three_addresses(era_name: str) -> None:
    calls = _calls(era_name, "packed")
    steps = [event.step for event in calls]
    queues = [name for name, _, _ in QUEUES]
    created = [event for event in calls if event.step == "vring_create_virtqueue"]
    assert [event.detail["queue"] for event in created] == queues
    assert all(event.detail["layout"] == "packed" for event in created)
    for event in created:  # the packed body right after the layout's choice
        following = calls[calls.index(event) + 1]
        assert following.step == "vring_create_virtqueue_packed"
        assert following.detail == {"queue": event.detail["queue"]}
    rings = [event for event in calls if event.step == "virtio_queue_set_rings"]
    assert [event.detail for event in rings] == [
        {"fact": "rings", "queue": name, "layout": "packed"} for name in queues]
    features = next(event for event in calls if event.step == "virtio_set_features")
    assert "ring_packed" in features.detail["features"].split()
    assert steps.count("vring_create_virtqueue_packed") == len(QUEUES)


@pytest.mark.parametrize("era_name", ["lesson", "modern", "newest"])
def test_the_split_setup_has_no_packed_ring(era_name: str) -> None:
    calls = _calls(era_name, "split")
    assert "vring_create_virtqueue_packed" not in {event.step for event in calls}
    assert not any("layout" in event.detail for event in calls)
    features = next(event for event in calls if event.step == "virtio_set_features")
    assert "ring_packed" not in features.detail["features"].split()


@pytest.mark.parametrize(("lang", "said"), [("en", "the driver's and the device's event areas"),
                                            ("zh", "驱动的和设备的事件区")])
def test_the_objects_panel_names_the_event_areas(lang: str, said: str) -> None:
    panel = ObjectsPanel(lang)
    for event in setup(era("modern"), 1, ring="packed"):
        panel.feed(event)
    vrings = [line for line in panel.lines() if line.strip().startswith("vring ")]
    assert len(vrings) == len(QUEUES) and all(said in line for line in vrings)


def test_setup_packed_runs_in_the_plain_view() -> None:
    code, out, err = run("setup", "--ring", "packed", "--view", "plain")
    assert code == 0 and err == ""
    assert "vring_create_virtqueue_packed" in out and "ring_packed" in out
