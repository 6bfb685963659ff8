"""``vtrace diagram``: formats, recorded files, renderers, and what a bad command gets."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest
from diagram_fixtures import RECORDED

from vtrace.cli import diagram, main
from vtrace.session import Session


def run(*args: str) -> int:
    with pytest.raises(SystemExit) as done:
        main(["diagram", *args])
    code = done.value.code
    return code if isinstance(code, int) else 1


@pytest.fixture
def no_dot(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A PATH without Graphviz's dot (graphviz-pure is still found beside Python)."""
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


def test_the_default_is_one_frame_as_svg(tmp_path: Path) -> None:
    out = tmp_path / "send.svg"
    assert run(str(out)) == 0
    root = ElementTree.parse(out).getroot()
    assert root.tag.endswith("svg")
    assert "frame 0" in out.read_text(encoding="utf-8")
    assert not list(tmp_path.glob(".send.svg.*"))  # no temporary file left behind


@pytest.mark.usefixtures("no_dot")
def test_without_dot_on_path_graphviz_pure_draws(tmp_path: Path) -> None:
    out = tmp_path / "send.svg"
    assert run(str(out), "--overview") == 0
    assert "graphviz-pure" in out.read_text(encoding="utf-8")


@pytest.mark.usefixtures("no_dot")
def test_asking_for_dot_without_it_says_what_to_install(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "send.svg"
    assert run(str(out), "--renderer", "dot") == 1
    error = capsys.readouterr().err
    assert "apt install graphviz" in error and len(error.strip().splitlines()) == 1
    assert not out.exists()


@pytest.mark.usefixtures("no_dot")
def test_pdf_needs_dot_and_the_error_says_so(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "send.pdf"
    assert run(str(out)) == 1
    assert "cannot write PDF" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize(("name", "check"), [
    ("send.dot", lambda data: data.startswith(b"// vtrace send")),
    ("send.png", lambda data: data.startswith(b"\x89PNG")),
    ("send.mmd", lambda data: b"sequenceDiagram" in data),
    ("send.json", lambda data: "traceEvents" in json.loads(data)),
])
def test_the_extension_picks_the_format(tmp_path: Path, name: str, check: object) -> None:
    out = tmp_path / name
    assert run(str(out)) == 0
    assert check(out.read_bytes())  # type: ignore[operator]


def test_format_overrides_the_extension_and_dash_is_stdout(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert run("-", "--format", "mmd", "--detail", "summary") == 0
    assert capsys.readouterr().out.startswith("%% vtrace send")


def test_a_recorded_file_is_drawn_as_it_was_made(tmp_path: Path) -> None:
    out = tmp_path / "run.svg"
    assert run("--from", str(RECORDED), str(out)) == 0
    text = out.read_text(encoding="utf-8")
    assert "3 frames of 128 bytes" in text and "× 2" in text


def test_one_kick_serves_a_batch(tmp_path: Path) -> None:
    events, out = tmp_path / "run.jsonl", tmp_path / "run.mmd"
    with pytest.raises(SystemExit) as sent:
        main(["send", "--frames", "5", "--batch", "5", "--events", str(events),
              "--view", "quiet"])
    assert sent.value.code == 0
    assert run("--from", str(events), str(out)) == 0
    text = out.read_text(encoding="utf-8")
    assert text.count("VM exit") == 1 and text.count("virtqueue_pop") == 5


@pytest.mark.parametrize("args", [
    ("--from", str(RECORDED), "--frames", "3", "x.svg"),
    ("--overview", "x.json"),
    ("--detail", "summary", "x.json"),
    ("x.gif",),
    ("-",),
])
def test_usage_errors_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                             capsys: pytest.CaptureFixture[str], args: tuple[str, ...]) -> None:
    monkeypatch.chdir(tmp_path)
    assert run(*args) == 2
    assert not [path for path in tmp_path.iterdir()]
    error = capsys.readouterr().err
    assert len(error.strip().splitlines()) == 1 and error.startswith("vtrace diagram: error:")


@pytest.mark.parametrize("where", ["missing/send.svg", "file.txt/send.svg", "."])
def test_an_output_path_that_cannot_be_written_is_one_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        where: str) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "file.txt").write_text("x")
    assert run(where) == 2
    error = capsys.readouterr().err
    assert len(error.strip().splitlines()) == 1 and error.startswith("vtrace diagram: error:")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["file.txt"]


