"""Bounds on a SkyTNT model's sizes, checked on the raw config before anything is built or allocated.

A crafted `config.json` (heads 0, a string width, 10^6 layers, a width of 10^9) must be one clear
`ModelError` naming the file and the key, never a traceback, a hang or gigabytes allocated. Every
size is a whole number in a range far above any real checkpoint (upstream's largest is 24 layers,
1024 wide, ~0.4 G weights), the heads divide the width, both nets share one width, and the whole
model stays under `MAX_PARAMETERS` weights.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from conductor.backends.base import ModelError

# field → (lowest, highest): whole numbers
SIZES: dict[str, tuple[int, int]] = {
    "hidden_size": (1, 16384),
    "num_attention_heads": (1, 256),
    "num_hidden_layers": (1, 256),
    "intermediate_size": (1, 65536),
    "vocab_size": (1, 1_000_000),
}
OPTIONAL_SIZES: dict[str, tuple[int, int]] = {
    "num_key_value_heads": (1, 256),
    "head_dim": (1, 1024),
    "max_position_embeddings": (1, 131072),
}
POSITIVE_NUMBERS = ("rms_norm_eps", "rope_theta")
MAX_PARAMETERS = 2_000_000_000  # 8 GB of float32 weights


def check_net(data: Mapping[str, Any], where: str) -> None:
    """Raise a `ModelError` for the first size of one net's config (`where`: file and key) out of bounds."""
    for key, (low, high) in SIZES.items():
        if key not in data:
            raise ModelError(f"{where}.{key} is missing: expected a whole number from {low} to {high}")
        _whole(data[key], f"{where}.{key}", low, high)
    for key, (low, high) in OPTIONAL_SIZES.items():
        if data.get(key) is not None:
            _whole(data[key], f"{where}.{key}", low, high)
    for key in POSITIVE_NUMBERS:
        if data.get(key) is not None:
            _positive(data[key], f"{where}.{key}")
    _check_heads(data, where)
    _check_activation(data.get("hidden_act"), f"{where}.hidden_act")


def check_model(net: Mapping[str, Any], net_token: Mapping[str, Any], source: str) -> None:
    """Both nets within bounds, one width, and the total weight count under `MAX_PARAMETERS`."""
    check_net(net, f"{source}: net_config")
    check_net(net_token, f"{source}: net_token_config")
    if net["hidden_size"] != net_token["hidden_size"]:
        raise ModelError(
            f"{source}: net_config.hidden_size {net['hidden_size']} and net_token_config.hidden_size "
            f"{net_token['hidden_size']} differ: expected one width (the event net's output starts the "
            "token net)"
        )
    total = parameters(net) + parameters(net_token) + net_token["vocab_size"] * net_token["hidden_size"]
    if total > MAX_PARAMETERS:
        raise ModelError(
            f"{source}: the sizes in net_config and net_token_config make {total:,} weights: expected at "
            f"most {MAX_PARAMETERS:,} ({MAX_PARAMETERS * 4 // 10**9} GB in float32)"
        )


def parameters(net: Mapping[str, Any]) -> int:
    """Weights of one Llama net of these (checked) sizes: embeddings, attention, MLP and norms."""
    width, heads = net["hidden_size"], net["num_attention_heads"]
    head_dim = net.get("head_dim") or width // heads
    kv = net.get("num_key_value_heads") or heads
    attention = 2 * width * heads * head_dim + 2 * width * kv * head_dim
    layer = attention + 3 * width * net["intermediate_size"] + 2 * width
    return int(net["vocab_size"] * width + net["num_hidden_layers"] * layer + width)


