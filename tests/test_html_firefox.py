"""The HTML player in Firefox: Debian's firefox-esr, headless, over WebDriver BiDi.

tests/firefox/driver.mjs drives the browser with puppeteer-core (installed by
``npm ci --prefix tests/firefox``) and answers one JSON line per command; the
checks and what they expect are here, shared with the Chromium tests. The page
is opened from disk; every request it makes is recorded and refused. The
browser runs in a temporary profile and home, and the module ends by checking
that no process the driver started is left.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest
import test_html_browser as chromium
from conftest import needs, program
from player_steps import ring_lanes, step_of, terminal_steps

from vtrace.catalog import CATALOG
from vtrace.model import Event
from vtrace.renderers.diagram_text import diagram_title
from vtrace.scenarios import REGISTERED
from vtrace.scenarios.send import SEND
from vtrace.session import Session, replayed
from vtrace.tally import Tally

FIREFOX = "/usr/bin/firefox-esr"
DRIVER = Path(__file__).resolve().parent / "firefox" / "driver.mjs"
MODULES = DRIVER.parent / "node_modules" / "puppeteer-core"
files = chromium.files  # the same files, made from the same stream, as the Chromium tests open
expected_ring = chromium.expected_ring
pytestmark = [
    program(FIREFOX, "firefox-esr"),
    needs(shutil.which("node") is None or not MODULES.is_dir(),
          "needs node and puppeteer-core: apt-get install npm; npm ci --prefix tests/firefox"),
]


def descendants(root: int) -> set[int]:
    """The processes below ``root``, from /proc."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # gone while we looked
        parents[int(stat.parent.name)] = int(fields[1])
    found: set[int] = set()
    todo = [root]
    while todo:
        parent = todo.pop()
        children = {pid for pid, ppid in parents.items() if ppid == parent} - found
        found |= children
        todo.extend(children)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


class Firefox:
    """One headless Firefox behind the driver script, in a profile and home of its own."""

    def __init__(self, folder: Path) -> None:
        home, profile = folder / "home", folder / "profile"
        home.mkdir()
        profile.mkdir()
        self.log_path = folder / "driver.log"
        self.log = self.log_path.open("w", encoding="utf-8")
        environ = {**os.environ, "HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache"),
                   "XDG_CONFIG_HOME": str(home / ".config"), "MOZ_CRASHREPORTER_DISABLE": "1"}
        self.process = subprocess.Popen(["node", str(DRIVER), FIREFOX, str(profile)],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=self.log, text=True, env=environ,
                                        cwd=DRIVER.parent)
        self.pid: int = self._answer()["pid"]
        self.profile = profile

    def _pipes(self) -> tuple[IO[str], IO[str]]:
        assert self.process.stdin is not None and self.process.stdout is not None
        return self.process.stdin, self.process.stdout

    def _answer(self) -> Any:
        line = self._pipes()[1].readline()
        if not line:
            self.log.flush()
            raise AssertionError("the driver stopped: " + self.log_path.read_text())
        answer = json.loads(line)
        if "error" in answer:
            raise AssertionError(answer["error"])
        return answer["ok"]

    def do(self, command: str, **arguments: Any) -> Any:
        stdin = self._pipes()[0]
        stdin.write(json.dumps({"do": command, **arguments}) + "\n")
        stdin.flush()
        return self._answer()

    def open(self, path: Path, fragment: str = "") -> dict[str, Any]:
        self.do("open", url=path.as_uri() + fragment)
        return self.shown()

    def shown(self) -> dict[str, Any]:
        shown: dict[str, Any] = self.do("shown")
        return shown

    def press(self, *keys: str) -> dict[str, Any]:
        for key in keys:
            self.do("press", key=key)
        return self.shown()

    def jump(self, step: int) -> dict[str, Any]:
        self.do("fill", selector="#jump-to", value=str(step))
        return self.press("Enter")

    def close(self) -> set[int]:
        """Stop the browser; return what it left running (killed, by pid)."""
        family = descendants(self.process.pid)
        assert self.pid in family
        self._pipes()[0].close()  # the driver closes the browser at the end of its input
        self.process.wait(timeout=30)
        self.log.close()
        left = {pid for pid in family if alive(pid)}
        for pid in left:
            os.kill(pid, signal.SIGKILL)
        return left


