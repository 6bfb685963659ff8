"""Turning DOT source into SVG, PNG or PDF with a Graphviz program.

Two programs can do it: the system ``dot`` (Graphviz itself), used when it
is on PATH, and ``graphviz-pure`` (PyPI ``graphviz-pure``, a Rust port of
Graphviz that vtrace depends on), found on PATH or beside the running
Python, as in a virtual environment that is not activated. Both read the
layout engine from the source (``layout=neato``), so the same DOT gives the
same picture. Which formats each one writes is known up front, so a
missing one is a clear error before any work, not a failed run.

A Chinese picture needs a font with Chinese glyphs, or every label is a row
of boxes; ``fc-list`` tells whether fontconfig has one, and the error names
the Debian package that brings one (``fonts-noto-cjk``).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from vtrace.renderers.base import Renderer, RenderError

__all__ = ["CHOICES", "CJK_FONT_PACKAGE", "IMAGE_FORMATS", "GraphvizRenderer", "Program",
           "check_cjk_font", "cjk_fonts", "find_program", "render_source"]

#: What ``--renderer`` accepts.
CHOICES = ("auto", "dot", "graphviz-pure")
#: Formats a Graphviz program draws; ``dot`` (the source itself) needs no program.
IMAGE_FORMATS = ("svg", "png", "pdf")

#: The Debian/Ubuntu package whose fonts the diagrams ask for in Chinese (Noto Sans CJK SC).
CJK_FONT_PACKAGE = "fonts-noto-cjk"

_FORMATS = {"dot": ("svg", "png", "pdf"), "graphviz-pure": ("svg", "png")}
_INSTALL_DOT = ("install Graphviz so that 'dot' is on PATH "
                "(Debian/Ubuntu: apt install graphviz; macOS: brew install graphviz)")


@dataclass(frozen=True, slots=True)
class Program:
    """A Graphviz program vtrace can run: its name and where it is."""

    name: str
    path: str

    def check_format(self, output_format: str) -> None:
        if output_format not in _FORMATS[self.name]:
            raise RenderError(
                f"{self.name} cannot write {output_format.upper()}; {_INSTALL_DOT}, "
                f"or write one of: {', '.join(_FORMATS[self.name])}")


def _graphviz_pure() -> str | None:
    found = shutil.which("graphviz-pure")
    if found:
        return found
    beside = Path(sys.executable).parent / "graphviz-pure"
    return str(beside) if beside.is_file() else None


def find_program(choice: str = "auto") -> Program:
    """The program ``choice`` names (``auto``: ``dot`` if on PATH, else graphviz-pure)."""
    if choice not in CHOICES:
        raise RenderError(f"no renderer named {choice!r}; use one of: {', '.join(CHOICES)}")
    if choice in ("auto", "dot"):
        dot = shutil.which("dot")
        if dot:
            return Program("dot", dot)
        if choice == "dot":
            raise RenderError(f"'dot' is not on PATH; {_INSTALL_DOT}, "
                              "or use --renderer graphviz-pure")
    pure = _graphviz_pure()
    if pure:
        return Program("graphviz-pure", pure)
    raise RenderError("no Graphviz program found: pip install graphviz-pure, or " + _INSTALL_DOT)


def cjk_fonts() -> list[str] | None:
    """The font families fontconfig has for Chinese, or None when ``fc-list`` cannot say."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    try:
        done = subprocess.run([fc_list, ":lang=zh", "family"], capture_output=True, check=False,
                              timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    return [line for line in done.stdout.decode("utf-8", "replace").splitlines() if line.strip()]


def check_cjk_font() -> None:
    """A RenderError naming the font package when fontconfig knows no Chinese font."""
    if cjk_fonts() == []:
        raise RenderError(f"no Chinese font is installed (fc-list :lang=zh lists none), so the "
                          f"labels would be boxes; install one (Debian/Ubuntu: apt install "
                          f"{CJK_FONT_PACKAGE}), or draw with --lang en")


def render_source(source: str, output_format: str, program: Program) -> bytes:
    """Run ``program`` on ``source`` and return the picture's bytes."""
    program.check_format(output_format)
    try:
        done = subprocess.run([program.path, f"-T{output_format}"], input=source.encode("utf-8"),
                              capture_output=True, check=False)
    except OSError as error:
        raise RenderError(f"cannot run {program.path}: {error.strerror or error}") from None
    if done.returncode != 0 or not done.stdout:
        # Font-metric warnings are noise; the last line says what failed.
        lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
        reason = lines[-1] if lines else f"exit status {done.returncode}"
        raise RenderError(f"{program.name} failed: {reason}")
    return done.stdout


class GraphvizRenderer(Renderer):
    """Base of the renderers that make DOT source: write it as is, or have a program draw it.

    The program is looked up when the renderer is made, so a missing one,
    or a format it lacks, fails before any event is read.
    """

    binary = True

    def __init__(self, *, output_format: str = "svg", renderer: str = "auto",
                 lang: str = "en") -> None:
        if output_format not in (*IMAGE_FORMATS, "dot"):
            raise RenderError(f"{self.name} cannot be written as {output_format!r}; "
                              f"use one of: {', '.join((*IMAGE_FORMATS, 'dot'))}")
        self.output_format, self.lang = output_format, lang
        self.program = find_program(renderer) if output_format != "dot" else None
        if self.program is not None:
            self.program.check_format(output_format)
            if lang == "zh":
                check_cjk_font()

    def draw(self, source: str) -> bytes:
        """``source`` itself, or the picture drawn from it, as bytes."""
        if self.program is None:
            return source.encode("utf-8")
        return render_source(source, self.output_format, self.program)

    def write(self, source: str, out: IO[Any]) -> None:
        """Write ``source``, or the picture drawn from it, to the binary stream ``out``."""
        out.write(self.draw(source))
