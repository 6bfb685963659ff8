"""``vtrace compare``: the title of its table and of its picture, in both languages."""

from __future__ import annotations

import re

from vtrace.cli.compare import dot_source, table_lines
from vtrace.scenarios.costs import measure_backends


def test_the_picture_titles_in_one_run_of_text() -> None:
    """Split in two, an SVG viewer would drop the space between them ("era(total")."""
    rows = measure_backends(3, "modern", 1, 1)
    assert re.search(r"<b>3 frames, modern era \(total / per frame\)</b></td>", dot_source(
        rows, "en"))
    assert table_lines(rows, "en")[0] == "3 frames, modern era (total / per frame)"


def test_the_table_speaks_chinese_and_separates_thousands() -> None:
    rows = measure_backends(1200, "modern", 1, 400)
    lines = table_lines(rows, "zh")
    assert lines[0] == "1,200 帧，modern 时代（总数 / 每帧）"
    assert "SR-IOV / VFIO（没有回放）" in lines and not any("not replayed" in line
                                                          for line in lines)
