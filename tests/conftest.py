"""The one way a test says what it needs of the machine: root, a Debian package, a module.

``needs(missing, reason)`` marks a test (or a module, through ``pytestmark``);
``require(missing, reason)`` says the same inside a test, a fixture or at a
module's top. Where something is missing the test is skipped, and ``reason``
says what to install or how to run it. With ``VTRACE_REQUIRE_ALL=1`` (``.ci/run``
sets it) every such skip is a failure instead, so that CI, which installs
everything, runs every real component and cannot pass by skipping one.

Property tests run under one hypothesis profile without a per-example deadline:
they assert behaviour, and a loaded machine must not turn a slow example into a
failure (time is measured in ``bench/``).
"""

from __future__ import annotations

import importlib
import os
import shutil
from types import ModuleType

import pytest
from hypothesis import settings

__all__ = ["NOT_ROOT", "REQUIRE_ALL", "ROOT_REASON", "importable", "lab", "needs", "program",
           "require", "root"]

REQUIRE_ALL = "VTRACE_REQUIRE_ALL"
NOT_ROOT = os.geteuid() != 0
settings.register_profile("vtrace", deadline=None)
settings.load_profile("vtrace")

ROOT_REASON = "needs root (taps, tracefs, uprobes): run the tests as root, e.g. with sudo"


def require(missing: bool, reason: str) -> None:
    """Skip the running test (or module) when ``missing``; fail it under VTRACE_REQUIRE_ALL."""
    if not missing:
        return
    if os.environ.get(REQUIRE_ALL) == "1":
        pytest.fail(f"{REQUIRE_ALL}=1 and this test {reason}", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


def needs(missing: bool, reason: str) -> pytest.MarkDecorator:
    """A mark: the test runs only where nothing is ``missing`` (see ``require``)."""
    return pytest.mark.needs(missing=missing, reason=reason)


def program(name: str, package: str) -> pytest.MarkDecorator:
    """A mark: the test runs a program on PATH that a Debian package installs."""
    return needs(shutil.which(name) is None, f"needs {name}: apt-get install {package}")


def root() -> pytest.MarkDecorator:
    """A mark: the test changes the host (taps, tracefs) and so runs as root."""
    return needs(NOT_ROOT, ROOT_REASON)


def lab() -> list[pytest.MarkDecorator]:
    """Marks: the test boots the lab's guest, so it runs as root on a host with what the
    lab's own check asks for (QEMU, gcc, cpio, busybox-static, ...)."""
    from vtrace.lab import LabParams, Scenario
    from vtrace.lab.prereq import HostView, check_host

    lacks = check_host(LabParams(Scenario.SEND), HostView(kernel_available=lambda: True))
    return [root(), needs(bool(lacks), "the lab lacks on this host: " + "; ".join(lacks))]


def importable(name: str, reason: str) -> ModuleType:
    """Module ``name``, for a test module's top; where it cannot be imported, ``require``."""
    try:
        return importlib.import_module(name)
    except ImportError:
        require(True, reason)
        raise


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "needs(missing, reason): skip (or, under VTRACE_REQUIRE_ALL=1, fail) the "
                   "test when the machine lacks what it needs")


def pytest_runtest_setup(item: pytest.Item) -> None:
    for mark in item.iter_markers("needs"):
        require(mark.kwargs["missing"], mark.kwargs["reason"])
