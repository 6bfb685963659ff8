"""``vtrace steps --map``: a scenario's path on one screen, a row per layer.

The opening map of a lesson: every function a replay of one frame calls, in the
order it first runs, under the layer it runs in, from the guest's user space
down to the host kernel, with the guest | host boundary drawn. It fits the
screen it is given (80×24 by default): names are never cut, a line breaks only
between two names, and a layer with more names than its share of lines ends in
"+N more" (``vtrace steps`` lists them all).
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.cells import cell_len

from vtrace.i18n import say
from vtrace.model import Event, Kind, Layer
from vtrace.renderers.diagram_text import layer_title, word
from vtrace.renderers.summary import pad

__all__ = ["map_lines"]

_ARROW = " → "
#: The last layer on the guest's side of the boundary.
_GUEST_SIDE = (Layer.GUEST_USER, Layer.GUEST_KERNEL, Layer.VRING)


def map_lines(events: Iterable[Event], title: str, lang: str = "en", width: int = 80,
              height: int = 24) -> list[str]:
    """The map of the calls in ``events`` under ``title``, at most ``height`` lines of
    ``width`` cells."""
    names: dict[Layer, list[str]] = {layer: [] for layer in Layer}
    for event in events:
        place = event.place
        if event.kind is Kind.CALL and place.function not in names[place.layer]:
            names[place.layer].append(place.function)
    layers = [layer for layer in Layer if names[layer]]
    labels = {layer: layer_title(layer, lang) for layer in layers}
    label_width = max((cell_len(label) for label in labels.values()), default=0) + 2
    room = max(20, width - label_width - 1)
    head = [title, ""]
    boundary = any(layer in _GUEST_SIDE for layer in layers) and \
        any(layer not in _GUEST_SIDE for layer in layers)
    foot = ["", say("steps.map_hint", lang)]
    budget = height - len(head) - len(foot) - (1 if boundary else 0)
    wrapped = {layer: _wrap(names[layer], room) for layer in layers}
    _fit(wrapped, names, room, budget, lang)
    lines = list(head)
    for layer in layers:
        if boundary and layer is next(each for each in layers if each not in _GUEST_SIDE):
            lines.append(_boundary(width, lang))
        for number, text in enumerate(wrapped[layer]):
            label = labels[layer] if number == 0 else ""
            lines.append((pad(label, label_width) + text).rstrip())
    return lines + foot


def _boundary(width: int, lang: str) -> str:
    said = f" {word('boundary', lang)} "
    side = max(2, (width - cell_len(said)) // 2)
    return "╌" * side + said + "╌" * side


def _wrap(functions: list[str], room: int) -> list[str]:
    """``a → b → c`` broken between names so that no line is wider than ``room``."""
    lines: list[str] = []
    line = ""
    for name in functions:
        piece = name if not line else _ARROW + name
        if line and cell_len(line + piece + _ARROW.rstrip()) > room:  # room for the arrow
            lines.append(line + _ARROW.rstrip())
            line = name
        else:
            line += piece
    return lines + ([line] if line else [])


def _fit(wrapped: dict[Layer, list[str]], names: dict[Layer, list[str]], room: int,
         budget: int, lang: str) -> None:
    """Shorten the longest layers, a line at a time, until every layer fits ``budget``."""
    while sum(len(lines) for lines in wrapped.values()) > budget:
        layer = max(wrapped, key=lambda each: len(wrapped[each]))
        keep = len(wrapped[layer]) - 1
        if keep < 1:
            return
        shown = list(names[layer])
        while len(_wrap(shown, room)) > keep or (len(shown) < len(names[layer]) and cell_len(
                _wrap(shown, room)[-1] + _ARROW + _more(len(names[layer]) - len(shown), lang))
                > room):
            shown.pop()
        wrapped[layer] = _wrap(shown, room)
        wrapped[layer][-1] += _ARROW + _more(len(names[layer]) - len(shown), lang)


def _more(count: int, lang: str) -> str:
    return say("steps.map_more", lang, count=count)
