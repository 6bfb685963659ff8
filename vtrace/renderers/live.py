"""The live view: swimlanes by layer, the current step, the ring and the counters (rich)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import IO, Any

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.panel import Panel
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from vtrace.catalog import ERAS
from vtrace.i18n import era_label, say
from vtrace.model import ACTOR_LAYER, Event, Header, Kind, Layer
from vtrace.renderers.base import Renderer, count_param, register
from vtrace.renderers.describe import decision, lesson, location, note, why
from vtrace.scenarios import of
from vtrace.tally import Tally

__all__ = ["LiveRenderer", "LiveState"]

LAYER_STYLE = {
    Layer.GUEST_USER: "green",
    Layer.GUEST_KERNEL: "cyan",
    Layer.VRING: "magenta",
    Layer.KVM: "red",
    Layer.QEMU: "yellow",
    Layer.HOST_KERNEL: "blue",
}
SHARED = ("avail.idx", "used.idx", "avail_event", "used_event", "avail.flags", "used.flags")
DRIVER = ("avail_idx_shadow", "num_added", "num_free", "last_used_idx")
DEVICE = ("last_avail_idx", "inuse", "signalled_used", "notification")
REFRESH_PER_SECOND = 12.0


class LiveState:
    """What the screen shows, updated per event and drawn whenever rich refreshes."""

    def __init__(self, header: Header, lang: str, keys_hint: bool) -> None:
        self.lang = lang
        self.keys_hint = keys_hint
        self.scenario = scenario = of(header)
        frames = scenario.frames_param
        self.frames = (count_param(header.params, frames) or 0) if frames else 0
        ring = scenario.ring
        self.queue_size = (count_param(header.params, ring.size_param) or 0) if ring else 0
        era = ERAS.get(str(header.params.get("era", "")))
        self.title = f"vtrace {header.scenario}" + (f" · {era_label(era, lang)}" if era else "")
        self.tally = Tally(scenario.calls, scenario.notes)
        self.last_in_layer: dict[Layer, Event] = {}
        self.current: Event | None = None
        self.remark = ""

    def update(self, event: Event) -> None:
        self.tally.add(event)
        if event.kind is Kind.CALL:
            self.current = event
            self.last_in_layer[event.layer] = event
            self.remark = decision(event, self.lang)
        else:
            self.remark = decision(event, self.lang) or self.remark

    def __rich__(self) -> RenderableType:
        return Panel(
            Group(self._lanes_and_ring(), self._step(), self._counters()),
            title=self.title, title_align="left",
        )

    def _lanes_and_ring(self) -> Table:
        grid = Table.grid(expand=True, padding=(0, 2))
        grid.add_column(ratio=3)
        if not self.queue_size or self.scenario.ring is None:
            grid.add_row(self._lanes())
            return grid
        grid.add_column(ratio=2, min_width=36)
        grid.add_row(self._lanes(), self._ring())
        return grid

    def _lanes(self) -> Table:
        title = say("live.layers" if self.frames else "live.where", self.lang)
        table = Table(title=title, expand=True, show_header=False,
                      title_justify="left", box=None)
        table.add_column(no_wrap=True, min_width=14)
        table.add_column(overflow="ellipsis", no_wrap=True, ratio=1)
        table.add_column(overflow="ellipsis", no_wrap=True, ratio=2)
        current = self.current.layer if self.current else None
        for layer in Layer:
            event = self.last_in_layer.get(layer)
            style = LAYER_STYLE[layer]
            marker = "▶" if layer is current else " "
            actors = " ".join(a for a, lay in ACTOR_LAYER.items() if lay is layer)
            name = Text(event.function if event else "", style=f"bold {style}"
                        if layer is current else style)
            table.add_row(Text(f"{marker} {layer.value}", style=style), Text(actors, style="dim"),
                          name)
        return table

    def _ring(self) -> Table:
        ring = self.tally.ring
        assert self.scenario.ring is not None
        title = self.scenario.ring.title
        table = Table(title=f"{title.get(self.lang, title['en'])} ({self.queue_size})", box=None,
                      show_header=False, title_justify="left", expand=True)
        table.add_column(no_wrap=True)
        table.add_column(justify="right", no_wrap=True, min_width=9)
        for heading, names in (("ring.shared", SHARED), ("ring.driver", DRIVER),
                               ("ring.device", DEVICE)):
            table.add_row(Text(say(heading, self.lang), style="bold"), "")
            for name in names:
                table.add_row(f"  {name}", str(ring.get(name, 0)))
        in_use = self.queue_size - ring.get("num_free", self.queue_size)
        table.add_row(say("ring.in_use", self.lang), f"{in_use}/{self.queue_size}")
        return table

    def _step(self) -> Panel:
        event = self.current
        if event is None:
            return Panel("", title=say("live.step", self.lang), title_align="left")
        style = LAYER_STYLE[event.layer]
        lines: list[RenderableType] = [
            Text.assemble((event.function, f"bold {style}"), "  ",
                          (location(event, self.lang), "dim")),
            Text(why(event, self.lang)),
        ]
        if self.remark:
            lines.append(Text(self.remark, style="bold"))
        particular = note(event, self.lang)
        if particular:
            lines.append(Text(particular, style=style))
        said = lesson(event, self.lang)
        if said:
            lines.append(Text(f"{say('live.lesson', self.lang)}: {said}", style="italic"))
        if self.keys_hint:
            lines.append(Text(say("live.keys", self.lang), style="dim"))
        return Panel(Group(*lines), title=say("live.step", self.lang), title_align="left")

    def _counters(self) -> Group:
        tally = self.tally
        labels = {counter.name: counter.label for counter in self.scenario.counters}
        counts = Text("  ").join(
            Text.assemble((labels[name].get(self.lang, labels[name]["en"]), "dim"), " ",
                          str(tally[name]))
            for name in self.scenario.live_counters
        )
        if not self.frames:
            return Group(counts)
        progress = Table.grid(expand=True, padding=(0, 1))
        progress.add_column(no_wrap=True)
        progress.add_column(ratio=1)
        progress.add_row(f"{say('live.frames', self.lang)} {tally.frames}/{self.frames}",
                         ProgressBar(total=max(self.frames, 1), completed=tally.frames))
        return Group(counts, progress)


@register
class LiveRenderer(Renderer):
    name = "live"
    view = True
    options = ("colour", "keys_hint")
    description = "a live terminal view: layers, the current step, the ring, counters"

    def __init__(self, *, lang: str = "en", console: Console | None = None,
                 colour: bool = True, keys_hint: bool = False) -> None:
        self.lang = lang
        self.console = console
        self.colour = colour
        self.keys_hint = keys_hint

    def render(self, header: Header, events: Iterable[Event], out: IO[Any]) -> None:
        console = self.console or Console(file=out, no_color=not self.colour, highlight=False)
        state = LiveState(header, self.lang, self.keys_hint)
        with Live(state, console=console, refresh_per_second=REFRESH_PER_SECOND,
                  auto_refresh=self.console is None, transient=False) as live:
            for event in events:
                state.update(event)
                if self.keys_hint:
                    live.refresh()
            live.refresh()
