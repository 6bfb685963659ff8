"""Speed of the offload model: segmenting a 64 KiB TCP send, as a ratio against a checksum pass.

Run from the repository root: ``.venv/bin/python bench/bench_offload.py [--repeat N]``.
It times (CPU time of the process), best of ``--repeat`` alternating rounds:

- segment: ``tcp_gso_segment`` of a 65,000-byte superframe at MSS 1448 (45 wire
  frames, every IP and TCP checksum computed);
- header: ``gso_superframe`` and ``virtio_net_hdr_from_skb`` for the same send;
- floor: one ``internet_checksum`` over the superframe's bytes, the least any
  segmentation that checks its output must do.

Target: segmenting costs at most 4 checksum passes (the TCP sums, the IP
headers, the copies). It prints a Markdown section (``## Offload model``).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from vtrace.frames import internet_checksum
from vtrace.offload import gso_superframe, tcp_gso_segment, virtio_net_hdr_from_skb
from vtrace.tcpframes import TcpFlow, timestamp_option

MSS = 1448
SEND = bytes(range(256)) * 254  # 65,024 bytes, cut to 65,000
FLOW = TcpFlow()
OPTIONS = timestamp_option(1, 2)


def best_rate(work: Callable[[], object], rounds: int, calls: int) -> float:
    """Calls per CPU second of ``work``, best of ``rounds``."""
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        for _ in range(calls):
            work()
        best = min(best, time.process_time() - started)
    return calls / max(best, 1e-9)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="rounds, best kept")
    parser.add_argument("--calls", type=int, default=50, help="calls per round")
    args = parser.parse_args()
    skb = gso_superframe(FLOW, SEND[:65000], mss=MSS, seq=1, options=OPTIONS)
    frames = len(tcp_gso_segment(skb.frame, MSS))

    def header() -> object:
        return virtio_net_hdr_from_skb(gso_superframe(FLOW, SEND[:65000], mss=MSS, seq=1,
                                                      options=OPTIONS))

    rates = {name: 0.0 for name in ("segment", "header", "floor")}
    work = {"segment": lambda: tcp_gso_segment(skb.frame, MSS), "header": header,
            "floor": lambda: internet_checksum(skb.frame)}
    for _ in range(args.repeat):  # alternate, so a busy moment hits all three alike
        for name, job in work.items():
            rates[name] = max(rates[name], best_rate(job, 1, args.calls))
    print("## Offload model\n")
    print(f"A 65,000-byte TCP send at MSS {MSS}: {frames} wire frames. CPU time, best of "
          f"{args.repeat} rounds of {args.calls} calls.\n")
    print("| what | per second | ratio | target |")
    print("|---|---|---|---|")
    print(f"| checksum pass over the superframe (floor) | {rates['floor']:,.0f} | 1.00 | |")
    print(f"| `tcp_gso_segment`, 64 KiB send | {rates['segment']:,.0f} | "
          f"{rates['floor'] / rates['segment']:.2f}× the floor's time | at most 4× |")
    print(f"| superframe and its virtio_net_hdr | {rates['header']:,.0f} | "
          f"{rates['floor'] / rates['header']:.2f}× the floor's time | |")


if __name__ == "__main__":
    main()
