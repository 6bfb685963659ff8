"""vtrace's ring writes the bytes Linux's own virtio_ring.c writes, operation by operation.

Linux 6.1's drivers/virtio/virtio_ring.c is built in userspace from Debian's
linux-source-6.1 (tests/linux_ring/oracle.py) and driven by tests/linux_ring/harness.c;
the same scripts run through vtrace's model. After every operation the result (kick
decision, token and length, poll answers) and the CRC-32 of every byte of the ring
must be equal; on a difference the test dumps both rings and names the bytes.
"""

from __future__ import annotations

import random
import struct
import zlib
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Protocol

import pytest
from conftest import require
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from linux_ring import oracle
from linux_ring.packed import PackedModel
from linux_ring.split import KINDS, SplitModel, add_line

from vtrace.catalog import ERAS
from vtrace.ring import VRING_DESC_F_INDIRECT, Buffer, GuestMemory
from vtrace.scenarios.recv.guest import run_world
from vtrace.scenarios.recv.world import BIG_PAGES, PAGE, RecvParams

SIZES = [2**power for power in range(1, 11)]  # 2 .. 1024
#: The script of each long run: this many operations per configuration in all.
LONG_RUN = 10_000


class Model(Protocol):
    first_line: str

    def step(self, kind: str, seed: int) -> tuple[str, str] | None: ...

    def crc(self) -> str: ...

    def image(self) -> bytes: ...

    def field(self, offset: int) -> str: ...

    @property
    def prelude(self) -> list[tuple[str, str]]: ...


@pytest.fixture(scope="session")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Path:
    reason = oracle.missing()
    require(reason is not None, reason or "")
    return oracle.build(tmp_path_factory.mktemp("linux-6.1"))


def play(harness: Path, make: Callable[[], Model], ops: list[tuple[str, int]]) -> int:
    """Run ``ops`` through a fresh model and through Linux; fail at the first difference.
    Returns how many operations ran."""
    model = make()
    script, expected = [model.first_line], []
    for line, answer in model.prelude:
        script.append(line)
        expected.append(f"{answer} {model.crc()}")
    steps: list[int] = []  # for each harness line past the prelude, its operation
    for number, (kind, seed) in enumerate(ops):
        stepped = model.step(kind, seed)
        if stepped is not None:
            script.append(stepped[0])
            expected.append(f"{stepped[1]} {model.crc()}")
            steps.append(number)
    answers = oracle.run(harness, script)
    for index, (want, got) in enumerate(zip(expected, answers, strict=True)):
        if want != got:
            linux = bytes.fromhex(oracle.run(harness, [*script[: index + 2], "dump"])[-1])
            again = make()
            done = index - len(model.prelude)
            for kind, seed in ops[: steps[done] + 1] if done >= 0 else []:
                again.step(kind, seed)
            pytest.fail(f"after {script[index + 1]!r}: Linux {got!r}, vtrace {want!r}\n"
                        + differences(again, linux))
    return len(expected)


def differences(model: Model, linux: bytes) -> str:
    ours = model.image()
    lines = [f"offset {offset} ({model.field(offset)}): Linux {a:02x}, vtrace {b:02x}"
             for offset, (a, b) in enumerate(zip(linux, ours, strict=False)) if a != b]
    return "\n".join(lines[:40])


def random_ops(rng: random.Random, count: int) -> list[tuple[str, int]]:
    return [(rng.choice(KINDS), rng.getrandbits(24)) for _ in range(count)]


ops_strategy = st.lists(st.tuples(st.sampled_from(KINDS), st.integers(0, 2**24 - 1)),
                        min_size=1, max_size=200)


@pytest.mark.parametrize("event_idx", [True, False], ids=["event_idx", "no_event_idx"])
def test_split_ring_long_scripts_match_linux(harness: Path, event_idx: bool) -> None:
    rng = random.Random(f"split-{event_idx}")
    total = 0
    per_size = LONG_RUN // len(SIZES) * 5 // 4  # a device step finding nothing is skipped
    for number, size in enumerate(SIZES):
        # Every other size starts a few hundred round trips before the indices wrap.
        start = 0 if number % 2 else 0x10000 - 300
        total += play(harness, partial(SplitModel, size, event_idx, start),
                      random_ops(rng, per_size))
    assert total >= LONG_RUN


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(size=st.sampled_from(SIZES), event_idx=st.booleans(), near_wrap=st.booleans(),
       ops=ops_strategy)
