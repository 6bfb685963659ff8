"""docs/architecture.md is true: its layer table holds every import of every module, the
pure layers open nothing, and what it says a new scenario or renderer touches is what the
registries need."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import vtrace.catalog
import vtrace.scenarios
from vtrace.cli.app import COMMANDS
from vtrace.details import FAMILIES
from vtrace.renderers.base import Renderer
from vtrace.scenarios import REGISTERED

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "vtrace"
DOC = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
#: The layers that print, sleep, read a clock or open a file nowhere.
PURE = ("model", "catalog", "engine", "streams", "scenarios")
WORLD_MODULES = frozenset({"os", "sys", "io", "time", "subprocess", "tempfile", "socket",
                           "pathlib", "shutil", "signal", "select"})
WORLD_CALLS = frozenset({"open", "print", "input"})


def _layers() -> list[tuple[str, list[str], str]]:
    """(layer, its modules as paths under vtrace/, what it may import) of each table row."""
    rows = []
    for line in DOC.splitlines():
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if len(cells) != 4 or not cells[1].startswith("`vtrace/"):
            continue
        paths = re.findall(r"`([^`]+)`", cells[1])
        rows.append((cells[0], [path.removeprefix("vtrace/") for path in paths], cells[3]))
    return rows


LAYERS = _layers()
NAMES = [name for name, _, _ in LAYERS]


def _allowed(index: int) -> set[str]:
    name, _, spelled = LAYERS[index]
    if spelled == "every layer":
        return set(NAMES)
    if spelled == "every layer above":
        return set(NAMES[:index + 1])
    if spelled == "the standard library":
        return {name}
    listed = {part.strip() for part in spelled.split(",")}
    assert listed <= set(NAMES), f"{name}: {listed - set(NAMES)} is no layer"
    return listed | {name}


def _layer_of(path: Path) -> str:
    relative = path.relative_to(PACKAGE).as_posix()
    found = [name for name, modules, _ in LAYERS for module in modules
             if relative == module or module.endswith("/") and relative.startswith(module)]
    assert len(found) == 1, f"vtrace/{relative} is in {len(found)} layers of the table"
    return found[0]


def _file_of(module: str) -> Path | None:
    """The file of ``vtrace.a.b``: a module, or a package's ``__init__``."""
    base = PACKAGE.parent.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imports(tree: ast.AST) -> set[str]:
    """Every vtrace module ``tree`` imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name.split(".")[0] == "vtrace" and _file_of(name)}


SOURCES = sorted(PACKAGE.rglob("*.py"))


def test_the_table_has_the_layers_of_the_arrow() -> None:
    arrow = DOC[DOC.index("```\n") + 4:DOC.index("\n```", DOC.index("```\n") + 4)]
    for names in arrow.split("←"):
        for name in names.split(","):
            assert name.strip() in NAMES


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: path.relative_to(ROOT).as_posix())
def test_every_import_points_the_way_the_table_says(path: Path) -> None:
    layer = _layer_of(path)
    allowed = _allowed(NAMES.index(layer))
    tree = ast.parse(path.read_text(encoding="utf-8"))
    wrong = sorted(name for name in _imports(tree)
                   if _layer_of(_file_of(name) or path) not in allowed)
    assert wrong == [], f"{layer} may import {sorted(allowed)}"


@pytest.mark.parametrize("path", [path for path in SOURCES if _layer_of(path) in PURE],
                         ids=lambda path: path.relative_to(ROOT).as_posix())
def test_the_pure_layers_print_sleep_and_open_nothing(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree)
                if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module and not node.level}
    called = {node.func.id for node in ast.walk(tree)
              if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
    assert sorted(imported & WORLD_MODULES) == []
    assert sorted(called & WORLD_CALLS) == []


def _scenario_files() -> list[str]:
    section = DOC[DOC.index("**A new scenario**"):DOC.index("**A new renderer**")]
    items = re.findall(r"^\d\. (.*?)(?=^\d\. |^That is)", section, flags=re.M | re.S)
    return sorted({path for item in items[1:] for path in re.findall(r"`(vtrace/[^`]+)`", item)})


def test_the_files_a_new_scenario_touches_are_counted_and_exist() -> None:
    files = _scenario_files()
    stated = re.search(r"That is (\d+) files outside its folder", DOC)
    assert stated is not None and int(stated.group(1)) == len(files)
    # The example is recv: each file it names is there, for recv.
    assert all((ROOT / name).is_file() for name in files)


def test_each_registry_a_new_scenario_goes_through_holds_every_scenario() -> None:
    folders = {info.name for info in pkgutil.iter_modules(vtrace.scenarios.__path__)
               if info.ispkg}
    assert folders == set(REGISTERED)
    assert {name for name, scenario in REGISTERED.items() if scenario.replayable} \
        <= set(COMMANDS)
    families = {info.name.removesuffix("_steps")
                for info in pkgutil.iter_modules(vtrace.catalog.__path__)
                if info.name.endswith("_steps")}
    assert families == set(FAMILIES)


def test_a_renderer_declares_what_the_doc_lists() -> None:
    section = DOC[DOC.index("**A new renderer**"):DOC.index("**A new event source**")]
    declared = section[section.index("declares"):section.index("and its import")]
    assert set(re.findall(r"`(\w+)`", declared)) == {
        name for name, spelled in Renderer.__annotations__.items() if "ClassVar" in spelled}
    assert "1 file outside its module" in " ".join(section.split())


def test_every_module_with_a_renderer_is_imported_by_the_package() -> None:
    package = importlib.import_module("vtrace.renderers")
    registering = {path.stem for path in (PACKAGE / "renderers").glob("*.py")
                   if "\n@register\n" in path.read_text(encoding="utf-8")}
    assert registering and all(hasattr(package, name) for name in registering)
