"""`conductor train --lora`: only the adapter trains, it is written in peft's shape, and it loads back
(through the backend and through peft itself) onto the base it was trained on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from peft import LoraModel, PeftConfig, PeftModel, load_peft_weights, set_peft_model_state_dict

from conductor.backends.skytnt.checkpoint import load_checkpoint
from conductor.backends.skytnt.lora import merge_lora
from conductor.cli import main
from conductor.train import modelio


@pytest.fixture
def base(tmp_path: Path) -> Path:
    modelio.save_model(modelio.new_model("tiny", seed=2), tmp_path / "base")
    return tmp_path / "base"


def train_argv(data: Path, out: Path, base: Path, steps: int, *more: str) -> list[str]:
    return [
        "train", "--data", str(data), "--out", str(out), "--base", str(base), "--lora",
        "--lora-rank", "4", "--lora-alpha", "8", "--steps", str(steps), "--batch", "2", "--block", "16",
        "--warmup", "1", "--lr", "1e-2", "--eval-every", "2", "--save-every", "2", "--val-fraction", "0.2",
        "--cache", str(out.parent / "cache"), "--threads", "1", *more,
    ]  # fmt: skip


def upstream_merge(base: torch.nn.Module, folder: Path) -> torch.nn.Module:
    """The peft calls upstream's app makes to merge an adapter (`MIDIModel.load_merge_lora`)."""
    tuner = LoraModel(base, PeftConfig.from_pretrained(str(folder)), adapter_name="default")
    set_peft_model_state_dict(base, load_peft_weights(str(folder), device="cpu"), "default")
    return tuner.merge_and_unload()


def outputs(model: torch.nn.Module) -> torch.Tensor:
    rows = torch.randint(0, 200, (1, 10, 8), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        hidden = model.forward(rows)
        return torch.cat(
            [hidden[:, -1], model.forward_token(hidden[:, -1], rows[:, -1, :3])[0].flatten()[None]], 1
        )


def test_train_lora_writes_peft_shape_that_loads_back(midi_folder: Path, base: Path, tmp_path: Path) -> None:
    out = tmp_path / "adapter"
    assert main(train_argv(midi_folder, out, base, 4)) == 0
    files = {p.name for p in out.iterdir()}
    assert {"adapter_config.json", "adapter_model.safetensors", "README.md", "card.json"} <= files
    assert "model.safetensors" not in files and "config.json" not in files  # an adapter, not a model
    config = json.loads((out / "adapter_config.json").read_text())
    assert (config["peft_type"], config["r"], config["lora_alpha"]) == ("LORA", 4, 8)
    assert config["base_model_name_or_path"] == str(base)
    card = (out / "README.md").read_text()
    assert "LoRA rank=4, LoRA alpha=8, LoRA targets=q_proj/k_proj" in card and f"lora: {out}" in card

    ours = merge_lora(load_checkpoint(base), out)
    peft = PeftModel.from_pretrained(load_checkpoint(base), str(out)).merge_and_unload()
    assert torch.allclose(outputs(ours), outputs(peft), atol=1e-5)
    assert torch.allclose(outputs(ours), outputs(upstream_merge(load_checkpoint(base), out)), atol=1e-5)
    before = load_checkpoint(base)
    assert not torch.allclose(outputs(ours), outputs(before), atol=1e-4)  # the adapter learnt something
    frozen = ("net.embed_tokens.weight", "lm_head.weight", "net.norm.weight")
    adapted = "net.layers.0.self_attn.q_proj.weight"
    state, base_state = ours.state_dict(), before.state_dict()
    assert all(torch.equal(state[k], base_state[k]) for k in frozen)  # the base stayed frozen
    assert not torch.equal(state[adapted], base_state[adapted])


def test_resume_continues_and_refuses_another_shape(
    midi_folder: Path, base: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "adapter"
    assert main(train_argv(midi_folder, out, base, 2)) == 0
    assert main([*train_argv(midi_folder, out, base, 4), "--resume", "--lora-rank", "8"]) == 1
    assert "resume with the same --lora-rank" in capsys.readouterr().err
    assert main([*train_argv(midi_folder, out, base, 4), "--resume"]) == 0
    assert json.loads((out / "card.json").read_text())["steps"] == 4


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--lora-targets", "attention"], "--lora-targets attention: Target modules"),
        (["--lora-rank", "0"], "--lora-rank 0: expected 1 to 64 (the base's width)"),
    ],
)
def test_lora_option_errors(
    midi_folder: Path,
    base: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    expected: str,
) -> None:
    assert main([*train_argv(midi_folder, tmp_path / "out", base, 2), *argv]) == 1
    err = capsys.readouterr().err
    assert expected in err and len(err.strip().splitlines()) == 1


def test_lora_needs_base_and_base_needs_lora(
    midi_folder: Path, base: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    common = ["train", "--data", str(midi_folder), "--out", str(tmp_path / "o")]
    assert main([*common, "--lora"]) == 1
    assert "--lora needs --base CHECKPOINT" in capsys.readouterr().err
    assert main([*common, "--base", str(base)]) == 1
    assert "add --lora (or fine-tune with --from)" in capsys.readouterr().err
