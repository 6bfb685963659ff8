"""The frames of a stream as capture files Wireshark opens: ``vtrace diagram run.pcap`` (each
frame once, as it crossed the tap) and ``vtrace diagram run.pcapng`` (each frame at every
hop, an interface per hop, a comment per packet); see ``vtrace.renderers.packets``."""

from __future__ import annotations

from typing import IO, Any, ClassVar

from vtrace.renderers.base import Renderer, register
from vtrace.renderers.packets import write_packets
from vtrace.session import Session

__all__ = ["PcapRenderer", "PcapngRenderer"]


@register
class PcapRenderer(Renderer):
    name = "pcap"
    formats = ("pcap",)
    binary = True
    description = "the frames as they crossed the tap, as a pcap file (Wireshark, tshark)"
    pcapng: ClassVar[bool] = False

    def __init__(self, *, lang: str = "en") -> None:
        self.lang = lang
        self.packets_written = 0  # after render: how many packets the file holds

    def render(self, session: Session, out: IO[Any]) -> None:
        self.packets_written = write_packets(session, out, pcapng=self.pcapng, lang=self.lang)


@register
class PcapngRenderer(PcapRenderer):
    name = "pcapng"
    formats = ("pcapng",)
    description = ("each frame at every hop of its path, an interface per hop, as a pcapng "
                   "file (Wireshark, tshark)")
    pcapng = True