def test_a_broken_file_leaves_no_partial_output(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken.jsonl"
    lines = RECORDED.read_text(encoding="utf-8").splitlines()
    broken.write_text("\n".join([*lines[:40], '{"v": 1, "seq": "oops"}', *lines[40:]]) + "\n")
    out = tmp_path / "out.svg"
    assert run("--from", str(broken), str(out)) == 2
    assert "line 41" in capsys.readouterr().err
    assert sorted(path.name for path in tmp_path.iterdir()) == ["broken.jsonl"]


def test_bytes_that_are_not_utf8_still_draw(tmp_path: Path) -> None:
    damaged = tmp_path / "damaged.jsonl"
    function = b'"function":"start_xmit"'
    damaged.write_bytes(RECORDED.read_bytes().replace(function, function[:-5] + b'\xffxmit"', 1))
    out = tmp_path / "out.mmd"
    assert run("--from", str(damaged), str(out)) == 0
    assert "start_\N{REPLACEMENT CHARACTER}xmit" in out.read_text(encoding="utf-8")


def test_chinese_pictures(tmp_path: Path) -> None:
    out = tmp_path / "send.svg"
    assert run(str(out), "--lang", "zh", "--overview") == 0
    assert "发送路径" in out.read_text(encoding="utf-8")




def test_a_txt_file_gets_the_plain_view(tmp_path: Path) -> None:
    out = tmp_path / "send.txt"
    assert run(str(out)) == 0
    text = out.read_text()
    assert "start_xmit" in text and "\x1b[" not in text


def test_a_format_that_disagrees_with_the_extension_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(str(tmp_path / "a.svg"), "--format", "png") == 2
    assert "disagrees with the extension" in capsys.readouterr().err
    assert not (tmp_path / "a.svg").exists()
    assert run(str(tmp_path / "a.svg"), "--format", "svg") == 0


def test_the_output_may_not_be_the_recording_it_reads(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    recording = tmp_path / "run.jsonl"
    recording.write_text(RECORDED.read_text())
    assert run(str(recording), "--from", str(recording)) == 2
    assert "is the recording --from reads" in capsys.readouterr().err
    assert recording.read_text() == RECORDED.read_text()


def test_any_scenario_can_be_drawn(tmp_path: Path) -> None:
    out = tmp_path / "setup.mmd"
    assert run(str(out), "--scenario", "setup") == 0
    assert "tun_chr_open" in out.read_text()


def test_an_option_of_another_scenario_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(str(tmp_path / "s.mmd"), "--scenario", "setup", "--batch", "4") == 2
    assert "--batch is not a parameter of the setup scenario" in capsys.readouterr().err


def test_an_option_a_renderer_does_not_take_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(str(tmp_path / "t.json"), "--detail", "summary") == 2
    assert "--detail does not apply to" in capsys.readouterr().err


def record(tmp_path: Path, *args: str) -> Path:
    events = tmp_path / "r.jsonl"
    with pytest.raises(SystemExit) as done:
        main([*args, "--events", str(events), "--view", "quiet"])
    assert done.value.code in (0, None)
    return events


def shown_text(svg: Path) -> str:
    root = ElementTree.parse(svg).getroot()
    return "\n".join("".join(node.itertext()) for node in root.iter()
                     if node.tag.endswith("}text"))


def test_a_recording_of_many_batches_folds_its_identical_rounds(tmp_path: Path) -> None:
    # In the lesson era every batch of 7 takes the same steps: one round, a loop, the rest.
    events = record(tmp_path, "send", "-n", "200", "-b", "7", "--era", "lesson")
    out = tmp_path / "r.svg"
    assert run("--from", str(events), str(out)) == 0
    shown = shown_text(out)
    assert "frames 0–6" in shown and "frames 196–199" in shown  # the last, short batch
    assert "the same steps each time" in shown and "not drawn" not in shown


def test_rounds_that_differ_end_the_picture_between_rounds_and_say_what_is_left(
        tmp_path: Path) -> None:
    # With NAPI TX (6.1), when each interrupt lands among a batch's sends varies from round
    # to round: some rounds repeat one drawn above, the others are left out, and said so.
    events = record(tmp_path, "send", "-n", "200", "-b", "7")
    out = tmp_path / "r.mmd"
    assert run("--from", str(events), str(out)) == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    notes = [line.split(": ", 1)[1] for line in lines if line.startswith("    Note over app,")]
    assert notes[0] == "frames 0–6"
    left = notes[-1]
    assert left.startswith("frames ") and "–199 not drawn: " in left, left
    assert "the same as one drawn above" in left


def test_a_recording_too_long_to_draw_ends_between_rounds_and_says_what_is_left(
        tmp_path: Path) -> None:
    events = record(tmp_path, "recv", "-n", "200", "-b", "7")
    out = tmp_path / "r.mmd"
    assert run("--from", str(events), str(out)) == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    notes = [line.split(": ", 1)[1] for line in lines if line.startswith("    Note over app,")]
    assert notes[:2] == ["before the first frame", "frames 0–6"]
    left = notes[-1]
    assert left.startswith("frames 7–199 not drawn: ") and " in 28 rounds, " in left, left
    # the round drawn is whole: its last frame reaches the app before the note
    assert lines[-3] == "    app->>stack: __sys_recvfrom  #35;6" and lines[-1].endswith(left)


def test_a_large_chrome_trace_names_the_html_player(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """Past ``LARGE_TRACE`` bytes the trace says its size on stderr and names the HTML
    player, which holds the same run far smaller."""
    trace, player = tmp_path / "x.json", tmp_path / "x.html"
    assert run("-n", "50", str(trace)) == 0
    assert capsys.readouterr().err == ""
    monkeypatch.setattr(diagram, "LARGE_TRACE", trace.stat().st_size - 1)
    assert run("-n", "50", str(trace)) == 0
    size = f"{trace.stat().st_size / 1e6:,.0f} MB"
    assert capsys.readouterr().err == (
        f"vtrace diagram: {trace} is {size}, slow to open in Perfetto or Chrome; the HTML "
        f"player holds the same steps far smaller: write {player} instead\n")
    assert run("-n", "50", str(player)) == 0
    # Per frame, past the player's fixed code and styles: 50 frames more, in both.
    sizes = {path: path.stat().st_size for path in (trace, player)}
    assert run("-n", "100", str(trace)) == 0 and run("-n", "100", str(player)) == 0
    capsys.readouterr()
    grown = {path: path.stat().st_size - size for path, size in sizes.items()}
    assert grown[player] * 5 < grown[trace]


@pytest.mark.parametrize("lang,player", [("en", "the HTML player, .html,"),
                                         ("zh", "HTML 播放器 .html")])
def test_a_cut_or_ended_diagram_names_the_html_player(lang: str, player: str) -> None:
    from vtrace import scenarios
    from vtrace.renderers.sequence import sequence_source

    header, events = scenarios.replay("send", {"frames": 64, "batch": 64}, "modern", 1)
    cut = sequence_source(Session(header, list(events)), lang=lang, max_steps=100)
    header, events = scenarios.replay("send", {"frames": 300, "interval_ns": 0}, "modern", 1)
    ended = sequence_source(Session(header, list(events)), lang=lang, max_steps=300)
    for source in (cut, ended):
        assert player in source.replace("\\l", "") and ".json" in source
