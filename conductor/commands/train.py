"""`conductor train`: train or fine-tune a SkyTNT-architecture model on MIDI files or music21's corpus."""

from __future__ import annotations

import argparse
import logging
import shlex
import sys
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

EPILOG = """examples:
  conductor train --data corpus:bach --out runs/bach --config conductor-small --steps 2000
  conductor train --data my_midis/ --data takes/ --out runs/mine --from models/conductor-small --steps 300
  conductor train --data corpus:bach --out runs/bach --config conductor-small --steps 2000 --resume
  conductor train --data ~/midi --out runs/big --cache-only --workers 8
  torchrun --nproc_per_node 4 -m conductor train --data ~/midi --out runs/big --device cuda --batch 8
      --accumulate 4 --precision bf16    (4 GPUs, global batch 128 blocks; see docs/training.md)
  conductor train --data my_midis/ --out runs/my-lora --lora --base models/conductor-small --steps 300
"""


def register(subparsers: Any) -> None:
    """Add the `train` command."""
    p = subparsers.add_parser(
        "train",
        help="train or fine-tune a transformer on MIDI files or music21's corpus",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _data_args(p)
    _optim_args(p)
    _lora_args(p)
    p.set_defaults(func=run)


def _data_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--data",
        action="append",
        required=True,
        metavar="DIR|corpus:NAME|roles:LIST",
        help="a folder of MIDI files, a take folder, corpus:bach|essen|oneill|ryansMammoth, or music21's "
        "corpus as human/AI role pairs: corpus:roles (all) or roles:bach,palestrina,essen,... "
        "(repeat to combine)",
    )
    p.add_argument("--out", type=Path, required=True, help="checkpoint folder to write (HF folder shape)")
    start = p.add_mutually_exclusive_group()
    start.add_argument(
        "--config",
        help="train from scratch: conductor-small (default), tiny, tv2o-medium, "
        "... or custom:LAYERS,HEADS,WIDTH,INNER[,v1|v2|v2o]",
    )
    start.add_argument(
        "--from",
        dest="init",
        type=Path,
        metavar="CHECKPOINT",
        help="fine-tune this checkpoint (HF folder or Lightning .ckpt)",
    )
    start.add_argument(
        "--base", type=Path, metavar="CHECKPOINT", help="the checkpoint a --lora adapter is trained on"
    )
    p.add_argument(
        "--augment",
        default="all",
        choices=("none", "common", "all", "human"),
        help="transpose to all keys (default), to a common key (C major / A minor), to C major / "
        "A minor by the human part's key (role data; the model is marked for it), or not",
    )
    p.add_argument(
        "--tempo", action="store_true", help="tempo augmentation: bpm x0.7-1.4, a quarter at half speed"
    )
    p.add_argument("--pack", action="store_true", help="let short pieces (role windows) share a block")
    p.add_argument(
        "--save-dtype",
        choices=("float32", "float16"),
        default="float32",
        help="model.safetensors precision (float16 halves the file; resume state stays float32)",
    )
    p.add_argument("--val-fraction", type=float, default=0.05, help="pieces held out (default 0.05)")
    p.add_argument("--cache", type=Path, default=None, help="token cache folder (default ~/.cache/conductor)")
    p.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="processes tokenising MIDI folders and corpus:NAME into the token cache (default 1)",
    )
    p.add_argument(
        "--cache-only",
        action="store_true",
        help="build (or check) the token caches of every --data and stop: before a multi-rank run",
    )
    p.add_argument("--note", action="append", default=[], help="a line for the model card (repeatable)")
    p.add_argument("--resume", action="store_true", help="continue the unfinished run in --out")


