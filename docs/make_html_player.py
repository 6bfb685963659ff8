"""Take the screenshot of the HTML player the README shows: ``docs/html-player.png``.

Run from the repository root: ``.venv/bin/python docs/make_html_player.py``. It writes the
player of five frames sent in one batch, opens it in Debian's Chromium
(headless, driven by Playwright, as the tests do) at the step where the batch's
one kick is decided, and saves the window at 1280x720.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from vtrace.renderers.html import HtmlRenderer
from vtrace.session import replayed

DOCS = Path(__file__).resolve().parent
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]


def main() -> None:
    session = replayed("send", {"frames": 5, "batch": 5}, "modern", 1)
    events = list(session.events())
    kick = next(event.seq for event in events
                if event.step == "virtqueue_kick_prepare" and event.detail.get("kick"))
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as driver:
        page_file = Path(folder) / "run.html"
        with page_file.open("w", encoding="utf-8") as out:
            HtmlRenderer(lang="en", dark=False).render(session.fed(events), out)
        context = driver.chromium.launch_persistent_context(
            str(Path(folder) / "profile"), executable_path="/usr/bin/chromium", args=ARGS,
            headless=True, viewport={"width": 1280, "height": 720})
        page = context.new_page()
        page.goto(f"{page_file.as_uri()}#step={kick + 1}")
        page.wait_for_selector("body[data-ready='1']")
        page.screenshot(path=str(DOCS / "html-player.png"))
        context.close()


if __name__ == "__main__":
    main()
