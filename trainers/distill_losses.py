"""Distillation losses: teacher to student on logits or hidden states.

Per-token losses ``[B, L]``, reduced by the caller with `agentrl.trainers.losses.token_weights`.
With temperature ``tau``: ``p = softmax(z_teacher / tau)``, ``q = softmax(z_student / tau)``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp


def _log_softmax(logits_blv: jax.Array, temperature: float) -> jax.Array:
    return jax.nn.log_softmax(logits_blv.astype(jnp.float32) / temperature, axis=-1)


def forward_kl(
    student_logits_blv: jax.Array, teacher_logits_blv: jax.Array, temperature: float = 1.0
) -> jax.Array:
    """Classic logit distillation, ``tau^2 KL(p || q) = tau^2 sum_v p_v (log p_v - log q_v)``.

    The ``tau^2`` keeps gradient magnitudes comparable across temperatures (Hinton et al.).
    Mass-covering: the student is pushed to put probability wherever the teacher does.
    """
    log_p_blv = _log_softmax(teacher_logits_blv, temperature)
    log_q_blv = _log_softmax(student_logits_blv, temperature)
    kl_bl = jnp.sum(jnp.exp(log_p_blv) * (log_p_blv - log_q_blv), axis=-1)
    return temperature**2 * kl_bl


def reverse_kl(
    student_logits_blv: jax.Array, teacher_logits_blv: jax.Array, temperature: float = 1.0
) -> jax.Array:
    """On-policy distillation, ``tau^2 KL(q || p) = tau^2 sum_v q_v (log q_v - log p_v)``.

    Computed exactly over the vocabulary at the positions of sequences the student sampled.
    Mode-seeking: the student is penalized for mass where the teacher has little.
    """
    log_p_blv = _log_softmax(teacher_logits_blv, temperature)
    log_q_blv = _log_softmax(student_logits_blv, temperature)
    kl_bl = jnp.sum(jnp.exp(log_q_blv) * (log_q_blv - log_p_blv), axis=-1)
    return temperature**2 * kl_bl


def feature_mse(student_hidden_bld: jax.Array, teacher_hidden_bld: jax.Array) -> jax.Array:
    """Hidden-state matching, ``mean_d (h_s - h_t)^2`` per token.

    The caller projects the student's hidden states to the teacher's width first when the two
    differ (a learned linear map trained with the student).
    """
    diff_bld = student_hidden_bld.astype(jnp.float32) - teacher_hidden_bld.astype(jnp.float32)
    return jnp.mean(jnp.square(diff_bld), axis=-1)