def check_lora(data: Mapping[str, Any], width: int, where: str) -> None:
    """Bound a LoRA adapter's config (`where`: its file) before any adapter weight is allocated.

    A rank above the base's width adds nothing (a product of rank-r factors has rank ≤ the width) and
    could ask for gigabytes: every rank (`r`, `rank_pattern`'s values) is a whole number from 1 to
    `width`, every alpha a number above 0, and the target modules a list of names (or one pattern).
    peft matches the patterns (a string `target_modules` or `exclude_modules`, the patterns' keys)
    against every module name with `re`: a pattern that repeats a group (`(a+)+`) could backtrack for
    hours, so such patterns, and any over 200 characters, are refused.
    """
    _whole(data.get("r"), f"{where}: r", 1, width)
    _positive(data.get("lora_alpha"), f"{where}: lora_alpha")
    for name, value in _pattern(data, "rank_pattern", where).items():
        _whole(value, f"{where}: rank_pattern[{name!r}]", 1, width)
    for name, value in _pattern(data, "alpha_pattern", where).items():
        _positive(value, f"{where}: alpha_pattern[{name!r}]")
    for key in ("target_modules", "exclude_modules", "layers_pattern"):
        if isinstance(data.get(key), str):
            _simple_regex(data[key], f"{where}: {key}")
    targets = data.get("target_modules")
    names = [targets] if isinstance(targets, str) else targets
    if not isinstance(names, list) or not names or not all(isinstance(n, str) and n for n in names):
        raise ModelError(
            f"{where}: target_modules is {_show(targets)}: expected a list of module names "
            "such as ['q_proj', 'v_proj']"
        )


def _pattern(data: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    pattern = data.get(key) or {}
    if not isinstance(pattern, Mapping):
        raise ModelError(f"{where}: {key} is {_show(pattern)}: expected a mapping of module names to numbers")
    for name in pattern:
        _simple_regex(name, f"{where}: {key} key")
    return pattern


def _simple_regex(text: str, where: str) -> None:
    """Refuse a regular expression that repeats a group or is over 200 characters (see `check_lora`)."""
    if len(text) > 200 or re.search(r"\)\s*[*+{]", text):
        raise ModelError(
            f"{where} is {_show(text)}: expected module names or a short pattern that repeats no group "
            "(such a pattern can take hours to match)"
        )


def _positive(value: Any, where: str) -> None:
    if not (_is_number(value) and math.isfinite(float(value)) and value > 0):
        raise ModelError(f"{where} is {_show(value)}: expected a number above 0")


def _check_heads(data: Mapping[str, Any], where: str) -> None:
    width, heads = data["hidden_size"], data["num_attention_heads"]
    if data.get("head_dim") is None and width % heads:
        raise ModelError(
            f"{where}.num_attention_heads is {heads}, which does not divide hidden_size {width}: "
            "expected a divisor (or a head_dim)"
        )
    head_dim = data.get("head_dim") or width // heads
    if head_dim % 2:
        raise ModelError(
            f"{where}: each of the {heads} heads is {head_dim} wide (head_dim, or hidden_size / "
            "num_attention_heads): expected an even width (rotary positions pair the dimensions)"
        )
    kv = data.get("num_key_value_heads")
    if kv is not None and heads % kv:
        raise ModelError(
            f"{where}.num_key_value_heads is {kv}, which does not divide num_attention_heads {heads}: "
            "expected a divisor"
        )


def _check_activation(value: Any, where: str) -> None:
    from transformers.activations import ACT2FN

    if value is not None and (not isinstance(value, str) or value not in ACT2FN):
        raise ModelError(f"{where} is {_show(value)}: expected an activation such as 'silu'")


def _whole(value: Any, where: str, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ModelError(f"{where} is {_show(value)}: expected a whole number from {low} to {high}")


def _is_number(value: Any) -> bool:
    """An int or float (not a bool) that fits a float."""
    return isinstance(value, int | float) and not isinstance(value, bool) and abs(value) < 1e300


def _show(value: Any) -> str:
    """A value as the musician wrote it, cut short (a 5000-digit number stays one line)."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**24:
        return f"a {int(value.bit_length() * math.log10(2)) + 1}-digit number"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
