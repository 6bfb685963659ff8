"""vtrace: trace and visualise the virtio-net packet path of a QEMU/KVM guest.

The event types are importable from here; they load on first use, so that
``vtrace --help`` does not pay for them.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

__all__ = ["Event", "Header", "__version__"]


def __getattr__(name: str) -> Any:
    if name in ("Event", "Header"):
        from vtrace import model

        return getattr(model, name)
    raise AttributeError(f"module 'vtrace' has no attribute {name!r}")
