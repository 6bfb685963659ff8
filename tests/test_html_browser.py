"""The HTML player in a real browser: Debian's Chromium, headless, driven by Playwright.

The page is opened from disk. Every request it makes is recorded, and any
request other than the file itself is refused and fails the test. Keys,
buttons and the permalink are checked against the stream the file was made
from: the step, the highlighted arrow, the ring values, the counters.
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import importable, program
from diagram_fixtures import hostile_events, hostile_header, recorded
from player_steps import ring_lanes, step_of, terminal_steps

from vtrace.catalog import CATALOG
from vtrace.model import ACTORS, Event, Header, Source
from vtrace.renderers.diagram_text import diagram_title
from vtrace.renderers.html import HtmlRenderer
from vtrace.renderers.ring_contents import RingContents
from vtrace.renderers.ring_figure import StepChanges, ring_figure
from vtrace.scenarios import REGISTERED as SCENARIOS
from vtrace.scenarios.send import SEND
from vtrace.session import Session, replayed
from vtrace.tally import Tally

playwright_api = importable("playwright.sync_api", "needs playwright: pip install -e '.[test]'")
CHROMIUM = "/usr/bin/chromium"
pytestmark = program(CHROMIUM, "chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]


def write(path: Path, header: Header, events: list[Event]) -> Path:
    with path.open("w", encoding="utf-8") as out:
        HtmlRenderer().render(Session(header, events), out)
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("html")
    header, events = recorded()
    nasty = ('</script><script>window.pwned = 1</script>'
             '<img src=x onerror="window.pwned = 2">')
    hostile = [dataclasses.replace(event, place=dataclasses.replace(event.place, function=nasty),
                                   detail={"why": nasty})
               for event in hostile_events()]
    captured = [dataclasses.replace(event, source=Source.HOST_UPROBE, t_ns=event.t_ns * 3)
                for event in events]
    return {"header": header, "events": events, "nasty": nasty, "steps": terminal_steps(events),
            "run": write(folder / "run.html", header, events),
            "hostile": write(folder / "hostile.html", hostile_header(), hostile),
            "captured": write(folder / "captured.html", header, captured)}


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    profile = tmp_path_factory.mktemp("profile")
    with playwright_api.sync_playwright() as driver:
        context = driver.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, args=ARGS, headless=True,
            viewport={"width": 1280, "height": 720})
        yield context
        context.close()


class Opened:
    """A page open on one file, with every request it made."""

    def __init__(self, browser: Any, path: Path, fragment: str = "") -> None:
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page = browser.new_page()
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.route("**/*", self._route)
        self.url = path.as_uri()
        self.page.goto(self.url + fragment)
        self.page.wait_for_selector("body[data-ready='1']")

    def _route(self, route: Any) -> None:
        self.requests.append(route.request.url)
        if route.request.url.split("#")[0].split("?")[0] == self.url:
            route.continue_()
        else:
            route.abort()

    def step(self) -> int:
        return int(self.page.get_attribute("body", "data-step"))

    def ring(self) -> dict[str, str]:
        cells = self.page.query_selector_all("#ring .field")
        return {cell.get_attribute("data-field"): cell.query_selector(".value").inner_text()
                for cell in cells}

    def changed(self) -> set[str]:
        return {cell.get_attribute("data-field")
                for cell in self.page.query_selector_all("#ring .field.changed")}

    def current_row(self) -> int:
        return int(self.page.get_attribute(".row.current", "data-step"))

    def close(self) -> None:
        assert self.errors == []
        assert [url for url in self.requests
                if url.split("#")[0].split("?")[0] != self.url] == []
        self.page.close()


@pytest.fixture
def opened(browser: Any, files: dict[str, Any]) -> Iterator[Opened]:
    page = Opened(browser, files["run"])
    yield page
    page.close()


def expected_ring(events: list[Event], upto: int, queue_size: int) -> dict[str, str]:
    """The ring panel's values once the first ``upto`` events have happened."""
    tally = Tally(SEND.calls, SEND.notes)
    for event in events[:upto]:
        tally.add(event)
    ring = {name: 0 for name in ("avail.idx", "used.idx", "avail_event", "used_event",
                                 "avail.flags", "used.flags", "avail_idx_shadow", "num_added",
                                 "last_used_idx", "last_avail_idx", "inuse", "signalled_used")}
    ring.update({"num_free": queue_size, "notification": 1}, **tally.ring)
    return {name: str(value) for name, value in ring.items()}


