"""What the README, docs/events.md and docs/html-player.md state, checked against the
tool: the commands they name, the figures they give."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
from cli_run import run

from vtrace.codec import decode_line
from vtrace.model import SCHEMA_VERSION, Header
from vtrace.renderers.html import HtmlRenderer
from vtrace.scenarios import REGISTERED
from vtrace.session import replayed

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def _text(name: str) -> str:
    """A document with every run of white space one space, so a sentence may wrap."""
    return re.sub(r"\s+", " ", (ROOT / name).read_text(encoding="utf-8"))


# -- README -----------------------------------------------------------------------------------


def test_the_distribution_is_not_pypis_vtrace_and_installs_the_vtrace_command() -> None:
    project = (ROOT / "pyproject.toml").read_text(encoding="utf-8")  # no tomllib in 3.10
    assert re.search(r'^name = "virtio-trace"$', project, re.M)
    assert re.search(r'^\[project\.scripts\]\nvtrace = "vtrace\.cli:main"$', project, re.M)
    assert "The distribution is named `virtio-trace`" in _text("README.md")


def test_the_tour_line_of_the_lesson_in_chinese_takes_the_lessons_path() -> None:
    line = next(line for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
                if "--lang zh` |" in line)
    command = re.search(r"`vtrace ([^`]*)`", line)
    assert command and "the path the lesson draws" in line
    code, out, _ = run(*shlex.split(command[1]), "--view", "quiet")
    assert code == 0
    exits = re.search(r"VM 退出\s+(\d+)", out)
    to_qemu = re.search(r"退回 QEMU vCPU 线程\s+(\d+)", out)
    assert exits and to_qemu and int(to_qemu[1]) == int(exits[1]) > 0, out


def test_a_run_that_stops_on_an_error_leaves_no_file_and_the_old_one_as_it_was(
        tmp_path: Path) -> None:
    """'a run that stops on an error leaves no file, and an older file of that name as it
    was'."""
    assert "a run that stops on an error leaves no file, and an older file of that name as " \
           "it was" in _text("README.md")
    broken = tmp_path / "broken.jsonl"
    lines = (Path(__file__).parent / "data" / "send-3-frames.jsonl").read_text().splitlines()
    broken.write_text("\n".join([*lines[:20], '{"v":2,"seq":'] + lines[21:]) + "\n")
    fresh, old = tmp_path / "fresh.svg", tmp_path / "old.jsonl"
    old.write_text("kept\n")
    assert run("diagram", "--from", str(broken), str(fresh))[0] == 2
    assert run("play", str(broken), "--events", str(old), "--view", "quiet")[0] == 2
    assert not fresh.exists() and old.read_text() == "kept\n"
    assert [path.name for path in tmp_path.iterdir() if path.name.startswith(".")] == []


# -- docs/events.md ---------------------------------------------------------------------------


def test_the_event_table_gives_the_schema_version_records_carry() -> None:
    text = _text("docs/events.md")
    assert f"# The event stream (schema version {SCHEMA_VERSION})" in text
    assert text.count(f"| `v` | integer | Schema version: `{SCHEMA_VERSION}` (a reader also "
                      "takes `1`). |") == 2


@pytest.mark.parametrize("name", sorted(REGISTERED))
def test_the_params_each_scenario_writes_are_the_ones_listed(name: str) -> None:
    text = _text("docs/events.md")
    listed = re.search(rf"`params` of `{name}`: (.*?)\.", text)
    assert listed, name
    said = re.findall(r"`(\w+)`", re.sub(r"\([^)]*\)", "", listed[1]))
    header = replayed(name, {}, "modern", 1).header
    assert said == list(header.params), (said, list(header.params))


