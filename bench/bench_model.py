"""Transformer decoding speed: conductor's Decoder against the upstream-style reference loop.

For `tv2o-medium` and the small live config (`tv2o-small`: 6 layers, 512 wide), randomly
initialised, after a 256-event context: time to the first decoded event with the context unseen
(cold) and prefilled while heard (warm), and steady events/s, for float32, bfloat16 and int8, each
against the float32 reference loop measured in the same run. Prints a markdown table.
Usage: python bench/bench_model.py [--threads N] [--context N] [--events M] [--configs a,b]
"""

from __future__ import annotations

import argparse
import os
import sys


def row(r: dict[str, object]) -> str:
    """One markdown table row."""
    cells = [r["config"], r["dtype"], *(f"{r[k]:.3f}" for k in ("first_event_s_cold", "first_event_s_warm")),
             f"{r['events_per_s']:.1f}", f"{r['reference_first_event_s_cold']:.3f}",
             f"{r['reference_first_event_s_warm']:.3f}", f"{r['reference_events_per_s']:.1f}",
             f"{r['speedup_first_event_warm']:.1f}x", f"{r['speedup_events_per_s']:.1f}x",
             f"{r['tv_distance_vs_float32']:.4f}"]  # fmt: skip
    return "| " + " | ".join(str(c) for c in cells) + " |"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--context", type=int, default=256)
    parser.add_argument("--events", type=int, default=32)
    parser.add_argument("--configs", default="tv2o-medium,tv2o-small")
    parser.add_argument("--dtypes", default="float32,bfloat16,float16,int8")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args(argv)
    # GNU OpenMP's threads spin while waiting: on 2 cores shared with any other busy process, two
    # torch threads then run ~10x slower than one. Passive waiting must be set before torch loads.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import torch

    from conductor.backends.skytnt.config import MIDIModelConfig
    from conductor.backends.skytnt.model import build_model
    from conductor.measure.skytnt_speed import bench_dtypes

    torch.set_num_threads(args.threads)
    load = os.getloadavg()[0]
    print(f"context {args.context} events, {args.events} events decoded, torch threads {args.threads}, "
          f"OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}, device {args.device}, "
          f"load average at start {load:.1f}\n")  # fmt: skip
    print("| config | dtype | first event cold s | first event warm s | events/s | ref cold s | ref warm s "
          "| ref events/s | warm speed-up | events/s speed-up | TV vs float32 |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name in args.configs.split(","):
        model = build_model(MIDIModelConfig.from_name(name))
        for result in bench_dtypes(model, args.context, args.events, args.dtypes.split(","), args.device):
            print(row(result), flush=True)
    print(f"\nload average at end {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
