"""`conductor model info PATH` and `conductor model bench [PATH | --config NAME] --context N --events M`.

`info` prints a checkpoint's config, parameter count and tokenizer. `bench` measures, on this
machine, conductor's decoding and the upstream-style reference loop in the same run, after an
N-event context: first_event_s_cold, first_event_s_warm, events_per_s for both, and their ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    """Add the `model` command with its `info` and `bench` subcommands."""
    parser = subparsers.add_parser("model", help="inspect or benchmark a SkyTNT model")
    sub = parser.add_subparsers(dest="model_command", metavar="SUBCOMMAND", required=True)
    info = sub.add_parser("info", help="config, parameter count and tokenizer of a checkpoint")
    info.add_argument("path", help="checkpoint folder (config.json + model.safetensors) or .ckpt file")
    info.add_argument("--config", help="config name for a .ckpt without config.json (e.g. tv2o-medium)")
    info.set_defaults(func=run)
    bench = sub.add_parser("bench", help="decoding speed against the upstream-style loop")
    bench.add_argument("path", nargs="?", help="checkpoint folder or .ckpt (default: random --config)")
    bench.add_argument("--config", help="config name (tv2o-medium, tv2o-small, ...) for a random model")
    bench.add_argument("--context", type=_count(0), default=256, help="context events (default 256)")
    bench.add_argument(
        "--events", type=_count(1), default=32, help="events decoded for the rate (default 32)"
    )
    bench.add_argument("--dtype", choices=("float32", "bfloat16", "float16", "int8"), default="float32")
    bench.add_argument("--device", default="cpu", help="cpu or cuda")
    bench.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    bench.add_argument("--json", action="store_true", help="print one JSON object")
    bench.set_defaults(func=run)


def _count(lowest: int) -> Any:
    """An argparse type: a whole number >= `lowest`."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = lowest - 1
        if value < lowest:
            raise argparse.ArgumentTypeError(f"expected a whole number >= {lowest}, got {text!r}")
        return value

    return parse


def run(args: argparse.Namespace) -> int:
    """Run the subcommand; 1 with one clear sentence when the model cannot be loaded."""
    # spinning OpenMP threads collapse under other load on few cores; must precede loading torch
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    from conductor.backends.base import ModelError

    try:
        model = _load(args.path, args.config)
        if args.model_command == "info":
            _info(args.path, model)
            return 0
        return _bench(model, args)
    except ModelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def _load(path: str | None, config: str | None) -> Any:
    from conductor.backends.base import ModelError
    from conductor.backends.skytnt.checkpoint import load_checkpoint
    from conductor.backends.skytnt.config import MIDIModelConfig
    from conductor.backends.skytnt.model import build_model

    if path is not None:
        return load_checkpoint(Path(path), config)
    if config is None:
        raise ModelError("model bench needs a checkpoint PATH or --config NAME (e.g. --config tv2o-medium)")
    return build_model(MIDIModelConfig.from_name(config))


def _info(path: str, model: Any) -> None:
    cfg = model.config
    print(f"checkpoint: {path}")
    print(f"config: {cfg.describe()}")
    print(f"tokenizer: {cfg.tokenizer}")
    print(f"parameters: {model.parameter_count():,}")


def _bench(model: Any, args: argparse.Namespace) -> int:
    import torch

    from conductor.backends.base import ModelError

    positions = int(model.config.net.max_position_embeddings)
    if args.context + args.events + 1 > positions:
        raise ModelError(
            f"--context {args.context} + --events {args.events} exceed the model's {positions} positions: "
            f"expected at most {positions - 1} together"
        )

    from conductor.measure.skytnt_speed import bench

    if args.threads:
        torch.set_num_threads(args.threads)
    result = bench(model, args.context, args.events, dtype=args.dtype, device=args.device)
    if args.json:
        print(json.dumps(result))
        return 0
    for key, value in result.items():
        print(f"{key:28} {value:.4g}" if isinstance(value, float) else f"{key:28} {value}")
    return 0
