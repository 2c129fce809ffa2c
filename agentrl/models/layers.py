"""The layers every family is built from: projections, RMSNorm, rotary embeddings, attention, MLP.

Module attribute names match Hugging Face's (``q_proj``, ``input_layernorm``, ...) so a parameter's
path here is its checkpoint key with ``.`` for ``/``. Linear kernels are stored ``[in, out]``
(transposed from torch). Parameters live in ``param_dtype``; matmuls run in ``dtype``; norms,
softmax and rotary angles run in float32.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from agentrl.models.config import ModelConfig, RopeScaling

_MASKED = -1e30  # finite, so a fully masked (padding) row gives a uniform softmax, never NaN
# Most float32 attention scores one block of queries may hold (2^26: 256 MiB). Longer inputs
# attend a block of queries at a time: a 256-row prefill of 2048-token prompts would otherwise
# materialize 17 GB of scores, and an 8192-token training row 3 GB per layer.
SCORES_PER_BLOCK = 1 << 26


def visible_slots(valid_bs: jax.Array, q_slot_t: jax.Array, window: int | None) -> jax.Array:
    """Which slots each query sees, ``[B, T, S]``: valid slots at or before its own slot, and
    on a sliding-window layer only the last `window` of them."""
    k_slot_s = jnp.arange(valid_bs.shape[1], dtype=jnp.int32)
    seen_ts = k_slot_s[None, :] <= q_slot_t[:, None]
    if window is not None:
        seen_ts = seen_ts & (q_slot_t[:, None] - k_slot_s[None, :] < window)
    return seen_ts[None] & valid_bs[:, None, :]


def query_block(batch: int, heads: int, queries: int, slots: int, budget: int) -> int:
    """How many queries to attend at once so that their scores stay within `budget` floats."""
    return max(1, min(queries, budget // max(1, batch * heads * slots)))


class LayerCache(NamedTuple):
    """One layer's keys ``[batch, kv_heads, head_dim, slots]`` and values ``[batch, kv_heads,
    slots, head_dim]``.

    Keys are stored transposed so that a decode step's query-key product runs along contiguous
    slots, and the attention-weighted sum of values along contiguous head dimensions: on CPU
    this made batch-32 decode 1.25x (hidden 512) to 1.55x (hidden 256) faster than keys laid
    out like values.
    """

    k: jax.Array
    v: jax.Array


class Linear(nnx.Module):
    """``y = x @ kernel (+ bias)``, with an optional LoRA adapter added by `agentrl.models.lora`.

    Args:
        in_features: input width.
        out_features: output width.
        use_bias: whether a bias is added.
        init_std: standard deviation of the normal initializer.
        rngs: random streams for initialization.
        dtype: computation dtype.
        param_dtype: storage dtype of kernel and bias.
        out_dtype: dtype the matmul accumulates into and returns (default `dtype`); the output
            head asks for float32, so bfloat16 models still give float32 logits.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        *,
        use_bias: bool,
        init_std: float,
        rngs: nnx.Rngs,
        dtype: Any = jnp.float32,
        param_dtype: Any = jnp.float32,
        out_dtype: Any = None,
    ) -> None:
        self.in_features = in_features
        self.out_features = out_features
        self.dtype = dtype
        self.param_dtype = param_dtype
        self.out_dtype = out_dtype
        shape = (in_features, out_features)
        self.kernel = nnx.Param(init_std * jax.random.normal(rngs.params(), shape, param_dtype))
        self.bias = nnx.data(
            nnx.Param(jnp.zeros((out_features,), param_dtype)) if use_bias else None
        )
        self.lora: Any = nnx.data(None)

    def base(self, x: jax.Array) -> jax.Array:
        """The frozen-base product ``x @ kernel``; quantized subclasses dequantize here."""
        return jnp.dot(
            x.astype(self.dtype),
            self.kernel[...].astype(self.dtype),
            preferred_element_type=self.out_dtype,
        )

    def dense_kernel(self) -> jax.Array:
        """The frozen base kernel ``[in, out]`` in float32 (quantized subclasses dequantize)."""
        return self.kernel[...].astype(jnp.float32)

    def effective_kernel(self) -> jax.Array:
        """The ``[in, out]`` kernel this layer applies: dequantized, LoRA merged in."""
        kernel = self.dense_kernel()
        if self.lora is not None:
            kernel = kernel + self.lora.delta_kernel()
        return kernel.astype(self.param_dtype)

    def __call__(self, x: jax.Array) -> jax.Array:
        y = self.base(x)
        if self.bias is not None:
            y = y + self.bias[...].astype(self.dtype)
        if self.lora is not None:
            y = y + self.lora(x.astype(self.dtype)).astype(y.dtype)
        return y


