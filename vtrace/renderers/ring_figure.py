"""The ring drawn as the virtio specification draws it: one description, drawn as text or SVG.

``split_figure`` describes a split ring at one step from ``RingContents``: the
descriptor table entries in use, a window of the avail ring and of the used ring
around their ``idx`` (each entry naming the descriptor it points at), both
rings' flags and ``idx``, the event fields (``used_event`` at the end of the
avail ring, ``avail_event`` at the end of the used ring) and both sides'
shadows, each cell marked when the step changed it. ``packed_figure`` describes
a packed ring the same way: one table of descriptor slots (addr, len, id, flags
with their AVAIL and USED bits, what the slot holds, the indices pointing at it)
and each side's indices, wrap counters and event-suppression area
``{off_wrap, flags}``. ``ring_figure`` picks the layout the stream's ring has.
``figure_lines`` draws a description in a terminal (compact: it fits 80
columns), ``figure_svg`` as an SVG picture; both read only the ``Figure``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from rich.cells import cell_len
from rich.text import Text

from vtrace.i18n import say, worded
from vtrace.model import Event, Kind
from vtrace.renderers.base import count_param
from vtrace.renderers.ring_contents import RingContents
from vtrace.renderers.ring_view import EVENT_FLAG_NAMES
from vtrace.ring_packed import WRAP_BIT
from vtrace.session import Session

__all__ = [
    "Area",
    "Figure",
    "Row",
    "StepChanges",
    "Value",
    "figure_lines",
    "figure_svg",
    "packed_figure",
    "ring_at",
    "ring_figure",
    "split_figure",
]

#: Ring positions drawn (the one idx points at last) and descriptor table rows, in a
#: terminal: the figure is then as tall as the lanes it replaces, which an 80x24 screen needs.
WINDOW = 3
DESCRIPTORS = 3
MARK = "*"  # a changed cell, for a screen without colour and for the eye
CHANGED_STYLE = "bold reverse"
_WORDS: Mapping[str, Mapping[str, str]] = {
    "en": {
        "desc": "descriptor table",
        "avail": "avail ring",
        "used": "used ring",
        "column.head": "#",
        "column.addr": "addr",
        "column.len": "len",
        "column.state": "state",
        "state.avail": "avail",
        "state.device": "device",
        "state.used": "used",
        "none": "none in use",
        "more": "+{count} more",
        "pointer": "← idx",
        "changed": "{mark} changed by this step",
        "changed.short": "{mark} changed",
        "title.split": "The split ring",
        "title.packed": "The packed ring",
        "at": "{title} at step {step}",
        "ring": "descriptor ring",
        "driver": "driver",
        "device": "device",
        "column.slot": "slot",
        "column.id": "id",
        "column.flags": "flags",
        "column.avail": "AVAIL",
        "column.used": "USED",
        "column.avail.short": "A",
        "column.used.short": "U",
        "state.freed": "freed",
        "state.next": "",
        "state.free": "",
        "pointer.packed": "← {names}",
        "bits.1": "AVAIL is bit 7 of flags, USED bit 15. The driver makes a slot available",
        "bits.2": "with AVAIL = avail_wrap_counter and USED its opposite; the device marks",
        "bits.3": "it used with both = its used_wrap_counter.",
    },
    "zh": {
        "desc": "描述符表",
        "avail": "avail 环",
        "used": "used 环",
        "column.head": "#",
        "column.addr": "addr",
        "column.len": "len",
        "column.state": "状态",
        "state.avail": "可用",
        "state.device": "设备",
        "state.used": "已用",
        "none": "无使用中的项",
        "more": "另有 {count} 项",
        "pointer": "← idx",
        "changed": "{mark} 这一步改动的",
        "changed.short": "{mark} 本步改动",
        "title.split": "split 环",
        "title.packed": "packed 环",
        "at": "第 {step} 步时的 {title}",
        "ring": "描述符环",
        "driver": "驱动",
        "device": "设备",
        "column.slot": "槽",
        "column.id": "id",
        "column.flags": "flags",
        "column.avail": "AVAIL",
        "column.used": "USED",
        "column.avail.short": "A",
        "column.used.short": "U",
        "state.freed": "已收回",
        "state.next": "",
        "state.free": "",
        "pointer.packed": "← {names}",
        "bits.1": "AVAIL 是 flags 的第 7 位，USED 是第 15 位。",
        "bits.2": "驱动让一个槽可用时写 AVAIL = avail_wrap_counter、USED 取反；",
        "bits.3": "设备标记已用时两位都写成它的 used_wrap_counter。",
    },
}


def _word(key: str, lang: str, **values: object) -> str:
    return worded(_WORDS, key, lang, **values)


@dataclass(frozen=True, slots=True)
class Value:
    """A named field of the ring and its value; ``changed`` by the step drawn."""

    name: str
    value: int
    changed: bool = False
    word: str = ""  # how the value is written when not as a decimal (0x8001, DESC)

    @property
    def text(self) -> str:
        return self.word or str(self.value)


@dataclass(frozen=True, slots=True)
class Row:
    """One row of an area: its label (a descriptor's number, a ring slot), its cells, the
    descriptor it names (an arrow), its state (``avail``, ``device``, ``used``; ``live``,
    ``old`` or ``next`` for a ring position) and whether the step changed it."""

    label: str
    cells: tuple[str, ...]
    state: str
    points_to: int | None = None
    changed: bool = False
    pointers: tuple[str, ...] = ()  # the indices at this ring position (a packed ring)


@dataclass(frozen=True, slots=True)
class Area:
    """One part of the figure: a ``table`` of descriptors (rows of cells under ``columns``,
    the target of the arrows), or a ring with its fields above the rows (flags, idx) and
    below them (its event field); ``more`` rows are left out."""

    name: str
    columns: tuple[str, ...]
    rows: tuple[Row, ...]
    above: tuple[Value, ...] = ()
    below: tuple[Value, ...] = ()
    more: int = 0
    table: bool = False


@dataclass(frozen=True, slots=True)
class Figure:
    """A ring at one step: its areas, left to right, and the shadows each side keeps;
    ``layout`` names the ring's layout (``split`` or ``packed``)."""

    size: int
    areas: tuple[Area, ...]
    shadows: tuple[Value, ...]
    layout: str = "split"

    def values(self) -> dict[str, int]:
        """Every named value the figure shows."""
        return {value.name: value.value for area in self.areas
                for value in (*area.above, *area.below)} | {
            value.name: value.value for value in self.shadows}


@dataclass(slots=True)
class StepChanges:
    """What the events of one step changed: ring fields by name, descriptors by head."""

    actions: Mapping[str, str]
    names: set[str] = field(default_factory=set)
    heads: set[int] = field(default_factory=set)

    def update(self, event: Event) -> None:
        """Take in an event; a call starts a new step."""
        if event.kind is Kind.CALL:
            self.names.clear()
            self.heads.clear()
            head = event.detail.get("head")
            if type(head) is int and event.step in self.actions:
                self.heads.add(head)
        ring = event.detail.get("ring")
        if ring:
            self.names.update(ring)


SHADOWS = ("avail_idx_shadow", "last_used_idx", "last_avail_idx", "num_free")


def split_figure(contents: RingContents, changes: StepChanges | None = None,
                 window: int = WINDOW, descriptors: int = DESCRIPTORS) -> Figure:
    """The split ring as ``contents`` holds it, with what ``changes`` says the step did."""
    names = changes.names if changes else set()
    heads = changes.heads if changes else set()
    values = contents.values

    def value(name: str) -> Value:
        return Value(name, values.get(name, 0), name in names)

    in_use = contents.in_use()
    table = tuple(Row(str(entry.head),
                      ("?" if entry.addr is None else f"{entry.addr:#x}",
                       "?" if entry.length is None else str(entry.length),
                       entry.state), entry.state, changed=entry.head in heads)
                  for entry in in_use[:descriptors])
    desc = Area("desc", ("head", "addr", "len", "state"), table,
                more=max(len(in_use) - descriptors, 0), table=True)
    avail = _ring("avail", {index: head for index, head in contents.avail},
                  contents.size, values.get("avail.idx", 0), values.get("last_avail_idx", 0),
                  window, "avail.idx" in names, (value("avail.flags"), value("avail.idx")),
                  value("used_event"), {})
    used = _ring("used", {index: head for index, head, _ in contents.used},
                 contents.size, values.get("used.idx", 0), values.get("last_used_idx", 0),
                 window, "used.idx" in names, (value("used.flags"), value("used.idx")),
                 value("avail_event"), {index: length for index, _, length in contents.used})
    return Figure(contents.size, (desc, avail, used), tuple(value(name) for name in SHADOWS))


def _ring(name: str, heads: Mapping[int, int], size: int, idx: int, taken: int, window: int,
          moved: bool, above: tuple[Value, ...], below: Value,
          lengths: Mapping[int, int | None]) -> Area:
    """A window of one ring: ``window`` positions up to the one ``idx`` points at; entries
    from ``taken`` on are not yet consumed by the other side."""
    count = min(window, size) if size else 0
    first = max(idx - count + 1, 0)
    rows = []
    for position in range(first, first + count):
        slot = f"[{position % size}]"
        if position >= idx:
            rows.append(Row(slot, (), "next" if position == idx else "free"))
            continue
        head = heads.get(position)
        length = lengths.get(position)
        cells = ("→ ?" if head is None else f"→ {head}",
                 *(() if length is None else (f"len {length}",)))
        rows.append(Row(slot, cells, "live" if position >= taken else "old", head,
                        moved and position == idx - 1))
    return Area(name, ("slot", "head"), tuple(rows), above, (below,))


#: A packed ring's table, and the columns a terminal shows of it (the bits and what they say).
PACKED_COLUMNS = ("slot", "addr", "len", "id", "flags", "avail", "used", "state")
PACKED_TERMINAL = ("slot", "id", "avail", "used", "state")
#: Each side's indices and wrap counters (Linux's names; QEMU's used wrap counter is its
#: VirtQueue's), then its event-suppression area: the driver's is read by the device
#: before an interrupt, the device's by the driver before a kick.
PACKED_SIDES = (
    ("driver", ("next_avail_idx", "avail_wrap_counter", "last_used_idx", "used_wrap_counter",
                "num_free"), "driver_event"),
    ("device", ("last_avail_idx", "last_avail_wrap_counter", "used_idx", "vq.used_wrap_counter",
                "inuse"), "device_event"),
)
#: The indices that point into the ring, and where: the slot each names (Linux keeps the
#: used wrap counter in bit 15 of ``last_used_idx``).
PACKED_POINTERS = ("next_avail_idx", "last_avail_idx", "used_idx", "last_used_idx")


def ring_figure(contents: RingContents, changes: StepChanges | None = None,
                window: int = WINDOW, descriptors: int = DESCRIPTORS) -> Figure:
    """The ring as ``contents`` holds it, in its own layout."""
    if contents.packed:
        return packed_figure(contents, changes, window)
    return split_figure(contents, changes, window, descriptors)


def packed_figure(contents: RingContents, changes: StepChanges | None = None,
                  window: int = WINDOW) -> Figure:
    """The packed ring as ``contents`` holds it: ``window`` descriptor slots up to the one
    ``next_avail_idx`` points at, each side's values and event area, what the step
    changed marked."""
    names = changes.names if changes else set()
    heads = changes.heads if changes else set()
    values = contents.values
    size = contents.size

    def value(name: str, word: str = "") -> Value:
        return Value(name, values.get(name, 0), name in names, word)

    pointed: dict[int, list[str]] = {}
    for name in PACKED_POINTERS:
        pointed.setdefault((values.get(name, 0) & ~WRAP_BIT) % size, []).append(name)
    # The slot the step changed: the one the device's flush wrote back (used_idx moved past
    # it, its flags changed), else the one a call acting on a buffer wrote or read (an add, a
    # pop, a reclaim: the slot it names); other steps that name a slot only read it.
    if {"slot.flags", "used_idx"} <= names:
        touched: int | None = (values.get("used_idx", 0) - 1) % size
    else:
        touched = values.get("slot") if heads else None
    marked = {number for number in contents.slots if number == touched}
    count = min(window, size)
    end = values.get("next_avail_idx", 0)
    # The slots up to the one the driver writes next, or from the slot the step changed
    # when that lies further back.
    behind = max(((end - number) % size for number in marked), default=0)
    first = end - max(count - 1, behind)
    if first < 0 and first % size not in contents.slots:
        first = 0  # a young ring: nothing written before slot 0 yet
    # Slots the driver has made available that the device has not taken yet: a whole lap
    # when the driver's wrap counter is a lap ahead of the device's.
    taken = values.get("last_avail_idx", 0)
    pending = (end - taken) % size or (
        size if values.get("avail_wrap_counter") != values.get("last_avail_wrap_counter") else 0)
    rows = []
    for position in range(first, first + count):
        number = position % size
        slot = contents.slots.get(number)
        pointers = tuple(pointed.get(number, ()))
        if slot is None and (number - taken) % size < pending:
            # posted in bulk (a receive ring's refill): the stream names it when it is taken
            rows.append(Row(str(number), ("?",) * 6 + ("avail",), "avail", pointers=pointers))
            continue
        if slot is None:
            rows.append(Row(str(number), (), "next" if number == end else "free",
                            pointers=pointers))
            continue
        state, length = slot.shown()
        avail, used = slot.bits()
        cells = ("?" if slot.addr is None else f"{slot.addr:#x}",
                 "?" if length is None else str(length), str(slot.id), f"{slot.flags:#06x}",
                 str(avail), str(used), state)
        rows.append(Row(str(number), cells, state, changed=number in marked,
                        pointers=pointers))
    ring = Area("ring", PACKED_COLUMNS, tuple(rows), table=True)
    sides = tuple(
        Area(side, (), (), tuple(value(name) for name in own),
             (value(f"{event}.off_wrap", f"{values.get(f'{event}.off_wrap', 0):#06x}"),
              value(f"{event}.flags", EVENT_FLAG_NAMES.get(values.get(f"{event}.flags", 0),
                                                          ""))))
        for side, own, event in PACKED_SIDES)
    return Figure(size, (ring, *sides), (), "packed")


def ring_at(session: Session, step: int, window: int = 5,
            descriptors: int = 8) -> tuple[Figure | None, int, int | None]:
    """The ring of ``session`` at the end of step ``step`` (numbered as step mode numbers
    steps: each call starts one, and what comes before the first call belongs to the
    first), how many steps were read, and with several queue pairs the pair whose ring it
    is (step ``step``'s; None with one pair); no figure when the stream ends before that
    step, or has no ring."""
    panel = session.scenario.ring
    rings: dict[int, tuple[RingContents, StepChanges]] = {}
    calls = shown = 0
    for event in session.events():
        queue = event.detail.get("queue")
        queue = queue if type(queue) is int else 0
        if event.kind is Kind.CALL:
            if calls == step:
                break
            calls += 1
            shown = queue
        parts = rings.get(queue)
        if parts is None:
            parts = rings[queue] = (RingContents(session.header, session.scenario),
                                    StepChanges(panel.actions if panel else {}))
        parts[0].update(event)
        parts[1].update(event)
    several = (count_param(session.header.params, "queues") or 1) > 1
    parts = rings.get(shown)
    if calls < step or parts is None or not parts[0].size:
        return None, calls, None
    return ring_figure(*parts, window, descriptors), calls, shown if several else None


# -- text --------------------------------------------------------------------------------------

def _marked(text: str, changed: bool) -> Text:
    return Text(text + MARK, style=CHANGED_STYLE) if changed else Text(text + " ")


def _values(values: Iterable[Value], prefix: str = "") -> Text:
    """Values as ``name value`` words; a ring's own fields lose the ring's name (``idx``)."""
    return Text(" ").join(Text.assemble(f"{value.name.removeprefix(prefix)} ",
                                        _marked(value.text, value.changed))
                          for value in values)


def _pad(text: str, width: int, right: bool) -> str:
    room = " " * (width - cell_len(text))
    return room + text if right else text + room


def _table_block(area: Area, lang: str) -> list[Text]:
    heads = [_word(f"column.{column}", lang) for column in area.columns]
    cells = [[row.label, *row.cells[:2], _word(f"state.{row.state}", lang)] for row in area.rows]
    widths = [max(cell_len(text) for text in column) for column in zip(heads, *cells, strict=True)]
    lines = [Text(_word(area.name, lang), style="bold"),
             Text(" ".join(_pad(head, width, False) for head, width
                           in zip(heads, widths, strict=True)).rstrip(), style="bold")]
    for row, texts in zip(area.rows, cells, strict=True):
        line = Text(" ".join(_pad(text, width, index < 3) for index, (text, width)
                             in enumerate(zip(texts, widths, strict=True))).rstrip())
        lines.append(_marked_line(line, row.changed))
    if not area.rows:
        lines.append(Text(_word("none", lang)))
    if area.more:
        lines.append(Text(_word("more", lang, count=area.more)))
    return lines


def _marked_line(line: Text, changed: bool) -> Text:
    if changed:
        line.stylize(CHANGED_STYLE)
        line.append(MARK, style=CHANGED_STYLE)
    return line


def _ring_block(area: Area, lang: str) -> list[Text]:
    lines = [Text(_word(area.name, lang), style="bold"), _values(area.above, f"{area.name}.")]
    label = max((len(row.label) for row in area.rows), default=0)
    for row in area.rows:
        if not row.cells:
            pointer = f" {_word('pointer', lang)}" if row.state == "next" else ""
            lines.append(Text(f"{row.label.rjust(label)}{pointer}"))
            continue
        line = Text(f"{row.label.rjust(label)} {' '.join(row.cells)}",
                    style="bold" if row.state == "live" else "")
        lines.append(_marked_line(line, row.changed))
    lines.append(_values(area.below))
    return lines


def _side_by_side(blocks: Sequence[Sequence[Text]], gap: int) -> list[Text]:
    """Blocks of lines next to each other, each as wide as its widest line."""
    widths = [max(line.cell_len for line in block) for block in blocks]
    lines = []
    for index in range(max(len(block) for block in blocks)):
        line = Text()
        for number, (block, across) in enumerate(zip(blocks, widths, strict=True)):
            part = block[index] if index < len(block) else Text()
            line.append_text(part)
            if number < len(blocks) - 1:
                line.append(" " * (across - part.cell_len + gap))
        line.rstrip()
        lines.append(line)
    return lines


def figure_lines(figure: Figure, lang: str = "en", width: int = 76,
                 gap: int = 3) -> list[Text]:
    """The figure as terminal lines: its areas side by side, then the shadows and what the
    mark means (on the shadows' line when ``width`` leaves room)."""
    if figure.layout == "packed":
        return _packed_lines(figure, lang, width, gap)
    blocks = [_table_block(area, lang) if area.table else _ring_block(area, lang)
              for area in figure.areas]
    lines = _side_by_side(blocks, gap)
    shadows = _values(figure.shadows)
    shadows.rstrip()
    lines.append(shadows)
    _legend(lines, (lines[0], shadows), lang, width, gap)
    return lines


def _legend(lines: list[Text], candidates: Iterable[Text], lang: str, width: int,
            gap: int) -> None:
    """What the mark means, on the first of ``candidates`` with room, else on a line of its
    own."""
    legend = Text(_word("changed.short", lang, mark=MARK))
    for line in candidates:
        if line.cell_len + gap + legend.cell_len <= width:
            line.append(" " * gap)
            line.append_text(legend)
            break
    else:
        lines.append(legend)


#: The terminal's short headings for the bits' columns.
_SHORT = {"slot": "column.head", "avail": "column.avail.short", "used": "column.used.short"}


def _packed_lines(figure: Figure, lang: str, width: int, gap: int) -> list[Text]:
    """A packed ring in a terminal: the slots (number, id, AVAIL and USED bits, what the slot
    holds) beside each side's values, then both event areas: 7 lines of 70 columns (a
    queue of up to 256), which an 80x24 screen has room for."""
    ring, *sides = figure.areas
    picks = [ring.columns.index(column) for column in PACKED_TERMINAL]
    heads = [_word(_SHORT.get(column, f"column.{column}"), lang) for column in PACKED_TERMINAL]
    written = [row for row in ring.rows if row.cells]
    cells = {id(row): [row.label, *(row.cells[pick - 1] for pick in picks[1:-1]),
                       _word(f"state.{row.state}", lang)] for row in written}
    widths = [max(cell_len(text) for text in column)
              for column in zip(heads, *cells.values(), strict=True)]
    table = [Text(_word("ring", lang), style="bold"),
             Text(" ".join(_pad(head, across, False) for head, across
                           in zip(heads, widths, strict=True)).rstrip(), style="bold")]
    for row in ring.rows:
        if not row.cells:
            pointer = (" " + _word("pointer.packed", lang, names="next_avail_idx")
                       if row.state == "next" else "")
            table.append(Text(_pad(row.label, widths[0], True) + pointer))
            continue
        line = Text(" ".join(_pad(text, across, index < len(widths) - 1) for index, (text, across)
                             in enumerate(zip(cells[id(row)], widths, strict=True))).rstrip())
        table.append(_marked_line(line, row.changed))
    # Each side's indices and wrap counters; its count of buffers (num_free, inuse) is
    # left to the SVG and the player, so that the figure is as tall as the split one.
    blocks = [table, *([Text(_word(side.name, lang), style="bold"),
                        *(_values((value,)) for value in side.above[:4])] for side in sides)]
    lines = _side_by_side(blocks, gap - 1)
    events = [Text.assemble(f"{side.below[0].name.split('.')[0]} ",
                            _values(side.below, side.below[0].name.split(".")[0] + "."))
              for side in sides]
    for line in events:
        line.rstrip()
    lines += events
    _legend(lines, events, lang, width, gap)
    return lines


# -- SVG ---------------------------------------------------------------------------------------

ROW = 22
CHAR = 8.4  # the advance of one column of the monospaced type at 14 px
PAD = 6
GAP = 56


def _svg_text(x: float, y: float, text: str, css: str = "") -> str:
    attribute = f' class="{css}"' if css else ""
    return f'<text x="{x:.1f}" y="{y:.1f}"{attribute}>{escape(text)}</text>'


def _svg_cell(x: float, y: float, width: float, text: str, css: str) -> str:
    return (f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{ROW}" '
            f'class="cell {css}"/>' + _svg_text(x + PAD, y + ROW - 7, text, css))


def _svg_values(x: float, y: float, values: Sequence[Value]) -> tuple[list[str], float]:
    parts, at = [], x
    for value in values:
        text = f"{value.name} {value.text}{MARK if value.changed else ''}"
        width = len(text) * CHAR + 2 * PAD
        parts.append(_svg_cell(at, y, width, text, "changed" if value.changed else "field"))
        at += width
    return parts, at


def _svg_table(area: Area, x: float, y: float, lang: str,
               parts: list[str]) -> tuple[float, float, dict[int, float]]:
    """A table area at (``x``, ``y``): its column heads, then a row per entry, each cell
    filled by the row's state. Returns its right edge, its bottom and, per row whose label
    is a number, the y of the row's middle."""
    texts = [[row.label, *(row.cells[:-1] if row.cells else ("",) * (len(area.columns) - 2)),
              _word(f"state.{row.state}", lang)] for row in area.rows]
    heads = [_word(f"column.{column}", lang) for column in area.columns]
    widths = [max(cell_len(text) for text in column) * CHAR + 2 * PAD + CHAR
              for column in zip(heads, *texts, strict=True)]
    at = x
    for head, width in zip(heads, widths, strict=True):
        parts.append(_svg_cell(at, y, width, head, "head"))
        at += width
    below = y + ROW
    rows_at: dict[int, float] = {}
    for row, cells in zip(area.rows, texts, strict=True):
        at = x
        for text, width in zip(cells, widths, strict=True):
            css = f"state-{row.state}" + (" changed" if row.changed else "")
            parts.append(_svg_cell(at, below, width, text + (MARK if row.changed else ""), css))
            at += width
        if row.pointers:
            parts.append(_svg_text(at + 4, below + ROW - 7,
                                   _word("pointer.packed", lang, names=", ".join(row.pointers)),
                                   "pointer"))
        rows_at[int(row.label)] = below + ROW / 2
        below += ROW
    for text in ([_word("none", lang)] if not area.rows else []) + (
            [_word("more", lang, count=area.more)] if area.more else []):
        parts.append(_svg_text(x, below + ROW - 7, text))
        below += ROW
    return x + sum(widths), below, rows_at


def _svg_split(figure: Figure, lang: str, parts: list[str]) -> tuple[float, float]:
    """The split ring's areas: the descriptor table, the rings to its right one under the
    other with arrows to the descriptors, the shadows below. Returns the width and height."""
    rows_at: dict[int, float] = {}  # descriptor head: the y of its row's middle
    arrows: list[tuple[float, float, int]] = []  # from (x, y) to a head
    x, y, bottom, right, desc_right = 0.0, 40.0, 0.0, 0.0, 0.0
    for area in figure.areas:
        parts.append(_svg_text(x, y - 8, _word(area.name, lang), "title"))
        if area.table:
            desc_right, below, rows_at = _svg_table(area, x, y, lang, parts)
            right = desc_right
            bottom = max(bottom, below)
            x = desc_right + GAP  # the rings stand to the right, one under the other
            continue
        cells, end = _svg_values(x, y, area.above)
        parts += cells
        width = end - x
        y += ROW
        for row in area.rows:
            text = row.label + " " + " ".join(row.cells) + (MARK if row.changed else "")
            css = row.state + (" changed" if row.changed else "")
            parts.append(_svg_cell(x, y, width, text, css))
            if row.state == "next":
                parts.append(_svg_text(x + width + 4, y + ROW - 7, _word("pointer", lang),
                                       "pointer"))
            if row.state == "live" and row.points_to is not None:
                arrows.append((x, y + ROW / 2, row.points_to))
            y += ROW
        cells, _ = _svg_values(x, y, area.below)
        parts += cells
        y += ROW
        right = max(right, x + width)
        bottom = max(bottom, y)
        y += 2 * ROW
    for start_x, start_y, named in arrows:
        if named not in rows_at:
            continue
        end_y = rows_at[named]
        parts.append(f'<path d="M{start_x:.1f},{start_y:.1f} C{start_x - GAP / 2:.1f},'
                     f'{start_y:.1f} {desc_right + GAP / 2:.1f},{end_y:.1f} '
                     f'{desc_right + 6:.1f},{end_y:.1f}" class="arrow"/>')
        parts.append(f'<path d="M{desc_right:.1f},{end_y:.1f} l8,-4 l0,8 z" class="tip"/>')
    shadows, end = _svg_values(0, bottom + ROW, figure.shadows)
    parts += shadows
    parts.append(_svg_text(0, bottom + 3 * ROW, _word("changed", lang, mark=MARK), "note"))
    return max(right + CHAR * 8, end) + PAD, bottom + 3 * ROW + PAD


def _svg_packed(figure: Figure, lang: str, parts: list[str]) -> tuple[float, float]:
    """The packed ring's areas: the slots with the indices pointing at them, then each side's
    values and event area in a column to the right. Returns the width and height."""
    ring, *sides = figure.areas
    y = 40.0
    parts.append(_svg_text(0, y - 8, _word(ring.name, lang), "title"))
    table_right, bottom, _ = _svg_table(ring, 0, y, lang, parts)
    pointers = max((cell_len(_word("pointer.packed", lang, names=", ".join(row.pointers)))
                    for row in ring.rows if row.pointers), default=0)
    x = table_right + pointers * CHAR + GAP
    for line in ("bits.1", "bits.2", "bits.3"):
        parts.append(_svg_text(0, bottom + ROW - 7, _word(line, lang), "note"))
        bottom += ROW
    right = x
    for side in sides:
        parts.append(_svg_text(x, y - 8, _word(side.name, lang), "title"))
        width = max(len(f"{value.name} {value.text}{MARK}") for value in (
            *side.above, *side.below)) * CHAR + 2 * PAD
        at = y
        for value in side.above:
            css = "changed" if value.changed else "field"
            parts.append(_svg_cell(x, at, width, f"{value.name} {value.text}"
                                   f"{MARK if value.changed else ''}", css))
            at += ROW
        at += ROW
        for value in side.below:
            css = "changed" if value.changed else "event"
            parts.append(_svg_cell(x, at, width, f"{value.name} {value.text}"
                                   f"{MARK if value.changed else ''}", css))
            at += ROW
        bottom = max(bottom, at)
        right = x + width
        x = right + GAP / 2
    parts.append(_svg_text(0, bottom + 2 * ROW, _word("changed", lang, mark=MARK), "note"))
    return right + PAD, bottom + 2 * ROW + PAD


#: What only a packed ring's picture has: reclaimed slots, the event areas, the pointers.
_PACKED_STYLE = (
    ".cell.state-freed { fill: #f5f5f5; }",
    ".cell.event { fill: #ede9fe; }",
    ".pointer { fill: #1d4ed8; }",
)


def figure_svg(figure: Figure, lang: str = "en", step: int | None = None,
               queue: int | None = None) -> str:
    """The figure as an SVG picture: the areas as tables, an arrow from each ring entry not
    yet consumed to the descriptor it names (a split ring), the indices pointing at the
    slots (a packed ring), changed cells filled and marked; ``queue`` names the queue pair
    in the title when there are several."""
    parts: list[str] = []
    packed = figure.layout == "packed"
    width, height = (_svg_packed if packed else _svg_split)(figure, lang, parts)
    title = _word(f"title.{figure.layout}", lang)
    if step is not None:
        title = _word("at", lang, title=title, step=step)
    if queue is not None:
        title += " · " + say("summary.queue", lang, queue=queue)
    return "\n".join([
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" role="img">',  # named by its title
        f"<title>{escape(title)}</title>",
        "<style>",
        "text { font: 14px monospace; fill: #111; }",
        ".title { font-weight: bold; }",
        ".cell { fill: #fff; stroke: #333; }",
        ".cell.head, .cell.field { fill: #eee; }",
        ".cell.live, .cell.state-avail { fill: #dbeafe; }",
        ".cell.state-device { fill: #fef3c7; }",
        ".cell.state-used { fill: #dcfce7; }",
        ".cell.old { fill: #f5f5f5; }",
        *(_PACKED_STYLE if packed else ()),
        ".cell.changed { fill: #fde047; stroke-width: 2.5; }",
        "text.changed, text.live { font-weight: bold; }",
        ".arrow { fill: none; stroke: #1d4ed8; stroke-width: 1.5; }",
        ".tip { fill: #1d4ed8; }",
        "</style>",
        f'<rect width="{width:.0f}" height="{height:.0f}" fill="#fff"/>',
        *parts,
        "</svg>",
        "",
    ])