def test_keys_step_through_the_stream_and_back(opened: Opened, files: dict[str, Any]) -> None:
    events: list[Event] = files["events"]
    steps = files["steps"]
    size = files["header"].params["queue_size"]
    assert opened.step() == 1 and opened.current_row() == 1
    add = step_of(steps, next(e.seq for e in events if e.step == "virtqueue_add_split"))
    for _ in range(add.number - 1):
        opened.page.keyboard.press("ArrowRight")
    assert opened.step() == add.number and opened.current_row() == add.number
    assert opened.page.inner_text("#step h3") == "virtqueue_add_split"
    assert opened.ring() == expected_ring(events, add.end, size)
    first = steps[add.number - 2].end
    assert opened.changed() == {name for event in events[first:add.end]
                                for name in event.detail.get("ring", {})}
    assert opened.ring()["avail.idx"] == "1"
    assert opened.page.query_selector("#descriptors tr.changed") is not None
    before = opened.ring()
    opened.page.keyboard.press("ArrowRight")
    opened.page.keyboard.press("PageDown")
    opened.page.keyboard.press("ArrowLeft")
    opened.page.keyboard.press("PageUp")
    assert opened.step() == add.number and opened.ring() == before
    opened.page.keyboard.press("End")
    assert opened.step() == len(steps)
    assert opened.ring() == expected_ring(events, len(events), size)
    tally = Tally(SEND.calls, SEND.notes)
    for event in events:
        tally.add(event)
    counters = {cell.get_attribute("data-counter"): cell.inner_text()
                for cell in opened.page.query_selector_all("#counters dd")}
    assert counters["kicks"].strip("● ") == str(tally["kicks"])
    assert counters["vm_exits"].strip("● ") == str(tally["vm_exits"])
    assert counters["frames"].strip("● ").startswith(f"{tally.frames} / ")
    opened.page.keyboard.press("Home")
    assert opened.step() == 1


def test_every_step_is_the_terminals_step_of_that_number(opened: Opened,
                                                          files: dict[str, Any]) -> None:
    """A teacher's notes fit both surfaces: step N is the same call in the terminal and here,
    and one clicker press (PageDown) moves one step."""
    for step in files["steps"]:
        assert (opened.step(), opened.page.inner_text("#step h3")) == \
            (step.number, step.call.function)
        opened.page.keyboard.press("PageDown")
    assert opened.step() == len(files["steps"])


def test_frames_rounds_and_the_scrubber(opened: Opened, files: dict[str, Any]) -> None:
    events: list[Event] = files["events"]
    steps = files["steps"]
    starts = [step_of(steps, next(e.seq for e in events if e.frame == frame)).number
              for frame in (1, 2)]
    opened.page.keyboard.press("f")
    assert opened.step() == starts[0]
    opened.page.keyboard.press("f")
    assert opened.step() == starts[1]
    opened.page.keyboard.press("Shift+F")
    assert opened.step() == starts[0]
    opened.page.keyboard.press("Shift+R")
    assert opened.step() == 1
    opened.page.keyboard.press("r")
    assert opened.step() == starts[0]
    assert "2" in opened.page.inner_text("#pageinfo")
    opened.page.click("#next-frame")
    assert opened.step() == starts[1]
    opened.page.click("#prev-step")
    assert opened.step() == starts[1] - 1
    opened.page.fill("#jump-to", "7")
    opened.page.press("#jump-to", "Enter")
    assert opened.step() == 7
    opened.page.press("#jump-to", "ArrowRight")  # keys typed into an input are the input's
    assert opened.step() == 7
    box = opened.page.query_selector("#marks").bounding_box()
    opened.page.mouse.click(box["x"] + box["width"] - 2, box["y"] + 5)
    assert opened.step() == len(steps)
    marks = opened.page.inner_text("#marks-legend")
    assert "(3)" in marks  # three kicks, three exits, three interrupts


