"""``vtrace diff --era lesson --era modern``: two eras' paths side by side, changes explained;
``vtrace diff --ring split --ring packed``: the split and the packed ring in one era.

The rows come from ``vtrace.era_diff`` (pure); this module lays them out as terminal text
in English or Chinese: each side's function and ``file:line``, and in a third column
what changed. A legend says what each change means, and the era's behaviour switches
say why a step is taken on one side only. Two rings' diff ends with their memory
traffic, kicks and interrupts for the same frames (``vtrace compare --ring``'s table).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import click
from click.core import ParameterSource

from vtrace.catalog import ERAS
from vtrace.cli.compare import ring_table_lines
from vtrace.cli.env import current
from vtrace.cli.options import lang_option, param_options, seed_option
from vtrace.era_diff import CHANGES, RING, EraDiff, Pair, era_diff, measure_rings, ring_diff
from vtrace.model import Place
from vtrace.scenarios import REGISTERED, all_params
from vtrace.scenarios.params import RINGS

__all__ = ["LESSON", "diff_command", "diff_lines"]

REPLAYABLE = tuple(name for name, item in REGISTERED.items() if item.replayable)
PARAMS = tuple(param for param in all_params(REPLAYABLE) if param.name != "ring")

#: The lesson the ``lesson`` era stands for, named in full.
LESSON = {
    "en": "the 2019 course lesson \"Network virtualization: how to found an independent "
          "cooperative\" (QEMU/KVM virtio-net), read here in Linux 4.19 and QEMU 3.1",
    "zh": "2019 年的课程《网络虚拟化：如何成立独立的合作社》（QEMU/KVM virtio-net），"
          "这里用 Linux 4.19 和 QEMU 3.1 来读",
}

_WORDS: Mapping[str, Mapping[str, str]] = {
    "en": {
        "title": "The first frame of '{scenario}' in two eras",
        "same": "", "line": "other line", "renamed": "renamed", "moved": "moved file",
        "absent": "absent: no such function in {era}", "switch": "not taken: {era}'s behaviour",
        "none": "—",
        "legend": "Changes",
        "legend.line": "other line: the same function in the same file, at another line",
        "legend.renamed": "renamed: the step's function has another name",
        "legend.moved": "moved file: the function is defined in another file",
        "legend.absent": "absent: that era's version has no such function",
        "legend.switch": "not taken: the function exists, but the era's behaviour skips it",
        "switches": "Behaviour switches that differ",
        "on": "on", "off": "off",
        "counts": "{same} steps alike, {changed} changed, {only_left} only in {left}, "
                  "{only_right} only in {right}",
        "lesson": "lesson = {lesson}",
        "ring_title": "The first frame of '{scenario}' on two rings, {era} era",
        "ring": "only the {ring} ring has this step",
        "legend.ring": "only one ring: the step is a function of that ring's code; the other ring "
                       "has its own",
        "twice": "give --ring twice (--ring split --ring packed), or once for both eras",
        "one_era": "two rings are compared in one era: give --era once, or leave it out",
    },
    "zh": {
        "title": "两个年代里 '{scenario}' 的第一帧",
        "same": "", "line": "行号不同", "renamed": "改了名", "moved": "换了文件",
        "absent": "不存在：{era} 没有这个函数", "switch": "没有走：{era} 的行为不同",
        "none": "—",
        "legend": "变化",
        "legend.line": "行号不同：同一文件里的同一个函数，行号变了",
        "legend.renamed": "改了名：这一步的函数换了名字",
        "legend.moved": "换了文件：函数定义在另一个文件里",
        "legend.absent": "不存在：那个年代的版本里没有这个函数",
        "legend.switch": "没有走：函数存在，但那个年代的行为跳过了它",
        "switches": "不同的行为开关",
        "on": "开", "off": "关",
        "counts": "{same} 步相同，{changed} 步有变化，{only_left} 步只在 {left}，"
                  "{only_right} 步只在 {right}",
        "lesson": "lesson = {lesson}",
        "ring_title": "'{scenario}' 的第一帧在两种环上，{era} 时代",
        "ring": "只有 {ring} 环有这一步",
        "legend.ring": "只有一种环：这一步是那种环代码里的函数，另一种环有它自己的",
    },
}


def _word(key: str, lang: str, **values: object) -> str:
    template = _WORDS.get(lang, _WORDS["en"]).get(key, _WORDS["en"][key])
    return template.format(**values) if values else template


def _value(value: object, lang: str) -> str:
    """A switch's value in words: a flag is on or off, anything else as it reads."""
    if isinstance(value, bool):
        return _word("on" if value else "off", lang)
    return str(value)


def _side(place: Place | None, lang: str) -> str:
    if place is None:
        return _word("none", lang)
    where = f"{place.file}:{place.line}" if place.file and place.line else place.file or ""
    return f"{place.function}  {where}".rstrip()


def _what(pair: Pair, diff: EraDiff, lang: str) -> str:
    if diff.rings is not None:
        ring = diff.rings[0] if pair.right is None else diff.rings[1]
        return _word("ring", lang, ring=ring) if RING in pair.changes else ", ".join(
            _word(change, lang) for change in pair.changes if change != "same")
    eras = diff.eras
    missing = eras[1] if pair.right is None else eras[0]
    label = f"{missing.name} (Linux {missing.linux} + QEMU {missing.qemu})"
    return ", ".join(_word(change, lang, era=label) for change in pair.changes
                     if change != "same")


def _marker(pair: Pair) -> str:
    if pair.left is None:
        return "+"
    if pair.right is None:
        return "-"
    return " " if pair.changes == ("same",) or pair.changes == ("line",) else "~"


