"""The training loop: AdamW, warm-up then cosine learning rate, gradient clipping, the two-level loss.

The loss is upstream's: the event net reads each row as the sum of its token embeddings and its hidden
state at row t conditions the token net, which predicts row t+1 token by token (PAD ignored). Batches
come from `conductor.train.batching` and depend only on (seed, epoch, global batch size), so the loop
resumes exactly, on any number of ranks (`conductor.train.parallel`): model, optimizer, step, data
position (in global batches) and RNG state are saved with every checkpoint, by rank 0.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from conductor.backends.skytnt.tokenizer import get_tokenizer
from conductor.train import parallel
from conductor.train.augment import Augment, TokenLayout
from conductor.train.batching import Epoch, eval_batches, make_epoch
from conductor.train.data import Corpus
from conductor.train.tempo import TimeLayout
from conductor.train.validate import evaluate_loss

STATE_FILE = "train_state.pt"
LOG_FILE = "train_log.jsonl"


@dataclass(frozen=True)
class Settings:
    """Everything that shapes a run (saved with it; a resumed run must use the same)."""

    steps: int = 1000
    batch: int = 8
    block: int = 256
    lr: float = 5e-4
    min_lr: float = 5e-5
    warmup: int = 100
    weight_decay: float = 0.01
    grad_clip: float = 1.0
    seed: int = 0
    augment: Augment = Augment.ALL
    val_fraction: float = 0.05
    eval_every: int = 200
    eval_batches: int = 16
    save_every: int = 200
    token_positions: int = 0  # token net on at most N random events per sequence (0: all)
    tempo: bool = False  # tempo augmentation (conductor.train.tempo)
    pack: bool = False  # short pieces share a block (role windows)
    accumulate: int = 1  # micro-batches per rank per step: global batch = batch × ranks × accumulate
    precision: str = "fp32"  # or "bf16": autocast (meant for GPUs)


@dataclass
class Progress:
    """What the loop reports after each step (for a progress bar)."""

    step: int
    steps: int
    loss: float
    lr: float
    tokens_per_s: float
    val_loss: float | None = None


@dataclass
class History:
    """Losses so far: (step, loss) pairs."""

    train: list[tuple[int, float]] = field(default_factory=list)
    val: list[tuple[int, float]] = field(default_factory=list)
    seconds: float = 0.0
    tokens: int = 0


def lr_at(step: int, s: Settings) -> float:
    """Linear warm-up to ``lr`` over ``warmup`` steps, then cosine down to ``min_lr`` at ``steps``."""
    if step < s.warmup:
        return s.lr * (step + 1) / s.warmup
    span = max(1, s.steps - s.warmup)
    t = min(1.0, (step - s.warmup) / span)
    return s.min_lr + 0.5 * (s.lr - s.min_lr) * (1 + math.cos(math.pi * t))


def two_level_loss(
    model: Any, batch: torch.Tensor, pad_id: int, positions: int = 0, generator: torch.Generator | None = None
) -> tuple[torch.Tensor, int]:
    """(mean cross-entropy over non-PAD target tokens, how many) for a (B, L+1, T) batch of rows.

    ``positions`` > 0 runs the token net on at most that many random event positions per sequence, as
    upstream's training step does (its 127 of each sequence) to save time; 0 uses every position.
    """
    keep = parallel.target_mask(batch, pad_id, positions, generator)
    count = parallel.target_count(batch, keep, pad_id)
    return parallel.LossSum(model, pad_id)(batch, keep) / max(1, count), count


def make_optimizer(model: torch.nn.Module, s: Settings) -> torch.optim.Optimizer:
    """AdamW; no weight decay on norms and biases."""
    decay: list[torch.nn.Parameter] = []
    no_decay: list[torch.nn.Parameter] = []
    for name, p in model.named_parameters():
        (no_decay if ("norm" in name or name.endswith("bias")) else decay).append(p)
    groups = [{"params": decay, "weight_decay": s.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=s.lr, betas=(0.9, 0.99), eps=1e-8)


def batch_stream(
    corpus: Corpus,
    pieces: Sequence[int],
    layout: TokenLayout,
    s: Settings,
    start: tuple[int, int],
    batch_size: int | None = None,
) -> Iterator[tuple[int, int, np.ndarray]]:
    """(epoch, index, batch) forever, from ``start`` = (epoch, index); batches of ``batch_size``
    blocks (default ``s.batch``; the global batch in a data-parallel run)."""
    time_layout = TimeLayout.from_tokenizer(get_tokenizer(corpus.tokenizer)) if s.tempo else None
    epoch, index = start
    while True:
        ep: Epoch = make_epoch(
            corpus,
            pieces,
            layout,
            epoch=epoch,
            seed=s.seed,
            batch_size=batch_size or s.batch,
            block=s.block,
            augment=s.augment,
            tempo=time_layout if s.tempo else None,
            pack=s.pack,
        )
        if not len(ep):
            raise ValueError(
                f"not enough training pieces to fill a batch of {batch_size or s.batch}: use a smaller "
                "--batch (or fewer ranks or less --accumulate)"
            )
        for i in range(index, len(ep)):
            yield epoch, i, ep.batch(i)
        epoch, index = epoch + 1, 0


Saver = Callable[[Any, Path], None]


@dataclass
class Run:
    """A training run's moving parts (see `train`)."""

    model: Any
    corpus: Corpus
    layout: TokenLayout
    train_pieces: list[int]
    val_pieces: list[int]
    out: Path
    settings: Settings
    device: str = "cpu"
    save_model: Saver | None = None
    on_checkpoint: Callable[[Run, History], object] | None = None
    world: parallel.World = field(default_factory=parallel.World)

    @property
    def global_batch(self) -> int:
        """Blocks per optimizer step over all ranks: batch × ranks × accumulate."""
        return self.settings.batch * self.world.size * self.settings.accumulate


