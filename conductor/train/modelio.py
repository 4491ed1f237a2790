"""Models for training: a new one from a config name, or an existing checkpoint to fine-tune; saving.

Config names: the backend's (`tv2o-medium`, `tv2o-small`, ...) plus training sizes of our own
(`conductor-small`, `tiny`) and `custom:LAYERS,HEADS,WIDTH,INNER[,TOKENIZER]`. The event net has
LAYERS layers; the token net a quarter as many (at least one), as upstream shapes it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conductor.backends.base import ModelError

# name → (layers, heads, width, inner width, tokenizer)
TRAIN_CONFIGS: dict[str, tuple[int, int, int, int, str]] = {
    "conductor-small": (4, 4, 256, 640, "v2o"),  # ~6.0 M weights, ≤ 25 MB in float32
    "conductor-roles": (6, 4, 256, 1024, "v2o"),  # ~9.4 M weights, 18.7 MB in float16 (docs/training.md)
    "tiny": (2, 2, 64, 128, "v2o"),  # for tests and smoke runs
}


def config_for(name: str) -> Any:
    """The `MIDIModelConfig` a name stands for (see the module docstring)."""
    from conductor.backends.skytnt.config import MIDIModelConfig

    if name in TRAIN_CONFIGS:
        layers, heads, width, inner, tok = TRAIN_CONFIGS[name]
        return MIDIModelConfig.custom(tok, layers, heads, width, inner, name=name)
    if name.startswith("custom:"):
        parts = name.removeprefix("custom:").split(",")
        try:
            layers, heads, width, inner = (int(p) for p in parts[:4])
        except ValueError as exc:
            raise ModelError(
                f"config {name!r}: expected custom:LAYERS,HEADS,WIDTH,INNER[,v1|v2|v2o]"
            ) from exc
        tok = parts[4] if len(parts) > 4 else "v2o"
        return MIDIModelConfig.custom(tok, layers, heads, width, inner, name="custom")
    return MIDIModelConfig.from_name(name)


def new_model(name: str, seed: int = 0) -> Any:
    """A randomly initialised `MIDIModel` of the named config (seeded), in training mode."""
    from conductor.backends.skytnt.model import build_model

    return build_model(config_for(name), seed=seed).train()


def load_model(path: Path) -> Any:
    """A checkpoint (HF folder or Lightning .ckpt) to fine-tune, in training mode, float32 on CPU."""
    from conductor.backends.skytnt.checkpoint import load_checkpoint

    return load_checkpoint(path).float().train()


def save_model(
    model: Any, folder: Path, roles: bool = False, dtype: str = "float32", key: str = "as played"
) -> None:
    """Write ``config.json`` + ``model.safetensors`` (the shape the backend loads).

    ``roles``: mark config.json as trained on the role format (`conductor.backends.skytnt.roles`),
    with the key the model expects its parts in (``key``).
    ``dtype`` "float16" halves the file (the backend loads it as float32 and casts as it is told).
    """
    import copy

    import torch

    from conductor.backends.skytnt.checkpoint import save_pretrained_folder
    from conductor.backends.skytnt.roles import mark_config

    if dtype not in ("float32", "float16"):
        raise ValueError(f"save dtype {dtype!r}: expected float32 or float16")
    to_save = model if dtype == "float32" else copy.deepcopy(model).to(torch.float16)
    save_pretrained_folder(to_save, folder)
    if roles:
        mark_config(folder, key)


def tokenizer_of(model: Any) -> Any:
    """The tokenizer object a model was built for."""
    from conductor.backends.skytnt.tokenizer import get_tokenizer

    return get_tokenizer(model.config.tokenizer)


def untrained_like(model: Any, seed: int = 0) -> Any:
    """A randomly initialised model of the same config (the "untrained, same size" baseline)."""
    from conductor.backends.skytnt.model import build_model

    return build_model(model.config, seed=seed)