def test_keys_go_by_meaning(opened: Opened, files: dict[str, Any]) -> None:
    events: list[Event] = files["events"]
    steps = files["steps"]
    tally = Tally(SEND.calls, SEND.notes)

    def numbers(counter: str) -> list[int]:
        return sorted({step_of(steps, event.seq).number for event in events
                       if dict(tally.moves(event.step, event.kind, event.detail)).get(counter)})

    for key, counter in (("k", "kicks"), ("x", "vm_exits"), ("i", "interrupts")):
        opened.page.keyboard.press("Home")
        seen = []
        for _ in numbers(counter):
            opened.page.keyboard.press(key)
            seen.append(opened.step())
        assert seen == numbers(counter), key
        opened.page.keyboard.press(f"Shift+{key.upper()}")
        assert opened.step() == numbers(counter)[-2], key
    opened.page.keyboard.press("Home")
    opened.page.keyboard.press("/")
    opened.page.keyboard.type("tun_get_user")
    opened.page.keyboard.press("Enter")
    wanted = [step.number for step in steps if step.call.function == "tun_get_user"]
    assert opened.step() == wanted[0] and opened.page.inner_text("#step h3") == "tun_get_user"
    opened.page.click("#find button[type=submit]")
    assert opened.step() == wanted[1]
    opened.page.fill("#find-text", "no_such_function")
    opened.page.press("#find-text", "Enter")
    assert opened.step() == wanted[1] and opened.page.inner_text("#find-none")
    opened.page.keyboard.press("Escape")
    opened.page.keyboard.press("g")
    opened.page.keyboard.type("12")
    opened.page.keyboard.press("Enter")
    assert opened.step() == 12


def test_the_ring_figure_follows_the_stream(opened: Opened, files: dict[str, Any]) -> None:
    events: list[Event] = files["events"]
    ring: dict[str, int] = {}
    for step in files["steps"]:
        for event in events[:step.end]:
            ring.update(event.detail.get("ring", {}))
        texts = opened.page.evaluate(
            "[...document.querySelectorAll('#figure text')].map(node => node.textContent)")
        for name in ("used_event", "avail_event"):
            assert f"{name} {ring.get(name, 0)}" in texts, (step.number, name)
        assert [text for text in texts if text.startswith("idx ")] == \
            [f"idx {ring.get('avail.idx', 0)}", f"idx {ring.get('used.idx', 0)}"], step.number
        opened.page.keyboard.press("ArrowRight")
    add = step_of(files["steps"], next(e.seq for e in events if e.step == "virtqueue_add_split"))
    opened.page.fill("#jump-to", str(add.number))
    opened.page.press("#jump-to", "Enter")
    assert opened.page.query_selector("#figure .fig-arrow") is not None
    assert opened.page.query_selector("#figure .fig-cell.changed") is not None
    opened.page.keyboard.press("Escape")  # leave the jump box
    opened.page.keyboard.press("v")
    assert not opened.page.is_visible("#figure svg")
    opened.page.keyboard.press("v")
    assert opened.page.is_visible("#figure svg")


def test_play_pause_and_speed_while_playing(opened: Opened) -> None:
    opened.page.keyboard.press("Enter")
    assert opened.page.get_attribute("#play", "aria-pressed") == "true"
    opened.page.fill("#speed", "7")
    opened.page.dispatch_event("#speed", "input")
    assert opened.page.inner_text("#speed-value") == "8×"
    for _ in range(100):  # the page's policy forbids eval, so poll from here
        if opened.step() >= 4:
            break
        opened.page.wait_for_timeout(50)
    assert opened.step() >= 4
    opened.page.focus("#seq")  # Enter on the slider would be the slider's
    opened.page.keyboard.press("Enter")
    assert opened.page.get_attribute("#play", "aria-pressed") == "false"
    stopped = opened.step()
    opened.page.wait_for_timeout(300)
    assert opened.step() == stopped