class Embed(nnx.Module):
    """Token embedding table ``[vocab, hidden]``, also the output head when embeddings are tied."""

    def __init__(
        self,
        vocab_size: int,
        features: int,
        *,
        init_std: float,
        rngs: nnx.Rngs,
        dtype: Any,
        param_dtype: Any,
    ) -> None:
        self.dtype = dtype
        shape = (vocab_size, features)
        self.embedding = nnx.Param(init_std * jax.random.normal(rngs.params(), shape, param_dtype))

    def __call__(self, tokens_bt: jax.Array) -> jax.Array:
        return jnp.take(self.embedding[...], tokens_bt, axis=0).astype(self.dtype)

    def attend(self, hidden_btd: jax.Array) -> jax.Array:
        """float32 logits against the table (tied output head), accumulated in float32."""
        return jnp.einsum(
            "btd,vd->btv",
            hidden_btd.astype(self.dtype),
            self.embedding[...].astype(self.dtype),
            preferred_element_type=jnp.float32,
        )


class RMSNorm(nnx.Module):
    """``x / rms(x) * w`` (or ``* (1 + w)`` with ``offset``, as Gemma stores it), in float32."""

    def __init__(self, features: int, *, eps: float, offset: bool, param_dtype: Any) -> None:
        self.eps = eps
        self.offset = offset
        init = jnp.zeros if offset else jnp.ones
        self.scale = nnx.Param(init((features,), param_dtype))

    def __call__(self, x: jax.Array) -> jax.Array:
        x32 = x.astype(jnp.float32)
        normed = x32 * jax.lax.rsqrt(jnp.mean(x32 * x32, axis=-1, keepdims=True) + self.eps)
        w = self.scale[...].astype(jnp.float32)
        if self.offset:
            return (normed * (1.0 + w)).astype(x.dtype)
        # Llama/Qwen cast back before the weight multiply (HF does the same).
        return w.astype(x.dtype) * normed.astype(x.dtype)


def rope_inv_freq(head_dim: int, theta: float, scaling: RopeScaling | None) -> np.ndarray:
    """Inverse frequencies ``[head_dim // 2]`` (float32), after linear or Llama 3 scaling."""
    exponents = np.arange(0, head_dim, 2, dtype=np.int64).astype(np.float32) / np.float32(head_dim)
    inv_freq = (1.0 / (np.float32(theta) ** exponents)).astype(np.float32)
    if scaling is None or scaling.rope_type == "default":
        return inv_freq
    if scaling.rope_type == "linear":
        return (inv_freq / np.float32(scaling.factor)).astype(np.float32)
    if scaling.rope_type == "yarn":
        return _yarn_inv_freq(inv_freq, head_dim, theta, scaling)
    # Llama 3: wavelengths beyond the original context are stretched by `factor`, short ones
    # kept, and the band in between interpolated smoothly.
    old_len = scaling.original_max_position_embeddings
    low_wavelen = old_len / scaling.low_freq_factor
    high_wavelen = old_len / scaling.high_freq_factor
    wavelen = 2 * math.pi / inv_freq
    scaled = np.where(wavelen > low_wavelen, inv_freq / scaling.factor, inv_freq)
    smooth = (old_len / wavelen - scaling.low_freq_factor) / (
        scaling.high_freq_factor - scaling.low_freq_factor
    )
    smoothed = (1 - smooth) * scaled / scaling.factor + smooth * scaled
    medium = (wavelen >= high_wavelen) & (wavelen <= low_wavelen)
    return np.where(medium, smoothed, scaled).astype(np.float32)


