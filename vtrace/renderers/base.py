"""The renderer interface and the registry that picks one by name or file extension.

A renderer turns a header and an event stream into output: text on a
terminal, JSON Lines, a diagram. It reads the stream once, front to back,
and never talks to the engine. Options are keyword-only constructor
arguments; a combination that makes no sense raises ``RenderError``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from pathlib import PurePath
from typing import IO, Any, ClassVar, TypeVar

from vtrace.model import Event, Header

__all__ = [
    "RenderError",
    "Renderer",
    "UnknownRenderer",
    "by_extension",
    "by_name",
    "count_param",
    "names",
    "register",
]


class RenderError(Exception):
    """A renderer cannot produce its output; the message says what to do about it."""


class UnknownRenderer(LookupError):
    """No renderer has that name or extension."""


class Renderer(ABC):
    """Base of every output format."""

    #: The name ``--view`` or ``--format`` accepts.
    name: ClassVar[str]
    #: File extensions (with the dot) this renderer is chosen for.
    extensions: ClassVar[tuple[str, ...]] = ()
    #: Whether ``render`` writes bytes rather than text.
    binary: ClassVar[bool] = False
    #: One line for ``--help``.
    description: ClassVar[str] = ""

    @abstractmethod
    def render(self, header: Header, events: Iterable[Event], out: IO[Any]) -> None:
        """Consume ``events`` and write the output to ``out``."""


_BY_NAME: dict[str, type[Renderer]] = {}
_BY_EXTENSION: dict[str, type[Renderer]] = {}

R = TypeVar("R", bound=type[Renderer])


def register(cls: R) -> R:
    """Class decorator: make a renderer available by its name and extensions."""
    _BY_NAME[cls.name] = cls
    for extension in cls.extensions:
        _BY_EXTENSION[extension] = cls
    return cls


def names() -> list[str]:
    return sorted(_BY_NAME)


def by_name(name: str) -> type[Renderer]:
    try:
        return _BY_NAME[name]
    except KeyError:
        raise UnknownRenderer(f"no output format named {name!r}; try one of: "
                              + ", ".join(names())) from None


def by_extension(path: str) -> type[Renderer]:
    extension = PurePath(path).suffix.lower()
    try:
        return _BY_EXTENSION[extension]
    except KeyError:
        known = ", ".join(sorted(_BY_EXTENSION))
        raise UnknownRenderer(f"cannot tell the format of {path!r} from its extension; "
                              f"use one of {known} or --format") from None


def count_param(params: Mapping[str, Any], name: str) -> int | None:
    """The header's ``name`` when it is a sane count (a positive int); a file may hold anything."""
    value = params.get(name)
    return value if type(value) is int and value > 0 else None