def test_permalink_opens_at_its_step(browser: Any, files: dict[str, Any]) -> None:
    page = Opened(browser, files["run"], "#step=40")
    try:
        assert page.step() == 40 and page.current_row() == 40
        assert page.page.get_attribute("#permalink", "href") == "#step=40"
        page.page.keyboard.press("ArrowRight")
        assert page.page.evaluate("location.hash") == "#step=41"
    finally:
        page.close()


def test_chinese_toggle_changes_the_texts(opened: Opened, files: dict[str, Any]) -> None:
    events: list[Event] = files["events"]
    kick = step_of(files["steps"],
                   next(e.seq for e in events if e.step == "virtqueue_kick_prepare"))
    opened.page.fill("#jump-to", str(kick.number))
    opened.page.press("#jump-to", "Enter")
    english = opened.page.inner_text("#step")
    assert CATALOG["virtqueue_kick_prepare"].text["en"] in english
    opened.page.click("#lang")
    chinese = opened.page.inner_text("#step")
    assert CATALOG["virtqueue_kick_prepare"].text["zh"] in chinese
    assert "通知：avail_event 0 落在 [0, 1) 中" in chinese
    assert opened.page.get_attribute("html", "lang") == "zh"
    assert opened.page.inner_text("#diagram-title") == "时序图"
    title = diagram_title(Session(files["header"], ()), "zh")
    assert opened.page.inner_text("#run-title") == title and title.startswith("3 帧")
    assert opened.page.title().endswith(title)
    opened.page.click("#lang")
    assert opened.page.inner_text("#step") == english
    assert opened.page.inner_text("#run-title") == diagram_title(Session(files["header"], ()), "en")


def test_only_the_lifelines_the_stream_uses_are_drawn(opened: Opened) -> None:
    heads = opened.page.get_attribute("#heads", "aria-label") or ""
    assert heads.split(", ") == [actor for actor in ACTORS if actor != "vhost"]


def test_legend_theme_and_accessible_controls(opened: Opened) -> None:
    opened.page.keyboard.press("?")
    assert opened.page.is_visible("#legend")
    assert "PageDown" in opened.page.inner_text("#legend")
    opened.page.keyboard.press("Escape")
    assert not opened.page.is_visible("#legend")
    opened.page.click("#theme")
    theme = opened.page.get_attribute("html", "data-theme")
    opened.page.click("#theme")
    assert {theme, opened.page.get_attribute("html", "data-theme")} == {"dark", "light"}
    for button in opened.page.query_selector_all("button"):
        assert (button.get_attribute("aria-label") or button.inner_text()).strip()
    opened.page.focus("#next-step")
    opened.page.keyboard.press("Enter")
    assert opened.step() == 2


def test_hostile_labels_do_not_execute(browser: Any, files: dict[str, Any]) -> None:
    page = Opened(browser, files["hostile"])
    try:
        page.page.keyboard.press("ArrowRight")
        assert page.page.evaluate("window.pwned") is None
        assert page.page.query_selector("#step img, #rows img, #step script") is None
        assert files["nasty"] in page.page.inner_text("#step h3")
    finally:
        page.close()


def test_captured_stream_shows_measured_time_and_source(browser: Any,
                                                        files: dict[str, Any]) -> None:
    page = Opened(browser, files["captured"])
    try:
        page.page.keyboard.press("ArrowRight")
        text = page.page.inner_text("#step")
        assert "host-uprobe" in text and "measured" in text
    finally:
        page.close()


