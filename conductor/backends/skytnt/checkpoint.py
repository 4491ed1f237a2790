"""Load and save SkyTNT checkpoints from local paths only (no hub, no network, no pickled code).

Shapes people have:
- a Hugging Face-style folder: `config.json` + `model.safetensors` (or `pytorch_model.bin`);
- a PyTorch Lightning `.ckpt` (or a bare state_dict `.pt`/`.bin`) whose `state_dict` holds upstream's
  names, possibly under a `model.`/`module.`/`_orig_mod.` prefix. It carries no config: name one
  (`tv2o-medium`, ...) or put a `config.json` beside the file.
Every failure is one `ModelError` sentence naming the file and what was expected: sizes are bounded
before anything is built (`limits`), the weights are checked for shape, dtype and finite values, and
nothing but tensors is ever unpickled (`torch.load(weights_only=True)`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from transformers.models.llama.modeling_llama import LlamaRotaryEmbedding

from conductor.backends.base import ModelError
from conductor.backends.skytnt.config import MIDIModelConfig
from conductor.backends.skytnt.model import MIDIModel

PREFIXES = ("model.", "module.", "_orig_mod.")
IGNORED_SUFFIXES = ("rotary_emb.inv_freq", "rotary_emb.original_inv_freq")
WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")


def load_checkpoint(path: Path, config: MIDIModelConfig | str | None = None) -> MIDIModel:
    """The model stored at `path` (folder or file), in eval mode, float32 on the CPU."""
    if not path.exists():
        raise ModelError(
            f"checkpoint {path} not found: expected a folder with config.json and "
            "model.safetensors, or a Lightning .ckpt file"
        )
    if not path.is_dir() and not path.is_file():
        raise ModelError(f"checkpoint {path} is neither a folder nor a regular file (a pipe or a device?)")
    cfg = _resolve_config(path, config)
    weights = _weights_file(path)
    state = normalise_state_dict(read_state_dict(weights), weights)
    model = _build_on_meta(cfg, weights)
    check_state_dict(model, state, weights, cfg.name)
    model.load_state_dict(state, strict=False, assign=True)
    return model.float()


def _build_on_meta(cfg: MIDIModelConfig, source: Path) -> MIDIModel:
    """The model's modules with no storage (weights come from the file), rotary buffers real.

    transformers checks only part of a config when it is made; what it finds only now (an unknown
    rope type, ...) is one `ModelError` line, whatever it raises."""
    try:
        with torch.device("meta"):
            model = MIDIModel(cfg).eval()
        for net, net_cfg in ((model.net, cfg.net), (model.net_token, cfg.net_token)):
            net.rotary_emb = LlamaRotaryEmbedding(net_cfg)  # buffers are not stored: rebuild off meta
    except Exception as exc:
        reason = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise ModelError(f"checkpoint {source}: its config {cfg.name} cannot be built ({reason})") from exc
    return model


def _resolve_config(path: Path, config: MIDIModelConfig | str | None) -> MIDIModelConfig:
    if isinstance(config, MIDIModelConfig):
        return config
    if isinstance(config, str):
        return MIDIModelConfig.from_name(config)
    candidate = path / "config.json" if path.is_dir() else path.with_name("config.json")
    if candidate.exists():
        return MIDIModelConfig.load(candidate)
    raise ModelError(
        f"{path} has no config.json beside it: expected one, or a config name "
        "(tv1-medium, tv2-medium, tv2o-medium, tv2-large, tv2o-large) in the piece's model.config"
    )


def _weights_file(path: Path) -> Path:
    if path.is_file():
        return path
    for name in WEIGHT_FILES:
        if (path / name).is_file():
            return path / name
    raise ModelError(f"checkpoint folder {path} has no weights: expected model.safetensors in it")


def read_state_dict(path: Path) -> dict[str, torch.Tensor]:
    """Tensors from a safetensors file or a `torch.load(weights_only=True)` file."""
    try:
        if path.suffix == ".safetensors":
            return dict(load_file(str(path)))
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # safetensors and torch.load raise many types on a crafted or cut file
        first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise ModelError(
            f"checkpoint {path} cannot be read ({first}): expected safetensors or a "
            "PyTorch/Lightning checkpoint holding only tensors"
        ) from exc
    if isinstance(data, Mapping) and isinstance(data.get("state_dict"), Mapping):
        data = data["state_dict"]
    if not isinstance(data, Mapping) or not all(isinstance(v, torch.Tensor) for v in data.values()):
        raise ModelError(
            f"checkpoint {path} holds no state_dict of tensors: expected a Lightning .ckpt "
            "with 'state_dict' or a plain state_dict"
        )
    return dict(data)


def normalise_state_dict(state: Mapping[str, torch.Tensor], source: Path) -> dict[str, torch.Tensor]:
    """Strip wrapper prefixes and drop rotary buffers, keeping upstream's names."""
    out: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        name = key
        while name.startswith(PREFIXES) and not name.startswith(("net.", "net_token.", "lm_head.")):
            name = name.split(".", 1)[1]
        if name.endswith(IGNORED_SUFFIXES):
            continue
        out[name] = value
    return out


def check_state_dict(model: MIDIModel, state: Mapping[str, torch.Tensor], source: Path, name: str) -> None:
    """Raise a `ModelError` naming the first missing, mis-shaped, non-float or non-finite weight."""
    expected = model.state_dict()
    for key, tensor in expected.items():
        if key in state and tuple(state[key].shape) != tuple(tensor.shape):
            raise ModelError(
                f"checkpoint {source}: {key} has shape {tuple(state[key].shape)} but config "
                f"{name} expects {tuple(tensor.shape)}: is it the right config?"
            )
        if key in state and not state[key].is_floating_point():
            raise ModelError(
                f"checkpoint {source}: {key} holds {state[key].dtype}: expected floating-point weights"
            )
        if key in state and not bool(torch.isfinite(state[key]).all()):
            raise ModelError(
                f"checkpoint {source}: {key} holds NaN or infinite values: the weights are damaged"
            )
    missing = [k for k in expected if k not in state]
    if missing:
        more = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
        raise ModelError(
            f"checkpoint {source} lacks {missing[0]}{more}: expected the weights of a "
            f"{name} SkyTNT model (net, net_token, lm_head)"
        )


def save_pretrained_folder(model: MIDIModel, path: Path, card: str | None = None) -> Path:
    """Write `config.json`, `model.safetensors` (and `README.md` if `card`) into folder `path`."""
    path.mkdir(parents=True, exist_ok=True)
    model.config.save(path / "config.json")
    tensors = {k: v.detach().to("cpu").contiguous().clone() for k, v in model.state_dict().items()}
    save_file(tensors, str(path / "model.safetensors"), metadata={"format": "pt"})
    if card is not None:
        (path / "README.md").write_text(card if card.endswith("\n") else card + "\n")
    return path


def save_lightning_ckpt(model: MIDIModel, path: Path, prefix: str = "") -> Path:
    """Write a Lightning-shaped `.ckpt` (`{"state_dict": ...}`), optionally with a key prefix."""
    state = {prefix + k: v.detach().to("cpu").clone() for k, v in model.state_dict().items()}
    torch.save({"state_dict": state, "epoch": 0, "global_step": 0}, path)
    return path
