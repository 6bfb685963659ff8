"""Tests that hand an output to a consumer nobody here wrote (tshark, java's vnu.jar, node):
where the consumer is missing they skip naming what to install, except under CI (the
``CI`` variable set), where a missing consumer is a failure, so CI always runs them."""

from __future__ import annotations

import os

import pytest

__all__ = ["require"]


def require(missing: str | None) -> None:
    """Skip the calling test with ``missing`` (what to install), or fail under CI."""
    if missing is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI must run this test: {missing}")
    pytest.skip(missing)
