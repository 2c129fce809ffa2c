"""Loss pieces shared by the learners: aggregation weights, KL, cross-entropy, value loss.

Every per-token loss ``l[b, t]`` is reduced as ``sum_{b,t} w[b, t] l[b, t]`` with weights from
`token_weights`, computed once over the whole batch. Because the weights already carry the
normalization, a batch split into micro-batches sums to exactly the same loss and gradient
(gradient accumulation 1x8 equals 8x1).
"""

from __future__ import annotations

from typing import Literal

import jax
import jax.numpy as jnp

Aggregation = Literal["token_mean", "seq_mean", "token_sum"]
KLEstimator = Literal["k1", "k2", "k3"]

# exp() of a log-ratio beyond this overflows float32 or carries no signal; clamp before exp.
_MAX_LOG_RATIO = 20.0


def token_weights(
    mask_bl: jax.Array, mode: Aggregation, norm_constant: float | None = None
) -> jax.Array:
    """Per-token weights that turn a per-token loss into the batch loss.

    With ``m`` the mask, ``n_b = sum_t m[b, t]`` the row's token count and ``N`` the number of
    rows holding at least one token:

    - ``token_mean`` (DAPO): ``w = m / sum_b n_b``; every token counts the same.
    - ``seq_mean`` (GRPO): ``w = m / (n_b N)``; mean over each row's tokens, then over rows.
    - ``token_sum`` (Dr.GRPO): ``w = m / (N C)`` with ``C = norm_constant`` (e.g. the generation
      budget), so a row's weight does not depend on its own length.

    Args:
        mask_bl: 0/1 loss mask (float or bool) of the whole batch.
        mode: one of the three above.
        norm_constant: ``C`` for ``token_sum``; required there, ignored otherwise.

    Returns:
        float32 ``[B, L]`` weights summing to 1 for ``token_mean`` and ``seq_mean``.
    """
    mask_bl = mask_bl.astype(jnp.float32)
    tokens_b = jnp.sum(mask_bl, axis=-1)
    rows = jnp.maximum(jnp.sum(tokens_b > 0), 1).astype(jnp.float32)
    if mode == "token_mean":
        return mask_bl / jnp.maximum(jnp.sum(tokens_b), 1.0)
    if mode == "seq_mean":
        return mask_bl / (jnp.maximum(tokens_b, 1.0)[:, None] * rows)
    if mode == "token_sum":
        if norm_constant is None or norm_constant <= 0:
            raise ValueError(f"got norm_constant={norm_constant!r}, need > 0 for token_sum")
        return mask_bl / (rows * norm_constant)
    raise ValueError(f"got aggregation mode={mode!r}, need token_mean, seq_mean or token_sum")


def kl_penalty(logp_bl: jax.Array, ref_logp_bl: jax.Array, estimator: KLEstimator) -> jax.Array:
    """Per-token estimate of ``KL(pi || pi_ref)`` from the sampled token's log-probs.

    With ``r = pi_ref(y) / pi(y)`` and ``y ~ pi`` (Schulman's estimators):

    - ``k1 = -log r``: unbiased, high variance, can be negative.
    - ``k2 = (log r)^2 / 2``: biased, low variance, always >= 0.
    - ``k3 = r - 1 - log r``: unbiased and always >= 0 (the GRPO default).

    ``log r`` is clamped to +-20 before ``exp`` so one wild token cannot overflow the loss.
    """
    log_r = jnp.clip(ref_logp_bl - logp_bl, -_MAX_LOG_RATIO, _MAX_LOG_RATIO)
    if estimator == "k1":
        return -log_r
    if estimator == "k2":
        return 0.5 * jnp.square(log_r)
    if estimator == "k3":
        return jnp.exp(log_r) - 1.0 - log_r
    raise ValueError(f"got kl estimator={estimator!r}, need k1, k2 or k3")


def weighted_nll(logprobs_bl: jax.Array, weights_bl: jax.Array) -> jax.Array:
    """Cross-entropy of the targets: ``-sum_{b,t} w[b, t] log p(y_{b,t})``.

    With ``token_mean`` weights this is the usual mean negative log-likelihood over the masked
    (assistant) tokens of the batch.
    """
    return -jnp.sum(weights_bl * logprobs_bl)


def clipped_value_loss(
    values_bl: jax.Array, old_values_bl: jax.Array, returns_bl: jax.Array, clip: float | None
) -> jax.Array:
    """PPO's per-token value loss, optionally clipped around the rollout's values.

    ``v_c = v_old + clip(v - v_old, -c, c)``;
    ``l = max((v - R)^2, (v_c - R)^2) / 2`` (just ``(v - R)^2 / 2`` when ``clip`` is None).
    """
    unclipped_bl = jnp.square(values_bl - returns_bl)
    if clip is None:
        return 0.5 * unclipped_bl
    values_c_bl = old_values_bl + jnp.clip(values_bl - old_values_bl, -clip, clip)
    return 0.5 * jnp.maximum(unclipped_bl, jnp.square(values_c_bl - returns_bl))