def test_split_ring_random_scripts_match_linux(harness: Path, size: int, event_idx: bool,
                                               near_wrap: bool,
                                               ops: list[tuple[str, int]]) -> None:
    play(harness, lambda: SplitModel(size, event_idx, 0x10000 - 40 if near_wrap else 0), ops)


#: Packed queues need not be powers of two.
PACKED_SIZES = [1, 2, 3, 4, 7, 16, 100, 256, 1000, 1024]


@pytest.mark.parametrize(("event_idx", "indirect"),
                         [(True, False), (False, False), (True, True), (False, True)],
                         ids=["event_idx", "no_event_idx", "event_idx-indirect",
                              "no_event_idx-indirect"])
def test_packed_ring_long_scripts_match_linux(harness: Path, event_idx: bool,
                                              indirect: bool) -> None:
    rng = random.Random(f"packed-{event_idx}-{indirect}")
    total = 0
    # Pops write nothing and send no line; small rings wrap every few operations.
    per_size = LONG_RUN // len(PACKED_SIZES) * 3 // 2
    for size in PACKED_SIZES:
        total += play(harness, partial(PackedModel, size, event_idx, indirect),
                      random_ops(rng, per_size))
    assert total >= LONG_RUN


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(size=st.integers(1, 40) | st.sampled_from(PACKED_SIZES), event_idx=st.booleans(),
       indirect=st.booleans(), ops=ops_strategy)
def test_packed_ring_random_scripts_match_linux(harness: Path, size: int, event_idx: bool,
                                                indirect: bool,
                                                ops: list[tuple[str, int]]) -> None:
    play(harness, partial(PackedModel, size, event_idx, indirect), ops)


@pytest.mark.parametrize("features", ["-mrg_rxbuf", "-mrg_rxbuf,-indirect_desc"],
                         ids=["indirect", "direct"])
def test_a_receive_ring_of_big_buffers_matches_linux(harness: Path, features: str) -> None:
    """``vtrace recv``'s fill with big buffers (``add_recvbuf_big``: 19 device-writable
    entries each), added the same way through Linux's ``virtqueue_add_sgs``: with
    INDIRECT_DESC (no ``ctx`` for big packets) each is one descriptor and a table, and
    256 fill the ring; without, 13 chains of 19 do and a 14th does not fit. The tables
    and the ring's bytes must be Linux's."""
    world, run_ = run_world(RecvParams(frames=0, mergeable=False, features=features),
                            ERAS["modern"], 1)
    list(run_)
    memory = world.memory
    assert isinstance(memory, GuestMemory)
    layout = memory.layout
    if world.indirect:
        base = memory.slot_address(0) + BIG_PAGES * PAGE  # where RecvWorld.post puts them
        first = f"split {layout.size} 1 1 {base:x} {memory.slot_size}"
    else:
        first = f"split {layout.size} 1"
    script, expected = [first], []
    for slot in range(memory.u16(layout.avail_idx)):
        head = memory.u16(layout.avail_ring(slot))
        chain = [Buffer(addr, length, writable=True) for addr, length in world.chain(head)]
        script.append(add_line(head + 1, 0, chain))
        table, length, flags, _ = struct.unpack_from("<QIHH", memory.bytes,
                                                     layout.descriptor(head))
        expected.append(f"ok table {zlib.crc32(memory.bytes[table:table + length]):08x}"
                        if flags & VRING_DESC_F_INDIRECT else "ok")
    assert len(expected) == (256 if world.indirect else 13)
    if not world.indirect:
        script.append(add_line(999, 0, chain))
        expected.append("full")
    answers = oracle.run(harness, [*script, "dump"])
    assert [answer.rsplit(" ", 1)[0] for answer in answers[:-1]] == expected
    assert bytes.fromhex(answers[-1]) == bytes(memory.bytes[:layout.total])


def test_without_the_package_the_oracle_names_it(monkeypatch: pytest.MonkeyPatch,
                                                 tmp_path: Path) -> None:
    monkeypatch.setattr(oracle, "TARBALL", tmp_path / "absent.tar.xz")
    reason = oracle.missing()
    assert reason is not None and "linux-source-6.1" in reason
