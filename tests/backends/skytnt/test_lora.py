"""LoRA adapters: built with peft here, merged by the backend exactly as peft merges them, and every
way an adapter can misfit its base is one `ModelError` line naming the file."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import torch
from peft import LoraConfig, get_peft_model
from safetensors.torch import load_file, save_file
from skytnt_tiny import note_rows, tiny_model

from conductor.backends.base import ModelError
from conductor.backends.skytnt.backend import SkyTNTModel
from conductor.backends.skytnt.checkpoint import load_checkpoint, save_pretrained_folder
from conductor.backends.skytnt.config import MIDIModelConfig
from conductor.backends.skytnt.lora import merge_lora
from conductor.backends.skytnt.model import MIDIModel, build_model
from conductor.piece.compiled import ModelKind, ModelSpec

UPSTREAM_TARGETS = ["q_proj", "o_proj", "k_proj", "v_proj", "gate_proj", "up_proj", "down_proj"]


def make_adapter(base: MIDIModel, folder: Path, r: int = 4, targets: list[str] | None = None) -> MIDIModel:
    """Save a peft LoRA adapter with random (non-zero) factors; return peft's own merge of it."""
    config = LoraConfig(
        r=r, lora_alpha=2 * r, target_modules=targets or UPSTREAM_TARGETS, init_lora_weights=False
    )
    peft_model = get_peft_model(copy.deepcopy(base), config)
    peft_model.save_pretrained(str(folder))
    merged: MIDIModel = peft_model.merge_and_unload()
    return merged.eval()


@pytest.fixture()
def base_dir(tmp_path: Path) -> Path:
    save_pretrained_folder(tiny_model(seed=3), tmp_path / "base")
    return tmp_path / "base"


def outputs(model: MIDIModel) -> tuple[torch.Tensor, torch.Tensor]:
    """Event hidden states and the token net's logits after them, for fixed rows."""
    rows = torch.tensor([note_rows(12, seed=5)])
    with torch.no_grad():
        hidden = model.forward(rows)
        logits = model.forward_token(hidden[:, -1], rows[:, -1, :4])
    return hidden, logits


def one_line_error(excinfo: pytest.ExceptionInfo[ModelError], path: Path) -> str:
    message = str(excinfo.value)
    assert "\n" not in message and str(path) in message
    return message


def test_merged_outputs_equal_peft_merge(base_dir: Path, tmp_path: Path) -> None:
    expected = make_adapter(load_checkpoint(base_dir), tmp_path / "adapter")
    merged = merge_lora(load_checkpoint(base_dir), tmp_path / "adapter")
    assert type(merged) is MIDIModel  # plain modules again: decoding is as fast as the base
    for ours, theirs, base in zip(
        outputs(merged), outputs(expected), outputs(load_checkpoint(base_dir)), strict=True
    ):
        assert torch.allclose(ours, theirs, atol=1e-5, rtol=1e-5)
        assert not torch.allclose(ours, base, atol=1e-3)  # the adapter changed the model


def test_upstream_shape_without_peft_prefix_and_half_precision(base_dir: Path, tmp_path: Path) -> None:
    """Upstream's trainer writes names without `base_model.model.`; files may be float16."""
    expected = make_adapter(load_checkpoint(base_dir), tmp_path / "adapter", targets=["q_proj", "v_proj"])
    path = tmp_path / "adapter" / "adapter_model.safetensors"
    state = {k.removeprefix("base_model.model."): v.half() for k, v in load_file(str(path)).items()}
    save_file(state, str(path), metadata={"format": "pt"})
    merged = merge_lora(load_checkpoint(base_dir), path)  # a file in the folder names the folder too
    for ours, theirs in zip(outputs(merged), outputs(expected), strict=True):
        assert torch.allclose(ours, theirs, atol=2e-2)


def test_from_spec_merges_the_adapter_relative_to_the_piece(base_dir: Path, tmp_path: Path) -> None:
    expected = make_adapter(load_checkpoint(base_dir), tmp_path / "adapter")
    spec = ModelSpec(kind=ModelKind.SKYTNT, checkpoint=Path("base"), lora=Path("adapter"))
    model = SkyTNTModel.from_spec(spec, tmp_path)
    loaded = model.decoder.model.state_dict()
    for key, value in expected.state_dict().items():
        assert torch.allclose(loaded[key], value, atol=1e-6), key


