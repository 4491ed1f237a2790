"""Tiny SkyTNT models for tests (built here, never downloaded)."""

from __future__ import annotations

import random

import torch

from conductor.backends.skytnt.config import MIDIModelConfig
from conductor.backends.skytnt.model import MIDIModel, build_model
from conductor.backends.skytnt.tokenizer import get_tokenizer

torch.set_num_threads(1)


def tiny_config(tokenizer: str = "v2o") -> MIDIModelConfig:
    """2 event layers, 1 token layer, 64 wide."""
    return MIDIModelConfig.custom(tokenizer, n_layer=2, n_head=4, n_embd=64, n_inner=128, name="tiny")


def tiny_model(tokenizer: str = "v2o", seed: int = 0) -> MIDIModel:
    """A randomly initialised tiny model with larger-than-default weights (peaky distributions)."""
    model = build_model(tiny_config(tokenizer), seed=seed)
    with torch.no_grad():
        for p in model.parameters():
            if p.dim() == 2:
                p.mul_(5.0)
    return model


def note_rows(n: int, tokenizer: str = "v2o", seed: int = 0) -> list[list[int]]:
    """BOS then `n` random note rows."""
    tok = get_tokenizer(tokenizer)
    rng = random.Random(seed)
    rows = [tok.bos_row()]
    for _ in range(n):
        values = {
            "time1": rng.randint(0, 2),
            "time2": rng.randint(0, 15),
            "track": 1,
            "channel": 0,
            "pitch": rng.randint(40, 90),
            "velocity": rng.randint(30, 110),
            "duration": rng.randint(1, 16),
        }
        event = ["note", *(values[p] for p in tok.events["note"])]
        rows.append(tok.event2tokens(event))
    return rows
