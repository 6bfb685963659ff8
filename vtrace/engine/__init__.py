"""The step engine: scenarios that replay the virtio-net path and yield events.

It prints nothing, opens no files and reads no clock: time is modelled and
seeded, so a scenario gives the same stream for the same parameters.
"""

from vtrace.engine.send import SendParams, send
from vtrace.engine.setup import setup

__all__ = ["SendParams", "send", "setup"]