@pytest.mark.parametrize("width,height", [(1280, 720), (1920, 1080)])
def test_presentation_mode_shows_the_whole_path_and_the_note(
        browser: Any, files: dict[str, Any], tmp_path: Path, width: int, height: int) -> None:
    """At 1280x720 (also what 1920x1080 zoomed to 150% lays out: the same CSS pixels) and at
    1920x1080, the lifelines from the guest's application to the host stack are in view
    without scrolling, with the current step's note in full and counters whole."""
    events: list[Event] = files["events"]
    page = Opened(browser, files["run"], "?present")
    try:
        page.page.set_viewport_size({"width": width, "height": height})
        assert "present" in (page.page.get_attribute("body", "class") or "")
        kick = step_of(files["steps"],
                       next(e.seq for e in events if e.step == "virtqueue_kick_prepare"))
        page.page.fill("#jump-to", str(kick.number))
        page.page.press("#jump-to", "Enter")
        page.page.focus("#seq")
        page.page.keyboard.press("PageDown")
        page.page.keyboard.press("PageUp")
        assert page.step() == kick.number
        page.page.screenshot(path=str(tmp_path / f"present-{width}.png"))
        seq = page.page.query_selector("#seq")
        assert seq.evaluate("node => node.scrollWidth <= node.clientWidth")
        heads = (page.page.get_attribute("#heads", "aria-label") or "").split(", ")
        assert heads[0] == "app" and heads[-1] == "host-stack"
        box = seq.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width and box["height"] > 200
        decision = page.page.query_selector("#step .decision")
        note = decision.bounding_box()
        assert note["y"] >= 0 and note["y"] + note["height"] <= height
        assert decision.evaluate("node => node.scrollWidth <= node.clientWidth")
        for cell in page.page.query_selector_all("#counters dd"):
            assert cell.evaluate("node => node.getClientRects().length") == 1
        size = float(page.page.evaluate(
            "getComputedStyle(document.querySelector('#step p')).fontSize").rstrip("px"))
        assert size >= 18
        page.page.keyboard.press("p")
        assert "present" not in (page.page.get_attribute("body", "class") or "")
    finally:
        page.close()


@pytest.mark.parametrize("width,height", [(1280, 720), (1920, 1080)])
def test_screens_show_the_diagram_and_panels(browser: Any, files: dict[str, Any],
                                             tmp_path: Path, width: int, height: int) -> None:
    page = Opened(browser, files["run"], "#step=18")
    try:
        page.page.set_viewport_size({"width": width, "height": height})
        page.page.screenshot(path=str(tmp_path / f"player-{width}.png"))
        for selector in ("#seq", "#overview", "#step", "#ring-panel", "#counter-panel", "#scrub",
                         "#marks", ".row.current", ".controls"):
            box = page.page.query_selector(selector).bounding_box()
            assert box and box["width"] > 50 and box["height"] > 10, selector
            assert box["x"] >= 0 and box["x"] + 20 < width and 0 <= box["y"] < height - 20, \
                selector
        row = page.page.query_selector(".row.current").bounding_box()
        seq = page.page.query_selector("#seq").bounding_box()
        assert seq["y"] <= row["y"] and row["y"] + row["height"] <= seq["y"] + seq["height"]
    finally:
        page.close()


def test_html_renders_a_whole_stream_once() -> None:
    header, events = recorded()
    consumed: list[int] = []

    def stream() -> Iterator[Event]:
        for event in events:
            consumed.append(event.seq)
            yield event

    HtmlRenderer().render(Session(header, stream()), io.StringIO())
    assert consumed == [event.seq for event in events]


def test_the_receive_player_names_its_ring_and_its_buffers(browser: Any,
                                                          tmp_path: Path) -> None:
    session = replayed("recv", {"frames": 2, "backend": "vhost-net"}, "modern", 1)
    events = list(session.source)
    path = write(tmp_path / "recv.html", session.header, events)
    take = next(event.seq for event in events if event.step == "vhost_get_vq_desc")
    page = Opened(browser, path, f"#step={take + 1}")
    try:
        assert page.page.text_content("#ring-title") == "RX virtqueue"
        ring = page.page.inner_text("#ring")
        assert "=-1" not in ring and "TX virtqueue" not in ring
        assert "taken by the vhost worker" in ring and "taken by QEMU" not in ring
        assert "255 more posted: the stream names a buffer when the device takes it" in ring
        assert page.page.get_attribute("#ring-title", "title") == (
            "the guest's driver posts empty buffers; the device fills them with arriving "
            "frames. An entry in use: a buffer posted for a frame to come, or filled but not "
            "yet received.")
    finally:
        page.close()


