"""What goes wrong in the lab: the host cannot do it, or a run fails on the way."""

from __future__ import annotations

__all__ = ["LabError", "PrerequisiteError"]


class LabError(Exception):
    """The host cannot capture (a missing program, a guest that does not boot)."""


class PrerequisiteError(LabError):
    """Something the lab needs is absent; the message says how to fix it, one line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems

