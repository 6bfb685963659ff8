"""The overview: one page with the layers of the machine and a scenario's path numbered on it.

The picture is fixed: the guest (user space, then the kernel's socket,
stack and virtio_net driver) inside a red dashed border, the virtqueue in
shared memory beside it, QEMU (virtio-net device, net layer, tap backend)
on the right, and the host kernel across the bottom (KVM, the vhost-net
worker when the stream uses it, the tun character device, the tap netdev,
the host stack or bridge). When the header says ``backend: vhost-net``,
QEMU's parts are drawn greyed out with a caption: the data path bypasses
them. The title names the scenario's path (send, receive, set-up).

The path comes from the stream: the events up to the start of the second
frame, or batch, so the first frame's path with the work it causes (like a
round in ``folding``). Each event moves its actor onto a *part* of the
picture; an event whose source and destination sit on different parts is a
hop. Hops are numbered in the order they first happen; a hop taken again
adds its number to the first one's badge, and a hop back along a hop
already drawn (the VM entry) shares its line, with arrowheads at both ends.
Hops between parts on one row with another part between them bend around
it: above the guest's and QEMU's row, below the host kernel's (above it
runs the line up to the virtqueue). A legend lists every number with its
function. Actors the picture has no
part for are left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO, Any

from vtrace.catalog import Text
from vtrace.model import Event, Kind, Layer
from vtrace.renderers.base import register
from vtrace.renderers.canvas import BACK, FRONT, MIDDLE, MONO, Canvas, text_width
from vtrace.renderers.diagram_text import (
    LAYER_FILL,
    RED,
    arrow_look,
    diagram_comment,
    diagram_title,
    ends,
    message_label,
    word,
)
from vtrace.renderers.folding import batch_of
from vtrace.renderers.graphviz_run import GraphvizRenderer
from vtrace.scenarios import Scenario
from vtrace.scenarios.words import text as worded
from vtrace.session import Session

__all__ = ["OverviewRenderer", "Hop", "bypassed", "overview_hops", "overview_source",
           "overview_title"]

PART_W, PART_H = 124.0, 44.0
ROW_GUEST_USER, ROW_MAIN, ROW_HOST = 130.0, 260.0, 470.0
BEND = 26.0  # how far above its row a bent hop runs
HOST_BEND = 15.0  # how far below the host kernel's row
LEGEND_TOP = 560.0
LEGEND_LINE = 13.0
LEGEND_ROWS = 12  # lines per legend column

#: Parts of the picture: centre and the layer whose colour fills it.
PARTS: dict[str, tuple[float, float, Layer]] = {
    "app": (100.0, ROW_GUEST_USER, Layer.GUEST_USER),
    "socket": (100.0, ROW_MAIN, Layer.GUEST_KERNEL),
    "stack": (270.0, ROW_MAIN, Layer.GUEST_KERNEL),
    "virtio_net": (440.0, ROW_MAIN, Layer.GUEST_KERNEL),
    "vring": (640.0, ROW_MAIN, Layer.VRING),
    "virtio-net": (840.0, ROW_MAIN, Layer.QEMU),
    "net-queue": (1010.0, ROW_MAIN, Layer.QEMU),
    "tap": (1180.0, ROW_MAIN, Layer.QEMU),
    "kvm": (440.0, ROW_HOST, Layer.KVM),
    "vhost": (640.0, ROW_HOST, Layer.HOST_KERNEL),
    "host-stack": (840.0, ROW_HOST, Layer.HOST_KERNEL),
    "tap-netdev": (1010.0, ROW_HOST, Layer.HOST_KERNEL),
    "tun-chr": (1180.0, ROW_HOST, Layer.HOST_KERNEL),
}
#: The part an actor is on, and steps that put it on another one.
ACTOR_PART = {"app": "app", "stack": "stack", "virtio_net": "virtio_net", "vring": "vring",
              "kvm": "kvm", "virtio-net": "virtio-net", "net-queue": "net-queue", "tap": "tap",
              "vhost": "vhost", "tun": "tun-chr", "host-stack": "host-stack"}
STEP_PART = {"__sys_sendto": "socket", "udp_sendmsg": "socket", "__sys_recvfrom": "socket",
             "udp_recvmsg": "socket", "tun_rx_batched": "tap-netdev", "tun_xdp_one": "tap-netdev",
             "tun_net_xmit": "tap-netdev"}
#: Parts on QEMU's data path, which vhost-net bypasses.
QEMU_PARTS = frozenset(part for part, (_, _, layer) in PARTS.items() if layer is Layer.QEMU)
DIM_FILL, DIM_LINE, DIM_TEXT = "#f3f3f3", "#b5b5b5", "#9a9a9a"


@dataclass
class Hop:
    """A line of the overview: from one part to another, and the numbered events along it."""

    src: str
    dst: str
    steps: list[tuple[int, Event]] = field(default_factory=list)
    back: list[tuple[int, Event]] = field(default_factory=list)  # from dst to src

    @property
    def event(self) -> Event:
        """The event that first took the hop; its kind sets the line's look."""
        return self.steps[0][1]

    def badge(self) -> str:
        """``4,17`` for the numbers along the hop, ``/6`` after them for those back."""
        along = ",".join(str(number) for number, _ in self.steps)
        back = ",".join(str(number) for number, _ in self.back)
        return f"{along}/{back}" if back else along


def _first_round(events: Iterable[Event], batch: int) -> Iterator[Event]:
    lead: int | None = None
    for event in events:
        frame = event.frame
        if frame is not None:
            if lead is None:
                lead = frame
            elif frame - lead >= batch:
                return
        yield event


def bypassed(session: Session) -> bool:
    """Whether the stream's back end (vhost-net) leaves QEMU off the data path."""
    return session.scenario.backend(session.header.params).bypasses_qemu


def overview_hops(events: Iterable[Event], *, batch: int = 1) -> list[Hop]:
    """The numbered hops of the first round of ``events``."""
    where: dict[str, str] = {}
    hops: dict[tuple[str, str], Hop] = {}
    number = 0
    for event in _first_round(events, batch):
        dst = STEP_PART.get(event.step, ACTOR_PART.get(event.dst))
        actor = ends(event, ACTOR_PART)[0]  # a VM entry leaves KVM
        src = where.get(actor, ACTOR_PART.get(actor))
        if event.kind is Kind.CALL and dst is not None:
            where[event.dst] = dst
        if src is None or dst is None or src == dst or event.kind is Kind.NOTE:
            continue
        number += 1
        if (dst, src) in hops and (src, dst) not in hops:
            hops[dst, src].back.append((number, event))
        else:
            hops.setdefault((src, dst), Hop(src, dst)).steps.append((number, event))
    return list(hops.values())


def _frames(canvas: Canvas, lang: str, dim: bool) -> None:
    """The regions: guest (with its two bands), QEMU (greyed out when ``dim``), host kernel."""
    canvas.box(270, 205, 500, 290, style="dashed,filled", fillcolor="#fbfdff", color=RED,
               penwidth="2")
    canvas.text(30, 74, word("overview.guest", lang), left=True, size=11, fontcolor=RED)
    for top, bottom, layer in ((90, 170, Layer.GUEST_USER), (180, 340, Layer.GUEST_KERNEL)):
        canvas.box(270, (top + bottom) / 2, 480, bottom - top, style="filled",
                   fillcolor=LAYER_FILL[layer], color="#ffffff", penwidth="0")
        canvas.text(36, top + 10, word(f"layer.{layer.value}", lang), left=True, size=9,
                    fontcolor="#555555")
    canvas.box(1010, 260, 500, 160, style="filled,rounded" + (",dashed" if dim else ""),
               fillcolor=DIM_FILL if dim else LAYER_FILL[Layer.QEMU],
               color=DIM_LINE if dim else "#6a9f70", penwidth="1")
    canvas.text(770, 326, word("overview.qemu", lang), left=True, size=11,
                fontcolor=DIM_TEXT if dim else "#3b6b40")
    if dim:
        canvas.text(770, 194, word("overview.bypassed", lang), left=True, size=9,
                    fontcolor="#666666", layer=FRONT)
    canvas.box(640, ROW_HOST, 1240, 120, style="filled,rounded",
               fillcolor=LAYER_FILL[Layer.HOST_KERNEL], color="#a98b6d", penwidth="1")
    canvas.text(30, ROW_HOST - 48, word("overview.host", lang), left=True, size=11,
                fontcolor="#7a5a3a")


