"""The HTML player's file, read back in Python: one self-contained page whose embedded
stream decodes to exactly the events it was made from."""

from __future__ import annotations

import dataclasses
import html
import io
import json
import re
from typing import Any

import pytest
from diagram_fixtures import HOSTILE, hostile_events, hostile_header, recorded

from vtrace.catalog import CATALOG
from vtrace.i18n import LANGS
from vtrace.model import ACTORS, Event, Header, Kind, Source
from vtrace.renderers import RenderError, by_name, for_format, format_of
from vtrace.renderers.diagram_text import diagram_title
from vtrace.renderers.html import HtmlRenderer
from vtrace.renderers.html_numbers import fill
from vtrace.renderers.html_stream import source_link
from vtrace.scenarios.send import SEND
from vtrace.session import Session, replayed
from vtrace.tally import Tally

DATA = re.compile(r'<script type="application/json" id="vtrace-data">(.*?)</script>', re.S)


def page(header: Header, events: list[Event], lang: str = "en") -> str:
    out = io.StringIO()
    HtmlRenderer(lang=lang).render(Session(header, events), out)
    return out.getvalue()


def data_of(html: str) -> dict[str, Any]:
    found = DATA.findall(html)
    assert len(found) == 1
    parsed: dict[str, Any] = json.loads(found[0])
    return parsed


