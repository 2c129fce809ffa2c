"""The decoder-only causal language model all families share, and its call contract.

    out = model(tokens_bt, positions_bt, attention_mask=mask_bt)           # full forward
    cache = model.init_cache(batch, max_len)
    out = model(prompt_bt, pos_bt, attention_mask=mask_bs, cache=cache, cache_index=0)
    out = model(next_b1, pos_b1, attention_mask=mask_bs, cache=out.cache, cache_index=t)
    hidden_btd = model.hidden(tokens_bt, positions_bt, attention_mask=mask_bt)  # no logits
    logits_btv = model.head(hidden_btd[:, :k])                             # some positions'

Without a cache, ``attention_mask`` ``[B, T]`` marks real tokens and attention is causal. With a
cache, the T new tokens are written at slots ``cache_index .. cache_index + T - 1`` (prompts are
left-padded, so ``cache_index`` is one scalar for the batch) and ``attention_mask`` ``[B, S]``
marks the slots holding real tokens; a query sees marked slots at or before its own slot, and on
sliding-window layers only the last ``sliding_window`` of them. ``last_logits_only=True``
returns logits for the last position only (``[B, 1, V]``), which is all a prefill samples from;
trainers take `hidden` and project a few positions at a time with `head`.
"""

from __future__ import annotations

import math
from typing import Any, Literal, NamedTuple

import jax
import jax.numpy as jnp
from flax import nnx

from agentrl.errors import ModelError
from agentrl.models.config import ModelConfig
from agentrl.models.layers import DecoderLayer, Embed, LayerCache, Linear, RMSNorm, softcap

Cache = tuple[LayerCache, ...]
Remat = Literal["none", "layer", "dots"]
# What "dots" keeps: the outputs of matmuls without batch dimensions, i.e. the projections
# (q/k/v/o, MLP); attention's batched score and value products are recomputed.
_REMAT_POLICIES = {"dots": jax.checkpoint_policies.dots_with_no_batch_dims_saveable}


class ModelOutput(NamedTuple):
    """What a forward pass returns."""

    logits: jax.Array  # float32 [B, T, V] ([B, 1, V] with last_logits_only)
    hidden: jax.Array  # [B, T, D], after the final norm
    cache: Cache | None


