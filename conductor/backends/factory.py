"""Build the `Model` a `ModelSpec` names. Heavy imports (torch) happen only for the backend asked for."""

from __future__ import annotations

from pathlib import Path

from conductor.backends.base import Model, ModelError
from conductor.piece.compiled import ModelSpec


def build_model(spec: ModelSpec, base_dir: Path | None = None) -> Model:
    """The model for `spec`; relative checkpoint paths resolve against `base_dir` (the piece's folder)."""
    if spec.kind == "markov":
        from conductor.backends.markov.backend import MarkovModel

        return MarkovModel.from_spec(spec, base_dir)
    if spec.kind == "skytnt":
        from conductor.backends.skytnt.backend import SkyTNTModel

        return SkyTNTModel.from_spec(spec, base_dir)
    if spec.kind == "scripted":
        from conductor.backends.scripted import ScriptedModel

        return ScriptedModel.from_spec(spec, base_dir)
    raise ModelError(f"unknown model kind {spec.kind!r}: expected markov, skytnt or scripted")
