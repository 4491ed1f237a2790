"""Model configurations: the named SkyTNT sizes, custom sizes, and the upstream `config.json` shape.

A `MIDIModelConfig` is a tokenizer name plus two `transformers.LlamaConfig`s: `net` (one position per
MIDI event) and `net_token` (one position per token of an event). Upstream writes it to `config.json`
as `{"tokenizer": {"version": "v2", "optimise_midi": true, ...}, "net_config": {...},
"net_token_config": {...}, "model_type": "midi_model", ...}`; `from_dict` reads that shape and
`to_dict` writes it, so real checkpoints' configs load unchanged.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from transformers import LlamaConfig
from transformers.models.llama.modeling_llama import LlamaRotaryEmbedding

from conductor.backends.base import ModelError
from conductor.backends.skytnt.limits import check_model
from conductor.backends.skytnt.tokenizer import get_tokenizer
from conductor.core.inputfile import InputFileError, read_input_bytes

CONFIG_NAMES = ("tv1-medium", "tv2-medium", "tv2o-medium", "tv2-large", "tv2o-large")
TOKENIZER_NAMES = ("v1", "v2", "v2o")
MAX_CONFIG_BYTES = 1 << 20
SIZES: dict[str, tuple[int, int, int, int]] = {  # name → (layers, heads, width, inner width)
    "medium": (12, 16, 1024, 4096),
    "large": (24, 16, 1024, 4096),
    "small": (6, 8, 512, 2048),  # conductor's own live size (not an upstream name)
}


@dataclass(frozen=True)
class MIDIModelConfig:
    """The tokenizer and the two Llama configs of a SkyTNT model."""

    tokenizer: str  # "v1" | "v2" | "v2o"
    net: LlamaConfig
    net_token: LlamaConfig
    name: str = "custom"

    @property
    def n_embd(self) -> int:
        """Width shared by both nets and the output head."""
        return int(self.net_token.hidden_size)

    @property
    def vocab_size(self) -> int:
        """Number of token ids."""
        return int(self.net.vocab_size)

    @staticmethod
    def custom(
        tokenizer: str = "v2o",
        n_layer: int = 12,
        n_head: int = 16,
        n_embd: int = 1024,
        n_inner: int = 4096,
        name: str = "custom",
    ) -> MIDIModelConfig:
        """A config of any size, shaped like upstream's `get_config` (token net: a quarter as deep)."""
        tok = _tokenizer(tokenizer)
        common = {
            "vocab_size": tok.vocab_size,
            "pad_token_id": tok.pad_id,
            "max_position_embeddings": 4096,
            "use_cache": False,
        }
        net = {
            "hidden_size": n_embd,
            "num_attention_heads": n_head,
            "num_hidden_layers": n_layer,
            "intermediate_size": n_inner,
            **common,
        }
        net_token = {
            "hidden_size": n_embd,
            "num_attention_heads": max(1, n_head // 4),
            "num_hidden_layers": max(1, n_layer // 4),
            "intermediate_size": max(1, n_inner // 4),
            **common,
        }
        check_model(net, net_token, f"config {name}")
        source = f"config {name}"
        return MIDIModelConfig(tokenizer, _llama(net, source), _llama(net_token, source), name)

    @staticmethod
    def from_name(name: str) -> MIDIModelConfig:
        """A named config: `tv1-medium`, `tv2-medium`, `tv2o-medium`, `tv2-large`, `tv2o-large`
        (or `tv2o-small`, 6 layers 512 wide)."""
        tv, _, size = name.partition("-")
        if not tv.startswith("t") or tv[1:] not in TOKENIZER_NAMES or size not in SIZES:
            raise ModelError(unknown_name("model config", name, (*CONFIG_NAMES, "tv2o-small")))
        layers, heads, width, inner = SIZES[size]
        return MIDIModelConfig.custom(tv[1:], layers, heads, width, inner, name=name)

    @staticmethod
    def from_dict(data: dict[str, Any], source: str = "config") -> MIDIModelConfig:
        """Read upstream's `config.json` shape; `source` names the file in errors."""
        try:
            tok = data["tokenizer"]
            version = str(tok["version"])
            name = version + ("o" if tok.get("optimise_midi") and version == "v2" else "")
            net_dict = _llama_kwargs(data["net_config"])
            token_dict = _llama_kwargs(data["net_token_config"])
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ModelError(
                f"{source} is not a SkyTNT model config ({exc!r}): expected keys "
                "'tokenizer' {version, optimise_midi}, 'net_config' and 'net_token_config'"
            ) from exc
        check_model(net_dict, token_dict, source)
        net, net_token = (
            _llama(net_dict, f"{source}: net_config"),
            _llama(token_dict, f"{source}: net_token_config"),
        )
        vocab = _tokenizer(name, source).vocab_size
        if net.vocab_size != vocab or net_token.vocab_size != vocab:
            raise ModelError(
                f"{source} gives vocab_size {net.vocab_size}/{net_token.vocab_size} but tokenizer {name} "
                f"has {vocab} tokens: expected them to match"
            )
        return MIDIModelConfig(name, net, net_token, str(data.get("conductor_name", "custom")))

    def to_dict(self) -> dict[str, Any]:
        """Upstream's `config.json` shape (plus `conductor_name`)."""
        tok = _tokenizer(self.tokenizer)
        tok_dict = dict(tok.to_config_dict())
        tok_dict.setdefault("version", self.tokenizer.rstrip("o"))
        tok_dict.setdefault("optimise_midi", self.tokenizer.endswith("o"))
        return {
            "model_type": "midi_model",
            "architectures": ["MIDIModel"],
            "tokenizer": tok_dict,
            "net_config": self.net.to_dict(),
            "net_token_config": self.net_token.to_dict(),
            "n_embd": self.n_embd,
            "conductor_name": self.name,
        }

    @staticmethod
    def load(path: Path) -> MIDIModelConfig:
        """Read a `config.json` file (at most 1 MB: a real one is a few kB)."""
        return MIDIModelConfig.from_dict(read_json_object(path, "a SkyTNT config.json"), str(path))

    def save(self, path: Path) -> None:
        """Write `config.json`."""
        path.write_text(json.dumps(self.to_dict(), indent=2, sort_keys=True, default=str) + "\n")

    def describe(self) -> str:
        """One line: size and tokenizer."""
        n, t = self.net, self.net_token
        return (
            f"{self.name}: tokenizer {self.tokenizer}, vocab {self.vocab_size}, width {self.n_embd}; "
            f"net {n.num_hidden_layers} layers x {n.num_attention_heads} heads "
            f"(inner {n.intermediate_size}); "
            f"net_token {t.num_hidden_layers} layers x {t.num_attention_heads} heads "
            f"(inner {t.intermediate_size})"
        )


def read_json_object(path: Path, expected: str) -> dict[str, Any]:
    """The JSON object in file `path` (at most 1 MB), or one `ModelError` line naming it and `expected`."""
    try:
        data = json.loads(read_input_bytes(path, MAX_CONFIG_BYTES, expected).decode("utf-8"))
    except InputFileError as exc:
        raise ModelError(str(exc)) from exc
    except (ValueError, RecursionError) as exc:  # not UTF-8, not JSON, 5000 digits, nested too deep
        reason = str(exc).splitlines()[0] if str(exc) else "nested too deep"
        raise ModelError(f"{path} cannot be read as JSON ({reason}): expected {expected}") from exc
    if not isinstance(data, dict):
        raise ModelError(f"{path} holds a {type(data).__name__}: expected a JSON object")
    return data


def _llama_kwargs(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise TypeError(f"a Llama config must be a mapping, got {type(data).__name__}")
    drop = {"transformers_version", "model_type", "architectures", "_name_or_path"}
    return {k: v for k, v in data.items() if k not in drop}


def unknown_name(what: str, name: str, known: Sequence[str]) -> str:
    """One line for an unknown name: the known ones, and the closest as a guess."""
    close = difflib.get_close_matches(name, known, n=2, cutoff=0.5)
    guess = f"; did you mean {' or '.join(close)}?" if close else ""
    return f"unknown {what} {name!r}: expected one of {', '.join(known)}{guess}"


def _llama(kwargs: dict[str, Any], where: str) -> LlamaConfig:
    """`LlamaConfig(**kwargs)`; its own validation failures (of any type) are one `ModelError` line."""
    try:
        config = LlamaConfig(**kwargs)
    except Exception as exc:  # transformers raises StrictDataclass errors, ZeroDivisionError, TypeError, ...
        raise ModelError(f"{where} is not a valid Llama config ({_reason(exc)})") from exc
    try:
        LlamaRotaryEmbedding(config)  # rope settings are checked only when used: use them now (cheap)
    except Exception as exc:
        raise ModelError(
            f"{where}: its rope settings (rope_parameters, rope_scaling) cannot be used ({_reason(exc)})"
        ) from exc
    return config


def _reason(exc: Exception) -> str:
    """A library's exception as one short line."""
    return (" ".join(str(exc).split()) or type(exc).__name__)[:200]


def _tokenizer(name: str, source: str = "config") -> Any:
    try:
        return get_tokenizer(name)
    except (KeyError, ValueError) as exc:
        raise ModelError(f"{source} names tokenizer {name!r}: expected one of v1, v2, v2o") from exc
