"""Token log-probabilities and entropies from logits: the quantities every trainer scores.

Shapes: ``B`` batch rows, ``L`` target positions, ``V`` vocabulary. Position ``t`` of a batch's
target arrays holds the token the model predicts from inputs ``0..t`` (the batch is already
shifted, see `agentrl.trainers.batching`), so ``logits_blv[:, t]`` scores ``target_ids_bl[:, t]``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp


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
