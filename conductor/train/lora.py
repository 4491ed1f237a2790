"""`conductor train --lora`: train only a LoRA adapter on a base checkpoint, written in peft's shape.

As upstream's `--task lora` does, the base is frozen and peft puts low-rank factors beside the
attention and MLP projections of both nets (upstream's seven targets by default, rank 64, alpha 128);
the ordinary loop trains the factors alone (the optimizer skips weights that get no gradient). Each
checkpoint writes `adapter_config.json` + `adapter_model.safetensors` in `--out` instead of a model:
what peft's `PeftModel.from_pretrained`, upstream's app and a piece's `model: {lora: ...}`
(`conductor.backends.skytnt.lora`) load onto the same base. The adapter names its base in
`base_model_name_or_path`; the resume state (`train_state.pt`) holds the whole model, as for any run.
Heavy imports (torch, peft, the backend) stay inside the functions: the CLI reads the defaults here
at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

UPSTREAM_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


@dataclass(frozen=True)
class LoraSettings:
    """The adapter's shape (saved in adapter_config.json; a resumed run must ask for the same)."""

    rank: int = 64
    alpha: int = 128
    targets: tuple[str, ...] = UPSTREAM_TARGETS
    base: str = ""  # the base checkpoint as given on the command line


def attach(model: Any, settings: LoraSettings) -> Any:
    """`model` with LoRA factors injected (in place) into the target layers; only they train."""
    from peft import LoraConfig, LoraModel

    from conductor.backends.skytnt.lora import ADAPTER_NAME

    width = int(model.config.n_embd)
    if not 1 <= settings.rank <= width:
        raise ValueError(f"--lora-rank {settings.rank}: expected 1 to {width} (the base's width)")
    if not settings.alpha > 0:
        raise ValueError(f"--lora-alpha {settings.alpha}: expected a number above 0")
    config = LoraConfig(
        r=settings.rank,
        lora_alpha=settings.alpha,
        target_modules=list(settings.targets),
        lora_dropout=0.0,
        bias="none",
        base_model_name_or_path=settings.base or None,
    )
    try:
        LoraModel(model, config, ADAPTER_NAME)
    except ValueError as exc:  # peft: no module matches the targets
        raise ValueError(
            f"--lora-targets {','.join(settings.targets)}: {' '.join(str(exc).split())[:160]} "
            f"(expected names among {','.join(UPSTREAM_TARGETS)})"
        ) from exc
    return model


def save_adapter(model: Any, folder: Path, dtype: str = "float32") -> None:
    """Write `adapter_config.json` and `adapter_model.safetensors` (peft's names) into `folder`."""
    import torch
    from peft import get_peft_model_state_dict
    from safetensors.torch import save_file

    from conductor.backends.skytnt.lora import ADAPTER_NAME, ADAPTER_WEIGHTS, PEFT_PREFIX

    folder.mkdir(parents=True, exist_ok=True)
    model.peft_config[ADAPTER_NAME].save_pretrained(str(folder))
    cast = torch.float16 if dtype == "float16" else torch.float32
    state = get_peft_model_state_dict(model, adapter_name=ADAPTER_NAME, save_embedding_layers=False)
    tensors = {PEFT_PREFIX + k: v.detach().to("cpu", cast).contiguous() for k, v in state.items()}
    save_file(tensors, str(folder / ADAPTER_WEIGHTS), metadata={"format": "pt"})


def check_resume(folder: Path, settings: LoraSettings) -> None:
    """Raise a `ValueError` when `folder` holds an adapter of another shape than `settings` asks for."""
    import json

    from conductor.backends.skytnt.lora import ADAPTER_CONFIG

    path = folder / ADAPTER_CONFIG
    if not path.is_file():
        return
    try:
        saved = json.loads(path.read_text())
    except ValueError as exc:
        raise ValueError(f"{path} cannot be read as JSON ({exc}): start again with another --out") from exc
    saved = saved if isinstance(saved, dict) else {}
    asked = {"r": settings.rank, "lora_alpha": settings.alpha, "target_modules": sorted(settings.targets)}
    found = {k: sorted(v) if isinstance(v, list) else v for k, v in saved.items() if k in asked}
    if found != asked:
        raise ValueError(
            f"{path}: saved with {found}, asked for {asked}: resume with the same --lora-rank, "
            "--lora-alpha and --lora-targets"
        )


def summary(model: Any, settings: LoraSettings) -> dict[str, Any]:
    """The adapter's facts for the model card."""
    return {
        "LoRA rank": settings.rank,
        "LoRA alpha": settings.alpha,
        "LoRA targets": "/".join(settings.targets),
        "base": settings.base,
        "trained weights": f"{sum(p.numel() for p in model.parameters() if p.requires_grad):,}",
    }
