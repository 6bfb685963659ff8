"""The step catalog: real functions at the lines the reference notes give, and its walks."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from vtrace.catalog import (
    CATALOG,
    ERAS,
    VERSIONS,
    Site,
    UnknownEra,
    UnknownStep,
    era,
    first_present,
    lookup,
    nearest,
    present,
    site_of,
    steps,
)
from vtrace.model import ACTORS

REFERENCE = Path(__file__).parent / "data" / "reference_functions.tsv"


def _reference() -> dict[tuple[str, str, str, str], int | None]:
    """(function, project, file, version) -> line (None: exists, line not read)."""
    rows: dict[tuple[str, str, str, str], int | None] = {}
    with REFERENCE.open(encoding="utf-8") as handle:
        for row in csv.reader((line for line in handle if not line.startswith("#")),
                              delimiter="\t"):
            function, project, file, version, line = row[:5]
            rows[(function, project, file, version)] = int(line) if line else None
    return rows


REFERENCE_ROWS = _reference()
SITES = [(key, version, site) for key, step in CATALOG.items()
         for version, site in step.sites.items()]


@pytest.mark.parametrize(("key", "version", "site"), SITES,
                         ids=[f"{key}@{version}" for key, version, _ in SITES])
def test_every_site_is_a_real_function_at_the_reference_line(key: str, version: str,
                                                             site: Site) -> None:
    step = CATALOG[key]
    function = site.function or step.function
    file = site.file or step.file
    assert file is not None
    found = (function, step.project, file, version)
    assert found in REFERENCE_ROWS, f"{found} is not in {REFERENCE.name}"
    assert site.line == REFERENCE_ROWS[found]


def test_the_reference_list_covers_every_era_version() -> None:
    versions = {(project, version) for _, project, _, version in REFERENCE_ROWS}
    for chosen in ERAS.values():
        assert ("linux", chosen.linux) in versions
        assert ("qemu", chosen.qemu) in versions


def test_only_the_application_has_no_sites() -> None:
    assert [step.key for step in CATALOG.values() if not step.sites] == ["sendto", "recvfrom"]
    assert all(step.project in ("linux", "qemu") for step in CATALOG.values() if step.sites)


def test_site_versions_are_versions_of_the_steps_project() -> None:
    for step in CATALOG.values():
        assert set(step.sites) <= set(VERSIONS.get(step.project, ())), step.key
        assert set(step.notes) <= set(VERSIONS.get(step.project, ())), step.key


def test_every_step_has_an_actor_and_english_text() -> None:
    for step in CATALOG.values():
        assert step.actor in ACTORS
        assert step.text["en"].strip()


def test_every_step_takes_time_so_a_threads_clock_moves() -> None:
    assert all(step.cost_ns >= 1 for step in CATALOG.values())


def test_steps_missing_from_a_version_are_skipped_by_that_era() -> None:
    lesson, modern, newest = ERAS["lesson"], ERAS["modern"], ERAS["newest"]
    split = CATALOG["virtqueue_add_split"]
    assert site_of(split, lesson) is None
    assert site_of(split, modern) == ("virtqueue_add_split", "drivers/virtio/virtio_ring.c",
                                      517, "6.1")
    assert not present(CATALOG["virtnet_add_outbuf"], modern)
    assert present(CATALOG["virtnet_add_outbuf"], newest)
    assert [e for e in ERAS if present(CATALOG["replay_bh_schedule_event"], ERAS[e])] == [
        "newest"]


def test_sites_can_rename_a_function_or_move_its_file() -> None:
    reclaim = CATALOG["free_old_xmit_skbs"]
    assert site_of(reclaim, ERAS["newest"]) == ("free_old_xmit", "drivers/net/virtio_net.c",
                                                953, "7.2")
    exit_handler = CATALOG["handle_ept_misconfig"]
    site = site_of(exit_handler, ERAS["lesson"])
    assert site is not None and site[1] == "arch/x86/kvm/vmx.c"


def test_first_present_picks_the_function_that_does_the_work() -> None:
    assert first_present(ERAS["lesson"], "virtqueue_add_split", "virtqueue_add") == \
        "virtqueue_add"
    assert first_present(ERAS["modern"], "virtqueue_add_split", "virtqueue_add") == \
        "virtqueue_add_split"
    assert first_present(ERAS["lesson"], "virtqueue_split_pop", "virtqueue_pop") == \
        "virtqueue_pop"


def test_steps_filters_by_era() -> None:
    lesson = [s.key for s in steps(ERAS["lesson"])]
    assert "virtqueue_add_split" not in lesson and "netif_rx_ni" in lesson
    assert "netif_rx_ni" not in [s.key for s in steps(ERAS["modern"])]


def test_lookup_by_key_or_by_any_versions_function_name() -> None:
    assert lookup("virtio_net_flush_tx").key == "virtio_net_flush_tx"
    assert lookup("free_old_xmit").key == "free_old_xmit_skbs"
    assert lookup("register_netdevice").key == "register_netdevice"


def test_unknown_names_come_with_the_nearest_names() -> None:
    with pytest.raises(UnknownStep) as raised:
        lookup("virtio_net_flush")
    assert raised.value.suggestions[0] == "virtio_net_flush_tx"
    assert "did you mean virtio_net_flush_tx" in str(raised.value)
    assert nearest("vring_interupt")[0] == "vring_interrupt"
    assert nearest("zzzz") == []


def test_unknown_era() -> None:
    with pytest.raises(UnknownEra):
        era("medieval")
    assert era("lesson").linux == "4.19" and era("lesson").qemu == "3.1"
    assert (era("modern").linux, era("modern").qemu) == ("6.1", "7.2")
    assert (era("newest").linux, era("newest").qemu) == ("7.2", "10.2")


def test_place_is_what_every_event_of_the_step_carries() -> None:
    from vtrace.catalog import place
    from vtrace.scenarios.send import SendParams, send

    events = list(send(SendParams(frames=2), ERAS["modern"], 1))
    for event in events:
        step = CATALOG[event.step]
        assert place(step, ERAS["modern"].versions.get(step.project, "")) == event.place


def test_place_is_none_where_the_version_lacks_the_function() -> None:
    from vtrace.catalog import place

    assert place("virtqueue_add_split", "4.19") is None
    found = place("virtqueue_add_split", "6.1")
    assert found is not None and (found.file, found.line) == ("drivers/virtio/virtio_ring.c", 517)


def test_find_turns_a_traced_function_name_back_into_its_step() -> None:
    from vtrace.catalog import find

    start_xmit = find("start_xmit", "linux", "6.1")
    assert start_xmit is not None and start_xmit.key == "start_xmit"
    assert find("virtqueue_add_split", "linux", "4.19") is None  # not in that version
    assert find("no_such_function", "linux", "6.1") is None
    for step in CATALOG.values():
        for version, site in step.sites.items():
            found = find(site.function or step.function, step.project, version)
            assert found is not None and found.sites.get(version) is not None


@pytest.mark.parametrize("project,reported,expected", [
    ("linux", "6.1.0-56-amd64", "6.1"),
    ("linux", "6.1.192", "6.1"),
    ("linux", "4.19.108", "4.19"),
    ("linux", "5.10.0", None),
    ("qemu", "7.2.22", "7.2"),
    ("qemu", "1:7.2+dfsg-7+deb12u18", "7.2"),
    ("qemu", "10.2.2", "10.2"),
    ("qemu", "8", None),
])
def test_known_version_maps_a_reported_version_to_the_catalogs(
        project: str, reported: str, expected: str | None) -> None:
    from vtrace.catalog import known_version

    assert known_version(project, reported) == expected


def test_every_data_module_of_the_package_is_read() -> None:
    import pkgutil

    import vtrace.catalog as catalog

    names = {info.name for info in pkgutil.iter_modules(catalog.__path__)}
    for name in names:
        module = __import__(f"vtrace.catalog.{name}", fromlist=["_"])
        if name.endswith("_steps"):
            assert all(CATALOG[step.key].function == step.function for step in module.STEPS)
        if name.startswith("zh_"):
            assert all(CATALOG[key].text.get("zh") or CATALOG[key].notes for key in module.ZH)


def test_every_kernel_and_qemu_step_has_its_line_in_every_version() -> None:
    unread = [(key, version) for key, item in CATALOG.items() if item.project != "app"
              for version, site in item.sites.items() if site.line is None]
    assert unread == []


def test_refill_work_is_gone_in_linux_7_2() -> None:
    # 7.2 retries a failed refill in NAPI: virtnet_receive returns the whole budget
    assert set(CATALOG["refill_work"].sites) == {"4.19", "6.1"}