def decoded(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The events as the page's script decodes them (its decode(), sayText() and apply(),
    in Python)."""
    columns, events, newest, t_ns, fresh = data["events"], [], -1, 0, 0
    ring, langs = dict(data["initial"]), len(data["langs"])
    last: dict[Any, Any] = {}
    for code, frame_code, dt in zip(columns["c"], columns["f"], columns["t"], strict=True):
        if code == 0:
            combo, fresh = fresh, fresh + 1
        else:
            combo = code - 1
        shape, says, change, nums, count = data["combos"][combo]
        frame = None if frame_code == 0 else (newest + 2 - frame_code if frame_code > 0
                                              else -frame_code - 1)
        if frame is not None:
            newest = max(newest, frame)
        t_ns += dt
        numbers: list[int] = []
        if nums:
            before = last.get(says, [0] * len(data["nums"][nums]))
            numbers = last[says] = [a + b for a, b in zip(before, data["nums"][nums],
                                                         strict=True)]
        for name, how, value in data["rings"][change]:
            ring[name] = numbers[value] if how == "#" else value
        row = data["shapes"][shape]
        place = data["places"][row[0]]
        words = data["says"][says]
        texts = [fill(data["strings"][index], numbers) if nums else data["strings"][index]
                 for index in words[:3 * langs]]
        desc, slots = words[3 * langs], words[3 * langs + 1]
        if desc and slots:
            desc = [field if slot < 0 else numbers[slot]
                    for field, slot in zip(desc, slots, strict=True)]
        events.append({"step": place["step"], "kind": data["kinds"][row[1]],
                       "src": data["actors"][row[2]], "dst": data["actors"][row[3]],
                       "frame": frame, "t_ns": t_ns, "ring": dict(ring),
                       "label": texts[0], "texts": texts, "descriptor": desc,
                       "count": data["counts"][count]})
    return events


def test_registered_by_name_and_extension() -> None:
    assert by_name("html") is HtmlRenderer
    assert for_format(format_of("run.html")) is HtmlRenderer
    assert for_format(format_of("RUN.HTM")) is HtmlRenderer
    assert HtmlRenderer.binary is False and HtmlRenderer.description
    with pytest.raises(RenderError, match="lang"):
        HtmlRenderer(lang="fr")


def test_stream_decodes_to_its_events_and_ring() -> None:
    header, events = recorded()
    data = data_of(page(header, events))
    back = decoded(data)
    assert len(back) == len(events)
    assert data["actors"] == [actor for actor in ACTORS if actor != "vhost"]  # only those used
    tally = Tally(SEND.calls, SEND.notes)
    initial = dict(data["initial"])
    for event, seen in zip(events, back, strict=True):
        tally.add(event)
        assert (seen["step"], seen["kind"], seen["src"], seen["dst"], seen["frame"],
                seen["t_ns"]) == (event.step, event.kind.value, event.src, event.dst,
                                  event.frame, event.t_ns)
        assert seen["ring"] == {**initial, **tally.ring}
    totals = {name: sum(seen["count"].get(name, 0) for seen in back)
              for name in data["counters"]}
    assert totals == {name: tally[name] for name in data["counters"]}
    assert initial["num_free"] == header.params["queue_size"]


def test_every_sentence_in_both_languages() -> None:
    header, events = recorded()
    data = data_of(page(header, events))
    kick = next(e for e in events if e.step == "virtqueue_kick_prepare" and e.kind is Kind.CALL)
    decided = next(seen["texts"][2:4] for seen in decoded(data)
                   if seen["step"] == kick.step and seen["kind"] == "call")
    assert decided == ["kick: avail_event 0 is in [0, 1)", "通知：avail_event 0 落在 [0, 1) 中"]
    place = next(p for p in data["places"] if p["step"] == kick.step)
    assert place["why"]["zh"] == CATALOG[kick.step].text["zh"]
    assert place["why"]["en"] == CATALOG[kick.step].text["en"]
    assert set(data["words"]) == {"en", "zh"}
    assert data["words"]["zh"]["next_step"] != data["words"]["en"]["next_step"]


def test_page_reaches_nothing_outside_itself() -> None:
    header, events = recorded()
    html = page(header, events)
    without_data = DATA.sub("", html)
    assert not re.search(r"\b(src|href)\s*=\s*[\"']?(https?:|//)", without_data, re.I)
    assert "<link" not in without_data and "@import" not in without_data
    assert "url(" not in without_data
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html)
    assert policy and "default-src 'none'" in policy.group(1)
    links = {place["link"] for place in data_of(html)["places"] if place["link"]}
    assert links and all(link.startswith(("https://elixir.bootlin.com/linux/",
                                          "https://gitlab.com/qemu-project/qemu/-/blob/"))
                         for link in links)


def test_source_links_at_the_version_read() -> None:
    header, events = recorded()
    places = {event.step: event.place for event in events}
    url, near = source_link(places["virtqueue_kick_prepare"]) or ("", True)
    assert url == ("https://elixir.bootlin.com/linux/v6.1.176/source/drivers/virtio/"
                   f"virtio_ring.c#L{places['virtqueue_kick_prepare'].line}") and not near
    url, near = source_link(places["virtio_notify"]) or ("", False)
    assert url.startswith("https://gitlab.com/qemu-project/qemu/-/blob/v7.2.0/hw/virtio/")
    assert near  # vtrace's QEMU 7.2 lines are Debian's patched tree
    assert source_link(places["sendto"]) is None


def test_hostile_labels_stay_data() -> None:
    nasty = HOSTILE + '</script><img src=x onerror="window.pwned=1"><!--'
    events = [dataclasses.replace(event, place=dataclasses.replace(event.place, function=nasty))
              for event in hostile_events()]
    html = page(hostile_header(), events)
    (raw,) = DATA.findall(html)
    assert "<" not in raw and ">" not in raw
    assert html.count("</script>") == 2  # the data's and the script's own
    data = json.loads(raw)
    assert any(place["function"] == nasty.replace("\ud800", "\ufffd").replace("\x07", "\ufffd")
               for place in data["places"])
    assert len(data["actors"]) == len(set(data["actors"])) == 4  # the hostile one last
    assert data["actors"][:3] == ["app", "virtio_net", "vring"]
    title = re.search(r"<title>(.*?)</title>", html, re.S)
    assert title and "<script>" not in title.group(1)


def test_captured_events_keep_their_source() -> None:
    header, events = recorded()
    captured = [dataclasses.replace(event, source=Source.GUEST_FTRACE) for event in events]
    data = data_of(page(dataclasses.replace(header, source=Source.TRACE), captured))
    assert data["sources"] == ["guest-ftrace"] and data["header"]["source"] == "trace"


def _size(frames: int) -> int:
    session = replayed("send", {"frames": frames}, "modern", 1)

    class Counter(io.StringIO):
        size = 0

        def write(self, text: str) -> int:
            self.size += len(text.encode("utf-8"))
            return len(text)

    out = Counter()
    HtmlRenderer().render(session, out)
    return out.size


def test_size_grows_linearly_and_ten_thousand_frames_fit() -> None:
    small, middle, large = _size(100), _size(1_000), _size(10_000)
    early = (middle - small) / 900
    late = (large - middle) / 9_000
    assert late <= early * 1.2, (early, late)
    assert large < 25 * 1024 * 1024


def test_the_page_title_is_in_the_chosen_language_and_both_go_with_the_data() -> None:
    header, events = recorded()
    chinese = page(header, events, lang="zh")
    title = re.search(r"<title>(.*?)</title>", chinese, re.S)
    said = Session(header, ())
    assert title and title.group(1) == html.escape(diagram_title(said, "zh"))
    assert data_of(chinese)["title"] == {lang: diagram_title(said, lang) for lang in LANGS}
