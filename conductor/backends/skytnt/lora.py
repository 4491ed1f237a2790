"""Merge a LoRA adapter (peft's folder shape) onto a loaded SkyTNT model, as upstream's app does.

An adapter is a folder holding `adapter_config.json` (peft's `LoraConfig`: rank `r`, `lora_alpha`,
`target_modules`, ...) and `adapter_model.safetensors` (the low-rank factors, named after the base's
modules, e.g. `net.layers.0.self_attn.q_proj.lora_A.weight`, with or without peft's
`base_model.model.` prefix). `conductor train --lora` writes it; upstream's trainer (`--task lora`)
and peft's `save_pretrained` write the same shape.

Loading is as guarded as a checkpoint's (`checkpoint.py`, `limits.py`): the config is bounded JSON whose
sizes are checked against the base before peft allocates anything; only safetensors weights are read
(a pickled `adapter_model.bin` is refused, never unpickled); plain LoRA only (an option that would need
more than folding B·A into a weight is refused by name); every tensor must have a place in the base, the
right shape and finite floating-point values, and every place its tensor. Then peft injects the layers,
loads the factors and `merge_and_unload` folds them in: the result is a plain `MIDIModel`, as fast as
the base. Every failure is one `ModelError` line naming the file, what was wrong and what to do.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from conductor.backends.base import ModelError
from conductor.backends.skytnt.checkpoint import read_state_dict
from conductor.backends.skytnt.config import read_json_object
from conductor.backends.skytnt.limits import check_lora
from conductor.backends.skytnt.model import MIDIModel

ADAPTER_CONFIG = "adapter_config.json"
ADAPTER_WEIGHTS = "adapter_model.safetensors"
PICKLED_WEIGHTS = "adapter_model.bin"
PEFT_PREFIX = "base_model.model."
ADAPTER_NAME = "default"
# adapter_config.json keys handed to peft's LoraConfig
OPTIONS = (
    "r",
    "lora_alpha",
    "target_modules",
    "exclude_modules",
    "rank_pattern",
    "alpha_pattern",
    "use_rslora",
    "use_dora",
    "layers_to_transform",
    "layers_pattern",
    "bias",
    "lora_bias",
    "fan_in_fan_out",
)
# keys that describe the adapter or its training, not the merge
METADATA = (
    "peft_type",
    "peft_version",
    "task_type",
    "auto_mapping",
    "base_model_name_or_path",
    "revision",
    "inference_mode",
    "lora_dropout",
    "init_lora_weights",
    "megatron_core",
    "qalora_group_size",
)
# initialisations that rewrite the base's weights: such an adapter only fits the rewritten base
BASE_REWRITING_INITS = ("pissa", "olora", "corda", "loftq", "lora_ga")


def merge_lora(model: MIDIModel, path: Path) -> MIDIModel:
    """`model` with the adapter at `path` (its folder or a file in it) merged into its weights."""
    folder = adapter_folder(path)
    options = read_adapter_config(folder / ADAPTER_CONFIG, model.config.n_embd)
    tensors = read_adapter_weights(folder)
    tuner = _inject(model, options, folder)
    from peft import get_peft_model_state_dict, set_peft_model_state_dict

    expected = get_peft_model_state_dict(model, adapter_name=ADAPTER_NAME, save_embedding_layers=False)
    check_adapter(expected, tensors, folder / ADAPTER_WEIGHTS, model.config.name)
    set_peft_model_state_dict(model, tensors, ADAPTER_NAME)
    merged: MIDIModel = tuner.merge_and_unload()
    return merged.eval()


def adapter_folder(path: Path) -> Path:
    """The adapter's folder: `path` itself, or the folder of a file named like an adapter's."""
    folder = path.parent if path.name in (ADAPTER_CONFIG, ADAPTER_WEIGHTS, PICKLED_WEIGHTS) else path
    if not folder.is_dir():
        found = "is not a folder" if folder.exists() else "not found"
        raise ModelError(
            f"LoRA adapter {path} {found}: expected a folder with {ADAPTER_CONFIG} and "
            f"{ADAPTER_WEIGHTS} (what `conductor train --lora` and peft write)"
        )
    return folder


def read_adapter_config(path: Path, width: int) -> dict[str, Any]:
    """The LoraConfig options of `path`, bounded (`limits.check_lora`) and limited to plain LoRA."""
    if not path.is_file():
        raise ModelError(
            f"LoRA adapter {path.parent} has no {ADAPTER_CONFIG}: expected peft's adapter folder "
            f"({ADAPTER_CONFIG} + {ADAPTER_WEIGHTS})"
        )
    data = read_json_object(path, "a peft adapter_config.json")
    if data.get("peft_type") != "LORA":
        raise ModelError(
            f"{path}: peft_type is {data.get('peft_type')!r}: expected 'LORA' (conductor merges LoRA "
            "adapters only)"
        )
    check_lora(data, width, str(path))
    _check_plain(data, path)
    return {key: data[key] for key in OPTIONS if data.get(key) is not None}


def _check_plain(data: Mapping[str, Any], path: Path) -> None:
    init = data.get("init_lora_weights")
    if isinstance(init, str) and init.lower().startswith(BASE_REWRITING_INITS):
        raise ModelError(
            f"{path}: init_lora_weights is {init!r}, which rewrote the base's weights in training: "
            "expected a converted adapter (save it with peft's path_initial_model_for_weight_conversion)"
        )
    extra = [k for k, v in data.items() if k not in (*OPTIONS, *METADATA) and v not in (None, False, {}, [])]
    if extra:
        raise ModelError(
            f"{path}: {extra[0]} is set ({str(data[extra[0]])[:60]}): conductor merges plain LoRA "
            "adapters (r, lora_alpha, target_modules, rank/alpha patterns, rslora, DoRA); "
            "expected it unset"
        )


def read_adapter_weights(folder: Path) -> dict[str, torch.Tensor]:
    """The tensors of `folder/adapter_model.safetensors`, names without peft's wrapper prefix."""
    path = folder / ADAPTER_WEIGHTS
    if not path.is_file():
        pickled = (folder / PICKLED_WEIGHTS).exists()
        found = f"only {PICKLED_WEIGHTS}, a pickle conductor never loads" if pickled else "no weights"
        raise ModelError(
            f"LoRA adapter {folder} holds {found}: expected {ADAPTER_WEIGHTS} "
            "(peft's save_pretrained writes it by default; safe_serialization=True)"
        )
    tensors = read_state_dict(path)
    return {k.removeprefix(PEFT_PREFIX): v for k, v in tensors.items()}