def _yarn_inv_freq(
    inv_freq: np.ndarray, head_dim: int, theta: float, scaling: RopeScaling
) -> np.ndarray:
    """YaRN: frequencies that turn fewer than ``beta_slow`` times over the original context are
    divided by ``factor`` (interpolated), those turning more than ``beta_fast`` times are kept
    (extrapolated), and a linear ramp over the dimension pairs blends the two in between."""
    original = scaling.original_max_position_embeddings

    def pair_turning(rotations: float) -> float:  # the (fractional) dimension of that frequency
        return head_dim * math.log(original / (rotations * 2 * math.pi)) / (2 * math.log(theta))

    low, high = pair_turning(scaling.beta_fast or 32), pair_turning(scaling.beta_slow or 1)
    if scaling.truncate:
        low, high = math.floor(low), math.ceil(high)
    low, high = max(low, 0), min(high, head_dim - 1)
    if low == high:
        high += 0.001  # a one-pair ramp, not a division by zero
    pairs = np.arange(head_dim // 2, dtype=np.float32)
    interpolated = np.clip((pairs - np.float32(low)) / np.float32(high - low), 0, 1)
    kept = inv_freq * (1 - interpolated)
    return (inv_freq / np.float32(scaling.factor) * interpolated + kept).astype(np.float32)


def apply_rope(
    x_bthd: jax.Array, positions_bt: jax.Array, inv_freq: tuple[float, ...], scale: float = 1.0
) -> jax.Array:
    """Rotate halves (HF's non-interleaved layout) by ``position * inv_freq``; `scale` (YaRN's
    attention factor) multiplies the rotated result."""
    angles_btf = positions_bt.astype(jnp.float32)[..., None] * jnp.asarray(inv_freq, jnp.float32)
    cos = jnp.cos(angles_btf)[:, :, None, :]
    sin = jnp.sin(angles_btf)[:, :, None, :]
    if scale != 1.0:
        cos, sin = cos * scale, sin * scale
    half = x_bthd.shape[-1] // 2
    x1 = x_bthd[..., :half].astype(jnp.float32)
    x2 = x_bthd[..., half:].astype(jnp.float32)
    rotated = jnp.concatenate([x1 * cos - x2 * sin, x2 * cos + x1 * sin], axis=-1)
    return rotated.astype(x_bthd.dtype)


def softcap(x: jax.Array, cap: float | None) -> jax.Array:
    return x if cap is None else jnp.tanh(x / cap) * cap


class Attention(nnx.Module):
    """Grouped-query self-attention with optional q/k norm, logit soft-capping and a KV cache."""

    def __init__(
        self, config: ModelConfig, layer_index: int, *, rngs: nnx.Rngs, dtype: Any, param_dtype: Any
    ) -> None:
        c = config
        self.num_heads = c.num_attention_heads
        self.num_kv_heads = c.num_key_value_heads
        self.head_dim = c.head_dim
        self.scale = c.attention_scale
        self.softcap = c.attn_logit_softcapping
        layer_type = c.layer_type(layer_index)
        self.window = c.sliding_window if layer_type == "sliding_attention" else None
        local = layer_type == "sliding_attention" and c.rope_local_base_freq is not None
        theta = c.rope_local_base_freq if local and c.rope_local_base_freq else c.rope_theta
        scaling = None if local else c.rope_scaling
        inv_freq = rope_inv_freq(c.head_dim, theta, scaling)
        self.inv_freq = tuple(float(f) for f in inv_freq)  # static: a hashable, exact float32 copy
        self.rope_scale = 1.0  # YaRN's attention factor on the rotated queries and keys
        if scaling is not None and scaling.rope_type == "yarn":
            self.rope_scale = scaling.yarn_attention_factor
        kw = dict(init_std=c.initializer_range, rngs=rngs, dtype=dtype, param_dtype=param_dtype)
        d, h, kv, dh = c.hidden_size, self.num_heads, self.num_kv_heads, self.head_dim
        self.q_proj = Linear(d, h * dh, use_bias=c.qkv_bias, **kw)
        self.k_proj = Linear(d, kv * dh, use_bias=c.qkv_bias, **kw)
        self.v_proj = Linear(d, kv * dh, use_bias=c.qkv_bias, **kw)
        self.o_proj = Linear(h * dh, d, use_bias=c.o_bias, **kw)
        norm_kw = dict(eps=c.rms_norm_eps, offset=c.norm_offset, param_dtype=param_dtype)
        self.q_norm = nnx.data(RMSNorm(dh, **norm_kw) if c.qk_norm else None)
        self.k_norm = nnx.data(RMSNorm(dh, **norm_kw) if c.qk_norm else None)

    def __call__(
        self,
        x_btd: jax.Array,
        positions_bt: jax.Array,
        valid_bs: jax.Array,
        cache: LayerCache | None,
        cache_index: jax.Array,
    ) -> tuple[jax.Array, LayerCache | None]:
        """Attend the T new tokens (at slots ``cache_index ..``) to the valid slots ``[B, S]``."""
        b, t, _ = x_btd.shape
        q_bthd = self.q_proj(x_btd).reshape(b, t, self.num_heads, self.head_dim)
        k_bthd = self.k_proj(x_btd).reshape(b, t, self.num_kv_heads, self.head_dim)
        v_bthd = self.v_proj(x_btd).reshape(b, t, self.num_kv_heads, self.head_dim)
        if self.q_norm is not None and self.k_norm is not None:
            q_bthd, k_bthd = self.q_norm(q_bthd), self.k_norm(k_bthd)
        q_bthd = apply_rope(q_bthd, positions_bt, self.inv_freq, self.rope_scale)
        k_bhdt = apply_rope(k_bthd, positions_bt, self.inv_freq, self.rope_scale)
        k_bhdt = k_bhdt.transpose(0, 2, 3, 1)
        v_bhtd = v_bthd.transpose(0, 2, 1, 3)
        if cache is not None:
            k_bhds = jax.lax.dynamic_update_slice(
                cache.k, k_bhdt.astype(cache.k.dtype), (0, 0, 0, cache_index)
            )
            v_bhsd = jax.lax.dynamic_update_slice(
                cache.v, v_bhtd.astype(cache.v.dtype), (0, 0, cache_index, 0)
            )
            cache = LayerCache(k_bhds, v_bhsd)
        else:
            k_bhds, v_bhsd = k_bhdt, v_bhtd
        groups = self.num_heads // self.num_kv_heads
        q_bkgtd = q_bthd.reshape(b, t, self.num_kv_heads, groups, self.head_dim).transpose(
            0, 2, 3, 1, 4
        )
        dtype = q_bkgtd.dtype
        k_bhds, v_bhsd = k_bhds.astype(dtype), v_bhsd.astype(dtype)
        q_slot_t = cache_index + jnp.arange(t, dtype=jnp.int32)

        def attend(q_bkgcd: jax.Array, q_slot_c: jax.Array) -> jax.Array:
            scores = jnp.einsum("bkgcd,bkds->bkgcs", q_bkgcd, k_bhds).astype(jnp.float32)
            scores = softcap(scores * self.scale, self.softcap)
            mask_bcs = visible_slots(valid_bs, q_slot_c, self.window)
            scores = jnp.where(mask_bcs[:, None, None], scores, _MASKED)
            probs = jax.nn.softmax(scores, axis=-1).astype(dtype)
            return jnp.einsum("bkgcs,bksd->bkgcd", probs, v_bhsd)

        slots = v_bhsd.shape[2]
        block = query_block(b, self.num_heads, t, slots, SCORES_PER_BLOCK)
        if block >= t:
            out_bkgtd = attend(q_bkgtd, q_slot_t)
        else:
            out_bkgtd = _blockwise(attend, q_bkgtd, q_slot_t, block)
        out_btd = out_bkgtd.transpose(0, 3, 1, 2, 4).reshape(b, t, self.num_heads * self.head_dim)
        return self.o_proj(out_btd), cache


def _blockwise(
    attend: Callable[[jax.Array, jax.Array], jax.Array],
    q_bkgtd: jax.Array,
    q_slot_t: jax.Array,
    block: int,
) -> jax.Array:
    """`attend` over blocks of `block` queries in turn, each under `jax.checkpoint` (the
    backward pass recomputes a block's scores instead of keeping every block's)."""
    b, k, g, t, d = q_bkgtd.shape
    n = -(-t // block)
    pad = n * block - t  # padded queries attend like the last real one and are dropped
    q = jnp.pad(q_bkgtd, ((0, 0), (0, 0), (0, 0), (0, pad), (0, 0)))
    q_nbkgcd = q.reshape(b, k, g, n, block, d).transpose(3, 0, 1, 2, 4, 5)
    slots_nc = jnp.pad(q_slot_t, (0, pad), mode="edge").reshape(n, block)
    out_nbkgcd = jax.lax.map(lambda xs: jax.checkpoint(attend)(*xs), (q_nbkgcd, slots_nc))
    return out_nbkgcd.transpose(1, 2, 3, 0, 4, 5).reshape(b, k, g, n * block, d)[:, :, :, :t]


class MLP(nnx.Module):
    """Gated MLP: ``down(act(gate(x)) * up(x))``."""

    def __init__(
        self, config: ModelConfig, *, rngs: nnx.Rngs, dtype: Any, param_dtype: Any
    ) -> None:
        c = config
        kw = dict(use_bias=c.mlp_bias, init_std=c.initializer_range, rngs=rngs, dtype=dtype)
        self.gate_proj = Linear(c.hidden_size, c.intermediate_size, param_dtype=param_dtype, **kw)
        self.up_proj = Linear(c.hidden_size, c.intermediate_size, param_dtype=param_dtype, **kw)
        self.down_proj = Linear(c.intermediate_size, c.hidden_size, param_dtype=param_dtype, **kw)
        self.approximate_gelu = c.hidden_act == "gelu_pytorch_tanh"

    def __call__(self, x_btd: jax.Array) -> jax.Array:
        gate = self.gate_proj(x_btd)
        if self.approximate_gelu:
            gate = jax.nn.gelu(gate, approximate=True)
        else:
            gate = jax.nn.silu(gate)
        return self.down_proj(gate * self.up_proj(x_btd))


class DecoderLayer(nnx.Module):
    """Pre-norm attention and MLP blocks; Gemma 2/3 also norm each block's output."""

    def __init__(
        self, config: ModelConfig, layer_index: int, *, rngs: nnx.Rngs, dtype: Any, param_dtype: Any
    ) -> None:
        c = config
        kw = dict(rngs=rngs, dtype=dtype, param_dtype=param_dtype)
        self.self_attn = Attention(c, layer_index, **kw)
        self.mlp = MLP(c, **kw)

        def norm() -> RMSNorm:
            return RMSNorm(
                c.hidden_size, eps=c.rms_norm_eps, offset=c.norm_offset, param_dtype=param_dtype
            )

        self.sandwich = c.sandwich_norm
        self.input_layernorm = norm()
        # Llama/Qwen name their pre-MLP norm "post_attention_layernorm"; Gemma 2/3 use that name
        # for the norm on the attention output and call the pre-MLP one "pre_feedforward".
        self.post_attention_layernorm = norm()
        self.pre_feedforward_layernorm = nnx.data(norm() if c.sandwich_norm else None)
        self.post_feedforward_layernorm = nnx.data(norm() if c.sandwich_norm else None)

    def __call__(
        self,
        x_btd: jax.Array,
        positions_bt: jax.Array,
        valid_bs: jax.Array,
        cache: LayerCache | None,
        cache_index: jax.Array,
    ) -> tuple[jax.Array, LayerCache | None]:
        attn, cache = self.self_attn(
            self.input_layernorm(x_btd), positions_bt, valid_bs, cache, cache_index
        )
        if (
            self.pre_feedforward_layernorm is not None
            and self.post_feedforward_layernorm is not None
        ):
            x_btd = x_btd + self.post_attention_layernorm(attn)
            mlp = self.mlp(self.pre_feedforward_layernorm(x_btd))
            return x_btd + self.post_feedforward_layernorm(mlp), cache
        x_btd = x_btd + attn
        return x_btd + self.mlp(self.post_attention_layernorm(x_btd)), cache
