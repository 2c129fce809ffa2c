"""Beam search over a KV-cached NNX causal LM, jitted, for one prompt at a time.

At each step every live beam is extended by every token; the `beam_width` best extensions by
total log-prob survive (their caches are gathered from their parents). A beam that emits an
EOS id is finished: it keeps its score and is carried along unchanged, competing with the live
ones. No length penalty is applied, so the result is the `beam_width` most likely hypotheses
the search kept; with a beam as wide as the number of hypotheses it is exact.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from agentrl.errors import ConfigError, SamplerError
from agentrl.sampling.base import Completion


def beam_search(
    model: Any,
    tokenizer: Any,
    prompt: Sequence[int],
    *,
    beam_width: int,
    max_tokens: int,
    max_context: int | None = None,
) -> list[Completion]:
    """The `beam_width` best completions of `prompt`, best first.

    Args:
        model: an `agentrl.models` causal LM.
        tokenizer: gives ``eos_token_ids``, ``pad_token_id`` and ``decode``.
        prompt: token ids.
        beam_width: beams kept per step (1 is greedy decoding).
        max_tokens: new tokens per hypothesis at most.
        max_context: prompt + completion tokens at most, if limited.

    Returns:
        Completions with per-token log-probs; ``metadata["score"]`` is their sum.
    """
    if beam_width < 1 or max_tokens < 1:
        raise ConfigError(f"got beam_width={beam_width}, max_tokens={max_tokens}; need >= 1")
    if max_context is not None:
        max_tokens = min(max_tokens, max_context - len(prompt))
        if max_tokens < 1:
            raise SamplerError(f"prompt of {len(prompt)} tokens fills max_context={max_context}")
    eos = np.asarray(sorted(tokenizer.eos_token_ids) or [-1], np.int32)
    graphdef, weights = nnx.split(model)
    tokens_kd, logprobs_kd, scores_k, lengths_k, finished_k = _search(
        weights,
        jnp.asarray([list(prompt)], jnp.int32),
        jnp.asarray(eos),
        jnp.int32(tokenizer.pad_token_id),
        graphdef=graphdef,
        beam_width=beam_width,
        max_tokens=max_tokens,
        cache_dtype=getattr(model, "dtype", jnp.float32),
    )
    tokens_kd, logprobs_kd = np.asarray(tokens_kd), np.asarray(logprobs_kd)
    scores_k, lengths_k, finished_k = map(np.asarray, (scores_k, lengths_k, finished_k))
    out = []
    for k in np.argsort(-scores_k, kind="stable"):
        if not np.isfinite(scores_k[k]):
            continue  # fewer hypotheses exist than beams
        ids = tokens_kd[k, : lengths_k[k]].tolist()
        out.append(
            Completion(
                token_ids=ids,
                logprobs=logprobs_kd[k, : lengths_k[k]].astype(float).tolist(),
                finish_reason="stop" if finished_k[k] else "length",
                text=tokenizer.decode(ids),
                metadata={"score": float(scores_k[k])},
            )
        )
    return out


@functools.partial(jax.jit, static_argnames=("graphdef", "beam_width", "max_tokens", "cache_dtype"))
def _search(
    weights: Any,
    prompt_1p: jax.Array,
    eos_ids: jax.Array,
    pad_id: jax.Array,
    *,
    graphdef: Any,
    beam_width: int,
    max_tokens: int,
    cache_dtype: Any,
) -> tuple[jax.Array, ...]:
    model = nnx.merge(graphdef, weights)
    k, p = beam_width, prompt_1p.shape[1]
    slots = p + max_tokens
    mask_1s = jnp.arange(slots)[None] < p
    cache = model.init_cache(1, slots, cache_dtype)
    out = model(prompt_1p, None, attention_mask=mask_1s, cache=cache, cache_index=0)
    cache = jax.tree.map(lambda x: jnp.repeat(x, k, axis=0), out.cache)
    logp_kv = jnp.repeat(jax.nn.log_softmax(out.logits[:, -1]), k, axis=0)
    v = logp_kv.shape[-1]
    # All beams start identical: only the first may expand, or the top-k would be duplicates.
    scores_k = jnp.where(jnp.arange(k) == 0, 0.0, -jnp.inf)
    tokens_kd = jnp.full((k, max_tokens), pad_id, jnp.int32)
    token_logp_kd = jnp.zeros((k, max_tokens), jnp.float32)
    finished_k = jnp.zeros(k, bool)
    lengths_k = jnp.zeros(k, jnp.int32)
    mask_ks = jnp.repeat(mask_1s, k, axis=0)

    def step(t: int, carry: tuple[Any, ...]) -> tuple[Any, ...]:
        cache, mask_ks, logp_kv, scores_k, tokens_kd, token_logp_kd, finished_k, lengths_k = carry
        # A finished beam has one continuation, the pad token, at no cost.
        stay_kv = jnp.where(jnp.arange(v)[None] == pad_id, 0.0, -jnp.inf)
        step_logp_kv = jnp.where(finished_k[:, None], stay_kv, logp_kv)
        total_kv = scores_k[:, None] + step_logp_kv
        scores_k, flat_k = jax.lax.top_k(total_kv.reshape(-1), k)
        parent_k, token_k = flat_k // v, (flat_k % v).astype(jnp.int32)
        was_finished_k = finished_k[parent_k]
        tokens_kd = tokens_kd[parent_k].at[:, t].set(token_k)
        chosen_k = step_logp_kv[parent_k, token_k]
        token_logp_kd = token_logp_kd[parent_k].at[:, t].set(chosen_k)
        lengths_k = jnp.where(was_finished_k, lengths_k[parent_k], t + 1)
        finished_k = was_finished_k | jnp.isin(token_k, eos_ids)
        cache = jax.tree.map(lambda x: x[parent_k], cache)
        mask_ks = mask_ks.at[:, p + t].set(True)
        positions_k1 = jnp.full((k, 1), p + t, jnp.int32)
        out = model(
            token_k[:, None], positions_k1, attention_mask=mask_ks, cache=cache, cache_index=p + t
        )
        logp_kv = jax.nn.log_softmax(out.logits[:, 0])
        return (
            out.cache,
            mask_ks,
            logp_kv,
            scores_k,
            tokens_kd,
            token_logp_kd,
            finished_k,
            lengths_k,
        )

    carry = (cache, mask_ks, logp_kv, scores_k, tokens_kd, token_logp_kd, finished_k, lengths_k)
    carry = jax.lax.fori_loop(0, max_tokens, step, carry)
    _, _, _, scores_k, tokens_kd, token_logp_kd, finished_k, lengths_k = carry
    return tokens_kd, token_logp_kd, scores_k, lengths_k, finished_k