def train(run: Run, report: Callable[[Progress], None] | None = None) -> History:
    """Train to ``settings.steps``, resuming from ``out/train_state.pt`` when it is there.

    On several ranks every rank calls this; only rank 0 validates, reports and writes.
    """
    s, model, main = run.settings, run.model, run.world.is_main
    if main:
        run.out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(s.seed)
    model.to(run.device).train()
    opt = make_optimizer(model, s)
    step, position, history = _restore(run, opt)
    loss_module = parallel.wrap(model, run.layout.pad_id, run.world, run.device)
    val = _val_batches(run) if main else []
    stream = batch_stream(run.corpus, run.train_pieces, run.layout, s, position, run.global_batch)
    while step < s.steps:
        t0 = time.perf_counter()
        epoch, index, batch = next(stream)
        loss, count = _step(loss_module, opt, batch, step, run)
        step += 1
        history.seconds += time.perf_counter() - t0
        history.tokens += count
        history.train.append((step, loss))
        val_loss = _maybe_eval(run, val, step, history) if main else None
        if report and main:
            rate = count / max(1e-9, time.perf_counter() - t0)
            report(Progress(step, s.steps, loss, lr_at(step - 1, s), rate, val_loss))
        if main and (step % s.save_every == 0 or step == s.steps):
            save_checkpoint(run, opt, step, (epoch, index + 1), history)
    return history


def _val_batches(run: Run) -> list[np.ndarray]:
    s = run.settings
    pieces = spread(run.val_pieces, s.eval_batches * s.batch)
    return eval_batches(run.corpus, pieces, run.layout, s.block, s.batch, s.augment)[: s.eval_batches]