@pytest.fixture(scope="module")
def firefox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Firefox]:
    browser = Firefox(tmp_path_factory.mktemp("firefox"))
    yield browser
    assert browser.close() == set(), "Firefox processes were left running"
    assert (browser.profile / "user.js").is_file()  # it ran in the profile it was given


@pytest.fixture
def player(firefox: Firefox, files: dict[str, Any]) -> Iterator[Firefox]:
    firefox.open(files["run"])
    yield firefox
    assert_kept_to_itself(firefox)


def assert_kept_to_itself(firefox: Firefox) -> None:
    seen = firefox.do("seen")
    assert seen == {"requests": [], "errors": []}


def test_the_recorder_sees_what_a_page_loads(firefox: Firefox, tmp_path: Path) -> None:
    with socket.socket() as free:  # a port nothing listens on
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    page = tmp_path / "loads.html"
    page.write_text(f'<img src="http://127.0.0.1:{port}/a.png">'
                    f"<script>document.body.dataset.ready = '1'</script>")
    firefox.do("open", url=page.as_uri())
    firefox.do("wait", ms=300)
    seen = firefox.do("seen")
    assert seen["requests"] == [f"http://127.0.0.1:{port}/a.png"]


def test_keys_step_through_the_stream_and_back(player: Firefox,
                                               files: dict[str, Any]) -> None:
    events: list[Event] = files["events"]
    steps = files["steps"]
    size = files["header"].params["queue_size"]
    shown = player.shown()
    assert shown["step"] == 1 and shown["row"] == 1
    add = step_of(steps, next(e.seq for e in events if e.step == "virtqueue_add_split"))
    shown = player.press(*["PageDown"] * (add.number - 1))
    assert shown["step"] == add.number and shown["row"] == add.number
    assert shown["function"] == "virtqueue_add_split"
    assert shown["ring"] == expected_ring(events, add.end, size)
    first = steps[add.number - 2].end
    assert set(shown["changed"]) == {name for event in events[first:add.end]
                                     for name in event.detail.get("ring", {})}
    assert shown["ring"]["avail.idx"] == "1" and shown["descriptorChanged"]
    assert f"idx {shown['ring']['avail.idx']}" in shown["figureTexts"]
    back = player.press("ArrowRight", " ", "ArrowLeft", "PageUp")
    assert (back["step"], back["row"], back["ring"], back["changed"]) == \
        (shown["step"], shown["row"], shown["ring"], shown["changed"])
    end = player.press("End")
    # The last rounds took the first one's steps: their fold row is lit until z unfolds it.
    assert end["step"] == len(steps) and end["row"] < end["step"]
    assert player.press("z")["row"] == len(steps)
    end = player.press("z")
    assert end["ring"] == expected_ring(events, len(events), size)
    tally = Tally(SEND.calls, SEND.notes)
    for event in events:
        tally.add(event)
    assert end["counters"]["kicks"].strip("● ") == str(tally["kicks"])
    assert end["counters"]["vm_exits"].strip("● ") == str(tally["vm_exits"])
    assert player.press("Home")["step"] == 1


def test_frames_meaning_and_play(player: Firefox, files: dict[str, Any]) -> None:
    events: list[Event] = files["events"]
    steps = files["steps"]
    starts = [step_of(steps, next(e.seq for e in events if e.frame == frame)).number
              for frame in (1, 2)]
    assert player.press("f")["step"] == starts[0]
    assert player.press("f")["step"] == starts[1]
    assert player.press("Shift+F")["step"] == starts[0]
    kick = step_of(steps, next(e.seq for e in events if e.step == "vp_notify"))
    assert player.press("Home", "k")["function"] == kick.call.function
    player.press("/")
    for key in "tun_get_user":
        player.do("press", key=key)
    assert player.press("Enter")["function"] == "tun_get_user"
    assert player.press("Escape", "Home", "Enter")["playing"] == "true"
    for _ in range(100):  # two steps at 1×
        if player.shown()["step"] >= 3:
            break
        player.do("wait", ms=50)
    shown = player.press("Enter")
    assert shown["playing"] == "false" and shown["step"] >= 3
    player.do("wait", ms=1000)
    assert player.shown()["step"] == shown["step"]