def test_the_example_header_is_the_one_the_command_writes(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    text = (DOCS / "events.md").read_text(encoding="utf-8")
    example = next(line for line in text.splitlines() if line.startswith('{"v":2,"kind":"header"'))
    documented = decode_line(example)
    assert isinstance(documented, Header)
    monkeypatch.chdir(tmp_path)
    assert run(*documented.argv)[0] == 0
    written = decode_line((tmp_path / "run.jsonl").read_text().splitlines()[0])
    assert isinstance(written, Header)
    assert (written.params, written.argv, written.source) == (
        documented.params, documented.argv, documented.source)


def test_the_commands_said_to_write_streams_take_events() -> None:
    text = _text("docs/events.md")
    for command in ("send", "recv", "setup", "play", "lab send", "lab recv", "import"):
        assert f"`vtrace {command}`" in text
        code, out, _ = run(*command.split(), "--help")
        assert code == 0 and re.search(r"--events\s+[A-Z]", out), command
    code, out, _ = run("diagram", "-n", "1", "--format", "jsonl", "-")
    assert code == 0 and json.loads(out.splitlines()[0])["kind"] == "header"


def test_events_to_standard_output_need_the_quiet_view_and_keep_pcap_off_it() -> None:
    assert "then the view is the quiet one (leave `--view` out, or give `--view quiet`), the " \
           "summary goes to standard error, and `--pcap` cannot go to standard output too" \
           in _text("docs/events.md")
    for view in ((), ("--view", "quiet")):
        code, out, err = run("send", "-n", "1", "--events", "-", *view)
        assert code == 0 and json.loads(out.splitlines()[0])["kind"] == "header"
        assert "Summary" in err and "Summary" not in out
    assert run("send", "-n", "1", "--events", "-", "--view", "plain")[0] == 2
    assert run("send", "-n", "1", "--events", "-", "--pcap", "-")[0] == 2


# -- docs/html-player.md ----------------------------------------------------------------------


def test_ten_thousand_frames_in_the_player(tmp_path: Path) -> None:
    """'10,000 frames (about 680,000 events) take about 6 MB'."""
    assert "10,000 frames (about 680,000 events) take about 6 MB" in _text(
        "docs/html-player.md")
    session = replayed("send", {"frames": 10_000}, "modern", 1)
    events = list(session.events())
    assert round(len(events), -4) == 680_000
    page = tmp_path / "run.html"
    with page.open("w", encoding="utf-8") as out:
        HtmlRenderer(lang="en").render(session.fed(events), out)
    assert round(page.stat().st_size / 1e6) == 6


def test_the_screenshot_command_says_what_it_needs() -> None:
    text = _text("docs/html-player.md")
    assert "`.venv/bin/python docs/make_html_player.py`" in text
    assert "`.venv/bin/pip install -e '.[test]'`" in text and "`sudo apt install chromium`" in text
    script = (DOCS / "make_html_player.py").read_text(encoding="utf-8")
    assert "from playwright.sync_api import" in script and '"/usr/bin/chromium"' in script
    project = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    test_extra = re.search(r"^test = \[(.*?)\]", project, re.M | re.S)
    assert test_extra and '"playwright' in test_extra[1]


def test_the_figures_of_the_event_page() -> None:
    """The modelled delays and jitter, the bytes of a frame, and the jq example's count."""
    from vtrace.engine.sim import JITTER
    from vtrace.scenarios.recv.guest import IRQ_DELIVERY_NS as RECV_IRQ
    from vtrace.scenarios.send.device import EVENTFD_WAKEUP_NS
    from vtrace.scenarios.send.guest import IRQ_DELIVERY_NS
    from vtrace.scenarios.setup.chains import BOOT_NS

    text = _text("docs/events.md")
    for said in ("a random factor between 0.8 and 1.2",
                 "QEMU's main loop wakes 2.5 µs after the kick's eventfd fires",
                 "an interrupt reaches the guest 1.8 µs after KVM's APIC accepts it",
                 "`vring_interrupt` starts 1.8 µs after `__apic_accept_irq` ends",
                 "the guest probes the device 20 µs after the machine is ready",
                 "`size` minus 42 bytes", "Bytes of the virtio-net header (12)",
                 "This prints `1`"):
        assert said in text, said
    assert (1 - JITTER, 1 + JITTER) == (0.8, 1.2)
    assert (EVENTFD_WAKEUP_NS, IRQ_DELIVERY_NS, RECV_IRQ, BOOT_NS) == (2500, 1800, 1800, 20_000)
    idle = list(replayed("send", {"frames": 3}, "modern", 1).events())
    for at, event in enumerate(idle):
        if event.step == "__apic_accept_irq":  # its end: the next event of its thread
            ended = next(later for later in idle[at + 1:] if later.thread == event.thread)
            taken = next(later for later in idle[at + 1:] if later.step == "vring_interrupt")
            assert taken.t_ns - ended.t_ns == 1800
        if event.step == "ioeventfd_write":
            ended = next(later for later in idle[at + 1:] if later.thread == event.thread)
            woken = next(later for later in idle[at + 1:]
                         if later.step == "virtio_queue_host_notifier_read")
            assert woken.t_ns - ended.t_ns == 2500
    events = list(replayed("send", {"frames": 5, "batch": 5}, "modern", 1).events())
    assert sum(event.kind.value == "call" and event.step == "vp_notify" for event in events) == 1
    sendto = next(event for event in events if event.step == "sendto")
    xmit = next(event for event in events if event.step == "xmit_skb")
    assert sendto.detail["bytes"] == 128 - 42 and xmit.detail["vnet_hdr"] == 12


def test_the_live_views_own_pace_is_the_one_the_readme_gives() -> None:
    from vtrace.cli.playback import CLASSROOM_SPEED, PACE

    text = _text("README.md")
    assert "the first frame at 10 steps a second so a class can follow, each later frame " \
           "faster, every frame on screen for at least a quarter of a second, about 30 s in " \
           "all" in text
    assert (CLASSROOM_SPEED, PACE["frame_s"], PACE["budget_s"]) == (10.0, 0.25, 30.0)
    assert PACE["quicken"] < 1  # each later frame faster


def test_the_players_figures_are_its_scripts() -> None:
    """'at most 400 rows', 'the speed slider, 0.25× to 8×', 'a saved state every 512
    steps'."""
    assets = ROOT / "vtrace" / "renderers" / "html_assets"
    text = _text("docs/html-player.md")
    assert "at most 400 rows" in text and "0.25× to 8×" in text
    assert "a saved state every 512 steps" in text
    stream = (assets / "stream.js").read_text(encoding="utf-8")
    assert "var PAGE = 400;" in stream and "var CHECK = 512;" in stream
    speeds = re.search(r"var SPEEDS = \[([^\]]*)\];", (assets / "player.js").read_text(
        encoding="utf-8"))
    assert speeds and [float(value) for value in speeds[1].split(",")][::7] == [0.25, 8.0]