class CausalLM(nnx.Module):
    """A decoder-only transformer language model (Llama, Qwen, Gemma, by config).

    Args:
        config: the family config.
        rngs: random streams for initialization.
        dtype: computation dtype (float32 default; bfloat16 on accelerators).
        param_dtype: storage dtype of the parameters.
        remat: what the backward pass recomputes instead of keeping (gradient checkpointing):
            ``"none"``; ``"layer"``: each decoder layer keeps only its input (least memory,
            ~1/3 more compute); ``"dots"``: each layer keeps its weight matmuls' outputs and
            recomputes the rest (attention scores, activations, norms). ``True`` is ``"layer"``.
            Applies to the full forward (training, scoring), not to cached prefill and decode.
    """

    def __init__(
        self,
        config: ModelConfig,
        *,
        rngs: nnx.Rngs,
        dtype: Any = jnp.float32,
        param_dtype: Any = jnp.float32,
        remat: Remat | bool = "none",
    ) -> None:
        c = config
        self.config = c
        self.dtype = dtype
        self.remat = remat
        kw = dict(rngs=rngs, dtype=dtype, param_dtype=param_dtype)
        self.embed_tokens = Embed(c.vocab_size, c.hidden_size, init_std=c.initializer_range, **kw)
        self.layers = nnx.List([DecoderLayer(c, i, **kw) for i in range(c.num_hidden_layers)])
        self.norm = RMSNorm(
            c.hidden_size, eps=c.rms_norm_eps, offset=c.norm_offset, param_dtype=param_dtype
        )
        self.lm_head = nnx.data(
            None
            if c.tie_word_embeddings
            else Linear(
                c.hidden_size,
                c.vocab_size,
                use_bias=False,
                init_std=c.initializer_range,
                out_dtype=jnp.float32,  # log-probs and ratios need float32 logits
                **kw,
            )
        )

    def init_cache(self, batch: int, max_len: int, dtype: Any = jnp.float32) -> Cache:
        """Zeroed keys and values for every layer (see `LayerCache` for their layouts)."""
        c = self.config
        k_shape = (batch, c.num_key_value_heads, c.head_dim, max_len)
        v_shape = (batch, c.num_key_value_heads, max_len, c.head_dim)
        return tuple(
            LayerCache(jnp.zeros(k_shape, dtype), jnp.zeros(v_shape, dtype))
            for _ in range(c.num_hidden_layers)
        )

    def __call__(
        self,
        tokens_bt: jax.Array,
        positions_bt: jax.Array | None = None,
        *,
        attention_mask: jax.Array | None = None,
        cache: Cache | None = None,
        cache_index: jax.Array | int | None = None,
        last_logits_only: bool = False,
    ) -> ModelOutput:
        hidden_btd, new_cache = self._trunk(
            tokens_bt, positions_bt, attention_mask, cache, cache_index
        )
        # A prefill samples from the last position only; the vocabulary projection of the
        # others would be most of its work for a small model with a large vocabulary.
        logits = self.head(hidden_btd[:, -1:] if last_logits_only else hidden_btd)
        return ModelOutput(logits, hidden_btd, new_cache)

    def hidden(
        self,
        tokens_bt: jax.Array,
        positions_bt: jax.Array | None = None,
        *,
        attention_mask: jax.Array | None = None,
    ) -> jax.Array:
        """The final hidden states ``[B, T, D]`` of a full forward pass, without the vocabulary
        projection: trainers project a few positions at a time (`head`), because the ``[B, T,
        V]`` logits of a long batch and a 150k vocabulary would not fit in memory."""
        return self._trunk(tokens_bt, positions_bt, attention_mask, None, None)[0]

    def head(self, hidden_btd: jax.Array) -> jax.Array:
        """float32 logits ``[B, T, V]`` of hidden states (after the final norm), accumulated in
        float32 whatever the compute dtype: a bfloat16 logit of 20 is off by up to 0.06, which
        would show up directly in log-probs and importance ratios."""
        if self.lm_head is None:
            logits = self.embed_tokens.attend(hidden_btd)
        else:
            logits = self.lm_head(hidden_btd)
        return softcap(logits.astype(jnp.float32), self.config.final_logit_softcapping)

    def _trunk(
        self,
        tokens_bt: jax.Array,
        positions_bt: jax.Array | None,
        attention_mask: jax.Array | None,
        cache: Cache | None,
        cache_index: jax.Array | int | None,
    ) -> tuple[jax.Array, Cache | None]:
        """Embedding, layers and final norm: ``(hidden [B, T, D], new cache or None)``."""
        b, t = tokens_bt.shape
        if cache is not None and cache_index is None:
            cache_index = 0
        start = jnp.asarray(0 if cache_index is None else cache_index, jnp.int32)
        if positions_bt is None:
            positions_bt = jnp.broadcast_to(start + jnp.arange(t, dtype=jnp.int32), (b, t))
        slots = t if cache is None else cache[0].v.shape[2]
        x_btd = self.embed_tokens(tokens_bt)
        if self.config.scale_embeddings:
            x_btd = x_btd * jnp.asarray(math.sqrt(self.config.hidden_size), x_btd.dtype)
        if attention_mask is None:
            valid_bs = jnp.ones((b, slots), bool)
        else:
            valid_bs = attention_mask.astype(bool)
        new_cache: list[LayerCache] = []
        # Remat serves the backward pass: cached prefill and decode (sampling) run plain.
        run = _layer_runner(self.remat if cache is None else "none")
        for i, layer in enumerate(self.layers):
            layer_cache = None if cache is None else cache[i]
            x_btd, layer_cache = run(layer, x_btd, positions_bt, valid_bs, layer_cache, start)
            if layer_cache is not None:
                new_cache.append(layer_cache)
        return self.norm(x_btd), None if cache is None else tuple(new_cache)


def _layer_runner(remat: Remat | bool) -> Any:
    """`_run_layer`, under `nnx.remat` with the policy `remat` names."""
    mode = remat if isinstance(remat, str) else ("layer" if remat else "none")
    if mode == "none":
        return _run_layer
    if mode != "layer" and mode not in _REMAT_POLICIES:
        raise ModelError(f"got remat={remat!r}, need one of none, layer, dots")
    policy = _REMAT_POLICIES.get(mode)

    def run(
        layer: DecoderLayer,
        x_btd: jax.Array,
        positions_bt: jax.Array,
        valid_bs: jax.Array,
        cache: LayerCache | None,
        start: jax.Array,
    ) -> tuple[jax.Array, LayerCache | None]:
        # A pure function of the layer's state under jax.checkpoint: nnx.remat would write
        # the state back into the layer's variables, which fails for a layer merged in the
        # update's trace with LoRA adapters ("Cannot mutate Param from a different trace").
        graphdef, state = nnx.split(layer)

        def pure(state: Any, x_btd: jax.Array) -> jax.Array:
            out, _ = nnx.merge(graphdef, state)(x_btd, positions_bt, valid_bs, cache, start)
            return out

        return jax.checkpoint(pure, policy=policy)(state, x_btd), cache

    return run


def _run_layer(
    layer: DecoderLayer,
    x_btd: jax.Array,
    positions_bt: jax.Array,
    valid_bs: jax.Array,
    cache: LayerCache | None,
    start: jax.Array,
) -> tuple[jax.Array, LayerCache | None]:
    return layer(x_btd, positions_bt, valid_bs, cache, start)
