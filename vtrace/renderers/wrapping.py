"""Breaking a line of text for a terminal of a given width, the way a reader expects.

English breaks at spaces; Chinese may break between any two characters, but
never before a closing mark (，。：）…); and neither ever breaks inside an
identifier, a path or a number (``virtqueue_add_split``,
``drivers/net/virtio_net.c:1886``, ``avail.idx=1``). Only a word wider than
the whole line is cut, since nothing else would fit it. Widths are terminal
cells: a Chinese character takes two.
"""

from __future__ import annotations

import re

from rich.cells import cell_len

__all__ = ["wrap"]

#: A run of non-space characters outside the wide scripts, kept whole; one wide character; a
#: run of spaces.
_TOKEN = re.compile(r"[^\s\u2e80-\u9fff\u3000-\u303f\uff00-\uffef]+|\s+|.")
#: Marks that may not start a line: they stay with what comes before them.
_CLOSING = set("，。、；：！？）」』】》…·,.;:!?)")


def _pieces(text: str) -> list[str]:
    """The unbreakable pieces of ``text``, spaces as pieces of their own."""
    pieces: list[str] = []
    for token in _TOKEN.findall(text):
        if pieces and token[0] in _CLOSING and not pieces[-1].isspace():
            pieces[-1] += token
        else:
            pieces.append(token)
    return pieces


def wrap(text: str, width: int, indent: str = "") -> list[str]:
    """``text`` in lines of at most ``width`` cells, the second and later after ``indent``."""
    if cell_len(text) <= width:
        return [text]
    lines: list[str] = []
    line = ""
    for piece in _pieces(text):
        room = width if not lines else width - cell_len(indent)
        if piece.isspace():
            if not lines and not line:  # the first line's own indent
                line = piece
            elif line and cell_len(line + piece) < room:
                line += piece
            elif line:
                lines.append(line.rstrip())
                line = ""
            continue
        if line and cell_len(line + piece) > room:
            lines.append(line.rstrip())
            line = ""
        while cell_len(piece) > (width if not lines else width - cell_len(indent)) and not line:
            room = width if not lines else width - cell_len(indent)
            cut = _fit(piece, room)
            lines.append(piece[:cut])
            piece = piece[cut:]
        line += piece
    if line.strip():
        lines.append(line.rstrip())
    return [lines[0]] + [indent + line for line in lines[1:]]


def _fit(piece: str, room: int) -> int:
    """How many characters of ``piece`` fit in ``room`` cells (at least one)."""
    used = 0
    for at, char in enumerate(piece):
        used += cell_len(char)
        if used > room:
            return max(1, at)
    return len(piece)
