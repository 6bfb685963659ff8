"""An event's detail as the HTML player stores it: what every frame shares, and its numbers.

Frame 9,999 of a run writes the same words as frame 1, but with its own
numbers (``kick: avail_event 9998 is in [9998, 9999)``). ``split`` takes a
detail apart into its *structure* (the keys, and every value that is not a
number) and its numbers, in one order; ``slotted`` builds the detail back
from the structure alone with each number as a slot that reads ``⟦k⟧``, so
the sentence functions write templates, and ``fill`` puts numbers back in,
as the page does.

Numbers are the ``int`` values of the detail, of the mappings in it (``writes``,
``ring``) and of its lists of numbers or of lists of numbers (an indirect table's
``[address, length]`` entries) that a JavaScript number holds exactly; booleans,
strings and anything else are part of the structure.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["Slot", "fill", "slotted", "split"]

_SAFE = 2 ** 53  # integers a JavaScript number holds exactly
_NESTED = object()  # marks a mapping's part of a structure
_LIST = object()  # marks a list of numbers' part: its shape
_MARK = re.compile("⟦([0-9]+)⟧")


class Slot(str):
    """Stands for an event's k-th number in a slotted detail: it reads ``⟦k⟧`` in a
    sentence, and ``#k`` in a repr, which no string's repr can be."""

    __slots__ = ()

    @property
    def position(self) -> int:
        """Which of the event's numbers the slot stands for."""
        return int(self[1:-1])

    def __repr__(self) -> str:
        return "#" + self[1:-1]


def split(detail: Mapping[str, Any]) -> tuple[tuple[Any, ...], tuple[int, ...]]:
    """(structure, numbers) of ``detail``. The structure is hashable when the detail's other
    values are; a number's place in it is its key alone. It runs for every event, so it is
    written for speed."""
    numbers: list[int] = []
    parts: list[Any] = []
    number, part = numbers.append, parts.append
    for name, value in detail.items():
        kind = type(value)
        if kind is int and -_SAFE < value < _SAFE:
            number(value)
            part(name)
        elif kind is list and (shape := _shape(value)) is not None:
            for item in value:
                if type(item) is list:
                    numbers.extend(item)
                else:
                    number(item)
            part((name, _LIST, shape))
        elif kind is dict:
            inner: list[Any] = []
            for key, item in value.items():
                if type(item) is int and -_SAFE < item < _SAFE:
                    number(item)
                    inner.append(key)
                else:
                    inner.append((key, item))
            part((name, _NESTED, tuple(inner)))
        else:
            part((name, value))
    return tuple(parts), tuple(numbers)


def _shape(value: list[Any]) -> tuple[int, ...] | None:
    """A list's shape when it holds only numbers, or only lists of numbers: -1 for each
    number, each inner list's length; None for any other list."""
    shape: list[int] = []
    for item in value:
        if type(item) is int and -_SAFE < item < _SAFE:
            shape.append(-1)
        elif type(item) is list and all(type(inner) is int and -_SAFE < inner < _SAFE
                                        for inner in item):
            shape.append(len(item))
        else:
            return None
    return tuple(shape)


def slotted(structure: tuple[Any, ...]) -> dict[str, Any]:
    """The detail of ``structure`` with each of its numbers as a ``Slot``, in ``split``'s
    order."""
    count = 0

    def slot() -> Slot:
        nonlocal count
        count += 1
        return Slot(f"⟦{count - 1}⟧")

    detail: dict[str, Any] = {}
    for part in structure:
        if type(part) is not tuple:
            detail[part] = slot()
        elif len(part) == 3 and part[1] is _LIST:
            detail[part[0]] = [slot() if size < 0 else [slot() for _ in range(size)]
                               for size in part[2]]
        elif len(part) == 3 and part[1] is _NESTED:
            inner: dict[str, Any] = {}
            for key in part[2]:
                if type(key) is tuple:
                    inner[key[0]] = key[1]
                else:
                    inner[key] = slot()
            detail[part[0]] = inner
        else:
            detail[part[0]] = part[1]
    return detail


def fill(template: str, numbers: Sequence[int]) -> str:
    """A sentence template with an event's numbers in, as the page fills it."""
    return _MARK.sub(lambda mark: str(numbers[int(mark.group(1))]), template)
