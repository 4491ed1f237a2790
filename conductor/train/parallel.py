"""Data-parallel training on `torch.distributed` (launched by ``torchrun``), and one optimizer step.

A run is one process (the default, nothing to set up) or ``torchrun``'s ranks: each rank reads
``RANK``/``WORLD_SIZE``/``LOCAL_RANK`` from its environment, joins the process group (gloo on CPU, nccl
on CUDA) and wraps the model in `DistributedDataParallel`. The data is world-size independent: every
rank builds the same *global* batch (per-rank batch × world × accumulation) from (seed, epoch, index)
and takes its own slice — rank r the rows ``[r·B·A, (r+1)·B·A)``, cut into A micro-batches of B. The
loss is the sum of cross-entropy over the global batch's target tokens divided by their count (known
on every rank without communication), so 1 process with batch 8, 2 with batch 4 and 1 with batch 4 ×
accumulation 2 take the same step, up to the order of float additions. Rank 0 validates and writes.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

PRECISIONS = ("fp32", "bf16")


@dataclass(frozen=True)
class World:
    """Where this process stands in a data-parallel run (one process: rank 0 of 1)."""

    rank: int = 0
    size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        """True on the rank that validates and writes checkpoints, logs and the card."""
        return self.rank == 0


def world_from_env() -> World:
    """The `World` torchrun describes in the environment (one process when it is not set)."""
    size = int(os.environ.get("WORLD_SIZE", "1"))
    return World(int(os.environ.get("RANK", "0")), size, int(os.environ.get("LOCAL_RANK", "0")))


def start(world: World, device: str) -> str:
    """Join the process group (when there is more than one rank); returns this rank's device.

    ``cuda`` becomes ``cuda:LOCAL_RANK`` (one GPU per rank, nccl); ``cpu`` uses gloo.
    """
    import torch.distributed as dist

    if device == "cuda" and world.size > 1:
        device = f"cuda:{world.local_rank}"
    if torch.device(device).index is not None:  # nccl's collectives run on the current device
        torch.cuda.set_device(torch.device(device))
    if world.size > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if device.startswith("cuda") else "gloo")
    return device


def stop(world: World) -> None:
    """Leave the process group (after the last step)."""
    import torch.distributed as dist

    if world.size > 1 and dist.is_initialized():
        dist.destroy_process_group()


@contextlib.contextmanager
def main_first(world: World) -> Iterator[None]:
    """Rank 0 runs the block first (building a token cache); the others then run it (reading it)."""
    import torch.distributed as dist

    if world.size > 1 and not world.is_main:
        dist.barrier()
    yield
    if world.size > 1 and world.is_main:
        dist.barrier()


def same_everywhere(value: int, world: World, device: str) -> bool:
    """True when every rank holds the same ``value`` (one all-reduce; True on one process)."""
    if world.size == 1:
        return True
    import torch.distributed as dist

    both = torch.tensor([value, -value], dtype=torch.int64, device=device)
    dist.all_reduce(both, op=dist.ReduceOp.MAX)
    return int(both[0]) == -int(both[1])


class LossSum(torch.nn.Module):
    """Upstream's two-level loss summed over the chosen targets: the module DDP wraps.

    ``forward(batch, keep)``: ``batch`` (B, L+1, T) token rows, ``keep`` (B, L) the event positions
    whose next row is a target. The event net reads each row as the sum of its token embeddings; its
    hidden state at row t starts the token net, which predicts row t+1 token by token (PAD ignored).
    """

    def __init__(self, model: Any, pad_id: int) -> None:
        super().__init__()
        self.model = model
        self.pad_id = pad_id

    def forward(self, batch: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        """Sum of cross-entropy over the non-PAD tokens of the kept targets."""
        m = self.model
        x, y = batch[:, :-1], batch[:, 1:]
        hidden = m.net(inputs_embeds=m.net.embed_tokens(x).sum(dim=-2), use_cache=False).last_hidden_state
        h, target = hidden[keep], y[keep]
        token_in = torch.cat([h.unsqueeze(1), m.net_token.embed_tokens(target[:, :-1])], dim=1)
        logits = m.lm_head(m.net_token(inputs_embeds=token_in, use_cache=False).last_hidden_state)
        flat = logits.reshape(-1, logits.shape[-1]).float()
        return F.cross_entropy(flat, target.reshape(-1), ignore_index=self.pad_id, reduction="sum")


def target_mask(
    batch: torch.Tensor, pad_id: int, positions: int = 0, generator: torch.Generator | None = None
) -> torch.Tensor:
    """(B, L) mask of the targets to train on: rows with a next row, at most ``positions`` random ones
    per sequence when ``positions`` > 0 (upstream's 127 of each sequence); drawn on the CPU."""
    keep = batch[:, 1:, 0] != pad_id
    if 0 < positions < keep.shape[1]:
        order = torch.rand(keep.shape, generator=generator).argsort(dim=1)[:, :positions]
        keep = keep & torch.zeros_like(keep).scatter_(1, order.to(keep.device), True)
    return keep


def target_count(batch: torch.Tensor, keep: torch.Tensor, pad_id: int) -> int:
    """How many non-PAD target tokens the mask selects."""
    return int((batch[:, 1:][keep] != pad_id).sum())


def wrap(model: Any, pad_id: int, world: World, device: str) -> torch.nn.Module:
    """The loss module for training: DDP-wrapped when there is more than one rank."""
    loss = LossSum(model, pad_id)
    if world.size == 1:
        return loss
    from torch.nn.parallel import DistributedDataParallel

    ids = [torch.device(device).index] if device.startswith("cuda") else None
    return DistributedDataParallel(loss, device_ids=ids, forward_sync_buffers=False)


def my_slices(rows: int, world: World, accumulate: int) -> list[slice]:
    """This rank's micro-batches of a global batch of ``rows`` blocks (see the module docstring)."""
    per_rank = rows // world.size
    micro = per_rank // accumulate
    first = world.rank * per_rank
    return [slice(first + a * micro, first + (a + 1) * micro) for a in range(accumulate)]


def backward_global(
    loss: torch.nn.Module,
    batch: np.ndarray,
    keep: torch.Tensor,
    count: int,
    world: World,
    accumulate: int = 1,
    precision: str = "fp32",
) -> float:
    """Accumulate this rank's gradients of (global loss sum / ``count``); returns the global loss.

    DDP averages gradients over ranks, so each micro-batch's sum is scaled by world / count; the
    gradients are synchronised once, on the last micro-batch. The loss is summed over the ranks (one
    scalar all-reduce) so every rank reports the same number.
    """
    device = next(loss.parameters()).device
    slices = my_slices(len(batch), world, accumulate)
    share = torch.zeros((), dtype=torch.float64, device=device)
    ddp = loss if isinstance(loss, torch.nn.parallel.DistributedDataParallel) else None
    for i, part in enumerate(slices):
        quiet = ddp.no_sync() if ddp is not None and i < len(slices) - 1 else contextlib.nullcontext()
        with quiet, autocast(device, precision):
            total = loss(torch.from_numpy(batch[part]).to(device), keep[part].to(device))
        (total * (world.size / max(1, count))).backward()
        share += total.detach().double() / max(1, count)
    if world.size > 1:
        import torch.distributed as dist

        dist.all_reduce(share)
    return float(share)


def autocast(device: str | torch.device, precision: str) -> contextlib.AbstractContextManager[Any]:
    """bfloat16 autocast for ``bf16`` (meant for GPUs; it runs on CPU too), nothing for ``fp32``."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision {precision!r}: expected one of {', '.join(PRECISIONS)}")
    kind = torch.device(device).type
    return torch.autocast(kind, dtype=torch.bfloat16, enabled=precision == "bf16")
