"""A drawing surface of pinned shapes that becomes DOT source through the ``graphviz`` package.

Diagrams here are laid out by vtrace, not by Graphviz: every node gets a
pinned position (``pos="x,y!"`` with ``inputscale=72``, so in points) and
the graph asks for ``layout=neato`` with overlap removal off and straight
edges. Graphviz then only draws, so lifelines keep their order and rows
their height, whichever program renders it. Coordinates here grow to the
right and downwards, like text; the canvas flips y for Graphviz.

Shapes are drawn in layers (background, middle, front) because Graphviz
paints nodes in the order they are declared; lines (edges) come last, on
top. Text width is estimated per character, not measured: close for the
monospace face the sequence diagram asks for, looser for the overview's
sans-serif one; Chinese characters count double.

The ``graphviz`` package is imported when a canvas makes its source, so
importing this module stays cheap.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from vtrace.renderers.escape import clean, dot_text

__all__ = ["MONO", "SANS", "Canvas", "text_width", "wrap"]

#: Faces asked for, best first; the last is a generic family every viewer has.
MONO = "DejaVu Sans Mono, Menlo, Consolas, Noto Sans Mono CJK SC, monospace"
SANS = "Helvetica, Arial, Noto Sans CJK SC, Microsoft YaHei, sans-serif"

_NARROW_EM = 0.62  # DejaVu Sans Mono advances 0.602 em; a little spare
_WIDE_EM = 1.05
_BRACKETED = 24  # characters an interval may span before a space breaks it anyway

BACK, MIDDLE, FRONT = 0, 1, 2


def _em(char: str) -> float:
    return _WIDE_EM if unicodedata.east_asian_width(char) in "WF" else _NARROW_EM


def text_width(text: str, size: float) -> float:
    """Estimated width in points of the widest line of ``text`` at ``size`` points."""
    return max(sum(_em(char) for char in line) for line in text.split("\n")) * size


def wrap(text: str, width: float, size: float) -> list[str]:
    """Lines of ``text`` no wider than ``width`` points, broken at spaces or between wide
    characters (a word longer than a line is cut); a paragraph never ends on a line of one
    character when the piece before it fits beside it."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        rows: list[list[str]] = [[]]  # the pieces of each line, spaces kept
        row_width = 0.0
        for word in _words(paragraph):
            word_width = text_width(word, size)
            if rows[-1] and row_width + word_width > width:
                rows.append([])
                row_width = 0.0
                word_width = text_width(word.lstrip(), size) if word.strip() else 0.0
            while word_width > width and len(word.strip()) > 1:
                word = word.lstrip()
                cut = _fit(word, width, size)
                rows[-1].append(word[:cut])
                rows.append([])
                word = word[cut:]
                word_width = text_width(word, size)
            rows[-1].append(word)
            row_width += word_width
        _no_widow(rows, width, size)
        lines += ["".join(row).rstrip() if index == 0 else "".join(row).strip()
                  for index, row in enumerate(rows)]
    return lines


def _no_widow(rows: list[list[str]], width: float, size: float) -> None:
    """A last row of one character takes the previous row's last piece along, when both fit."""
    if len(rows) < 2 or len("".join(rows[-1]).strip()) != 1:
        return
    before = rows[-2]
    at = max((index for index, piece in enumerate(before) if piece.strip()), default=0)
    if not "".join(before[:at]).strip():
        return  # the row before would be left empty
    last = [*before[at:], *rows[-1]]
    if text_width("".join(last).strip(), size) <= width:
        rows[-2], rows[-1] = before[:at], last


def _words(paragraph: str) -> list[str]:
    """Pieces that stay together: a space with the word after it, or one wide character.

    A space inside brackets does not start a piece, so an interval (``[0, 1)``) is never
    broken across lines; a bracket left open lets go after ``_BRACKETED`` characters.
    """
    words: list[str] = []
    depth = 0
    for char in paragraph:
        wide = _em(char) == _WIDE_EM
        loose = char == " " and (not depth or len(words[-1]) > _BRACKETED)
        if not words or wide or loose or _em(words[-1][-1]) == _WIDE_EM:
            words.append(char)
        else:
            words[-1] += char
        if char in "[(":
            depth += 1
        elif char in ")]" and depth:
            depth -= 1
    return words


