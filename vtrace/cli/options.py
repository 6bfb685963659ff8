"""Options shared by the commands that replay a scenario (``send``, ``diagram``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from vtrace.catalog import ERAS
from vtrace.engine import SendParams
from vtrace.frames import MAX_FRAME, MIN_FRAME
from vtrace.i18n import LANGS, default_lang

__all__ = [
    "MAX_FRAMES",
    "QUEUE_SIZES",
    "era_option",
    "lang_option",
    "scenario_options",
    "seed_option",
    "send_params",
    "stacked",
]

F = TypeVar("F", bound=Callable[..., Any])

MAX_FRAMES = 10_000_000
MIN_QUEUE, MAX_QUEUE = 32, 32768
QUEUE_SIZES = tuple(1 << bit for bit in range(5, 16))


def _queue_size(ctx: click.Context, param: click.Parameter, value: int) -> int:
    if value not in QUEUE_SIZES:
        raise click.BadParameter(
            f"{value} is not a power of two from {MIN_QUEUE} to {MAX_QUEUE}", ctx, param)
    return value


def stacked(options: list[Callable[[F], F]]) -> Callable[[F], F]:
    """One decorator that adds ``options`` in the order given (as ``--help`` lists them)."""
    def decorate(function: F) -> F:
        for option in reversed(options):
            function = option(function)
        return function

    return decorate


era_option = click.option("--era", type=click.Choice(sorted(ERAS)), default="modern",
                          show_default=True, help="Which Linux and QEMU versions to replay.")
seed_option = click.option("--seed", type=int, default=1, show_default=True,
                           help="Seed of the modelled timing.")


def scenario_options(default_frames: int) -> Callable[[F], F]:
    """The options that describe what to replay."""
    return stacked([
        click.option("--frames", "-n", type=click.IntRange(1, MAX_FRAMES),
                     default=default_frames, show_default=True, help="Frames to send."),
        click.option("--size", type=click.IntRange(MIN_FRAME, MAX_FRAME), default=128,
                     show_default=True,
                     help="Ethernet frame length in bytes (without the virtio_net_hdr)."),
        click.option("--batch", "-b", type=click.IntRange(1, MAX_FRAMES), default=1,
                     show_default=True,
                     help="Frames handed to the driver back to back (xmit_more on all "
                          "but the last)."),
        click.option("--queue-size", type=int, default=256, show_default=True,
                     callback=_queue_size,
                     help="TX virtqueue size, a power of two (QEMU accepts 256-1024; "
                          "smaller shows wrap-around sooner)."),
        click.option("--event-idx/--no-event-idx", default=True, show_default=True,
                     help="Negotiate VIRTIO_RING_F_EVENT_IDX, or use the flags method."),
        click.option("--ioeventfd/--no-ioeventfd", default=True, show_default=True,
                     help="Let KVM signal an eventfd on a kick, or exit to QEMU's vCPU thread."),
        click.option("--interval-us", type=click.FloatRange(0, 10_000_000), default=50.0,
                     show_default=True,
                     help="The application's pause between batches, in microseconds."),
        era_option,
        seed_option,
    ])


def lang_option(function: F) -> F:
    return click.option("--lang", type=click.Choice(LANGS), default=default_lang,
                        help="Language of explanations (default: VTRACE_LANG or the locale).")(
        function)


def send_params(frames: int, size: int, batch: int, queue_size: int, event_idx: bool,
                ioeventfd: bool, interval_us: float) -> SendParams:
    return SendParams(frames=frames, size=size, batch=batch, queue_size=queue_size,
                      event_idx=event_idx, ioeventfd=ioeventfd,
                      interval_ns=round(interval_us * 1000))
