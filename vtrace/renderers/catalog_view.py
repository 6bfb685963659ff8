"""The catalog as text and records: the ``vtrace steps`` table and ``vtrace explain``.

Unlike the event renderers these read the step catalog itself. Columns are
padded by terminal width, so Chinese headings line up with English ones.
"""

from __future__ import annotations

from typing import Any

from rich.cells import cell_len

from vtrace.catalog import CATALOG, VERSIONS, Era, Step, site_of
from vtrace.i18n import era_label, say, step_lesson, step_note, step_text
from vtrace.renderers.describe import PROJECT_NAMES
from vtrace.renderers.summary import pad
from vtrace.scenarios import REGISTERED
from vtrace.scenarios.paths import paths

__all__ = ["explain_lines", "step_record", "steps_lines"]


def _where(file: str | None, line: int | None, lang: str) -> str:
    """``file:line``, ``file *`` when the line was not checked, or user space."""
    if file is None:
        return f"({say('user_space', lang)})"
    return f"{file}:{line}" if line is not None else f"{file} *"


def step_record(step: Step, chosen: Era, lang: str = "en") -> dict[str, Any]:
    """One step as the era has it, for ``vtrace steps --json``."""
    site = site_of(step, chosen)
    function, file, line, version = site if site else (step.function, step.file, None, "")
    return {
        "key": step.key,
        "function": function,
        "project": step.project,
        "file": file,
        "line": line,
        "version": version,
        "layer": step.layer.value,
        "actor": step.actor,
        "phase": step.phase.value,
        "scenarios": [name for name, keys in paths(chosen).runs.items() if step.key in keys],
        "calls": list(paths(chosen).callees.get(step.key, ())),
        "called_by": list(paths(chosen).callers.get(step.key, ())),
        "text": step_text(step, lang),
        "note": step_note(step, version, lang),
        "lesson": step_lesson(step, lang),
    }


def steps_lines(chosen: Era, lang: str = "en") -> list[str]:
    """The catalog as a table, one section per scenario, only the steps the era has."""
    headings = [say(f"steps.{name}", lang)
                for name in ("function", "project", "where", "layer", "actor")]
    sections = [(name, [step_record(CATALOG[key], chosen, lang) for key in keys])
                for name, keys in paths(chosen).runs.items()]
    rows = [_cells(record, lang) for _, records in sections for record in records]
    widths = [max(cell_len(cell) for cell in column)
              for column in zip(headings, *rows, strict=True)]
    lines = [say("steps.title", lang, era=era_label(chosen, lang)), ""]
    for scenario, records in sections:
        title = REGISTERED[scenario].title
        lines.append(title.get(lang, title["en"]))
        lines.append(_row(headings, widths))
        lines.extend(_row(_cells(record, lang), widths) for record in records)
        lines.append("")
    lines.append(say("steps.count", lang, count=len(rows)))
    return lines


def _cells(record: dict[str, Any], lang: str) -> list[str]:
    return [record["function"], record["project"], _where(record["file"], record["line"], lang),
            record["layer"], record["actor"]]


def _row(cells: list[str], widths: list[int]) -> str:
    padded = (pad(cell, width) for cell, width in zip(cells, widths, strict=True))
    return ("  " + "  ".join(padded)).rstrip()


def explain_lines(step: Step, chosen: Era, lang: str = "en") -> list[str]:
    """Everything vtrace knows about one step, read for ``chosen``."""
    context = say("explain.layer", lang, layer=step.layer.value, actor=step.actor,
                  era=era_label(chosen, lang))
    lines = [f"{step.function}  ({context})", f"  {step_text(step, lang)}", "",
             say("explain.where", lang)]
    lines.extend(_sites(step, chosen, lang))
    lines.append("")
    labels = [say("explain.callers", lang), say("explain.callees", lang)]
    width = max(cell_len(label) for label in labels)
    found = paths(chosen)
    for label, table in zip(labels, (found.callers, found.callees), strict=True):
        listed = ", ".join(table.get(step.key, ())) or say("explain.none", lang)
        lines.append(f"{pad(label, width)}  {listed}")
    lines += ["", say("explain.differences", lang)]
    notes = [f"  {said}" for version in VERSIONS.get(step.project, ())
             if (said := step_note(step, version, lang))]
    lines += notes or [f"  {say('explain.no_differences', lang)}"]
    if lesson := step_lesson(step, lang):
        lines += ["", f"{say('live.lesson', lang)}: {lesson}"]
    lines += ["", say("explain.boundary", lang)]
    return lines


def _sites(step: Step, chosen: Era, lang: str) -> list[str]:
    """One line per version of the step's project, the era's own marked."""
    if step.project == "app":
        return [f"  {_where(None, None, lang)}"]
    ours = chosen.versions[step.project]
    lines = []
    for version in VERSIONS[step.project]:
        site = step.sites.get(version)
        label = f"{PROJECT_NAMES[step.project]} {version}"
        if site is None:
            where = say("explain.absent", lang)
        else:
            name = site.function or step.function
            renamed = f"{name}  " if name != step.function else ""
            where = renamed + _where(site.file or step.file, site.line, lang)
        marker = f"   ← {say('explain.this_era', lang)}" if version == ours else ""
        lines.append(f"  {label:<11} {where}{marker}")
    return lines
