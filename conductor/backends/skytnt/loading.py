"""Loading a SkyTNT model as a piece names it: a checkpoint (relative to the piece's folder) or a
random config, a LoRA adapter merged in, the tokenizer checked, and torch held to one thread."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import torch

from conductor.backends.base import ModelError
from conductor.backends.skytnt.checkpoint import load_checkpoint
from conductor.backends.skytnt.config import MIDIModelConfig
from conductor.backends.skytnt.lora import merge_lora
from conductor.backends.skytnt.model import MIDIModel, build_model
from conductor.backends.skytnt.roles import read_format, read_key
from conductor.piece.compiled import ModelSpec

log = logging.getLogger(__name__)


def load_model(spec: ModelSpec, base_dir: Path | None) -> tuple[MIDIModel, str | None]:
    """The model `spec` names and how it reads the key (None: a SkyTNT checkpoint, not role-format)."""
    if spec.checkpoint is not None:
        path = resolve(spec.checkpoint, base_dir)
        model = load_checkpoint(path, spec.config)
        role_key = read_key(path) if read_format(path) is not None else None
    elif spec.config is not None:
        log.warning("model %s is randomly initialised (no checkpoint): expect noise", spec.config)
        model = build_model(MIDIModelConfig.from_name(spec.config))
        role_key = None
    else:
        raise ModelError("a skytnt model needs a checkpoint path (or a config name for a random model)")
    if spec.lora is not None:
        model = merge_lora(model, resolve(spec.lora, base_dir))
    if spec.tokenizer is not None and spec.tokenizer != model.config.tokenizer:
        raise ModelError(
            f"the piece asks for tokenizer {spec.tokenizer} but the model was trained with "
            f"{model.config.tokenizer}: expected them to match (or leave tokenizer out)"
        )
    one_thread()
    return model, role_key


def resolve(path: Path, base_dir: Path | None) -> Path:
    """`path` as written in the piece: relative to the piece's folder `base_dir` unless absolute."""
    return path if path.is_absolute() or base_dir is None else base_dir / path


def one_thread() -> None:
    """Decode on one torch thread (override with CONDUCTOR_TORCH_THREADS).

    Decoding is bound by memory traffic, so a second thread gains little, and the live clock needs
    the other core; with GNU OpenMP's spinning waits, two threads next to any other busy process ran
    a rehearsal 4x slower than one (31 s against 7 s for mark_sat with tv2o-small).
    """
    torch.set_num_threads(int(os.environ.get("CONDUCTOR_TORCH_THREADS", "1")))
