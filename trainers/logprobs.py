"""Token log-probabilities and entropies from logits: the quantities every trainer scores.

Shapes: ``B`` batch rows, ``L`` target positions, ``V`` vocabulary. Position ``t`` of a batch's
target arrays holds the token the model predicts from inputs ``0..t`` (the batch is already
shifted, see `agentrl.trainers.batching`), so ``logits_blv[:, t]`` scores ``target_ids_bl[:, t]``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import jax
import jax.numpy as jnp

# Most float32 logits one chunk of `chunked_token_stats` materializes: 2^26 (256 MiB). A batch
# of 8 rows x 8192 positions x a 151,936-token vocabulary would be 40 GB of logits at once.
LOGITS_PER_CHUNK = 1 << 26


@jax.jit
def token_logprobs(logits_blv: jax.Array, target_ids_bl: jax.Array) -> jax.Array:
    """Log-probability of each target token.

    ``log p(y_t) = z_t[y_t] - logsumexp_v z_t[v]``: a gather and a logsumexp, so the full
    ``[B, L, V]`` log-softmax is never materialized as a second array.

    Args:
        logits_blv: float logits ``z``.
        target_ids_bl: int token ids ``y``.

    Returns:
        float32 ``[B, L]``.
    """
    logits_blv = logits_blv.astype(jnp.float32)
    picked_bl = jnp.take_along_axis(logits_blv, target_ids_bl[..., None], axis=-1)[..., 0]
    return picked_bl - jax.nn.logsumexp(logits_blv, axis=-1)


@jax.jit
def token_entropy(logits_blv: jax.Array) -> jax.Array:
    """Entropy of the predictive distribution at each position.

    ``H_t = logsumexp(z_t) - sum_v softmax(z_t)_v z_t[v]`` (in nats).

    Returns:
        float32 ``[B, L]``.
    """
    logits_blv = logits_blv.astype(jnp.float32)
    lse_bl = jax.nn.logsumexp(logits_blv, axis=-1)
    probs_blv = jnp.exp(logits_blv - lse_bl[..., None])
    return lse_bl - jnp.sum(probs_blv * logits_blv, axis=-1)


def masked_sum(values_bl: jax.Array, mask_bl: jax.Array, axis: int | None = None) -> jax.Array:
    """``sum(values * mask)`` over `axis` (all axes when None)."""
    return jnp.sum(values_bl * mask_bl, axis=axis)


def masked_mean(values_bl: jax.Array, mask_bl: jax.Array, axis: int | None = None) -> jax.Array:
    """``sum(values * mask) / max(sum(mask), 1)`` over `axis`; 0 where the mask is empty."""
    return masked_sum(values_bl, mask_bl, axis) / jnp.maximum(jnp.sum(mask_bl, axis=axis), 1.0)


def sequence_logprobs(logprobs_bl: jax.Array, mask_bl: jax.Array) -> jax.Array:
    """Log-probability of each row's masked tokens together: ``sum_t m_t log p(y_t)``, ``[B]``."""
    return masked_sum(logprobs_bl, mask_bl, axis=-1)


def over_position_chunks(
    fn: Callable[..., tuple[jax.Array, ...]],
    arrays: tuple[jax.Array, ...],
    positions_per_chunk: int,
) -> tuple[jax.Array, ...]:
    """``fn`` over the position axis (axis 1) of `arrays`, `positions_per_chunk` at a time.

    ``fn`` maps ``[B, c, ...]`` chunks to a tuple of ``[B, c]`` per-position values. Each chunk
    runs under `jax.checkpoint`, so the backward pass recomputes what a chunk made (its logits)
    instead of keeping every chunk's. With one chunk covering every position, ``fn`` runs once
    on the arrays as they are.
    """
    b, length = arrays[0].shape[:2]
    chunk = max(1, positions_per_chunk)
    if chunk >= length:
        return fn(*arrays)
    n = math.ceil(length / chunk)
    pad = n * chunk - length

    def chunks(x: jax.Array) -> jax.Array:  # [B, L, ...] -> [n, B, chunk, ...]
        x = jnp.pad(x, [(0, 0), (0, pad)] + [(0, 0)] * (x.ndim - 2))
        x = x.reshape(b, n, chunk, *x.shape[2:])
        return jnp.moveaxis(x, 1, 0)

    outs = jax.lax.map(lambda xs: jax.checkpoint(fn)(*xs), tuple(chunks(x) for x in arrays))
    return tuple(jnp.moveaxis(o, 0, 1).reshape(b, n * chunk)[:, :length] for o in outs)


def positions_per_chunk(batch: int, vocab_size: int, max_logits: int | None = None) -> int:
    """How many positions of a ``batch``-row batch keep their logits within `max_logits`
    (default `LOGITS_PER_CHUNK`)."""
    limit = LOGITS_PER_CHUNK if max_logits is None else max_logits
    return max(1, limit // (batch * vocab_size))


def chunked_token_stats(
    head: Callable[[jax.Array], jax.Array],
    hidden_bld: jax.Array,
    target_ids_bl: jax.Array,
    vocab_size: int,
    *,
    temperature: float = 1.0,
    entropy: bool = False,
    max_logits: int | None = None,
) -> tuple[jax.Array, jax.Array | None]:
    """Target log-probs (and entropies) from hidden states, a few positions at a time.

    ``head`` maps hidden states to logits. When the whole ``[B, L, V]`` logits fit in
    `max_logits` (default `LOGITS_PER_CHUNK`) they are computed at once; otherwise positions
    are taken in chunks (`over_position_chunks`), so neither the forward nor the backward pass
    ever holds more than one chunk of logits.

    Returns:
        float32 ``(logprobs [B, L], entropies [B, L] or None)``, of the tempered distribution.
    """

    def stats(h_bld: jax.Array, y_bl: jax.Array) -> tuple[jax.Array, jax.Array]:
        logits_blv = head(h_bld)
        if temperature != 1.0:
            logits_blv = logits_blv / temperature
        ent_bl = token_entropy(logits_blv) if entropy else jnp.zeros(y_bl.shape, jnp.float32)
        return token_logprobs(logits_blv, y_bl), ent_bl

    chunk = positions_per_chunk(hidden_bld.shape[0], vocab_size, max_logits)
    logp_bl, ent_bl = over_position_chunks(stats, (hidden_bld, target_ids_bl), chunk)
    return logp_bl, ent_bl if entropy else None
