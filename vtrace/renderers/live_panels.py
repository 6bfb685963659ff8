"""The pieces of the live view, each built for a given width from what the view holds.

``live`` picks which of them fit the terminal; this module draws them, and
measures the room the tallest step of an era needs (``step_reserve``), so that
the pick holds for the whole run. Numbers are never cut: a column that holds
one is as wide as its widest value, and counters flow onto the next line
whole, label and number together.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Mapping, Sequence

from rich.cells import cell_len
from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from vtrace import catalog
from vtrace.catalog import ERAS
from vtrace.i18n import message_keys, say, worded
from vtrace.model import ACTOR_LAYER, Event, Kind, Layer
from vtrace.renderers.describe import lesson, location, note, why
from vtrace.renderers.ring_contents import RingContents
from vtrace.renderers.ring_view import frame_lines, ring_lines
from vtrace.renderers.view_words import word
from vtrace.renderers.wrapping import wrap
from vtrace.ring import DEVICE_FIELDS, DRIVER_FIELDS, SHARED_FIELDS
from vtrace.scenarios.base import ObjectsView

__all__ = [
    "COMPACT",
    "DEVICE",
    "DRIVER",
    "LAYER_STYLE",
    "SHARED",
    "counters",
    "frame_panel",
    "lanes",
    "lanes_width",
    "left_out",
    "objects_panel",
    "register_panel",
    "ring_panel",
    "step_panel",
    "step_reserve",
    "step_title",
]

LAYER_STYLE = {
    Layer.GUEST_USER: "green",
    Layer.GUEST_KERNEL: "cyan",
    Layer.VRING: "magenta",
    Layer.KVM: "red",
    Layer.QEMU: "yellow",
    Layer.HOST_KERNEL: "blue",
}


def _listed(name: str) -> tuple[int, bool]:
    """Where the panel lists a shared field: the indices, the event indices, then the flags,
    each with the avail side's first."""
    what = 2 if name.endswith("flags") else 1 if name.endswith("event") else 0
    return what, not name.startswith("avail")


SHARED = tuple(sorted(SHARED_FIELDS, key=_listed))
DRIVER = DRIVER_FIELDS
DEVICE = DEVICE_FIELDS
#: The ring values a narrow screen keeps: both indices, both event indices, the free count.
COMPACT = (*SHARED[:4], "num_free")
#: Decisions a step's remark may say; the longest of them is room a step panel keeps.
REMARKS = ("why", "irq", "queue", "fact", "vm_entry", "state")
_WORDS: Mapping[str, Mapping[str, str]] = {
    "en": {
        "left_out": "Left out, the terminal is too small: {panels}",
        "left_out.ring": "the ring panel",
        "left_out.lanes": "the layers",
        "cut": "… more: vtrace explain {function}",
        **{f"lane.{layer.value}": layer.value for layer in Layer},
    },
    "zh": {
        "left_out": "终端太小，没有显示：{panels}",
        "left_out.ring": "环形队列面板",
        "left_out.lanes": "各层",
        "cut": "……其余内容：vtrace explain {function}",
        "lane.guest-user": "客户机用户态",
        "lane.guest-kernel": "客户机内核",
        "lane.vring": "共享内存",
        "lane.kvm": "KVM",
        "lane.qemu": "QEMU",
        "lane.host-kernel": "宿主机内核",
    },
}
PANEL = 4  # the columns a panel's borders and padding take
ACTORS = {layer: " ".join(a for a, lay in ACTOR_LAYER.items() if lay is layer) for layer in Layer}
ACTORS_WIDTH = max(len(actors) for actors in ACTORS.values())


def _lane_name(layer: Layer, lang: str) -> str:
    return worded(_WORDS, f"lane.{layer.value}", lang)


def _layer_width(lang: str) -> int:
    """The marker, a space and the longest layer name."""
    return max(cell_len(_lane_name(layer, lang)) for layer in Layer) + 2


def lanes_width(function_width: int, frame_width: int, actors: bool, lang: str) -> int:
    return _layer_width(lang) + 1 + function_width + 1 + frame_width + (
        ACTORS_WIDTH + 1 if actors else 0)