def _parts(canvas: Canvas, lang: str, hops: list[Hop], dim: bool,
           own: Mapping[str, Text]) -> dict[str, str]:
    """The parts' boxes; the vhost worker only when it works, QEMU's greyed out when ``dim``;
    ``own``: the labels the scenario words its own way."""
    nodes: dict[str, str] = {}
    used = {part for hop in hops for part in (hop.src, hop.dst)}
    for part, (x, y, layer) in PARTS.items():
        if part == "vhost" and not (dim or part in used):
            continue
        label = worded(own[part], lang) if part in own else word(
            "part.vring.vhost" if part == "vring" and dim else f"part.{part}", lang)
        height = PART_H if part != "vring" else PART_H * 1.8
        off = dim and part in QEMU_PARTS
        nodes[part] = canvas.box(x, y, max(PART_W, text_width(label, 9) + 16), height,
                                 label=label, layer=MIDDLE, shape="box",
                                 style="filled,rounded" + (",dashed" if off else ""),
                                 fillcolor=DIM_FILL if off else LAYER_FILL[layer],
                                 color=DIM_LINE if off else "#555555",
                                 fontcolor=DIM_TEXT if off else "#222222", fontsize="9")
    return nodes


def _badge(canvas: Canvas, start: tuple[float, float], end: tuple[float, float], text: str,
           colour: str, *, below: bool = False) -> None:
    """The numbers of a hop in a small rounded box beside the middle of its line, above or
    right of it (``below``: under it); lines are drawn over nodes, so the badge must not sit
    on one."""
    width, height = max(18.0, text_width(text, 8) + 10), 16.0
    (x1, y1), (x2, y2) = start, end
    length = max(((x2 - x1) ** 2 + (y2 - y1) ** 2) ** 0.5, 1.0)
    normal_x, normal_y = (y2 - y1) / length, (x1 - x2) / length
    if (normal_y > 0 or (normal_y == 0 and normal_x < 0)) != below:
        normal_x, normal_y = -normal_x, -normal_y
    reach = abs(normal_x) * (width / 2 + 4) + abs(normal_y) * (height / 2 + 4)
    x, y = (x1 + x2) / 2 + normal_x * reach, (y1 + y2) / 2 + normal_y * reach
    canvas.box(x, y, width, height, label=text, layer=FRONT,
               shape="box", style="filled,rounded", fillcolor="#ffffff", color=colour,
               fontcolor=colour, fontsize="8", fontname=MONO, penwidth="1.2")


def _bends(hop: Hop) -> bool:
    """Whether another part stands between the hop's two parts on their row."""
    (x1, y1, _), (x2, y2, _) = PARTS[hop.src], PARTS[hop.dst]
    return any(y == y1 == y2 and min(x1, x2) < x < max(x1, x2) for x, y, _ in PARTS.values())


