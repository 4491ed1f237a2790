"""Crafted checkpoints: configs and weight files a hostile (or unlucky) stage could hand `model info`.

Used by test_crafted_checkpoints.py and bench/bench_hostile_inputs.py. Each case makes a checkpoint
in a folder and returns (path given to the loader, file the error must name, words it must contain).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save_file
from skytnt_tiny import tiny_config, tiny_model

Made = tuple[Path, Path, str]  # (checkpoint path, file named in the error, text the error contains)


def good_folder(folder: Path) -> Path:
    """A valid tiny checkpoint folder (config.json + model.safetensors)."""
    from conductor.backends.skytnt.checkpoint import save_pretrained_folder

    return save_pretrained_folder(tiny_model(), folder)


def _config_edit(edit: Callable[[dict[str, Any]], Any], words: str) -> Callable[[Path], Made]:
    """A good folder whose config.json is changed by `edit` (which may return a new document)."""

    def make(folder: Path) -> Made:
        good_folder(folder)
        data = tiny_config().to_dict()
        data = edit(data) or data
        text = data if isinstance(data, str) else json.dumps(data)
        (folder / "config.json").write_text(text)
        return folder, folder / "config.json", words

    return make


def _set(net: str, key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda data: data[net].__setitem__(key, value)


def _both(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(data: dict[str, Any]) -> None:
        data["net_config"][key] = value
        data["net_token_config"][key] = value

    return edit


def _weights(
    change: Callable[[dict[str, torch.Tensor]], dict[str, torch.Tensor]], words: str
) -> Callable[[Path], Made]:
    def make(folder: Path) -> Made:
        good_folder(folder)
        state = change({k: v.contiguous() for k, v in tiny_model().state_dict().items()})
        save_file(state, str(folder / "model.safetensors"))
        return folder, folder / "model.safetensors", words

    return make


def _truncated(folder: Path) -> Made:
    good_folder(folder)
    weights = folder / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    return folder, weights, "cannot be read"


class Payload:
    """Code a weights-only load must refuse to unpickle."""

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.system, ("echo pwned",))


def _pickled(folder: Path) -> Made:
    tiny_config().save(folder / "config.json")
    path = folder / "evil.ckpt"
    torch.save({"state_dict": tiny_model().state_dict(), "extra": Payload()}, path)
    return path, path, "cannot be read"


def _not_tensors(folder: Path) -> Made:
    tiny_config().save(folder / "config.json")
    path = folder / "numbers.ckpt"
    torch.save({"state_dict": {"net.embed_tokens.weight": 1}}, path)
    return path, path, "holds no state_dict of tensors"


def _fifo_config(folder: Path) -> Made:
    good_folder(folder)
    (folder / "config.json").unlink()
    os.mkfifo(folder / "config.json")
    return folder, folder / "config.json", "not a regular file"


def _fifo_checkpoint(folder: Path) -> Made:
    os.mkfifo(folder / "last.ckpt")
    return folder / "last.ckpt", folder / "last.ckpt", "neither a folder nor a regular file"


def _weights_dir(folder: Path) -> Made:
    tiny_config().save(folder / "config.json")
    (folder / "model.safetensors").mkdir()
    return folder, folder, "has no weights"


def _no_weights(folder: Path) -> Made:
    tiny_config().save(folder / "config.json")
    return folder, folder, "has no weights"


def _empty_ckpt(folder: Path) -> Made:
    tiny_config().save(folder / "config.json")
    (folder / "empty.ckpt").write_bytes(b"")
    return folder / "empty.ckpt", folder / "empty.ckpt", "cannot be read"


def _drop(data: dict[str, Any], net: str, key: str) -> None:
    del data[net][key]


def _huge_but_each_size_in_bounds(data: dict[str, Any]) -> None:
    _both("hidden_size", 16384)(data)
    _set("net_config", "num_hidden_layers", 256)(data)


def _odd_heads(data: dict[str, Any]) -> None:
    _both("hidden_size", 12)(data)
    for net in ("net_config", "net_token_config"):
        data[net].pop("head_dim", None)


def _nan_weight(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    state["lm_head.weight"] = state["lm_head.weight"].clone()
    state["lm_head.weight"][0, 0] = float("nan")
    return state


CASES: dict[str, Callable[[Path], Made]] = {
    "heads-0": _config_edit(_set("net_config", "num_attention_heads", 0), "net_config.num_attention_heads"),
    "heads-7": _config_edit(_set("net_config", "num_attention_heads", 7), "num_attention_heads 7"),
    "width-a-string": _config_edit(_both("hidden_size", "64"), "net_config.hidden_size is '64'"),
    "width-a-float": _config_edit(_both("hidden_size", 64.5), "net_config.hidden_size is 64.5"),
    "inner-negative": _config_edit(
        _set("net_token_config", "intermediate_size", -1), "net_token_config.intermediate_size is -1"
    ),
    "a-million-layers": _config_edit(
        _set("net_config", "num_hidden_layers", 10**6), "num_hidden_layers is 1000000"
    ),
    "width-a-billion": _config_edit(_both("hidden_size", 10**9), "hidden_size is 1000000000"),
    "too-many-weights": _config_edit(
        _huge_but_each_size_in_bounds, "weights: expected at most 2,000,000,000"
    ),
    "odd-head-width": _config_edit(_odd_heads, "net_config: each of the 4 heads is 3 wide"),
    "widths-differ": _config_edit(
        _set("net_token_config", "hidden_size", 32), "net_token_config.hidden_size 32"
    ),
    "kv-heads-not-dividing": _config_edit(
        _set("net_config", "num_key_value_heads", 3), "num_key_value_heads is 3"
    ),
    "positions-a-billion": _config_edit(
        _set("net_config", "max_position_embeddings", 10**9), "max_position_embeddings is 1000000000"
    ),
    "eps-nan": _config_edit(
        _set("net_config", "rms_norm_eps", float("nan")), "net_config.rms_norm_eps is nan"
    ),
    "width-nan": _config_edit(_both("hidden_size", float("nan")), "net_config.hidden_size is nan"),
    "unknown-activation": _config_edit(_set("net_config", "hidden_act", "wobble"), "net_config.hidden_act"),
    "bogus-rope": _config_edit(
        _set("net_config", "rope_parameters", {"rope_type": "bogus", "rope_theta": 10000.0}),
        "net_config: its rope",
    ),
    "width-missing": _config_edit(
        lambda d: _drop(d, "net_config", "hidden_size"), "net_config.hidden_size is missing"
    ),
    "token-net-missing": _config_edit(lambda d: d.pop("net_token_config") and None, "net_token_config"),
    "tokenizer-v9": _config_edit(lambda d: d["tokenizer"].__setitem__("version", "v9"), "tokenizer 'v9'"),
    "vocab-mismatch": _config_edit(_both("vocab_size", 100), "vocab_size 100/100"),
    "config-a-list": _config_edit(lambda d: "[1, 2, 3]", "holds a list"),
    "config-not-json": _config_edit(lambda d: "tokenizer: v2o\n", "cannot be read as JSON"),
    "config-deep": _config_edit(lambda d: "[" * 100_000 + "]" * 100_000, "cannot be read as JSON"),
    "config-5000-digits": _config_edit(
        lambda d: '{"tokenizer": ' + "9" * 5000 + "}", "cannot be read as JSON"
    ),
    "config-huge": _config_edit(lambda d: json.dumps({**d, "pad": "x" * (2 << 20)}), "larger than 1 MB"),
    "config-a-fifo": _fifo_config,
    "pickled-code": _pickled,
    "not-tensors": _not_tensors,
    "wrong-shapes": _weights(
        lambda s: {**s, "net.norm.weight": torch.ones(3)}, "net.norm.weight has shape (3,) but config tiny"
    ),
    "wrong-dtype": _weights(
        lambda s: {**s, "net.norm.weight": torch.ones(64, dtype=torch.int64)},
        "net.norm.weight holds torch.int64",
    ),
    "nan-weights": _weights(_nan_weight, "lm_head.weight holds NaN"),
    "weights-missing": _weights(
        lambda s: {k: v for k, v in s.items() if k != "lm_head.weight"}, "lacks lm_head.weight"
    ),
    "weights-truncated": _truncated,
    "weights-a-folder": _weights_dir,
    "no-weights": _no_weights,
    "empty-ckpt": _empty_ckpt,
    "checkpoint-a-fifo": _fifo_checkpoint,
}