def lanes(last: Mapping[Layer, Event], current: Event | None, title: str,
          widths: tuple[int, int], actors: bool, lang: str,
          in_ring: tuple[str, int] | None = None) -> Table:
    """One row per layer, named in ``lang``: the last function that ran there and its
    frame, and on the ring's row the entry that holds a frame while it sits in the ring
    (``in_ring``: the entry and the frame); rows of another frame than the current step's
    are dimmed, so two frames never read as one."""
    function_width, frame_width = widths
    table = Table(title=title, show_header=False, title_justify="left", box=None,
                  padding=(0, 1, 0, 0), collapse_padding=True)
    table.add_column(no_wrap=True, width=_layer_width(lang))
    if actors:
        table.add_column(no_wrap=True, width=ACTORS_WIDTH)
    table.add_column(no_wrap=True, width=function_width)
    table.add_column(no_wrap=True, width=frame_width, justify="right")
    for layer in Layer:
        event = last.get(layer)
        what, frame_number = (event.function, event.frame) if event is not None else \
            in_ring if layer is Layer.VRING and in_ring is not None else ("", None)
        style = LAYER_STYLE[layer]
        here = current is not None and layer is current.layer
        other_frame = bool(what) and current is not None and frame_number != current.frame
        name_style = f"bold {style}" if here else "dim" if other_frame else style
        frame = "" if frame_number is None else f"#{frame_number}"
        cells: list[RenderableType] = [Text(f"{'▶' if here else ' '} {_lane_name(layer, lang)}",
                                            style=style)]
        if actors:
            cells.append(Text(ACTORS[layer], style="dim"))
        cells += [Text(what, style=name_style),
                  Text(frame, style="italic" if other_frame else "bold")]
        table.add_row(*cells)
    return table


def register_panel(values: Mapping[str, int], size: int, title: str, lang: str,
                   compact: bool, device: str = "") -> Table:
    """The ring's indices and both sides' shadows (``compact``: only the five that tell the
    story), then the descriptors in use; ``device`` heads the device's side (the back
    end's view, QEMU's by default)."""
    table = Table(title=f"{title} ({size})", box=None, show_header=False,
                  title_justify="left", padding=(0, 0, 0, 1))
    table.add_column(no_wrap=True)
    table.add_column(justify="right", no_wrap=True)
    groups: Sequence[tuple[str | None, Sequence[str]]] = (
        ((None, COMPACT),) if compact else
        (("ring.shared", SHARED), ("ring.driver", DRIVER), ("ring.device", DEVICE)))
    for heading, names in groups:
        if heading is not None:
            said = device if heading == "ring.device" and device else say(heading, lang)
            table.add_row(Text(said, style="bold"), "")
        for name in names:
            table.add_row(f"{'' if compact else '  '}{name}", str(values.get(name, 0)))
    in_use = size - values.get("num_free", size)
    label = word("in_use", lang) if compact else say("ring.in_use", lang)
    table.add_row(label, f"{in_use}/{size}")
    return table


def ring_panel(contents: RingContents, lang: str) -> Group:
    """The descriptor table entries in use and the rings' newest entries."""
    lines = ring_lines(contents, lang, descriptors=6)
    return Group(Text(word("ring.contents", lang), style="bold"),
                 *(Text(line) for line in lines))


def frame_panel(contents: RingContents, lang: str) -> Group | None:
    lines = frame_lines(contents, lang)
    if not lines:
        return None
    return Group(*(Text(line, style="bold" if index == 0 else "") for index, line
                   in enumerate(lines)))


OBJECTS_NEWEST = 3  # lines for what the latest step made, so the panel keeps its height


def objects_panel(objects: ObjectsView, lang: str, width: int) -> Panel:
    """The objects made so far, one line per side of the boundary (the newest names when
    they do not all fit), then what the latest step made, with its link, in bold; always
    the same height, so the layout picked for it holds as objects come."""
    colon = "：" if lang == "zh" else ": "
    inner = max(width - 4, 20)
    text = Text()
    for side, names in objects.by_side():
        text.append(_newest_names(f"{side}{colon}", names, inner) + "\n")
    newest = [part for line in objects.newest() for part in wrap(line, inner, "  ")]
    if len(newest) > OBJECTS_NEWEST:
        newest = [*newest[:OBJECTS_NEWEST - 1], newest[OBJECTS_NEWEST - 1].rstrip() + " …"]
    newest += [""] * (OBJECTS_NEWEST - len(newest))
    text.append("\n".join(newest), style="bold")
    return Panel(text, title=say("objects.title", lang), title_align="left")


def _newest_names(head: str, names: Sequence[str], width: int) -> str:
    """``head`` and as many of the newest ``names`` as fit in ``width`` cells, oldest first,
    after "…" when some are left out; "—" for none."""
    if not names:
        return head + "—"
    shown: list[str] = []
    for name in reversed(names):
        line = head + ("… · " if len(shown) + 1 < len(names) else "") + \
            " · ".join([name, *shown])
        if shown and cell_len(line) > width:
            break
        shown.insert(0, name)
    left_out = "… · " if len(shown) < len(names) else ""
    return head + left_out + " · ".join(shown)


def step_title(number: int, event: Event | None, lang: str) -> str:
    """``Step 41 · frame #0 · 12.345 µs · qemu-main``: which step, of which frame, when,
    on which thread."""
    if event is None:
        return say("live.step", lang)
    frame = word("no_frame", lang) if event.frame is None else word("frame", lang,
                                                                        frame=event.frame)
    return (f"{say('live.step', lang)} {number} · {frame} · {event.t_ns / 1000:.3f} µs · "
            f"{event.thread}")


