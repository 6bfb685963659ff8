"""The presenter's pictures: one frame readable on a 1080p projector, long diagrams in pages."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from vtrace.cli import main
from vtrace.cli.diagram import page_path
from vtrace.renderers.rows import Arrow, Loop, Note, Separator
from vtrace.renderers.sequence_look import MIN_ROWS, pages, weight

SCREEN = (1920, 1080)
SVG = "{http://www.w3.org/2000/svg}"


def run(*args: str) -> int:
    with pytest.raises(SystemExit) as done:
        main(["diagram", *args])
    code = done.value.code
    return code if isinstance(code, int) else 1


def fitted_sizes(svg: Path) -> list[tuple[float, str]]:
    """(pixel height of the font, text) for every text when the picture is fitted to SCREEN."""
    root = ElementTree.fromstring(svg.read_bytes())
    _, _, width, height = (float(value) for value in root.attrib["viewBox"].split())
    graph = root.find(f"{SVG}g")
    assert graph is not None and "scale(1 1)" in graph.attrib["transform"]
    fit = min(SCREEN[0] / width, SCREEN[1] / height)
    return [(float(text.attrib["font-size"]) * fit, text.text or "")
            for text in root.iter(f"{SVG}text")]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_one_frame_in_summary_is_readable_on_a_1080p_projector(tmp_path: Path,
                                                               lang: str) -> None:
    out = tmp_path / "talk.svg"
    assert run("--detail", "summary", "--lang", lang, str(out)) == 0
    sizes = fitted_sizes(out)
    assert sizes and min(size for size, _ in sizes) >= 18, sorted(sizes)[:3]


def test_the_full_diagram_of_one_frame_is_not(tmp_path: Path) -> None:
    """What the presenter's form is for: every step of a frame is far too small fitted."""
    out = tmp_path / "send.svg"
    assert run(str(out)) == 0
    assert max(size for size, _ in fitted_sizes(out)) < 12



def test_pages_are_numbered_files_whose_arrows_count_on(tmp_path: Path) -> None:
    out = tmp_path / "talk.svg"
    assert run("-n", "3", "--pages", "3", "--detail", "summary", str(out)) == 0
    assert not out.exists()
    files = [tmp_path / f"talk-{number}.svg" for number in (1, 2, 3)]
    assert all(path.exists() for path in files) and not (tmp_path / "talk-4.svg").exists()
    arrows: list[int] = []
    for number, path in enumerate(files, 1):
        texts = [text for _, text in fitted_sizes(path)]
        assert any(text.endswith(f"page {number} of 3") for text in texts)
        root = ElementTree.fromstring(path.read_bytes())
        labels = [text.text or "" for text in root.iter(f"{SVG}text")
                  if text.attrib.get("text-anchor") == "middle"]  # arrows; notes start left
        arrows += sorted(int(label.split(" ", 1)[0]) for label in labels
                         if re.fullmatch(r"\d+ [A-Za-z_].*", label))
    assert arrows == list(range(1, len(arrows) + 1))  # one count across the pages


def test_pages_of_at_most_so_many_rows(tmp_path: Path) -> None:
    out = tmp_path / "long.dot"
    assert run("--detail", "summary", "--no-event-idx", "--max-steps-per-page", "8",
               str(out)) == 0
    sources = sorted(tmp_path.glob("long-*.dot"))
    assert len(sources) >= 2
    assert "(continued)" in sources[1].read_text(encoding="utf-8")


def test_pages_need_a_file_and_a_sequence_diagram(tmp_path: Path) -> None:
    assert run("--pages", "2", "--format", "svg", "-") == 2
    assert run("--pages", "2", "--overview", str(tmp_path / "o.svg")) == 2
    assert run("--pages", "2", str(tmp_path / "m.mmd")) == 2
    assert run("--pages", "0", str(tmp_path / "s.svg")) == 2
    assert page_path("dir/talk.svg", 2) == "dir/talk-2.svg"


def arrow(label: str) -> Arrow:
    from diagram_fixtures import recorded

    _, events = recorded()
    return Arrow(next(iter(events)), label)


def test_a_page_never_splits_a_loop_nor_ends_on_a_rounds_title() -> None:
    row = arrow("x")
    drawn: list[Arrow | Note | Separator | Loop] = [
        Separator("frame 0"), row, row, row, Separator("frame 1"),
        Loop("× 5", 5, (row, Note("virtio_net", "n"), row)), Separator("frame 7"), row, row]
    cut = pages(drawn, per_page=4)
    for page in cut:
        assert not isinstance(page[-1], Separator)
        assert sum(weight(item) for item in page) <= 5 or any(isinstance(item, Loop)
                                                               for item in page)
    assert [item for page in cut for item in page
            if not (isinstance(item, Separator) and "continued" in item.title)] == drawn
    assert sum(isinstance(item, Loop) for page in cut for item in page) == 1


def test_more_pages_than_the_rows_fill_make_pages_of_at_least_min_rows(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "one.dot"
    assert run("-n", "1", "--pages", "999", str(out)) == 0
    written = sorted(tmp_path.glob("one-*.dot"))
    assert 2 <= len(written) <= 10
    assert f"{len(written)} pages of at least {MIN_ROWS} rows hold this diagram (--pages 999 " \
           "asked for more)" in capsys.readouterr().err


def test_pages_asked_for_that_are_all_filled_say_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("-n", "1", "--pages", "2", str(tmp_path / "two.dot")) == 0
    assert len(list(tmp_path.glob("two-*.dot"))) == 2 and capsys.readouterr().err == ""