def test_missing_adapter(base_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(ModelError) as excinfo:
        merge_lora(load_checkpoint(base_dir), tmp_path / "nowhere")
    assert "not found: expected a folder with adapter_config.json" in one_line_error(excinfo, tmp_path)


def test_pickled_weights_are_refused_never_loaded(base_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "adapter"
    make_adapter(load_checkpoint(base_dir), folder)
    state = load_file(str(folder / "adapter_model.safetensors"))
    (folder / "adapter_model.safetensors").unlink()
    torch.save(state, folder / "adapter_model.bin")
    with pytest.raises(ModelError) as excinfo:
        merge_lora(load_checkpoint(base_dir), folder)
    message = one_line_error(excinfo, folder)
    assert "only adapter_model.bin, a pickle conductor never loads" in message
    assert "expected adapter_model.safetensors" in message


def test_wrong_rank_names_the_factor_and_its_shapes(base_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "adapter"
    make_adapter(load_checkpoint(base_dir), folder, r=4)
    config = json.loads((folder / "adapter_config.json").read_text())
    (folder / "adapter_config.json").write_text(json.dumps({**config, "r": 8}))
    with pytest.raises(ModelError) as excinfo:
        merge_lora(load_checkpoint(base_dir), folder)
    message = one_line_error(excinfo, folder)
    assert "lora_A.weight has shape (4, 64) but the base with this adapter_config.json expects (8, 64)" in (
        message
    )


def test_adapter_of_another_base(tmp_path: Path) -> None:
    other = build_model(MIDIModelConfig.custom("v2o", 2, 4, 32, 64, name="narrow"))
    make_adapter(other, tmp_path / "adapter")
    with pytest.raises(ModelError, match=r"has shape \(4, 32\) but the base .* expects \(4, 64\)"):
        merge_lora(tiny_model(), tmp_path / "adapter")
    deeper = build_model(MIDIModelConfig.custom("v2o", 3, 4, 64, 128, name="deeper"))
    make_adapter(deeper, tmp_path / "deeper")
    with pytest.raises(ModelError, match=r"net.layers.2.\S+ has no place in the tiny base model"):
        merge_lora(tiny_model(), tmp_path / "deeper")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"r": 10**9}, r"r is 1000000000: expected a whole number from 1 to 64"),
        ({"r": "4"}, r"r is '4': expected a whole number"),
        ({"lora_alpha": float("nan")}, r"lora_alpha is nan: expected a number above 0"),
        ({"rank_pattern": {"q_proj": 4096}}, r"rank_pattern\['q_proj'\] is 4096"),
        ({"target_modules": ["attention"]}, r"does not fit the base model \(.*attention"),
        ({"target_modules": 7}, r"target_modules is 7: expected a list of module names"),
        ({"target_modules": "(q|.+)+_proj"}, r"target_modules is '\(q\|\.\+\)\+_proj': expected module"),
        ({"rank_pattern": {"(a*)*": 2}}, r"rank_pattern key is '\(a\*\)\*': expected module names"),
        ({"peft_type": "IA3"}, r"peft_type is 'IA3': expected 'LORA'"),
        ({"init_lora_weights": "pissa"}, r"init_lora_weights is 'pissa', which rewrote the base"),
        ({"modules_to_save": ["lm_head"]}, r"modules_to_save is set .*expected it unset"),
    ],
)
def test_crafted_configs_are_one_line_errors(
    base_dir: Path, tmp_path: Path, change: dict[str, object], expected: str
) -> None:
    folder = tmp_path / "adapter"
    make_adapter(load_checkpoint(base_dir), folder)
    config = json.loads((folder / "adapter_config.json").read_text())
    (folder / "adapter_config.json").write_text(json.dumps({**config, **change}))
    with pytest.raises(ModelError, match=expected) as excinfo:
        merge_lora(load_checkpoint(base_dir), folder)
    one_line_error(excinfo, folder)


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        ("cut", r"adapter_model.safetensors cannot be read"),
        ("nan", r"holds NaN or infinite values: the adapter is damaged"),
        ("missing", r"lacks net.layers.0.self_attn.q_proj.lora_A.weight"),
        ("config", r"adapter_config.json cannot be read as JSON"),
    ],
)
def test_damaged_adapters(base_dir: Path, tmp_path: Path, damage: str, expected: str) -> None:
    folder = tmp_path / "adapter"
    make_adapter(load_checkpoint(base_dir), folder)
    weights = folder / "adapter_model.safetensors"
    state = load_file(str(weights))
    first = "base_model.model.net.layers.0.self_attn.q_proj.lora_A.weight"
    if damage == "cut":
        weights.write_bytes(weights.read_bytes()[:200])
    elif damage == "nan":
        save_file({**state, first: torch.full_like(state[first], float("nan"))}, str(weights))
    elif damage == "missing":
        save_file({k: v for k, v in state.items() if k != first}, str(weights))
    else:
        (folder / "adapter_config.json").write_text('{"r": 4,')
    with pytest.raises(ModelError, match=expected) as excinfo:
        merge_lora(load_checkpoint(base_dir), folder)
    one_line_error(excinfo, folder)
