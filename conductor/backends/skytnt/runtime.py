"""The fast inference path: a Llama forward over the model's own weights with a static KV cache.

Decoding one token must read every weight once, so the time goes to memory traffic and, for small
nets, to Python: this path calls the layers' weights directly (no `transformers` forward, masks or
cache objects per step), fuses q/k/v and gate/up into one matmul each (the module's parameters
become views into the fused tensors, so nothing is stored twice and state_dicts still work), keeps
the cache in preallocated tensors, and can run in bfloat16, float16 weights (fbgemm, float32
activations) or int8 (dynamic quantisation).
Not thread-safe: one caller at a time.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from transformers import LlamaModel

Linear = Callable[[torch.Tensor], torch.Tensor]
DTYPES = {
    "float32": torch.float32,
    "bfloat16": torch.bfloat16,
    "float16": torch.float32,
    "int8": torch.float32,
}


def check_device(dtype: str, device: str) -> None:
    """Raise ValueError, saying what to use instead, where `dtype` cannot run on `device`."""
    if dtype not in DTYPES:
        raise ValueError(f"dtype {dtype!r}: expected float32, bfloat16, float16 or int8")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device {device!r}: no CUDA GPU is available here, expected device cpu")
    if dtype in ("int8", "float16") and not device.startswith("cpu"):
        raise ValueError(f"dtype {dtype} runs on the CPU only, not {device!r}: use bfloat16 on a GPU")


def make_linear(weight: torch.Tensor, bias: torch.Tensor | None, mode: str) -> Linear:
    """`x @ weight.T + bias` (x: 2-D) for `mode`:

    - float32, bfloat16: `F.linear` in the weight's dtype;
    - float16: weights packed as float16 for fbgemm, activations and sums in float32 (CPU);
    - int8: dynamic quantisation (int8 weights per tensor, activations quantised per call; CPU).
    """
    if mode in ("float32", "bfloat16"):
        return lambda x: F.linear(x, weight, bias)
    if mode == "float16":
        packed = torch.ops.quantized.linear_prepack_fp16(weight.float().contiguous(), bias)
        return lambda x: torch.ops.quantized.linear_dynamic_fp16(x, packed)
    layer = nn.Linear(weight.shape[1], weight.shape[0], bias=bias is not None)
    layer.weight.data = weight.float()
    if bias is not None:
        layer.bias.data = bias.float()
    with warnings.catch_warnings():  # torch.ao is deprecated in favour of torchao, not installed here
        warnings.simplefilter("ignore")
        quantised = torch.ao.quantization.quantize_dynamic(
            nn.Sequential(layer), {nn.Linear}, dtype=torch.qint8
        )
    packed = quantised[0]._packed_params._packed_params
    return lambda x: torch.ops.quantized.linear_dynamic(x, packed, True)


def _fuse(modules: list[nn.Linear]) -> tuple[torch.Tensor, torch.Tensor | None]:
    """One weight (and bias) for several linears; the modules' parameters become views into it."""
    weight = torch.cat([m.weight.data for m in modules])
    biases = [m.bias for m in modules]
    bias = (
        torch.cat([b.data for b in biases if b is not None]) if all(b is not None for b in biases) else None
    )
    start = 0
    for m in modules:
        rows = m.weight.shape[0]
        m.weight.data = weight[start : start + rows]
        if bias is not None and m.bias is not None:
            m.bias.data = bias[start : start + rows]
        start += rows
    return weight, bias


@dataclass
class Layer:
    """One decoder layer's weights, ready to call."""

    norm1: torch.Tensor
    qkv: Linear
    o: Linear
    norm2: torch.Tensor
    gate_up: Linear
    down: Linear


class KVCache:
    """Preallocated keys and values (layers, kv_heads, capacity, head_dim); grows by doubling."""

    def __init__(self, net: FastNet, capacity: int = 512) -> None:
        self.net = net
        self.length = 0
        self.k, self.v = net.empty_cache(min(capacity, net.max_positions))

    @property
    def capacity(self) -> int:
        """Positions that fit before the next growth."""
        return int(self.k.shape[2])

    def reserve(self, length: int) -> None:
        """Make room for `length` positions (raises ValueError past the model's maximum)."""
        if length > self.net.max_positions:
            raise ValueError(f"{length} positions exceed the model's maximum of {self.net.max_positions}")
        if length <= self.capacity:
            return
        k, v = self.net.empty_cache(min(max(length, 2 * self.capacity), self.net.max_positions))
        k[:, :, : self.length] = self.k[:, :, : self.length]
        v[:, :, : self.length] = self.v[:, :, : self.length]
        self.k, self.v = k, v


