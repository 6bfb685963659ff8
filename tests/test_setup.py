"""The set-up scenario: the chain of section 2 of the reference, per era, and its command."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from vtrace.catalog import ERAS
from vtrace.cli import cli
from vtrace.model import Event, Kind
from vtrace.netfeatures import driver_features, feature_names, negotiate, offered
from vtrace.scenarios.setup import setup
from vtrace.scenarios.setup.chains import QUEUES
from vtrace.session import replayed

# The order the issue and the reference give, as a subsequence of the replay.
CHAIN = ["net_init_clients", "net_init_netdev", "net_client_init", "net_client_init1",
         "net_init_tap", "net_tap_init", "tap_open", "tun_chr_open", "tun_chr_ioctl",
         "__tun_chr_ioctl", "tun_set_iff", "register_netdevice", "virtio_net_device_realize",
         "virtio_init", "virtio_net_add_queue", "virtio_add_queue", "qemu_new_nic",
         "virtnet_probe", "init_vqs", "virtnet_alloc_queues", "virtnet_find_vqs",
         "vp_modern_find_vqs", "vp_find_vqs", "vp_find_vqs_msix", "vp_setup_vq", "setup_vq",
         "vring_create_virtqueue", "register_netdev"]


def _calls(name: str, seed: int = 1) -> list[Event]:
    return [event for event in setup(ERAS[name], seed) if event.kind is Kind.CALL]


def _is_subsequence(wanted: list[str], steps: list[str]) -> bool:
    remaining = iter(steps)
    return all(step in remaining for step in wanted)


@pytest.mark.parametrize("name", sorted(ERAS))
def test_each_era_replays_the_set_up_chain_in_order(name: str) -> None:
    steps = [event.step for event in _calls(name)]
    assert _is_subsequence(CHAIN, steps)
    assert steps.count("vring_create_virtqueue") == 3  # rx0, tx0 and the control queue
    assert steps.count("kvm_assign_ioeventfd") == 3


def test_only_linux_7_2_has_vp_find_one_vq_msix() -> None:
    for name in ERAS:
        found = "vp_find_one_vq_msix" in [event.step for event in _calls(name)]
        assert found == (name == "newest")


def test_the_guest_registers_with_register_netdevice_since_6_1() -> None:
    functions = {name: [event.function for event in _calls(name)
                        if event.step == "register_netdev"] for name in ERAS}
    assert functions == {"lesson": ["register_netdev"], "modern": ["register_netdevice"],
                         "newest": ["register_netdevice"]}


def test_tap_open_asks_for_a_tap_with_a_vnet_header() -> None:
    tap_open = next(event for event in _calls("modern") if event.step == "tap_open")
    assert tap_open.detail["path"] == "/dev/net/tun"
    assert set(tap_open.detail["flags"].split("|")) == {"IFF_TAP", "IFF_NO_PI", "IFF_VNET_HDR"}


def test_the_tx_bottom_half_is_created_as_each_qemu_does() -> None:
    made = {name: next(event.detail["via"] for event in _calls(name)
                       if event.step == "virtio_net_add_queue") for name in ERAS}
    assert made == {"lesson": "qemu_bh_new", "modern": "qemu_bh_new_guarded",
                    "newest": "qemu_bh_new_guarded"}


def test_queues_get_their_handlers_and_callbacks() -> None:
    calls = _calls("modern")
    handlers = [event.detail["handler"] for event in calls if event.step == "virtio_add_queue"]
    assert handlers == ["virtio_net_handle_rx", "virtio_net_handle_tx_bh",
                        "virtio_net_handle_ctrl"]
    callbacks = [event.detail["callback"] for event in calls
                 if event.step == "vring_create_virtqueue"]
    assert callbacks == ["skb_recv_done", "skb_xmit_done", "-"]


def test_driver_ok_exits_to_qemu_which_starts_the_ioeventfds() -> None:
    events = list(setup(ERAS["modern"], 1))
    ready = next(index for index, event in enumerate(events)
                 if event.kind is Kind.NOTE and event.detail.get("fact") == "driver_ok")
    after = [event.step for event in events[ready:] if event.kind is Kind.CALL]
    assert after[:10] == ["virtio_device_ready", "virtio_add_status", "vp_set_status",
                          "handle_ept_misconfig", "kvm_io_bus_write", "vcpu_mmio_write",
                          "kvm_cpu_exec", "virtio_pci_common_write", "virtio_set_status",
                          "virtio_device_start_ioeventfd_impl"]
    assert events[-1].kind is Kind.RETURN and events[-1].detail == {"vm_entry": True}


@pytest.mark.parametrize("name", sorted(ERAS))
def test_set_up_events_are_ordered_tagged_and_deterministic(name: str) -> None:
    events = list(setup(ERAS[name], 7))
    assert events == list(setup(ERAS[name], 7))
    assert [event.seq for event in events] == list(range(len(events)))
    assert [event.t_ns for event in events] == sorted(event.t_ns for event in events)
    assert all(event.frame is None for event in events)


def test_the_guest_runs_after_qemu_has_built_the_device() -> None:
    events = list(setup(ERAS["modern"], 1))
    probe = next(event for event in events if event.step == "virtnet_probe")
    nic = next(event for event in events if event.step == "qemu_net_client_setup")
    assert probe.thread == "vcpu0" and nic.thread == "qemu-main"
    assert probe.t_ns > nic.t_ns


def test_replay_setup_makes_a_setup_session() -> None:
    session = replayed("setup", {}, "lesson", 2, ("setup",))
    assert session.header.scenario == "setup"
    assert session.header.params == {"backend": "qemu", "era": "lesson"}
    assert sum(1 for _ in session.events()) == session.tally.events > 50


def test_setup_command_plain_view() -> None:
    result = CliRunner().invoke(cli, ["setup", "--view", "plain", "--era", "lesson"])
    assert result.exit_code == 0, result.output
    assert "tap_open  net/tap-linux.c:41 [QEMU 3.1]" in result.output
    assert "ioctl(TUNSETIFF) with IFF_TAP|IFF_NO_PI|IFF_VNET_HDR" in result.output
    assert "per frame" not in result.output
    # The replay shows the stores that change the device, not every access that exits:
    # the summary counts events only.
    summary = result.output[result.output.index("\nSummary"):]
    assert "VM exits" not in summary and "exits to QEMU" not in summary
    assert re.search(r"device status writes\s+4\n", summary)


def _status_writes(name: str, backend: str = "qemu") -> list[tuple[str, str]]:
    return [(event.detail["status"], event.detail["value"])
            for event in setup(ERAS[name], 1, backend) if event.step == "virtio_set_status"]


@pytest.mark.parametrize("backend", ["qemu", "vhost-net"])
@pytest.mark.parametrize("name", sorted(ERAS))
def test_the_status_byte_grows_in_the_order_the_guest_sets_it(name: str, backend: str) -> None:
    assert _status_writes(name, backend) == [
        ("ACKNOWLEDGE", "0x01"), ("DRIVER", "0x03"), ("FEATURES_OK", "0x0b"),
        ("DRIVER_OK", "0x0f")]


def test_each_status_write_is_a_store_that_exits_to_qemu() -> None:
    events = _calls("modern")
    for index, event in enumerate(events):
        if event.step == "vp_set_status":
            assert [later.step for later in events[index + 1:index + 7]] == [
                "handle_ept_misconfig", "kvm_io_bus_write", "vcpu_mmio_write", "kvm_cpu_exec",
                "virtio_pci_common_write", "virtio_set_status"]
            assert events[index + 4].detail["status"] == event.detail["status"]


@pytest.mark.parametrize("name", sorted(ERAS))
def test_features_are_negotiated_between_driver_and_features_ok(name: str) -> None:
    era = ERAS[name]
    device = offered(era.versions["qemu"])
    accepted = negotiate(device, driver_features(era.versions["linux"]))
    calls = _calls(name)
    steps = [event.step for event in calls]
    written = next(event for event in calls if event.step == "virtio_set_features")
    assert written.detail["features"].split() == feature_names(accepted)
    finalize = next(event for event in calls if event.step == "vp_finalize_features")
    assert finalize.detail["offered"].split() == feature_names(device)
    assert "gso" in finalize.detail["refused"].split()
    statuses = [event.detail["status"] for event in calls if event.step == "virtio_set_status"]
    assert statuses.index("DRIVER") < statuses.index("FEATURES_OK")
    assert (steps.index("vp_finalize_features") < steps.index("virtio_set_features")
            < steps.index("virtnet_probe"))


@pytest.mark.parametrize("name", sorted(ERAS))
def test_qemu_learns_each_ring_at_queue_enable(name: str) -> None:
    calls = _calls(name)
    rings = [event.detail["queue"] for event in calls if event.step == "virtio_queue_set_rings"]
    assert rings == [queue for queue, _, _ in QUEUES]
    steps = [event.step for event in calls]
    last_vring = len(steps) - 1 - steps[::-1].index("vring_create_virtqueue")
    assert steps.index("virtio_queue_set_rings") > last_vring
    for index, step in enumerate(steps):
        if step == "virtio_queue_set_rings":
            assert steps[index - 1] == "virtio_pci_common_write"
            assert calls[index - 1].detail["field"] == "queue_enable"


def test_virtio_queue_enable_is_not_in_qemu_3_1() -> None:
    found = {name: "virtio_queue_enable" in [event.step for event in _calls(name)]
             for name in ERAS}
    assert found == {"lesson": False, "modern": True, "newest": True}


def test_setup_plain_view_names_features_status_and_rings() -> None:
    for lang, words in (("en", ["device status 0x01: ACKNOWLEDGE is set",
                                "device status 0x0f: DRIVER_OK is set",
                                "FEATURES_OK", "negotiated: csum", "event_idx"]),
                        ("zh", ["设备状态 0x0b：FEATURES_OK 已置位", "协商结果：csum"])):
        result = CliRunner().invoke(cli, ["setup", "--view", "plain", "--lang", lang])
        assert result.exit_code == 0, result.output
        for word in words:
            assert word in result.output
        assert "virtio_queue_set_rings  hw/virtio/virtio.c:2821 [QEMU 7.2]" in result.output
        assert "virtio_pci_common_write  hw/virtio/virtio-pci.c:1327 [QEMU 7.2]" in result.output


@pytest.mark.parametrize(("name", "answer"), [
    ("vp_interrupt", "vring_interrupt itself, so vp_interrupt never runs"),
    ("virtio_net_class_init", "hw/net/virtio-net.c:3897"),
])
def test_explain_answers_the_lesson_s_set_up_words(name: str, answer: str) -> None:
    result = CliRunner().invoke(cli, ["explain", name])
    assert result.exit_code == 0, result.output
    assert answer in result.output
    chinese = CliRunner().invoke(cli, ["explain", name, "--lang", "zh"])
    assert chinese.exit_code == 0 and "位置" in chinese.output


def test_the_device_type_exists_before_it_is_realized() -> None:
    steps = [event.step for event in _calls("lesson")]
    assert steps.index("virtio_net_class_init") == steps.index("virtio_net_device_realize") - 1


def test_setup_command_writes_events_to_stdout_with_the_quiet_view() -> None:
    result = CliRunner().invoke(cli, ["setup", "--events", "-", "--view", "quiet"])
    assert result.exit_code == 0
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines[0]["kind"] == "header" and lines[0]["scenario"] == "setup"
    assert {line.get("version") for line in lines[1:]} == {"6.1", "7.2"}


def test_setup_command_in_chinese() -> None:
    result = CliRunner().invoke(cli, ["setup", "--view", "plain", "--lang", "zh"])
    assert result.exit_code == 0
    assert "驱动就绪" in result.output and "小结" in result.output


def test_setup_command_rejects_bad_options() -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["setup", "--era", "bronze"]).exit_code == 2
    result = runner.invoke(cli, ["setup", "--events", "-", "--view", "plain"])
    assert result.exit_code == 2


def _plain(*args: str) -> str:
    result = CliRunner().invoke(cli, ["setup", "--view", "plain", *args])
    assert result.exit_code == 0, result.output
    return str(result.output)


def test_the_plain_view_says_what_each_step_made() -> None:
    out = _plain()
    assert "│ + tun_file (host kernel): the open /dev/net/tun" in out
    assert "│ + NICState (QEMU): VirtIONet's nic; its NetClientState and the tap's are " \
           "each other's peer" in out
    assert "│ + vring tx0 (guest kernel): descriptor table, available and used ring in guest " \
           "memory; vi->sq[0].vq" in out


def test_the_plain_view_ends_with_the_objects_on_each_side() -> None:
    out = _plain()
    panel = out[out.index("Objects the set-up made, and their links"):out.index("\nSummary")]
    sides = [line for line in panel.splitlines() if line and not line.startswith(" ")]
    assert sides[1:] == ["host kernel", "QEMU", "KVM", "guest kernel"]
    for name in ("tun_file", "tun_struct", "net_device tap0", "TAPState tap0", "VirtIONet",
                 "VirtQueue rx0", "VirtQueue ctrl.vring", "NICState", "ioeventfd tx0",
                 "net_device + virtnet_info", "vring rx0", "vring ctrl"):
        assert f"\n  {name}: " in panel, name
    assert panel.index("tun_struct") < panel.index("TAPState") < panel.index("vring rx0")


def test_the_objects_panel_speaks_chinese() -> None:
    out = _plain("--lang", "zh", "--era", "lesson")
    panel = out[out.index("建立过程创建的对象及其联系"):]
    assert "\n宿主内核\n" in panel and "\n客户机内核\n" in panel
    assert "tun_struct: tfiles[0] → tun_file，tun_file 的 tun 指回这里" in panel


def test_other_replays_have_no_objects_panel() -> None:
    result = CliRunner().invoke(cli, ["send", "-n", "1", "--view", "plain"])
    assert result.exit_code == 0 and "│ + " not in result.output
    assert "Objects the set-up made" not in result.output
