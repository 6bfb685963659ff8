"""The core imports no presentation library, and ``vtrace --help`` imports no core."""

from __future__ import annotations

import subprocess
import sys

CORE = ["vtrace.model", "vtrace.ring", "vtrace.frames", "vtrace.catalog", "vtrace.engine",
        "vtrace.scenarios", "vtrace.scenarios.paths",
        "vtrace.tally", "vtrace.codec", "vtrace.i18n", "vtrace.sources.files", "vtrace.compare",
        "vtrace.pcap"]


def modules_after(code: str) -> set[str]:
    script = f"{code}\nimport sys\nprint('\\n'.join(sys.modules))"
    output = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True,
                            text=True).stdout
    return set(output.split())


def test_the_core_imports_no_rich_graphviz_or_click() -> None:
    loaded = modules_after("\n".join(f"import {name}" for name in CORE))
    assert set(CORE) <= loaded
    assert not {"rich", "graphviz", "click"} & loaded


def test_the_core_never_imports_renderers_or_the_cli() -> None:
    loaded = modules_after("\n".join(f"import {name}" for name in CORE))
    assert not any(name.startswith(("vtrace.renderers", "vtrace.cli", "vtrace.session"))
                   for name in loaded)


def help_of(*args: str) -> str:
    """Code that runs ``vtrace ARGS --help``, its output hidden."""
    return ("import contextlib, io\nfrom vtrace.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
            f"    main({[*args, '--help']!r})")


def test_help_loads_no_engine_catalog_or_renderer() -> None:
    loaded = modules_after(help_of())
    assert "vtrace.cli.app" in loaded
    assert not any(name.startswith(("vtrace.engine", "vtrace.catalog", "vtrace.renderers"))
                   for name in loaded)


def test_a_commands_help_does_not_import_graphviz() -> None:
    loaded = modules_after(help_of("diagram"))
    assert "vtrace.cli.diagram" in loaded and "graphviz" not in loaded
