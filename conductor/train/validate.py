"""Validation losses: the token-weighted mean over held-out batches, and the loss of every target token.

Both run the model as `conductor.train.loop` trains it (the two-level loss), with every event position.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from conductor.train import parallel


@torch.no_grad()
def evaluate_loss(model: Any, batches: Sequence[np.ndarray], pad_id: int, device: str) -> float:
    """Token-weighted mean loss over the given batches."""
    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    for b in batches:
        batch = torch.from_numpy(b).to(device)
        keep = parallel.target_mask(batch, pad_id)
        total += float(parallel.LossSum(model, pad_id)(batch, keep))
        count += parallel.target_count(batch, keep, pad_id)
    model.train(was_training)
    return total / max(1, count)


@torch.no_grad()
def token_losses(
    model: Any, batches: Sequence[np.ndarray], pad_id: int, device: str
) -> tuple[np.ndarray, np.ndarray]:
    """(cross-entropy per target token, targets), both (rows, width); PAD targets have loss 0."""
    was_training = model.training
    model.eval()
    losses, targets = [], []
    for b in batches:
        batch = torch.from_numpy(b).to(device)
        y = batch[:, 1:].reshape(-1, batch.shape[-1])
        hidden = model.net(inputs_embeds=model.net.embed_tokens(batch[:, :-1]).sum(-2)).last_hidden_state
        token_in = torch.cat([hidden.reshape(len(y), 1, -1), model.net_token.embed_tokens(y[:, :-1])], 1)
        logits = model.lm_head(model.net_token(inputs_embeds=token_in).last_hidden_state)
        ce = F.cross_entropy(logits.transpose(1, 2), y, ignore_index=pad_id, reduction="none")
        losses.append(ce.cpu().numpy())
        targets.append(y.cpu().numpy())
    model.train(was_training)
    return np.concatenate(losses), np.concatenate(targets)
