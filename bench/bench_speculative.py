"""Speculative decoding against the normal path, in one run: speed, first event, acceptance, TV distance.

1. Speed: `--config` (tv2o-medium, random weights, as bench_model.py) in `--dtype` (float16), one
   torch thread, a 256-event context prefilled (heard while played). Per seed, the normal decoder and
   the speculative one with each draft decode `--events` events from that state, one after the
   other, so each ratio compares runs seconds apart: first event (s) and events/s, ratio per seed.
2. Acceptance of every draft (`--drafts`; `skipN` = the model with only its first N event-net layers;
   `NAME@K` = that draft at a fixed depth K instead of the adaptive one)
   on that model and on trained checkpoints (`--checkpoint PATH:CHANNELS[:ROWS.npz]`: the channels the
   model may play; its context from a token cache written by `conductor train`, else a Bach chorale):
   rows kept whole, values kept, and events/s against the normal path.
3. Exactness: `--tv-runs` continuations of 4 events from one context by the normal sampler (twice,
   other seeds) and the speculative one; total-variation distance between the histograms of every
   parameter's values and of the first events, speculative vs normal beside normal vs normal (the
   noise floor of that many samples: equal distributions give about that distance).
Usage: python bench/bench_speculative.py [--threads 1] [--seeds 3] [--tv-runs 300]
"""

from __future__ import annotations

import argparse
import copy
import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch loads: see bench_model.py

import torch

from conductor.backends.base import Constraints
from conductor.backends.skytnt.checkpoint import load_checkpoint
from conductor.backends.skytnt.config import MIDIModelConfig
from conductor.backends.skytnt.depth import Depth
from conductor.backends.skytnt.draft import Draft, ModelDraft, make_draft, skip_layers
from conductor.backends.skytnt.generate import Decoder, Row
from conductor.backends.skytnt.masks import EventMask, from_constraints
from conductor.backends.skytnt.model import MIDIModel, build_model
from conductor.backends.skytnt.sampling import make_generator
from conductor.backends.skytnt.speculative import SpeculativeDecoder
from conductor.measure.skytnt_speed import SAMPLING, context_rows

System = Decoder | SpeculativeDecoder


def draft_for(name: str, dec: Decoder, model: MIDIModel, dtype: str) -> Draft:
    """`skipN`: the model with its first N event-net layers; otherwise a named draft."""
    if name.startswith("skip"):
        return ModelDraft(Decoder(skip_layers(model, int(name[4:])), dtype=dtype))
    return make_draft(name, dec)


def systems(model: MIDIModel, dtype: str, drafts: list[str]) -> dict[str, System]:
    """The normal decoder and one speculative decoder per draft, each on its own copy of the model."""
    out: dict[str, System] = {"normal": Decoder(copy.deepcopy(model), dtype=dtype)}
    for name in drafts:
        dec = Decoder(copy.deepcopy(model), dtype=dtype)
        draft, _, fixed = name.partition("@")
        spec = SpeculativeDecoder(dec, draft_for(draft, dec, model, dtype))
        if fixed:
            spec.depth = Depth(fixed=int(fixed))
        out[name] = spec
    return out


def timed(system: System, rows: list[Row], mask: EventMask, seed: int, events: int) -> tuple[float, float]:
    """First event (s) after a prefilled context, then events/s over the rest."""
    system.reset()
    system.prefill(rows)
    start = time.perf_counter()
    stream = system.stream(None, mask, SAMPLING, make_generator(seed), events)
    next(stream)
    first = time.perf_counter() - start
    start = time.perf_counter()
    n = sum(1 for _ in stream)
    return first, n / (time.perf_counter() - start)


def speed(named: dict[str, System], rows: list[Row], mask: EventMask, seeds: int, events: int) -> None:
    """Print first event and events/s per system, median over seeds, and the per-seed ratios."""
    got: dict[str, list[tuple[float, float]]] = {name: [] for name in named}
    for seed in range(seeds):
        for name, system in named.items():
            got[name].append(timed(system, rows, mask, seed, events))
    print("| system | first event ms | events/s | vs normal: median (per seed) | rows kept | values kept |")
    print("|---|---|---|---|---|---|")
    for name, runs in got.items():
        ratios = [r[1] / n[1] for r, n in zip(runs, got["normal"], strict=True)]
        each = " ".join(f"{r:.2f}" for r in ratios)
        first = statistics.median(r[0] for r in runs) * 1000
        rate = statistics.median(r[1] for r in runs)
        print(f"| {name} | {first:.1f} | {rate:.1f} | **{statistics.median(ratios):.2f}x** ({each}) | "
              f"{acceptance(named[name])} |", flush=True)  # fmt: skip


def acceptance(system: System) -> str:
    """Rows kept whole and values kept (two table cells), '-' for the normal decoder."""
    if not isinstance(system, SpeculativeDecoder):
        return "- | -"
    s = system.stats
    return f"{s.row_acceptance:.2f} | {s.value_acceptance:.2f} ({s.normal}/{s.events} normal)"


def samples(system: System, rows: list[Row], mask: EventMask, runs: int, seed: int) -> list[list[Row]]:
    """`runs` continuations of 4 events from `rows`, one seeded generator."""
    gen = make_generator(seed)
    system.reset()
    return [list(system.stream(rows, mask, SAMPLING, gen, 4)) for _ in range(runs)]