def test_presentation_mode_shows_the_whole_path(firefox: Firefox,
                                                files: dict[str, Any]) -> None:
    events: list[Event] = files["events"]
    kick = step_of(files["steps"],
                   next(e.seq for e in events if e.step == "virtqueue_kick_prepare"))
    shown = firefox.open(files["run"], f"?present#step={kick.number}")
    assert shown["present"] and shown["viewport"] == [1280, 720]
    assert shown["step"] == kick.number and shown["seqFits"]
    heads = shown["heads"].split(", ")
    assert heads[0] == "app" and heads[-1] == "host-stack"
    top, height, fits = shown["decision"]
    assert top >= 0 and top + height <= 720 and fits
    assert set(shown["counterLines"]) == {1}
    assert not firefox.press("p")["present"]
    assert_kept_to_itself(firefox)


def test_permalink_opens_at_its_step(firefox: Firefox,
                                     files: dict[str, Any]) -> None:
    shown = firefox.open(files["run"], "#step=40")
    assert shown["step"] == shown["row"] == 40 and shown["permalink"] == "#step=40"
    assert firefox.press("ArrowRight")["hash"] == "#step=41"
    assert_kept_to_itself(firefox)


def test_chinese_toggle_changes_the_texts(player: Firefox,
                                          files: dict[str, Any]) -> None:
    events: list[Event] = files["events"]
    kick = step_of(files["steps"],
                   next(e.seq for e in events if e.step == "virtqueue_kick_prepare"))
    english = player.jump(kick.number)
    assert CATALOG["virtqueue_kick_prepare"].text["en"] in english["text"]
    player.do("click", selector="#lang")
    chinese = player.shown()
    assert CATALOG["virtqueue_kick_prepare"].text["zh"] in chinese["text"]
    assert "通知：avail_event 0 落在 [0, 1) 中" in chinese["text"]
    assert chinese["lang"] == "zh" and chinese["diagramTitle"] == "时序图"
    title = diagram_title(Session(files["header"], ()), "zh")
    assert chinese["runTitle"] == title and chinese["title"].endswith(title)
    player.do("click", selector="#lang")
    again = player.shown()
    assert again["text"] == english["text"]
    assert again["runTitle"] == diagram_title(Session(files["header"], ()), "en")


def test_legend_and_theme(player: Firefox) -> None:
    assert player.press("?")["legend"]
    assert not player.press("Escape")["legend"]
    player.do("click", selector="#theme")
    theme = player.shown()["theme"]
    player.do("click", selector="#theme")
    assert {theme, player.shown()["theme"]} == {"dark", "light"}


def test_hostile_labels_do_not_execute(firefox: Firefox,
                                       files: dict[str, Any]) -> None:
    firefox.open(files["hostile"])
    shown = firefox.press("ArrowRight")
    assert shown["pwned"] is None and not shown["injected"]
    assert files["nasty"] in shown["function"]
    assert_kept_to_itself(firefox)


def test_screen_shows_the_diagram_and_panels(firefox: Firefox, files: dict[str, Any],
                                             tmp_path: Path) -> None:
    shown = firefox.open(files["run"], "#step=18")
    assert shown["viewport"] == [1280, 720]
    firefox.do("screenshot", path=str(tmp_path / "player-firefox-1280.png"))
    assert (tmp_path / "player-firefox-1280.png").read_bytes().startswith(b"\x89PNG")
    boxes = shown["boxes"]
    assert len(boxes) == 9
    # Firefox sets the side column's lines 2 px taller than Chromium and gives it a
    # scrollbar: the counters start at the bottom edge, a scroll of that column away.
    boxes["#counter-panel"] = firefox.do("reveal", selector="#counter-panel")
    for selector, (x, y, width, height) in boxes.items():
        assert width > 50 and height > 10, selector
        assert x >= 0 and x + 20 < 1280 and 0 <= y < 720 - 20, selector
    _, row_y, _, row_height = boxes[".row.current"]
    _, seq_y, _, seq_height = boxes["#seq"]
    assert seq_y <= row_y and row_y + row_height <= seq_y + seq_height
    assert_kept_to_itself(firefox)


