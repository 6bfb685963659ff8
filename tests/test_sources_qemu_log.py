"""QEMU's -trace log backend, with and without -msg timestamp=on."""

from __future__ import annotations

import pytest

from vtrace.sources import TraceSyntaxError
from vtrace.sources.qemu_log import arguments, parse


def test_timed_and_untimed_lines() -> None:
    timed, untimed = parse(["42@1700000000.000001:virtio_queue_notify vdev 0x1 n 1 vq 0x2\n",
                            "virtqueue_flush vq 0x2 count 1\r\n"])
    assert (timed.tid, timed.time_ns, timed.event) == (42, 1_700_000_000_000_001_000,
                                                       "virtio_queue_notify")
    assert arguments(timed.args) == {"vdev": "0x1", "n": "1", "vq": "0x2"}
    assert (untimed.tid, untimed.time_ns, untimed.event) == (None, None, "virtqueue_flush")
    assert arguments("k=1 v=2") == {"k": "1", "v": "2"}


def test_a_line_that_is_no_event_names_its_number() -> None:
    with pytest.raises(TraceSyntaxError, match=r"^q\.log:2: not a QEMU trace event"):
        list(parse(["virtio_notify vdev 0x1", "qemu-system-x86_64: warning: x"], "q.log"))
