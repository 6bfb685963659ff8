"""Text for people in the live view: Chinese breaks between characters and never inside an
identifier, English at spaces, and the counters' values are never dim on a projector."""

from __future__ import annotations

import io
import re

import pytest
from rich.cells import cell_len
from rich.console import Console, RenderableType

from vtrace.model import Event, Kind
from vtrace.renderers.describe import why
from vtrace.renderers.live import LiveState
from vtrace.renderers.live_panels import counters, lanes, step_panel
from vtrace.renderers.wrapping import wrap
from vtrace.session import replayed
from vtrace.stepping import Position

#: The identifiers, paths and numbers of a sentence: nothing may break inside them.
_UNBROKEN = re.compile(r"[A-Za-z0-9_]+(?:(?:->|[./:_\-])[A-Za-z0-9_]+)*")
_CLOSING = "，。、；：！？）」』】》…·,.;:!?)"
#: What may not be parted: a run outside the wide scripts, or one wide character, with the
#: closing marks after it.
_PIECE = re.compile(rf"(?:[^\s\u2e80-\u9fff\u3000-\u303f\uff00-\uffef]+|.)[{_CLOSING}]*")


def _calls(name: str) -> list[Event]:
    given = {} if name == "setup" else {"frames": 1}
    return [event for event in replayed(name, given, "modern", 1).source
            if event.kind is Kind.CALL]


def _panel_lines(event: Event, lang: str, width: int) -> list[str]:
    console = Console(width=width, color_system=None, file=io.StringIO(), record=True)
    console.print(step_panel(event, "step", "", lang, (width, 100)))
    return [line[2:-2].rstrip() for line in console.export_text().splitlines()[1:-1]]


@pytest.mark.parametrize("name", ["send", "recv", "setup"])
@pytest.mark.parametrize("width", [76, 96])
def test_chinese_breaks_between_characters_and_never_inside_an_identifier(name: str,
                                                                          width: int) -> None:
    for event in _calls(name):
        said = why(event, "zh")
        lines = _panel_lines(event, "zh", width)
        wrapped = wrap(said, width - 4)
        assert all(line in lines for line in wrapped), (lines, wrapped)
        for line, following in zip(wrapped, wrapped[1:], strict=False):
            # a line ends only where the next piece would not fit
            piece = _PIECE.match(following)
            assert piece is not None
            gap = 1 if f"{line} {piece[0]}" in said else 0
            assert cell_len(line) + gap + cell_len(piece[0]) > width - 4, (line, following)
        for identifier in _UNBROKEN.findall(said):
            assert identifier in "\n".join(wrapped).replace(" \n", "\n"), identifier
            assert any(identifier in line for line in wrapped) or len(identifier) > width - 4


def test_a_long_chinese_sentence_fills_its_lines() -> None:
    """virtqueue_pop's sentence at 80 columns: the first line is full, not cut at the first
    identifier that would not fit."""
    pop = next(event for event in _calls("send") if event.function == "virtqueue_pop")
    lines = _panel_lines(pop, "zh", 80)
    assert cell_len(lines[1]) >= 76 - 8, lines


def _styles_of_numbers(renderable: RenderableType, width: int) -> list[str]:
    console = Console(width=width, color_system="standard", force_terminal=True,
                      file=io.StringIO())
    return [str(segment.style) for line in console.render_lines(renderable, console.options)
            for segment in line if re.search(r"\d", segment.text)]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_counters_and_frame_numbers_are_never_dim(lang: str) -> None:
    styles = _styles_of_numbers(counters([("kicks", 12), ("VM exits", 3)], 76, None, lang), 76)
    assert styles and not any("dim" in style for style in styles)
    session = replayed("send", {"frames": 2}, "modern", 1)
    state = LiveState(session, lang)
    for event in session.source:
        state.update(event)
        if event.kind is Kind.CALL and event.frame == 1:
            break
    drawn = lanes(state.last_in_layer, state.current, "", (31, 2), False, lang)
    numbers = _styles_of_numbers(drawn, 76)
    assert numbers and not any("dim" in style for style in numbers)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_key_legend_takes_the_steps_place_and_the_screen_still_fits(lang: str) -> None:
    session = replayed("send", {"frames": 2}, "modern", 1)
    state = LiveState(session, lang)
    last = None
    for count, event in enumerate(session.source):
        if count == 41:
            break
        state.update(event)
        last = event if event.kind is Kind.CALL else last
    assert last is not None
    console = Console(width=80, height=24, color_system=None, force_terminal=True,
                      record=True, file=io.StringIO())
    state.position = Position(39, last, legend=True)
    console.print(state)
    screen = console.export_text()
    assert len(screen.splitlines()) <= 24
    assert "PageDown" in screen
    assert ("k、x、i、s" if lang == "zh" else "k, x, i, s") in screen
    assert last.function not in screen.split("PageDown")[1]  # the step gave way to the keys
