"""``vtrace steps``: the catalog of one era as a table or as JSON."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from rich.cells import cell_len

from vtrace.catalog import ERAS, site_of, steps
from vtrace.cli import cli

REQUIRED = {"function", "project", "file", "line", "version", "layer", "actor"}


def _run(*args: str) -> str:
    result = CliRunner().invoke(cli, ["steps", *args])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("name", sorted(ERAS))
def test_json_lists_every_step_of_the_era(name: str) -> None:
    records = json.loads(_run("--json", "--era", name))
    chosen = ERAS[name]
    assert [record["key"] for record in records] == [step.key for step in steps(chosen)]
    for record, step in zip(records, steps(chosen), strict=True):
        assert set(record) >= REQUIRED
        site = site_of(step, chosen)
        assert site is not None
        assert (record["function"], record["file"], record["line"], record["version"]) == site
        assert record["layer"] == step.layer.value and record["actor"] == step.actor


def test_json_gives_each_era_its_own_versions_and_paths() -> None:
    lesson = {r["key"]: r for r in json.loads(_run("--json", "--era", "lesson"))}
    newest = {r["key"]: r for r in json.loads(_run("--json", "--era", "newest"))}
    assert "virtqueue_add_split" not in lesson and "virtqueue_add_split" in newest
    assert lesson["start_xmit"]["line"] == 1562 and lesson["start_xmit"]["version"] == "4.19"
    assert newest["free_old_xmit_skbs"]["function"] == "free_old_xmit"
    assert newest["virtio_net_handle_tx_bh"]["calls"] == ["virtio_queue_set_notification"]
    assert "virtqueue_add_split" not in lesson["virtqueue_add"]["calls"]
    assert newest["qemu_bh_schedule"]["called_by"] == ["replay_bh_schedule_event"]
    assert lesson["virtqueue_add"]["scenarios"] == ["send", "recv"]
    assert lesson["tap_send"]["scenarios"] == ["recv"]


def test_json_in_chinese_keeps_function_names() -> None:
    records = json.loads(_run("--json", "--lang", "zh"))
    flush = next(record for record in records if record["key"] == "virtio_net_flush_tx")
    assert flush["function"] == "virtio_net_flush_tx" and "循环" in flush["text"]


def test_table_lists_both_scenarios_with_locations() -> None:
    output = _run("--era", "lesson")
    assert "Steps in Linux 4.19 + QEMU 3.1 (the 2019 lesson)" in output
    assert "Sending a frame (vtrace send)" in output and "(vtrace setup)" in output
    assert "drivers/net/virtio_net.c:1562" in output
    assert "net/core/dev.c:8612" in output  # register_netdevice, read in 4.19.108
    assert "virtqueue_add_split" not in output


def test_chinese_table_columns_line_up() -> None:
    lines = _run("--lang", "zh").splitlines()
    heading = next(line for line in lines if "函数" in line)
    row = next(line for line in lines if line.lstrip().startswith("xmit_skb "))
    project_column = cell_len(heading[:heading.index("项目")])
    assert cell_len(row[:row.index("linux")]) == project_column
    where_column = cell_len(heading[:heading.index("定义位置")])
    assert cell_len(row[:row.index("drivers/")]) == where_column


def test_unknown_era_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["steps", "--era", "stone"])
    assert result.exit_code == 2