def _optim_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--steps", type=int, default=1000, help="optimizer steps (default 1000)")
    p.add_argument(
        "--batch",
        type=int,
        default=8,
        help="blocks per forward pass on each rank (default 8; see --accumulate)",
    )
    p.add_argument("--block", type=int, default=256, help="events per block (default 256)")
    p.add_argument(
        "--lr",
        type=float,
        default=None,
        help="peak learning rate (default 5e-4; 5e-5 with --from; 1e-4 with --lora, as upstream)",
    )
    p.add_argument("--warmup", type=int, default=100, help="warm-up steps (default 100)")
    p.add_argument("--seed", type=int, default=0, help="seed for init, split, shuffling and augmentation")
    p.add_argument("--device", default="cpu", help="cpu | cuda | cuda:N (default cpu)")
    p.add_argument("--eval-every", type=int, default=200, help="validate every N steps (default 200)")
    p.add_argument("--save-every", type=int, default=200, help="checkpoint every N steps (default 200)")
    p.add_argument(
        "--token-positions",
        type=int,
        default=0,
        metavar="N",
        help="token-level loss on at most N random events per block, as upstream (default 0: all)",
    )
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    p.add_argument(
        "--accumulate",
        type=int,
        default=1,
        metavar="N",
        help="micro-batches per step on each rank: the global batch is batch x ranks x N (default 1)",
    )
    p.add_argument(
        "--precision",
        choices=("fp32", "bf16"),
        default="fp32",
        help="bf16: bfloat16 autocast, for GPUs (it runs on CPU too, rarely faster); weights stay float32",
    )


def _lora_args(p: argparse.ArgumentParser) -> None:
    from conductor.train.lora import UPSTREAM_TARGETS, LoraSettings

    p.add_argument(
        "--lora",
        action="store_true",
        help="train only a LoRA adapter on --base (peft; writes adapter_config.json + "
        "adapter_model.safetensors, which a piece loads with model: {checkpoint: BASE, lora: OUT})",
    )
    p.add_argument("--lora-rank", type=int, default=LoraSettings.rank, help="adapter rank r (default 64)")
    p.add_argument("--lora-alpha", type=int, default=LoraSettings.alpha, help="LoRA alpha (default 128)")
    p.add_argument(
        "--lora-targets",
        default=",".join(UPSTREAM_TARGETS),
        metavar="NAMES",
        help="comma-separated layers to adapt (default upstream's: %(default)s)",
    )


def run(args: argparse.Namespace) -> int:
    """Train; returns 0 when the run finished, 1 on a problem the user can fix.

    Under ``torchrun`` every rank runs this: each joins the process group, rank 0 writes.
    """
    import torch

    from conductor.train import parallel

    if args.threads:
        torch.set_num_threads(args.threads)
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        print("--device cuda: no CUDA GPU is available here; use --device cpu", file=sys.stderr)
        return 1
    from conductor.backends.base import ModelError

    world = parallel.world_from_env()
    try:
        _check_config(args.config)
        _check_steps(args)
        _check_lora(args)
        if args.cache_only:
            return _cache_only(_options(args, world, args.device))
        device = parallel.start(world, args.device)
        try:
            return _train(_options(args, world, device))
        finally:
            parallel.stop(world)
    except (FileExistsError, ValueError, OSError, ModelError) as exc:
        where = f" (rank {world.rank} of {world.size})" if world.size > 1 else ""
        print(f"conductor train{where}: {exc}", file=sys.stderr)
        return 1


def _check_steps(args: argparse.Namespace) -> None:
    if args.accumulate < 1 or args.batch < 1:
        raise ValueError(f"--batch {args.batch} --accumulate {args.accumulate}: both must be 1 or more")
    if args.precision == "bf16" and not args.device.startswith("cuda"):
        log.warning("--precision bf16 is meant for GPUs; on a CPU it runs, rarely faster than fp32")


def _check_config(name: str | None) -> None:
    """Raise a `ModelError` for a --config that names no config: the known names and a guess."""
    from conductor.backends.base import ModelError
    from conductor.backends.skytnt.config import CONFIG_NAMES, unknown_name
    from conductor.train.modelio import TRAIN_CONFIGS, config_for

    if name is None:
        return
    try:
        config_for(name)  # a config only: nothing is allocated
    except ModelError as exc:
        if name.startswith("custom:"):
            raise
        known = (*TRAIN_CONFIGS, *CONFIG_NAMES, "tv2o-small", "custom:LAYERS,HEADS,WIDTH,INNER[,v1|v2|v2o]")
        raise ModelError(unknown_name("--config", name, known)) from exc


def _check_lora(args: argparse.Namespace) -> None:
    """Raise a `ValueError` for --lora without --base, or --base without --lora."""
    if args.lora and args.base is None:
        raise ValueError("--lora needs --base CHECKPOINT: the model the adapter is trained on")
    if args.base is not None and not args.lora:
        raise ValueError("--base names a --lora adapter's checkpoint: add --lora (or fine-tune with --from)")


def _lora(args: argparse.Namespace) -> Any:
    """The adapter's `LoraSettings` (None without --lora)."""
    from conductor.train.lora import LoraSettings

    if not args.lora:
        return None
    targets = tuple(t.strip() for t in args.lora_targets.split(",") if t.strip())
    return LoraSettings(args.lora_rank, args.lora_alpha, targets, str(args.base))