def test_the_packed_ring_figure_follows_the_stream(firefox: Firefox, tmp_path: Path) -> None:
    """A packed run that wraps a queue of 32, stepped through its first steps and across
    the wrap: the figure draws the slots, indices and event areas of the description the
    terminal and the SVG draw (the Chromium test's checks)."""
    given = {"frames": 40, "batch": 4, "ring": "packed", "queue_size": 32}
    session = replayed("send", given, "modern", 1)
    events = list(session.events())
    path = chromium.write(tmp_path / "packed.html", session.header, events)
    steps = terminal_steps(events)
    wrapped = next(step.number for step in steps
                   if step.call.detail.get("ring", {}).get("avail_wrap_counter") == 0)
    shown = firefox.open(path, "#step=1")
    for number in [*range(2, 120), *range(wrapped - 5, wrapped + 60)]:
        if number == shown["step"] + 1:
            shown = firefox.press("ArrowRight")
        else:
            firefox.jump(number)
            shown = firefox.press("Escape")  # leave the jump box
        assert shown["step"] == number
        drawn = shown["figureTexts"][9:]
        drawn[drawn.index("driver (Linux)")] = "driver"
        drawn[drawn.index("device (QEMU)")] = "device"
        assert drawn == chromium._packed_expected(replayed("send", given, "modern", 1),
                                                  steps[number - 1].end), number
    firefox.do("reveal", selector="#figure")
    firefox.do("screenshot", path=str(tmp_path / "packed-firefox.png"))
    assert (tmp_path / "packed-firefox.png").read_bytes().startswith(b"\x89PNG")
    assert_kept_to_itself(firefox)


def test_a_multiqueue_player_shows_each_pair_s_ring_and_counts(firefox: Firefox,
                                                              tmp_path: Path) -> None:
    """The Chromium test's checks: a step opens on its own pair's ring, ``u`` shows the
    other's, and each counter is the total with each pair's count."""
    session = replayed("send", {"frames": 8, "queues": 2, "flows": 4}, "modern", 1)
    events = list(session.source)
    path = chromium.write(tmp_path / "mq.html", session.header, events)
    steps = terminal_steps(events)
    for step in [step for step in steps if step.call.step == "virtqueue_add_split"][:4]:
        rings: dict[int, dict[str, int]] = {}
        tally = Tally(SEND.calls, SEND.notes)
        for event in events[:step.end]:
            queue = event.detail.get("queue")
            rings.setdefault(queue if type(queue) is int else 0, {}).update(
                event.detail.get("ring", {}))
            tally.add(event)
        own = step.call.detail["queue"]
        shown = firefox.open(path, f"#step={step.number}")
        assert shown["ring"]["avail.idx"] == str(rings[own]["avail.idx"]) and shown["changed"]
        other = firefox.press("u")
        assert other["ring"]["avail.idx"] == str(rings.get(1 - own, {}).get("avail.idx", 0))
        assert other["changed"] == [] and other["step"] == step.number
        each = " | ".join(str(tally.per_queue.get(queue, {}).get("kicks", 0)) for queue in (0, 1))
        assert other["counters"]["kicks"].endswith(f"{tally['kicks']} ({each})")
    assert_kept_to_itself(firefox)


@pytest.mark.parametrize("name", ["send", "recv"])
def test_the_vring_row_names_the_queue_pair_as_the_terminal_does(
        firefox: Firefox, tmp_path: Path, name: str) -> None:
    """The Chromium test's check: with two queue pairs the overview's ring row is the live
    view's ring lane at every step, a frame in pair 1's ring named with its pair; in Chinese
    too where pair 1 is named."""
    given = {"frames": 4, "queues": 2, "flows": 4}
    session = replayed(name, given, "modern", 1)
    events = list(session.source)
    path = chromium.write(tmp_path / "pairs.html", session.header, events)
    lanes = {lang: ring_lanes(name, given, lang) for lang in ("en", "zh")}
    queue = REGISTERED[name].queue
    assert queue is not None
    in_pair_1 = queue.entry_in_pair("", 1, "en")
    shown = firefox.open(path)
    named = 0
    for at, step in enumerate(terminal_steps(events)):
        assert (shown["step"], shown["ovRing"]) == (step.number, lanes["en"][at])
        if lanes["en"][at].startswith(in_pair_1) and named < 3:
            named += 1
            firefox.do("click", selector="#lang")
            assert firefox.shown()["ovRing"] == lanes["zh"][at]
            firefox.do("click", selector="#lang")
        shown = firefox.press("PageDown")
    assert named == 3
    assert_kept_to_itself(firefox)