def test_the_set_up_player_shows_the_objects_made_so_far(browser: Any,
                                                        tmp_path: Path) -> None:
    """Both sides of the boundary, empty at the first step, every object at the last; the
    step that makes one says what it made; the panel speaks the page's language."""
    session = replayed("setup", {}, "modern", 1)
    path = write(tmp_path / "setup.html", session.header, list(session.source))
    first = Opened(browser, path, "#step=1")
    panel = first.page.inner_text("#objects-panel")
    assert "host kernel" in panel and "guest kernel" in panel and "tun_file" not in panel
    first.close()
    steps = terminal_steps(list(replayed("setup", {}, "modern", 1).source))
    last = Opened(browser, path, f"#step={len(steps)}")
    panel = last.page.inner_text("#objects-panel")
    assert all(name in panel for name in ("tun_file", "VirtIONet", "ioeventfd ctrl",
                                          "vring rx0"))
    made = next(number for number, step in enumerate(steps, 1)
                if step.call.step == "virtio_queue_set_rings")
    last.page.evaluate(f"location.hash = '#step={made}'")
    last.page.wait_for_selector(f"body[data-step='{made}']")
    assert "both sides share the ring" in last.page.inner_text("#objects .made")
    last.page.click("#lang")
    assert "客户机内核" in last.page.inner_text("#objects-panel")
    last.close()


def test_repeated_rows_fold_and_unfold_without_renumbering(browser: Any,
                                                           tmp_path: Path) -> None:
    """The stalled receive's refill: one pass, then a row with the count; a step inside the
    fold lights that row and keeps the terminal's number; z (or the button) draws every
    row, and again folds them."""
    events = list(replayed("recv", {"rx_buffers": 0}, "modern", 1).source)
    path = write(tmp_path / "stall.html", replayed("recv", {"rx_buffers": 0}, "modern", 1)
                 .header, events)
    steps = terminal_steps(events)
    inside = next(step.number for step in steps
                  if step.call.step == "add_recvbuf_mergeable") + 10
    page = Opened(browser, path, f"#step={inside}")
    folds = page.page.query_selector_all("#rows .row.fold")
    assert folds and "ran" in (folds[0].text_content() or "")
    assert page.page.query_selector("#rows .row.fold.current") is not None
    page.page.keyboard.press("PageDown")
    assert page.step() == inside + 1
    page.page.keyboard.press("z")
    assert page.page.query_selector_all("#rows .row.fold") == [] and page.step() == inside + 1
    assert page.current_row() == inside + 1
    page.page.click("#fold")
    assert page.page.query_selector_all("#rows .row.fold")


#: The words the player gives a packed slot's state (html_words' fig.s.*), in English.
_SLOT_STATES = {"avail": "available", "device": "with the device", "used": "used",
                "freed": "reclaimed"}


def _packed_expected(session: Session, upto: int) -> list[str]:
    """The packed figure's texts after ``upto`` events, as the terminal's and the SVG's
    description has them: each slot row's cells and the indices pointing at it, then each
    side's values and its event area."""
    contents = RingContents(session.header, session.scenario)
    panel = session.scenario.ring
    assert panel is not None
    changes = StepChanges(panel.actions)
    for event in list(session.events())[:upto]:
        contents.update(event)
        changes.update(event)
    figure = ring_figure(contents, changes, window=5)
    ring, *sides = figure.areas
    expected = []
    for row in ring.rows:
        label = row.label + ("*" if row.changed else "")
        expected += [label, *row.cells[:-1], _SLOT_STATES[row.state]] if row.cells \
            else [label, "", "", "", "", "", "", ""]
        expected += [f"← {', '.join(row.pointers)}"] if row.pointers else []
    for side in sides:
        expected.append(side.name)
        expected += [f"{value.name} {value.text}{'*' if value.changed else ''}"
                     for value in side.above]
        expected.append(side.below[0].name.split(".")[0])
        expected += [f"{value.name.split('.')[-1]} {value.text}"
                     f"{'*' if value.changed else ''}" for value in side.below]
    return expected


