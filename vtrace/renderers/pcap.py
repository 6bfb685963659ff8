"""The frames of a stream as a pcap file: ``vtrace diagram run.pcap`` opens in Wireshark."""

from __future__ import annotations

from typing import IO, Any

from vtrace.pcap import packets, write_packets
from vtrace.renderers.base import Renderer, register
from vtrace.session import Session

__all__ = ["PcapRenderer"]


@register
class PcapRenderer(Renderer):
    name = "pcap"
    formats = ("pcap",)
    binary = True
    description = "the frames as they crossed the tap, as a pcap file (Wireshark, tshark)"

    def render(self, session: Session, out: IO[Any]) -> None:
        write_packets(out, packets(session.header, session.events()))
