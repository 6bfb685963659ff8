"""The renderer interface and the registry that picks one by name, format or file extension.

A renderer turns a ``Session`` (the header, its scenario and the event stream)
into output: text on a terminal, JSON Lines, a diagram. It reads the stream
once, front to back (``session.events()``), never talks to the engine and never
looks the scenario up itself. Options are keyword-only constructor arguments; a
combination that makes no sense raises ``RenderError``. A view may also follow a
session at full speed (``follow``) or be driven a step at a time (``stepping``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from contextlib import AbstractContextManager
from pathlib import PurePath
from typing import IO, Any, ClassVar, TypeVar

from vtrace.session import Session
from vtrace.stepping import StepView

__all__ = [
    "RenderError",
    "Renderer",
    "UnknownRenderer",
    "by_name",
    "count_param",
    "for_format",
    "format_of",
    "formats",
    "names",
    "register",
    "views",
]


class RenderError(Exception):
    """A renderer cannot produce its output; the message says what to do about it."""


class UnknownRenderer(LookupError):
    """No renderer has that name or format."""


class Renderer(ABC):
    """Base of every output format and terminal view.

    A renderer declares what the command line needs to know of it: the file
    formats it writes (named as the file extension without its dot), whether it
    is the one chosen for those formats or only by name (the overview), whether it
    is a terminal view, and which keyword options it takes besides ``lang``.
    """

    #: The name ``--view`` (for views) or ``by_name`` accepts.
    name: ClassVar[str]
    #: File formats it writes, e.g. ("svg", "png"); a file's extension picks the format.
    formats: ClassVar[tuple[str, ...]] = ()
    #: Whether a format alone picks this renderer (False: only by name).
    chosen_by_format: ClassVar[bool] = True
    #: Whether ``--view`` offers it: a view of a stream on the terminal.
    view: ClassVar[bool] = False
    #: Keyword options beyond ``lang`` that it accepts (``output_format``, ``detail``, ...).
    options: ClassVar[tuple[str, ...]] = ()
    #: Whether ``render`` writes bytes rather than text.
    binary: ClassVar[bool] = False
    #: One line for ``--help``.
    description: ClassVar[str] = ""

    def __init__(self, *, lang: str = "en") -> None:
        self.lang = lang

    @abstractmethod
    def render(self, session: Session, out: IO[Any]) -> None:
        """Consume ``session.events()`` and write the output to ``out``."""

    def follow(self, session: Session, out: IO[Any]) -> None:
        """Show a session that nothing else reads or paces; a view that can build only what
        it draws overrides this (the live view)."""
        self.render(session, out)

    def stepping(self, session: Session,
                 out: IO[Any]) -> AbstractContextManager[StepView] | None:
        """A view of the session a presenter drives a step at a time, or None: the command
        then shows a status line (``vtrace.renderers.step_views``)."""
        return None


_BY_NAME: dict[str, type[Renderer]] = {}
_BY_FORMAT: dict[str, type[Renderer]] = {}

R = TypeVar("R", bound=type[Renderer])


def register(cls: R) -> R:
    """Class decorator: make a renderer available by its name and, maybe, its formats."""
    _BY_NAME[cls.name] = cls
    if cls.chosen_by_format:
        for output_format in cls.formats:
            _BY_FORMAT[output_format] = cls
    return cls


def names() -> list[str]:
    return sorted(_BY_NAME)


def views() -> list[str]:
    """The renderers ``--view`` offers, in registration order."""
    return [name for name, cls in _BY_NAME.items() if cls.view]


def formats() -> list[str]:
    """Every file format some renderer is chosen for, sorted."""
    return sorted(_BY_FORMAT)


def by_name(name: str) -> type[Renderer]:
    try:
        return _BY_NAME[name]
    except KeyError:
        raise UnknownRenderer(f"no renderer named {name!r}; try one of: "
                              + ", ".join(names())) from None


def for_format(output_format: str) -> type[Renderer]:
    try:
        return _BY_FORMAT[output_format]
    except KeyError:
        raise UnknownRenderer(f"no output format {output_format!r}; try one of: "
                              + ", ".join(formats())) from None


def format_of(path: str) -> str:
    """The format a file's extension names (``run.svg`` -> ``svg``), if a renderer writes it."""
    output_format = PurePath(path).suffix.lower().lstrip(".")
    if output_format not in _BY_FORMAT:
        raise UnknownRenderer(f"cannot tell the format of {path!r} from its extension; "
                              f"use .{', .'.join(formats())} or --format")
    return output_format


def count_param(params: Mapping[str, Any], name: str) -> int | None:
    """The header's ``name`` when it is a sane count (a positive int); a file may hold anything."""
    value = params.get(name)
    return value if type(value) is int and value > 0 else None
