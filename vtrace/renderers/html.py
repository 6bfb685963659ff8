"""A self-contained HTML player of a run: one file that opens from disk, with no network.

The page holds its stylesheet, its script and the stream (see ``html_data``)
inline; the only external references are plain links to the source
browsers. A Content-Security-Policy allows nothing but the page's own
script (by its hash) and styles, so the page can fetch nothing, and a
script smuggled into the data could not run even if it got out of its
``<script type="application/json">`` element, which it cannot: every
``<`` in the data is written as ``\\u003c``. The script shows data with
``textContent`` only.
"""

from __future__ import annotations

import base64
import hashlib
import html
from importlib import resources
from typing import IO, Any

from vtrace.i18n import LANGS
from vtrace.model import ACTOR_LAYER, Layer
from vtrace.renderers.base import Renderer, RenderError, count_param, register
from vtrace.renderers.diagram_text import diagram_title
from vtrace.renderers.escape import clean
from vtrace.renderers.folding import batch_of
from vtrace.renderers.html_data import encode
from vtrace.renderers.html_words import RING_GROUPS, counters, words
from vtrace.session import Session

__all__ = ["HtmlRenderer", "embed"]

_ASSETS = "html_assets"
#: The page's script, in the order it runs: the stream, the views, the ring figure, the controls.
_SCRIPTS = ("stream.js", "views.js", "figure.js", "player.js")


def _asset(name: str) -> str:
    return resources.files("vtrace.renderers").joinpath(_ASSETS, name).read_text("utf-8")


def embed(json_text: str) -> str:
    """JSON made safe inside ``<script type="application/json">``: no ``<`` can end it."""
    return json_text.replace("<", "\\u003c").replace(">", "\\u003e")


def _digest(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


def _layout(session: Session) -> dict[str, Any]:
    """What the page needs besides the stream: words, layers, counters, ring fields."""
    header, scenario = session.header, session.scenario
    return {
        "langs": list(LANGS),
        "words": words(scenario, header.params),
        "layers": [layer.value for layer in Layer],
        "actorLayer": {actor: layer.value for actor, layer in ACTOR_LAYER.items()},
        "counters": counters(scenario),
        "ringGroups": [[heading, list(names)] for heading, names in RING_GROUPS],
        "queueSize": count_param(header.params, "queue_size") or 0,
        "batch": batch_of(header.params),
        "frames": count_param(header.params, "frames") or 0,
        "title": {lang: clean(diagram_title(session, lang)) for lang in LANGS},
    }


@register
class HtmlRenderer(Renderer):
    """One HTML file that plays the run: diagram, overview, step, ring, counters."""

    name = "html"
    formats = ("html", "htm")
    binary = False
    description = "a self-contained HTML player (no network): step through the run in a browser"

    def __init__(self, *, lang: str = "en", dark: bool | None = None) -> None:
        if lang not in LANGS:
            raise RenderError(f"lang must be one of {', '.join(LANGS)}, not {lang!r}")
        self.lang = lang
        self.dark = dark  # None: follow the browser's preference

    def render(self, session: Session, out: IO[Any]) -> None:
        data = embed(encode(session, _layout(session)))
        script = "\n".join(_asset(name) for name in _SCRIPTS)
        style = _asset("player.css")
        theme = "" if self.dark is None else ("dark" if self.dark else "light")
        policy = (f"default-src 'none'; script-src 'sha256-{_digest(script)}'; "
                  "style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'")
        page = _asset("page.html")
        head, rest = page.split("{{data}}")
        out.write(head.replace("{{lang}}", self.lang).replace("{{theme}}", theme)
                  .replace("{{policy}}", policy).replace("{{style}}", style)
                  .replace("{{title}}", html.escape(clean(diagram_title(session, self.lang)))))
        out.write(data)
        out.write(rest.replace("{{script}}", script))
