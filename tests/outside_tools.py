"""Tests that hand an output to a consumer nobody here wrote (tshark, java's vnu.jar, node):
where the consumer is missing they skip naming what to install, and under
``VTRACE_REQUIRE_ALL=1`` (``.ci/run`` sets it) fail instead: ``conftest.require``."""

from __future__ import annotations

import conftest

__all__ = ["require"]


def require(missing: str | None) -> None:
    """Skip the calling test with ``missing`` (what to install), or fail under CI."""
    conftest.require(missing is not None, missing or "")
