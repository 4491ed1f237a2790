"""Checkpoints: both shapes people have, loaded from local paths, and one clear error for each fault."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file
from skytnt_tiny import tiny_config, tiny_model

from conductor.backends.base import ModelError
from conductor.backends.skytnt.checkpoint import load_checkpoint, save_lightning_ckpt, save_pretrained_folder


def assert_same_weights(a: torch.nn.Module, b: torch.nn.Module) -> None:
    sa, sb = a.state_dict(), b.state_dict()
    assert sa.keys() == sb.keys()
    for key in sa:
        assert torch.equal(sa[key], sb[key]), key


def test_hf_folder_round_trip(tmp_path: Path) -> None:
    model = tiny_model("v2")
    folder = save_pretrained_folder(model, tmp_path / "conductor-tiny", card="# tiny\nfor tests")
    assert sorted(p.name for p in folder.iterdir()) == ["README.md", "config.json", "model.safetensors"]
    assert json.loads((folder / "config.json").read_text())["tokenizer"]["version"] == "v2"
    loaded = load_checkpoint(folder)
    assert loaded.config.tokenizer == "v2"
    assert_same_weights(model, loaded)


@pytest.mark.parametrize("prefix", ["", "model."])
def test_lightning_ckpt_with_config_beside_or_given(tmp_path: Path, prefix: str) -> None:
    model = tiny_model("v1")
    path = save_lightning_ckpt(model, tmp_path / "last.ckpt", prefix=prefix)
    assert_same_weights(model, load_checkpoint(path, config=tiny_config("v1")))
    tiny_config("v1").save(tmp_path / "config.json")
    assert_same_weights(model, load_checkpoint(path))


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(
        ModelError, match=r"checkpoint .*nowhere not found: expected a folder with config.json"
    ):
        load_checkpoint(tmp_path / "nowhere")


def test_folder_without_weights(tmp_path: Path) -> None:
    tiny_config().save(tmp_path / "config.json")
    with pytest.raises(ModelError, match=r"has no weights: expected model.safetensors in it"):
        load_checkpoint(tmp_path)


def test_ckpt_without_config(tmp_path: Path) -> None:
    path = save_lightning_ckpt(tiny_model(), tmp_path / "last.ckpt")
    with pytest.raises(
        ModelError, match=r"last.ckpt has no config.json beside it: expected one, or a config name"
    ):
        load_checkpoint(path)


def test_wrong_shapes_name_the_weight(tmp_path: Path) -> None:
    path = save_lightning_ckpt(tiny_model(), tmp_path / "last.ckpt")
    with pytest.raises(
        ModelError,
        match=r"net.embed_tokens.weight has shape \(3406, 64\) but config tv2o-medium "
        r"expects \(3406, 1024\)",
    ):
        load_checkpoint(path, config="tv2o-medium")


def test_missing_weights_are_named(tmp_path: Path) -> None:
    state = {k: v for k, v in tiny_model().state_dict().items() if k != "lm_head.weight"}
    save_file(state, str(tmp_path / "model.safetensors"))
    tiny_config().save(tmp_path / "config.json")
    with pytest.raises(
        ModelError, match=r"lacks lm_head.weight: expected the weights of a tiny SkyTNT model"
    ):
        load_checkpoint(tmp_path)


def test_unknown_config_in_folder(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text('{"architectures": ["GPT2"]}')
    with pytest.raises(ModelError, match=r"is not a SkyTNT model config"):
        load_checkpoint(tmp_path)


def test_garbage_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.ckpt"
    path.write_bytes(b"not a checkpoint at all")
    with pytest.raises(ModelError, match=r"broken.ckpt cannot be read"):
        load_checkpoint(path, config=tiny_config())


class Payload:
    """Something a weights-only load must refuse to unpickle."""


def test_pickled_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "evil.ckpt"
    torch.save({"state_dict": tiny_model().state_dict(), "extra": Payload()}, path)
    with pytest.raises(ModelError, match=r"evil.ckpt cannot be read"):
        load_checkpoint(path, config=tiny_config())


def test_loaded_model_computes_what_the_saved_one_did(tmp_path: Path) -> None:
    model = tiny_model()
    loaded = load_checkpoint(save_pretrained_folder(model, tmp_path / "m"))
    rows = torch.tensor([[[1] + [0] * 7, [3, 10, 140, 200, 2400, 2500, 2700, 300]]])
    with torch.inference_mode():
        torch.testing.assert_close(loaded(rows), model(rows), atol=0, rtol=0)