@pytest.mark.parametrize(("name", "given"), [
    ("send", {"frames": 40, "batch": 4, "ring": "packed", "queue_size": 32}),
    ("recv", {"frames": 40, "ring": "packed", "queue_size": 32}),
])
def test_the_packed_ring_figure_follows_the_stream(browser: Any, tmp_path: Path, name: str,
                                                   given: dict[str, Any]) -> None:
    """A packed run that wraps a queue of 32 (a send, and a receive whose buffers are
    posted in bulk), its first steps and across the wrap: the player's figure draws the
    slots, the indices and the event areas the terminal's and the SVG's description has."""
    session = replayed(name, given, "modern", 1)
    events = list(session.events())
    path = write(tmp_path / "packed.html", session.header, events)
    steps = terminal_steps(events)
    page = Opened(browser, path)
    wrapped = next(step.number for step in steps if step.number > 1
                   and {"avail_wrap_counter", "vq.used_wrap_counter"}
                   & set(step.call.detail.get("ring", {})))
    checked = [*range(1, 200), *range(wrapped - 20, wrapped + 200)]
    for number in checked:
        if number != page.step() + 1:
            page.page.fill("#jump-to", str(number))
            page.page.press("#jump-to", "Enter")
            page.page.keyboard.press("Escape")
        else:
            page.page.keyboard.press("ArrowRight")
        assert page.step() == number
        texts = page.page.evaluate(
            "[...document.querySelectorAll('#figure text')].map(node => node.textContent)")
        drawn = texts[9:]  # after the title and the column heads
        drawn[drawn.index("driver (Linux)")] = "driver"
        drawn[drawn.index("device (QEMU)")] = "device"
        assert drawn == _packed_expected(replayed(name, given, "modern", 1),
                                         steps[number - 1].end), number
    assert not page.page.query_selector("#figure .fig-arrow")  # no avail or used ring
    assert "A=" in page.page.inner_text("#ring")
    page.close()


@pytest.mark.parametrize(("name", "given"), [
    ("send", {"frames": 3}), ("recv", {"frames": 3}), ("send", {"frames": 3, "ring": "packed"}),
])
def test_the_vring_row_shows_the_frame_in_the_ring_as_the_terminal_does(
        browser: Any, tmp_path: Path, name: str, given: dict[str, Any]) -> None:
    """At every step the overview's ring row names the entry the live view's ring lane
    names (``avail.ring[3]``, ``used.ring[0]``, ``desc[N]``) and its frame, or nothing."""
    session = replayed(name, given, "modern", 1)
    events = list(session.events())
    page = Opened(browser, write(tmp_path / "ring.html", session.header, events))
    shown = set()
    for step, expected in zip(terminal_steps(events), ring_lanes(name, given, "en"),
                              strict=True):
        assert page.step() == step.number
        assert page.page.text_content("#ov-ring") == expected, step.number
        shown.add(expected.split("[")[0])
        page.page.keyboard.press("PageDown")
    assert shown >= ({"", "desc"} if "ring" in given else
                     {"", "avail.ring" if name == "send" else "used.ring"})
    page.close()


@pytest.mark.parametrize("name", ["send", "recv"])
def test_the_vring_row_names_the_queue_pair_as_the_terminal_does(
        browser: Any, tmp_path: Path, name: str) -> None:
    """With two queue pairs, at every step the overview's ring row is the live view's ring
    lane: a frame waiting in pair 1's ring shows there, the pair named in the scenario's
    words, in English and, where pair 1 is named, in Chinese too."""
    given = {"frames": 4, "queues": 2, "flows": 4}
    events = list(replayed(name, given, "modern", 1).events())
    page = Opened(browser, write(tmp_path / "pairs.html", replayed(name, given, "modern",
                                                                   1).header, events))
    lanes = {lang: ring_lanes(name, given, lang) for lang in ("en", "zh")}
    queue = SCENARIOS[name].queue
    assert queue is not None
    in_pair_1 = [queue.entry_in_pair("", 1, lang) for lang in ("en", "zh")]
    named = 0
    for at, step in enumerate(terminal_steps(events)):
        assert page.step() == step.number
        assert page.page.text_content("#ov-ring") == lanes["en"][at], step.number
        if lanes["en"][at].startswith(in_pair_1[0]) and named < 3:
            named += 1
            page.page.click("#lang")
            assert page.page.text_content("#ov-ring") == lanes["zh"][at], step.number
            assert lanes["zh"][at].startswith(in_pair_1[1])
            page.page.click("#lang")
        page.page.keyboard.press("PageDown")
    assert named == 3
    page.close()