def _fit(word: str, width: float, size: float) -> int:
    used = 0.0
    for index, char in enumerate(word):
        used += _em(char) * size
        if used > width:
            return max(1, index)
    return len(word)


@dataclass
class Canvas:
    """Pinned nodes and straight edges, collected in drawing order."""

    name: str
    font: str = SANS
    font_size: float = 10.0
    comment: str = ""
    _layers: tuple[list[tuple[str, dict[str, str]]], ...] = field(
        default_factory=lambda: ([], [], []))
    _edges: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    _count: int = 0

    def _node(self, layer: int, x: float, y: float, attrs: dict[str, str]) -> str:
        self._count += 1
        name = f"n{self._count}"
        attrs["pos"] = f"{x:.1f},{-y:.1f}!"
        self._layers[layer].append((name, attrs))
        return name

    def box(self, x: float, y: float, width: float, height: float, *, label: str = "",
            layer: int = BACK, shape: str = "box", **attrs: str) -> str:
        """A box of ``width`` by ``height`` points centred on (x, y)."""
        return self._node(layer, x, y, {
            "shape": shape, "width": _inches(width), "height": _inches(height),
            "fixedsize": "true", "label": dot_text(label), **attrs})

    def text(self, x: float, y: float, text: str, *, size: float | None = None,
             left: bool = False, layer: int = FRONT, **attrs: str) -> str:
        """Text centred on (x, y), or starting at x when ``left``."""
        size = size or self.font_size
        common = {"shape": "plaintext", "margin": "0", "fontsize": f"{size:g}"}
        if not left:
            return self._node(layer, x, y, {**common, "width": "0", "height": "0",
                                            "label": dot_text(text), **attrs})
        width = text_width(text, size)
        lines = text.count("\n") + 1
        return self._node(layer, x + width / 2, y, {
            **common, "width": _inches(width), "height": _inches(lines * size * 1.2),
            "fixedsize": "true", "label": dot_text(text, left=True), **attrs})

    def point(self, x: float, y: float) -> str:
        return self._node(MIDDLE, x, y, {"shape": "point", "width": "0", "height": "0",
                                         "style": "invis", "label": ""})

    def line(self, start: tuple[float, float], end: tuple[float, float], *,
             arrow: bool = True, **attrs: str) -> None:
        """A straight line, with an arrowhead at ``end`` unless ``arrow`` is false."""
        self.connect(self.point(*start), self.point(*end), arrow=arrow, **attrs)

    def connect(self, tail: str, head: str, *, arrow: bool = True, **attrs: str) -> None:
        """A straight line between two nodes, clipped at their borders."""
        if not arrow:
            attrs["arrowhead"] = "none"
        if "tooltip" in attrs:
            attrs["tooltip"] = dot_text(attrs["tooltip"])
        self._edges.append((tail, head, attrs))

    def source(self) -> str:
        """The DOT source of everything drawn so far."""
        import graphviz

        graph = graphviz.Digraph(self.name, comment=_one_line(self.comment) or None)
        graph.attr("graph", layout="neato", inputscale="72", overlap="true", splines="false",
                   outputorder="nodesfirst", bgcolor="white", pad="0.25", fontname=self.font)
        graph.attr("node", fontname=self.font, fontsize=f"{self.font_size:g}")
        graph.attr("edge", arrowsize="0.7")
        for layer in self._layers:
            for name, attrs in layer:
                graph.node(name, **_no_html(attrs))
        for tail, head, attrs in self._edges:
            graph.edge(tail, head, **_no_html(attrs))
        return str(graph.source)


def _inches(points: float) -> str:
    return f"{max(points, 0.0) / 72:.3f}"


def _one_line(text: str) -> str:
    return " ".join(clean(text).split())


def _no_html(attrs: dict[str, str]) -> dict[str, str]:
    """Attributes with escaped text marked so the graphviz package never reads ``<...>``
    as an HTML label."""
    import graphviz

    return {key: graphviz.nohtml(value) if key in ("label", "tooltip") else value
            for key, value in attrs.items()}