def diff_lines(diff: EraDiff, lang: str = "en") -> list[str]:
    """The text of ``vtrace diff``, one line each."""
    left, right = diff.eras
    names = diff.rings or (left.name, right.name)
    lines = [_word("ring_title", lang, scenario=diff.scenario, era=left.name) if diff.rings
             else _word("title", lang, scenario=diff.scenario), ""]
    sides = [(_side(pair.left, lang), _side(pair.right, lang)) for pair in diff.pairs]
    heads = (f"{names[0]}: Linux {left.linux} + QEMU {left.qemu}",
             f"{names[1]}: Linux {right.linux} + QEMU {right.qemu}")
    one = max(len(text) for text in (heads[0], *(a for a, _ in sides))) + 2
    two = max(len(text) for text in (heads[1], *(b for _, b in sides))) + 2
    lines += [f"  {heads[0]:<{one}}{heads[1]}", "  " + "-" * (one + two)]
    for pair, (a, b) in zip(diff.pairs, sides, strict=True):
        lines.append(f"{_marker(pair)} {a:<{one}}{b:<{two}}{_what(pair, diff, lang)}".rstrip())
    counts = {change: sum(change in pair.changes for pair in diff.pairs) for change in CHANGES}
    lines += ["", _word("counts", lang, same=counts["same"] + counts["line"],
                        changed=counts["renamed"] + counts["moved"],
                        only_left=sum(pair.right is None for pair in diff.pairs),
                        only_right=sum(pair.left is None for pair in diff.pairs),
                        left=names[0], right=names[1])]
    if diff.switches:
        lines += ["", _word("switches", lang) + ":"]
        lines += [f"  {name}: {left.name} {_value(a, lang)}, {right.name} {_value(b, lang)}"
                  for name, a, b in diff.switches]
    lines += ["", _word("legend", lang) + ":"]
    shown = ("line", "renamed", "moved", RING) if diff.rings else CHANGES[1:]
    lines += [f"  {_word(f'legend.{change}', lang)}" for change in shown]
    if "lesson" in (left.name, right.name):
        lines += ["", _word("lesson", lang, lesson=LESSON.get(lang, LESSON["en"]))]
    return lines


@click.command("diff", epilog="""\b
Examples:
  vtrace diff --era lesson --era modern          the lesson's path next to Debian 12's
  vtrace diff --era modern --era newest --lang zh
  vtrace diff --era lesson --era modern --no-ioeventfd
  vtrace diff --era lesson --era newest --scenario setup
  vtrace diff --ring split --ring packed         both rings in the modern era, and their costs
  vtrace diff --ring split --ring packed --era newest --frames 300
""")
@click.option("--era", "eras", type=click.Choice(sorted(ERAS)), multiple=True,
              help="An era to compare; give it twice (default: lesson, then modern).")
@click.option("--ring", "rings", type=click.Choice(RINGS), multiple=True,
              help="The ring both eras use; give it twice (--ring split --ring packed) to "
                   "compare the two rings in one era.")
@click.option("--scenario", "scenario_name", type=click.Choice(REPLAYABLE), default="send",
              show_default=True, help="Which scenario's first frame to compare.")
@param_options(PARAMS, defaults={"frames": 1}, checked=False)
@seed_option
@lang_option
@click.pass_context
def diff_command(ctx: click.Context, /, eras: tuple[str, ...], rings: tuple[str, ...],
                 scenario_name: str, seed: int, lang: str, **given: Any) -> None:
    """Show two eras' paths side by side, with the changed steps marked and explained.

    With --ring split --ring packed, the two rings in one era, and what each costs."""
    own = {param.name for param in REGISTERED[scenario_name].params}
    if len(rings) == 2 and rings[0] != rings[1]:
        _diff_rings(eras, (rings[0], rings[1]), scenario_name, seed, lang, own, given)
        return
    if len(rings) > 1:
        raise click.UsageError(_word("twice", "en"))
    chosen = eras or ("lesson", "modern")
    if len(chosen) != 2:
        raise click.UsageError("give --era twice: the two eras to compare")
    foreign = [name for name in given if name not in own
               and ctx.get_parameter_source(name) is ParameterSource.COMMANDLINE]
    if foreign:
        raise click.UsageError(f"--{foreign[0].replace('_', '-')} is not a parameter of the "
                               f"{scenario_name} scenario")
    params = {name: given[name] for name in own if name in given}
    if rings:
        params["ring"] = rings[0]
    diff = era_diff(scenario_name, params, *chosen, seed=seed)
    out = current().stdout
    for line in diff_lines(diff, lang):
        out.write(line + "\n")


def _diff_rings(eras: tuple[str, ...], rings: tuple[str, str],
                scenario_name: str, seed: int, lang: str, own: set[str],
                given: dict[str, Any]) -> None:
    """The first frame on both rings; for a send, then what the same frames cost on each
    (the ring traffic is counted on the transmit path)."""
    if len(eras) > 1:
        raise click.UsageError(_word("one_era", "en"))
    era_name = eras[0] if eras else "modern"
    params = {name: given[name] for name in own if name in given}
    diff = ring_diff(scenario_name, params, era_name, seed, rings)
    out = current().stdout
    for line in diff_lines(diff, lang):
        out.write(line + "\n")
    if scenario_name != "send":
        return
    # the same frames as the diff: a TCP send's --size needs its --proto
    shared = {name: value for name, value in params.items()
              if name not in ("frames", "batch", "ring")}
    measures = measure_rings(params.get("frames", 1), era_name, seed, params.get("batch", 1),
                             rings, **shared)
    for line in ["", *ring_table_lines(measures, lang)]:
        out.write(line + "\n")