class FastNet:
    """A `LlamaModel`'s forward on 2-D inputs (positions, width), batch 1, static cache."""

    def __init__(self, net: LlamaModel, dtype: str = "float32") -> None:
        cfg = net.config
        self.dtype = DTYPES[dtype]
        self.device = net.embed_tokens.weight.device
        self.heads = int(cfg.num_attention_heads)
        self.kv_heads = int(cfg.num_key_value_heads or cfg.num_attention_heads)
        self.head_dim = int(getattr(cfg, "head_dim", None) or cfg.hidden_size // cfg.num_attention_heads)
        self.eps = float(cfg.rms_norm_eps)
        self.max_positions = int(cfg.max_position_embeddings)
        self.embed = net.embed_tokens.weight.data
        self.norm = net.norm.weight.data
        self.layers = [self._layer(layer, dtype) for layer in net.layers]
        self.cos, self.sin = self._rotary(net)

    def _layer(self, layer: Any, mode: str) -> Layer:
        att, mlp = layer.self_attn, layer.mlp
        qkv_w, qkv_b = _fuse([att.q_proj, att.k_proj, att.v_proj])
        gu_w, gu_b = _fuse([mlp.gate_proj, mlp.up_proj])
        return Layer(
            norm1=layer.input_layernorm.weight.data,
            qkv=make_linear(qkv_w, qkv_b, mode),
            o=make_linear(att.o_proj.weight.data, att.o_proj.bias, mode),
            norm2=layer.post_attention_layernorm.weight.data,
            gate_up=make_linear(gu_w, gu_b, mode),
            down=make_linear(mlp.down_proj.weight.data, mlp.down_proj.bias, mode),
        )

    def _rotary(self, net: LlamaModel) -> tuple[torch.Tensor, torch.Tensor]:
        rot = net.rotary_emb
        pos = torch.arange(self.max_positions, dtype=torch.float32, device=self.device)
        freqs = pos[:, None] * rot.inv_freq.to(device=self.device, dtype=torch.float32)[None, :]
        emb = torch.cat([freqs, freqs], dim=-1)
        scale = float(getattr(rot, "attention_scaling", 1.0))
        act = torch.float32 if self.dtype == torch.float32 else self.dtype
        return (emb.cos() * scale).to(act), (emb.sin() * scale).to(act)

    def empty_cache(self, capacity: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Zeroed key and value buffers for `capacity` positions."""
        shape = (len(self.layers), self.kv_heads, capacity, self.head_dim)
        act = self.embed.dtype
        return torch.zeros(shape, dtype=act, device=self.device), torch.zeros(
            shape, dtype=act, device=self.device
        )

    def _rms(self, x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        """Llama's RMSNorm: normalised in float32, cast back, then scaled."""
        return weight * F.rms_norm(x.float(), x.shape[-1:], eps=self.eps).to(x.dtype)

    def _attend(self, h: torch.Tensor, i: int, cache: KVCache, rope: tuple[torch.Tensor, torch.Tensor],
                mask: torch.Tensor | None, start: int) -> torch.Tensor:  # fmt: skip
        """Self-attention of layer `i` for `h` (T, width) at positions from `start`; writes the new keys
        and values to the cache."""
        n, end = h.shape[0], start + h.shape[0]
        heads, kv = self.heads, self.kv_heads
        qkv = self.layers[i].qkv(h).view(n, heads + 2 * kv, self.head_dim)
        qk = qkv[:, : heads + kv]
        cos, sin = rope
        half = self.head_dim // 2
        qk = qk * cos + torch.cat((-qk[..., half:], qk[..., :half]), dim=-1) * sin
        cache.k[i, :, start:end] = qk[:, heads:].transpose(0, 1)
        cache.v[i, :, start:end] = qkv[:, heads + kv :].transpose(0, 1)
        att = F.scaled_dot_product_attention(
            qk[:, :heads].transpose(0, 1).unsqueeze(0),
            cache.k[i : i + 1, :, :end],
            cache.v[i : i + 1, :, :end],
            attn_mask=mask,
            enable_gqa=kv != heads,
        )
        return self.layers[i].o(att[0].transpose(0, 1).reshape(n, heads * self.head_dim))

    def forward(self, x: torch.Tensor, cache: KVCache) -> torch.Tensor:
        """Final hidden states (T, width) for inputs `x` (T, width) at the cache's next positions."""
        *_, out = self.steps(x, cache)
        assert out is not None
        return out

    def steps(self, x: torch.Tensor, cache: KVCache) -> Iterator[torch.Tensor | None]:
        """`forward` a layer per step: None after each layer but the last, then the final hidden
        states, so that a long prefill can pause between layers. The cache's length moves on only at
        the end; an iterator dropped midway leaves the cache as it was (the keys written past its
        length are unused)."""
        n, start = x.shape[0], cache.length
        end = start + n
        cache.reserve(end)
        rope = (self.cos[start:end, None], self.sin[start:end, None])
        mask = None
        if n > 1:
            mask = torch.ones(n, end, dtype=torch.bool, device=x.device).tril(diagonal=start)
        for i, layer in enumerate(self.layers):
            x = x + self._attend(self._rms(x, layer.norm1), i, cache, rope, mask, start)
            gate, up = layer.gate_up(self._rms(x, layer.norm2)).chunk(2, dim=-1)
            x = x + layer.down(F.silu(gate) * up)
            if i < len(self.layers) - 1:
                yield None
        cache.length = end
        yield self._rms(x, self.norm)
