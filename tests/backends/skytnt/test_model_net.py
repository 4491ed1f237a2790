"""The model's architecture, configs and the fast forward against transformers' own."""

from __future__ import annotations

import copy
import warnings

import pytest
import torch
from skytnt_tiny import note_rows, tiny_config, tiny_model
from transformers import DynamicCache

from conductor.backends.base import ModelError
from conductor.backends.skytnt.config import CONFIG_NAMES, MIDIModelConfig
from conductor.backends.skytnt.runtime import FastNet, KVCache


@pytest.mark.parametrize("name", CONFIG_NAMES)
def test_named_configs_match_upstream_sizes(name: str) -> None:
    cfg = MIDIModelConfig.from_name(name)
    layers = 24 if name.endswith("large") else 12
    assert (cfg.net.num_hidden_layers, cfg.net.hidden_size, cfg.net.intermediate_size) == (layers, 1024, 4096)
    assert cfg.net.num_attention_heads == 16
    assert (cfg.net_token.num_hidden_layers, cfg.net_token.num_attention_heads) == (layers // 4, 4)
    assert cfg.net_token.intermediate_size == 1024
    assert cfg.vocab_size == (3406 if "v2" in name else 3239)
    assert cfg.tokenizer == name[1:].split("-")[0]


def test_unknown_config_name_is_one_clear_error() -> None:
    with pytest.raises(ModelError, match="unknown model config 'tv3-huge': expected one of tv1-medium"):
        MIDIModelConfig.from_name("tv3-huge")


def test_config_dict_round_trip_and_upstream_shape() -> None:
    cfg = tiny_config("v2o")
    data = cfg.to_dict()
    assert data["tokenizer"]["version"] == "v2" and data["tokenizer"]["optimise_midi"] is True
    back = MIDIModelConfig.from_dict(data)
    assert back.tokenizer == "v2o" and back.net.to_dict() == cfg.net.to_dict()
    upstream = {  # transformers 4.x keys as upstream checkpoints have them
        "tokenizer": {"version": "v1", "optimise_midi": False, "vocab_size": 3239},
        "net_config": {
            "hidden_size": 64,
            "num_attention_heads": 4,
            "num_hidden_layers": 2,
            "intermediate_size": 128,
            "vocab_size": 3239,
            "pad_token_id": 0,
            "rope_theta": 10000.0,
            "rope_scaling": None,
            "transformers_version": "4.40.0",
        },
        "net_token_config": {
            "hidden_size": 64,
            "num_attention_heads": 1,
            "num_hidden_layers": 1,
            "intermediate_size": 32,
            "vocab_size": 3239,
            "pad_token_id": 0,
        },
        "model_type": "midi_model",
    }
    loaded = MIDIModelConfig.from_dict(upstream)
    assert (loaded.tokenizer, loaded.net.num_hidden_layers, loaded.n_embd) == ("v1", 2, 64)


def test_state_dict_uses_upstream_names() -> None:
    keys = set(tiny_model().state_dict())
    assert {
        "net.embed_tokens.weight",
        "net.layers.0.self_attn.q_proj.weight",
        "net.norm.weight",
        "net_token.layers.0.mlp.gate_proj.weight",
        "lm_head.weight",
    } <= keys


def test_fast_forward_equals_transformers_forward() -> None:
    model = tiny_model()
    reference = copy.deepcopy(model)
    fast = FastNet(model.net)  # fuses weights in place: the reference keeps its own copy
    rows = torch.tensor([note_rows(12)])
    with torch.inference_mode():
        expected = reference.forward(rows)[0]
        cache = KVCache(fast, capacity=4)  # forces two growths
        x = fast.embed[rows[0]].sum(dim=-2)
        chunks = [fast.forward(x[:5], cache), fast.forward(x[5:6], cache), fast.forward(x[6:], cache)]
    assert cache.length == 13
    torch.testing.assert_close(torch.cat(chunks), expected, atol=1e-5, rtol=1e-4)


def test_fast_token_net_equals_transformers_with_cache() -> None:
    model = tiny_model()
    reference = copy.deepcopy(model)
    fast = FastNet(model.net_token)
    hidden = torch.randn(1, 64)
    tokens = torch.tensor([[5, 300, 400]])
    with torch.inference_mode():
        expected = reference.forward_token(hidden, tokens, cache=DynamicCache())[0]
        cache = KVCache(fast, capacity=8)
        seq = torch.cat([hidden, fast.embed[tokens[0]]])
        out = torch.cat(
            [fast.forward(seq[:2], cache), fast.forward(seq[2:3], cache), fast.forward(seq[3:], cache)]
        )
        logits = out @ model.lm_head.weight.T
    torch.testing.assert_close(logits, expected, atol=1e-4, rtol=1e-4)


def test_forward_with_a_cache_uses_no_deprecated_transformers_argument() -> None:
    model = tiny_model()
    rows = torch.tensor([note_rows(3)])
    with warnings.catch_warnings(), torch.inference_mode():
        warnings.simplefilter("error", FutureWarning)
        warnings.simplefilter("error", DeprecationWarning)
        cache = DynamicCache()
        hidden = model.forward(rows, cache)[:, -1]
        model.forward_token(hidden, None, cache=DynamicCache())
    assert cache.get_seq_length() == 4