def spread(pieces: Sequence[int], count: int) -> list[int]:
    """About ``count`` of ``pieces``, evenly spaced (a large held-out set's every collection)."""
    return list(pieces[:: max(1, len(pieces) // max(1, count))])


def _step(
    loss_module: torch.nn.Module, opt: torch.optim.Optimizer, batch: np.ndarray, step: int, run: Run
) -> tuple[float, int]:
    """One optimizer step on a global batch (this rank trains on its slice); (loss, target tokens)."""
    s = run.settings
    for group in opt.param_groups:
        group["lr"] = lr_at(step, s)
    gen = torch.Generator().manual_seed(s.seed * 1_000_003 + step)
    full = torch.from_numpy(batch)
    keep = parallel.target_mask(full, run.layout.pad_id, s.token_positions, gen)
    count = parallel.target_count(full, keep, run.layout.pad_id)
    opt.zero_grad(set_to_none=True)
    loss = parallel.backward_global(loss_module, batch, keep, count, run.world, s.accumulate, s.precision)
    torch.nn.utils.clip_grad_norm_(run.model.parameters(), s.grad_clip)
    opt.step()
    return loss, count


def _maybe_eval(run: Run, val: Sequence[np.ndarray], step: int, history: History) -> float | None:
    s = run.settings
    if not val or (step % s.eval_every and step != s.steps):
        return None
    loss = evaluate_loss(run.model, val, run.layout.pad_id, run.device)
    history.val.append((step, loss))
    with (run.out / LOG_FILE).open("a") as f:
        f.write(json.dumps({"step": step, "train_loss": history.train[-1][1], "val_loss": loss}) + "\n")
    return loss


def save_checkpoint(
    run: Run, opt: torch.optim.Optimizer, step: int, position: tuple[int, int], history: History
) -> None:
    """Write the model folder (via ``save_model``) and the resume state next to it."""
    run.out.mkdir(parents=True, exist_ok=True)
    if run.save_model is not None:
        run.save_model(run.model, run.out)
    state = {
        "step": step,
        "position": list(position),  # (epoch, index) in global batches
        "global_batch": run.global_batch,
        "model": run.model.state_dict(),
        "optimizer": opt.state_dict(),
        "torch_rng": torch.get_rng_state(),
        "settings": {k: str(v) if isinstance(v, Augment) else v for k, v in asdict(run.settings).items()},
        "history": {
            "train": history.train,
            "val": history.val,
            "seconds": history.seconds,
            "tokens": history.tokens,
        },
    }
    tmp = run.out / (STATE_FILE + ".tmp")
    torch.save(state, tmp)
    tmp.replace(run.out / STATE_FILE)
    if run.on_checkpoint is not None:
        run.on_checkpoint(run, history)


def _restore(run: Run, opt: torch.optim.Optimizer) -> tuple[int, tuple[int, int], History]:
    step, position, history = _read_state(run, opt)
    if not parallel.same_everywhere(step, run.world, run.device):
        raise ValueError(
            f"rank {run.world.rank} resumes {run.out / STATE_FILE} at step {step}, another rank at another "
            "step: on several machines --out must be on a file system they share"
        )
    return step, position, history


def _read_state(run: Run, opt: torch.optim.Optimizer) -> tuple[int, tuple[int, int], History]:
    path = run.out / STATE_FILE
    if not path.exists():
        return 0, (0, 0), History()
    state = torch.load(path, map_location=run.device, weights_only=True)
    saved = state["settings"]
    saved_batch = state.get("global_batch", saved.get("batch"))
    if saved.get("seed") != run.settings.seed or saved_batch != run.global_batch:
        raise ValueError(
            f"{path}: saved with seed {saved.get('seed')} and a global batch of {saved_batch} blocks "
            f"(batch x ranks x accumulate); this run: seed {run.settings.seed}, global batch "
            f"{run.global_batch}. Resume with the same ones (any split of the same global batch)"
        )
    run.model.load_state_dict(state["model"])
    opt.load_state_dict(state["optimizer"])
    torch.set_rng_state(state["torch_rng"].cpu())
    h = state["history"]
    history = History([tuple(x) for x in h["train"]], [tuple(x) for x in h["val"]], h["seconds"], h["tokens"])
    return int(state["step"]), (int(state["position"][0]), int(state["position"][1])), history