def test_identical_rounds_fold_into_one_without_renumbering(browser: Any,
                                                            tmp_path: Path) -> None:
    """Steady frames: the first round is drawn, then one row names the rounds that took the
    same steps; each PageDown is one step with the terminal's number and call, a step of a
    folded round lights that row; z draws the round itself, and again folds."""
    session = replayed("send", {"frames": 20}, "modern", 1)
    events = list(session.events())
    steps = terminal_steps(events)
    page = Opened(browser, write(tmp_path / "rounds.html", session.header, events))
    folded_at = []
    for step in steps:
        assert (page.step(), page.page.inner_text("#step h3")) == \
            (step.number, step.call.function)
        rounds = page.page.query_selector("#rows .row.fold.rounds")
        if rounds is not None and "current" in (rounds.get_attribute("class") or ""):
            folded_at.append(step.number)
        page.page.keyboard.press("PageDown")
    assert page.step() == len(steps)
    assert len(folded_at) > len(steps) // 2
    inside = folded_at[len(folded_at) // 2]
    page.page.fill("#jump-to", str(inside))
    page.page.press("#jump-to", "Enter")
    page.page.keyboard.press("Escape")
    words = page.page.text_content("#rows .row.fold.rounds") or ""
    assert words.startswith("↻ rounds 3–20 took the same steps")  # round 2 is drawn
    page.page.click("#lang")
    assert "轮走了相同的步骤" in (page.page.text_content("#rows .row.fold.rounds") or "")
    page.page.click("#lang")
    page.page.keyboard.press("z")
    assert page.page.query_selector("#rows .row.fold.rounds") is None
    assert page.step() == inside and page.current_row() == inside
    page.page.keyboard.press("PageDown")
    assert page.step() == inside + 1
    page.page.keyboard.press("z")
    assert page.page.query_selector("#rows .row.fold.rounds.current") is not None
    page.page.screenshot(path=str(tmp_path / "rounds.png"))
    page.close()


def test_a_multiqueue_player_shows_each_pair_s_ring_and_counts(browser: Any,
                                                              tmp_path: Path) -> None:
    session = replayed("send", {"frames": 8, "queues": 2, "flows": 4}, "modern", 1)
    events = list(session.source)
    path = write(tmp_path / "mq.html", session.header, events)
    steps = terminal_steps(events)
    adds = [step for step in steps if step.call.step == "virtqueue_add_split"]
    assert {step.call.detail["queue"] for step in adds} == {0, 1}
    for step in adds[:4]:
        rings: dict[int, RingContents] = {}
        tally = Tally(SEND.calls, SEND.notes)
        for event in events[:step.end]:
            queue = event.detail.get("queue")
            queue = queue if type(queue) is int else 0
            rings.setdefault(queue, RingContents(session.header, session.scenario)).update(event)
            tally.add(event)
        page = Opened(browser, path, f"#step={step.number}")
        try:
            own = step.call.detail["queue"]
            for shown in (own, 1 - own):
                assert page.page.text_content("#ring-queue") == \
                    f"queue pair {shown} of 2 (u: the next)"
                assert page.ring()["avail.idx"] == str(rings[shown].values["avail.idx"])
                assert bool(page.changed()) is (shown == own)
                assert bool(page.page.query_selector_all("#figure .changed")) is (shown == own)
                page.page.keyboard.press("u")
            assert page.page.text_content("#ring-queue").startswith(f"queue pair {own} ")
            kicks = page.page.text_content("#counters dd[data-counter='kicks']")
            each = " | ".join(str(tally.per_queue.get(queue, {}).get("kicks", 0))
                              for queue in (0, 1))
            assert kicks.rstrip().endswith(f"{tally['kicks']} ({each})")
            assert "per queue pair: 0 | 1" in page.page.text_content("#per-queue")
            page.page.keyboard.press("?")
            assert "the next queue pair's ring" in page.page.inner_text("#legend-keys")
            page.page.keyboard.press("?")
        finally:
            page.close()
