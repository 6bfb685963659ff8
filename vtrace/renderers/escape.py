"""Making any text safe to put in a diagram: DOT strings (and the SVG drawn from them), Mermaid.

Event files may come from anywhere, so every function name, note or title
passes through here before it reaches an output format. ``clean`` first
replaces what no output can carry (control characters, lone surrogates,
the non-characters XML forbids); each format then escapes its own
specials. JSON output needs no helper: ``json`` escapes strings itself
once they are clean.
"""

from __future__ import annotations

import re

__all__ = ["REPLACEMENT", "clean", "dot_text", "mermaid_box_title", "mermaid_text"]

REPLACEMENT = "\N{REPLACEMENT CHARACTER}"

# Everything XML 1.0 cannot hold, and C1 controls, which no picture should show.
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_NEWLINES = re.compile("\r\n|\r|\n")


def clean(text: str) -> str:
    """``text`` with tabs as spaces, line ends as ``\\n`` and unsafe characters replaced."""
    return _UNSAFE.sub(REPLACEMENT, _NEWLINES.sub("\n", text).replace("\t", " "))


def dot_text(text: str, *, left: bool = False) -> str:
    """The inside of a double-quoted DOT string that graphviz shows exactly as ``text``.

    Backslashes are doubled so ``\\N`` or ``\\l`` stay literal, quotes are
    escaped, ``&`` becomes ``&amp;`` because graphviz reads entities in
    every label (and copies them into SVG), and line breaks become ``\\n``
    or, with ``left``, the left-justifying ``\\l`` (which also ends the
    last line). Callers wrap the result in ``graphviz.nohtml`` so a label
    that looks like ``<...>`` is never taken for an HTML label.
    """
    escaped = (clean(text).replace("\\", "\\\\").replace('"', '\\"').replace("&", "&amp;"))
    if left:
        return escaped.replace("\n", "\\l") + "\\l"
    return escaped.replace("\n", "\\n")


# Mermaid ends a message at ``#`` or ``;``; ``<`` and ``&`` would be read as HTML.
_MERMAID_SPECIAL = re.compile('[#;&<>"%]')


def mermaid_text(text: str) -> str:
    """One line of Mermaid text: specials as ``#code;`` entities, line breaks as ``<br/>``.

    Mermaid reads ``#35;``-style codes in messages, notes, labels and
    participant aliases, so nothing in ``text`` can end a statement (``;``),
    start a comment (``%%``), open HTML (``<``) or leave the line. Writers
    put a space after the ``:`` that introduces text, so text starting with
    ``wrap:`` is not taken for Mermaid's wrap switch.
    """
    escaped = _MERMAID_SPECIAL.sub(lambda match: f"#{ord(match.group())};", clean(text))
    return escaped.replace("\n", "<br/>")


def mermaid_box_title(text: str) -> str:
    """``mermaid_text`` for the title of a ``box``, with parentheses as codes too: Mermaid
    takes everything up to the last ``)`` of ``box rgb(...) title`` for the colour."""
    return mermaid_text(text).replace("(", "#40;").replace(")", "#41;")