def _options(args: argparse.Namespace, world: Any, device: str) -> Any:
    from conductor.train import session
    from conductor.train.loop import Settings

    lr = args.lr if args.lr is not None else (1e-4 if args.lora else 5e-5 if args.init else 5e-4)
    settings = Settings(
        steps=args.steps,
        batch=args.batch,
        block=args.block,
        lr=lr,
        min_lr=lr / 10,
        warmup=args.warmup,
        seed=args.seed,
        augment=session.augment_from(args.augment),
        val_fraction=args.val_fraction,
        token_positions=args.token_positions,
        eval_every=args.eval_every,
        save_every=args.save_every,
        tempo=args.tempo,
        pack=args.pack,
        accumulate=args.accumulate,
        precision=args.precision,
    )
    return session.Options(
        data=args.data,
        out=args.out,
        config=args.config,
        init=args.init or args.base,
        settings=settings,
        device=device,
        resume=args.resume,
        cache=args.cache,
        notes=tuple(args.note) + _adapter_note(args),
        save_dtype=args.save_dtype,
        lora=_lora(args),
        command=_command(world),
        world=world,
        workers=args.workers,
    )


def _command(world: Any) -> str:
    """The command line for the model card (with the launcher when there are several ranks)."""
    args = " ".join(shlex.quote(a) for a in sys.argv[2:])
    launcher = f"torchrun (world {world.size}) -m " if world.size > 1 else ""
    return f"{launcher}conductor train {args}"


def _cache_only(opts: Any) -> int:
    """Tokenise every --data source into its cache (or find it there) and stop."""
    from conductor.train import modelio, session
    from conductor.train.data import default_cache_dir

    if opts.init is None:
        tokenizer = modelio.config_for(opts.config or "conductor-small").tokenizer
    else:
        tokenizer = session.build_model(opts).config.tokenizer
    corpus = session.load_data(opts, tokenizer)
    print(
        f"{len(corpus)} pieces, {corpus.events:,} events, {len(corpus.skipped)} files skipped; "
        f"token caches in {opts.cache or default_cache_dir()}"
    )
    return 0


def _adapter_note(args: argparse.Namespace) -> tuple[str, ...]:
    if not args.lora:
        return ()
    return (
        f"A LoRA adapter for `{args.base}`, not a whole model: a piece loads it with `model: "
        f"{{kind: skytnt, checkpoint: {args.base}, lora: {args.out}}}` (paths relative to the piece).",
    )


def _train(opts: Any) -> int:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from conductor.train import loop, session

    if not opts.world.is_main:  # the other ranks train quietly: rank 0 reports and writes
        loop.train(session.prepare(opts))
        return 0
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[info]}"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, transient=False) as bar:

        def data_progress(src: str) -> Any:
            task = bar.add_task(f"tokenising {src}", total=None, info="")
            return lambda done, total: bar.update(task, completed=done, total=total)

        run = session.prepare(opts, data_progress)
        bar.console.print(
            f"{len(run.corpus)} pieces ({len(run.train_pieces)} train, {len(run.val_pieces)} "
            f"held out), {run.corpus.events:,} events, {len(run.corpus.skipped)} files skipped"
        )
        run.on_checkpoint = lambda r, h: session.write_card(r.out, session.card_info(r, h, opts, None, {}))
        history = loop.train(run, _reporter(bar, opts.settings.steps))
    val, base = session.final_losses(run)
    session.write_card(run.out, session.card_info(run, history, opts, val, base))
    if val is not None:
        print(f"validation loss {val:.3f} (unigram per position {base['unigram per position']:.3f})")
    print(f"model in {run.out}")
    return 0


def _reporter(bar: Any, steps: int) -> Any:
    task = bar.add_task("training", total=steps, info="")

    def report(p: Any) -> None:
        val = f" val {p.val_loss:.3f}" if p.val_loss is not None else ""
        info = f"loss {p.loss:.3f}{val} lr {p.lr:.1e} {p.tokens_per_s:,.0f} tok/s"
        bar.update(task, completed=p.step, info=info)
        if not bar.console.is_terminal and (p.step % 50 == 0 or p.val_loss is not None):
            bar.console.print(f"step {p.step}/{p.steps} {info}")  # a log line when not a terminal

    return report