def _wrapped(text: str, width: int | None, style: str = "") -> Text:
    """``text`` broken for ``width`` cells as a reader expects (``wrapping.wrap``: Chinese
    between characters, never inside an identifier), so rich has nothing left to break."""
    return Text(text if width is None else "\n".join(wrap(text, width)), style=style)


def _step_lines(event: Event, remark: str, lang: str,
                width: int | None = None) -> tuple[list[Text], list[Text]]:
    """The step's own lines (function and place, what it does, its decision) and its notes
    (the version's, the lesson's), broken for ``width`` cells."""
    style = LAYER_STYLE[event.layer]
    lines = [Text.assemble((event.function, f"bold {style}"), "  ",
                           (location(event, lang), "dim")),
             _wrapped(why(event, lang), width)]
    if remark:
        lines.append(_wrapped(remark, width, "bold"))
    notes: list[Text] = []
    if particular := note(event, lang):
        notes.append(_wrapped(particular, width, style))
    if said := lesson(event, lang):
        notes.append(_wrapped(f"{say('live.lesson', lang)}: {said}", width, "italic"))
    return lines, notes


def step_panel(event: Event | None, title: str, remark: str, lang: str,
               room: tuple[int, int] | None = None) -> Panel:
    """What the current step does, with the version's and the lesson's notes. ``room`` (the
    panel's width, and the lines it may take, borders included) leaves the notes out, last
    first, when they do not fit, and says where to read them."""
    if event is None:
        return Panel("", title=title, title_align="left")
    lines, notes = _step_lines(event, remark, lang, None if room is None else room[0] - PANEL)
    panel = Panel(Group(*lines, *notes), title=title, title_align="left")
    if room is None or not notes or _height(panel, room[0]) <= room[1]:
        return panel
    cut = Text(worded(_WORDS, "cut", lang, function=event.function), style="dim")
    while notes:
        notes.pop()
        panel = Panel(Group(*lines, *notes, cut), title=title, title_align="left")
        if _height(panel, room[0]) <= room[1]:
            break
    return panel


_MEASURING = Console(file=io.StringIO(), color_system=None, force_terminal=False,
                     legacy_windows=False)


def _height(renderable: RenderableType, width: int) -> int:
    """Lines ``renderable`` takes at ``width`` columns."""
    return len(_MEASURING.render_lines(renderable, _MEASURING.options.update(width=width),
                                       pad=False))


@functools.cache
def step_reserve(era_name: str, lang: str, width: int) -> int:
    """Lines the step panel of the era's tallest step takes at ``width`` (all eras' when
    the stream names none), with the longest remark and without its notes (which show
    where there is room): the room a layout keeps for it."""
    eras = [ERAS[era_name]] if era_name in ERAS else list(ERAS.values())
    remark = max((say(key, lang) for key in message_keys(lang)
                  if key.split(".")[0] in REMARKS), key=cell_len)
    tallest = 0
    for chosen in eras:
        for step in catalog.steps(chosen):
            place = catalog.place(step, chosen.versions.get(step.project, ""))
            if place is None:
                continue
            lines, _ = _step_lines(Event(0, 0, place, Kind.CALL, place.actor, place.actor, 0),
                                   remark, lang, width - PANEL)
            tallest = max(tallest, _height(Panel(Group(*lines)), width))
    return tallest


def left_out(panels: Sequence[str], lang: str) -> Text:
    """The line that says which panels the terminal has no room for."""
    names = "、".join if lang == "zh" else ", ".join
    return Text(worded(_WORDS, "left_out", lang,
                       panels=names(worded(_WORDS, f"left_out.{panel}", lang)
                                    for panel in panels)), style="dim")


def counters(items: Sequence[tuple[str, int | str]], width: int,
             frames: tuple[int, int] | None, lang: str, heading: str = "") -> Group:
    """The counters, flowed whole onto as many lines as they need, under ``heading`` if
    any, and the frames bar (``frames``: how many are done, of how many)."""
    lines: list[Text] = [Text(heading, style="dim")] if heading else []
    line = Text()
    for label, count in items:
        item = Text.assemble(label, " ", (str(count), "bold"))
        if line.cell_len and line.cell_len + 2 + item.cell_len > width:
            lines.append(line)
            line = Text()
        line = Text.assemble(line, "  ", item) if line.cell_len else item
    lines.append(line)
    if frames is None:
        return Group(*lines)
    done, total = frames
    label = f"{say('live.frames', lang)} {done}/{total}"
    bar = Table.grid(expand=True, padding=(0, 1))
    bar.add_column(no_wrap=True, width=cell_len(label))
    bar.add_column(ratio=1)
    bar.add_row(label, ProgressBar(total=max(total, 1), completed=done))
    return Group(*lines, bar)