def _inject(model: MIDIModel, options: Mapping[str, Any], folder: Path) -> Any:
    """peft's LoraModel over `model` (its layers replaced in place), or a `ModelError`."""
    from peft import LoraConfig, LoraModel

    try:
        config = LoraConfig(**options, inference_mode=True, init_lora_weights=False)
        return LoraModel(model, config, ADAPTER_NAME)
    except Exception as exc:  # peft raises ValueError, TypeError, its own errors on a config that misfits
        reason = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise ModelError(
            f"{folder / ADAPTER_CONFIG} does not fit the base model ({reason}): expected target_modules "
            "naming its layers (q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj)"
        ) from exc


def check_adapter(
    expected: Mapping[str, torch.Tensor], found: Mapping[str, torch.Tensor], source: Path, base: str
) -> None:
    """Raise a `ModelError` for the first adapter tensor that misfits the injected base."""
    stray = [k for k in found if k not in expected]
    if stray:
        raise ModelError(
            f"{source}: {stray[0]} has no place in the {base} base model: expected an adapter trained "
            "on this base (is the piece's checkpoint the one it was trained on?)"
        )
    for key, tensor in expected.items():
        if key not in found:
            raise ModelError(
                f"{source} lacks {key}: expected every factor its {ADAPTER_CONFIG} names "
                "(a cut file, or a config from another adapter?)"
            )
        _check_tensor(key, found[key], tuple(tensor.shape), source)


def _check_tensor(key: str, tensor: torch.Tensor, shape: tuple[int, ...], source: Path) -> None:
    if tuple(tensor.shape) != shape:
        raise ModelError(
            f"{source}: {key} has shape {tuple(tensor.shape)} but the base with this {ADAPTER_CONFIG} "
            f"expects {shape}: is r the rank it was trained with, and the base the one it was trained on?"
        )
    if not tensor.is_floating_point():
        raise ModelError(f"{source}: {key} holds {tensor.dtype}: expected floating-point weights")
    if not bool(torch.isfinite(tensor).all()):
        raise ModelError(f"{source}: {key} holds NaN or infinite values: the adapter is damaged")