def tv(a: Counter[Any], b: Counter[Any]) -> float:
    """Total-variation distance between two histograms."""
    na, nb = sum(a.values()), sum(b.values())
    return 0.5 * sum(abs(a[k] / na - b[k] / nb) for k in set(a) | set(b))


def histograms(runs: list[list[Row]], tok: Any) -> dict[str, Counter[Any]]:
    """Per parameter, the values over every decoded event; onsets; the first events as whole rows."""
    params = tok.events["note"]
    out: dict[str, Counter[Any]] = {p: Counter() for p in params}
    out["onset (time1, time2)"] = Counter(row[1:3] for run in runs for row in run)
    out["first event"] = Counter(run[0] for run in runs if run)
    for run in runs:
        for row in run:
            for i, p in enumerate(params):
                out[p][row[1 + i]] += 1
    return out


def exactness(named: dict[str, System], rows: list[Row], mask: EventMask, runs: int, tok: Any) -> None:
    """TV distances: each speculative sampler and a second normal one against the normal sampler."""
    base = histograms(samples(named["normal"], rows, mask, runs, 100), tok)
    others = {"normal (other seed)": histograms(samples(named["normal"], rows, mask, runs, 200), tok)}
    for name, system in named.items():
        if name != "normal":
            others[name] = histograms(samples(system, rows, mask, runs, 300), tok)
    keys = [k for k in base if len(base[k]) > 1 or k == "first event"]
    print("| sampler vs normal | " + " | ".join(keys) + " |")
    print("|---|" + "---|" * len(keys))
    for name, hist in others.items():
        print(f"| {name} | " + " | ".join(f"{tv(hist[k], base[k]):.3f}" for k in keys) + " |", flush=True)


def checkpoint_rows(tokenizer: str, rows_file: str, length: int) -> list[Row]:
    """A context of `length` rows (or less): the longest of a token cache's first 200 pieces less its
    last 48 rows, or Bach chorales from music21's corpus."""
    if rows_file:
        from conductor.train.data import read_cache

        corpus = read_cache(Path(rows_file))
        piece = max((corpus.piece(i) for i in range(min(200, len(corpus)))), key=len)
        return [tuple(int(t) for t in r) for r in piece[: min(length, len(piece) - 48)]]
    from music21 import corpus as m21

    from conductor.backends.skytnt.tokenizer import get_tokenizer
    from conductor.train.data import music21_score

    tok, out = get_tokenizer(tokenizer), []
    for work in list(m21.chorales.Iterator(returnType="filename"))[5:]:
        rows = tok.tokenize(music21_score(m21.parse(work)))
        out = rows[:-1] if not out else [*out, *rows[1:-1]]
        if len(out) > length:
            break
    return [tuple(r) for r in out[:length]]


def trained(spec: str, args: argparse.Namespace) -> None:
    """Acceptance and speed of every draft on one checkpoint (`PATH:CHANNELS[:ROWS.npz]`)."""
    path, channels, rows_file = [*spec.split(":"), "", ""][:3]
    model = load_checkpoint(Path(path))
    rows = checkpoint_rows(model.config.tokenizer, rows_file, args.context)
    chans = frozenset(int(c) for c in channels.split(",")) if channels else frozenset({0})
    named = systems(model, "float32", args.drafts.split(",") + args.skip.split(","))
    mask = from_constraints(named["normal"].tokenizer, Constraints(channels=chans), context=rows)
    print(f"\n{path} (float32), {len(rows)} context rows, channels {sorted(chans)}\n")
    speed(named, rows, mask, args.trained_seeds, args.events)


def random_model(args: argparse.Namespace) -> None:
    """Parts 1 and 3 on the randomly initialised `--config`."""
    model = build_model(MIDIModelConfig.from_name(args.config))
    rows = [tuple(r) for r in context_rows(model.config.tokenizer, args.context)]
    named = systems(model, args.dtype, args.drafts.split(","))
    mask = from_constraints(named["normal"].tokenizer, Constraints(), context=rows)
    print(f"{args.config} {args.dtype}, random weights, {args.context}-event context, {args.events} events\n")
    speed(named, rows, mask, args.seeds, args.events)
    if args.tv_runs > 0:
        print(f"\nexactness: {args.tv_runs} continuations of 4 events per sampler\n")
        exactness(named, rows, mask, args.tv_runs, named["normal"].tokenizer)


def main(argv: list[str] | None = None) -> int:
    """Run the three parts and print markdown tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--config", default="tv2o-medium")
    parser.add_argument("--dtype", default="float16")
    parser.add_argument("--context", type=int, default=256)
    parser.add_argument("--events", type=int, default=48)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--drafts", default="online,stale")
    parser.add_argument("--skip", default="skip1", help="layer-skipping drafts for trained checkpoints")
    parser.add_argument("--tv-runs", type=int, default=300)
    parser.add_argument("--checkpoint", action="append", default=[], help="PATH:CHANNELS[:ROWS.npz]")
    parser.add_argument("--trained-seeds", type=int, default=9, help="seeds for the (fast) checkpoints")
    parser.add_argument("--only-checkpoints", action="store_true", help="skip parts 1 and 3")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    print(f"torch threads {args.threads}, {torch.__version__}, load average at start "
          f"{os.getloadavg()[0]:.1f}, {time.strftime('%Y-%m-%d')}\n")  # fmt: skip
    if not args.only_checkpoints:
        random_model(args)
    for spec in args.checkpoint:
        trained(spec, args)
    print(f"\nload average at end {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