def _hop(canvas: Canvas, nodes: dict[str, str], hop: Hop, level: int) -> None:
    (x1, y1, _), (x2, y2, _) = PARTS[hop.src], PARTS[hop.dst]
    look = arrow_look(hop.event)
    colour, style, width = look["color"], look["style"], look["penwidth"]
    both = "both" if hop.back else "forward"
    if not _bends(hop):
        canvas.connect(nodes[hop.src], nodes[hop.dst], color=colour, style=style,
                       penwidth=width, dir=both)
        _badge(canvas, (x1, y1), (x2, y2), hop.badge(), colour)
        return
    below = y1 == ROW_HOST
    if below:
        top = y1 + PART_H / 2 + HOST_BEND * (level + 1)
    else:
        top = y1 - PART_H / 2 - BEND * (level + 1)
    rise, run = canvas.point(x1, top), canvas.point(x2, top)
    for tail, head in ((nodes[hop.src], rise), (rise, run)):
        canvas.connect(tail, head, arrow=False, color=colour, style=style, penwidth=width)
    canvas.connect(run, nodes[hop.dst], color=colour, style=style, penwidth=width, dir=both)
    _badge(canvas, (x1, top), (x2, top), hop.badge(), colour, below=below)


def _part_name(part: str, lang: str, own: Mapping[str, Text]) -> str:
    """What the picture calls a part, on one line (``tap netdev (tap0)``, ``virtqueue``);
    ``own``: the labels the scenario words its own way."""
    label = worded(own[part], lang) if part in own else word(f"part.{part}", lang)
    return label.split("\n", 1)[0]


def _legend(canvas: Canvas, hops: list[Hop], lang: str, own: Mapping[str, Text]) -> None:
    lines: list[tuple[int, str]] = []
    for hop in hops:
        for (number, event), (src, dst) in [*((step, (hop.src, hop.dst)) for step in hop.steps),
                                            *((step, (hop.dst, hop.src)) for step in hop.back)]:
            lines.append((number, f"{message_label(event, lang)}  "
                                  f"({_part_name(src, lang, own)} → "
                                  f"{_part_name(dst, lang, own)})"))
    lines.sort()
    canvas.text(30, LEGEND_TOP, word("overview.legend", lang), left=True, size=11)
    for index, (number, text) in enumerate(lines):
        column, row = divmod(index, LEGEND_ROWS)
        canvas.text(30 + column * 630, LEGEND_TOP + 20 + row * LEGEND_LINE,
                    f"{number:>2}  {text}", left=True, size=9, fontname=MONO, layer=BACK)


def overview_title(scenario: Scenario, lang: str = "en") -> str:
    """``The send path across the layers``, ``The receive path ...``: the scenario's path."""
    return worded(scenario.path_title, lang)


def overview_source(session: Session, *, lang: str = "en") -> str:
    """The DOT source of the overview, with the path of the session's events numbered on it."""
    header = session.header
    hops = overview_hops(session.events(), batch=batch_of(header.params))
    dim = bypassed(session)
    canvas = Canvas("overview", comment=diagram_comment(header))
    canvas.text(30, 20, overview_title(session.scenario, lang), left=True, size=14)
    canvas.text(30, 40, diagram_title(session, lang), left=True, size=9, fontcolor="#555555")
    _frames(canvas, lang, dim)
    nodes = _parts(canvas, lang, hops, dim, session.scenario.part_words)
    bent = {ROW_MAIN: 0, ROW_HOST: 0}
    for hop in hops:
        row = PARTS[hop.src][1]
        _hop(canvas, nodes, hop, bent.get(row, 0))
        bent[row] = bent.get(row, 0) + _bends(hop)
    _legend(canvas, hops, lang, session.scenario.part_words)
    return canvas.source()


@register
class OverviewRenderer(GraphvizRenderer):
    """The layered overview: DOT source, or a picture drawn by ``dot`` or graphviz-pure."""

    name = "overview"
    formats = ("svg", "png", "pdf", "dot")
    chosen_by_format = False
    options = ("output_format", "renderer")
    description = "one-page picture of the layers with the path numbered"

    def render(self, session: Session, out: IO[Any]) -> None:
        self.write(overview_source(session, lang=self.lang), out)
