"""The scheduler lets the thread that ran go on without looking at every thread again only
while nothing else moved: its streams are those of a scheduler that looks every time."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

import vtrace.engine.sim as sim
from vtrace.codec import encode
from vtrace.session import replayed


def _stream(name: str, given: dict[str, object], era: str, seed: int) -> list[str]:
    return [encode(event) for event in replayed(name, given, era, seed).source]


def _looking_every_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each thread touches a signal of its own before each action, which makes the scheduler
    look at every thread for every choice."""
    spawn = sim.Scheduler.spawn

    def spawning(self: sim.Scheduler, name: str,
                 program: Callable[[sim.Thread], Iterator[sim.Action]]) -> sim.Thread:
        def touching(thread: sim.Thread) -> Iterator[sim.Action]:
            probe = self.signal(f"{name}-probe")
            for action in program(thread):
                probe.clear()
                yield action

        return spawn(self, name, touching)

    monkeypatch.setattr(sim.Scheduler, "spawn", spawning)


@pytest.mark.parametrize("name,given,era,seed", [
    ("send", {"frames": 30, "batch": 4, "queue_size": 32, "interval_ns": 0}, "modern", 3),
    ("send", {"frames": 20, "event_idx": False, "ioeventfd": False}, "lesson", 8),
    ("send", {"frames": 25, "backend": "vhost-net", "batch": 5}, "newest", 1),
    ("recv", {"frames": 20, "batch": 3}, "modern", 4),
    ("recv", {"frames": 12, "backend": "vhost-net"}, "lesson", 2),
    ("setup", {}, "newest", 5),
])
def test_a_thread_that_goes_on_makes_the_stream_of_a_full_look(
        monkeypatch: pytest.MonkeyPatch, name: str, given: dict[str, object], era: str,
        seed: int) -> None:
    fast = _stream(name, given, era, seed)
    _looking_every_time(monkeypatch)
    assert _stream(name, given, era, seed) == fast
    assert len(fast) > 50
