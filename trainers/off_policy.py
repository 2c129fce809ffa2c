"""Off-policy correction for rollouts sampled by another policy than the trainer's.

A server samples with weights that may be some versions old (asynchronous RL), and even on the
same version its numerics differ from the trainer's (kernels, batch shapes, precision). Before
an update, the learner rescores the batch's tokens with its own current weights (``pi_prox``)
and compares them with the sampler's log-probs (``mu``):

- the gap is logged every step: mean and max absolute log-prob difference over policy tokens,
  and the KL between the two (k3 estimator, sampled under ``mu``);
- with ``correction: tis`` the PPO ratio is taken against ``pi_prox`` (the "decoupled" PPO of
  AReaL) and every token's loss is weighted by the importance weight ``w = pi_prox / mu``,
  per token or per sequence (the product over its tokens), either truncated at ``cap``
  (TIS: ``min(w, cap)``) or masked (tokens/sequences with ``w`` outside ``[1/cap, cap]`` are
  left out). Weights carry no gradient.

``correction: auto`` corrects with the server backend and leaves local, synchronous runs as
they were (there ``mu`` is the trainer's own policy, the gap is zero to float precision).
"""

from __future__ import annotations

from typing import Any, Literal

import jax
import jax.numpy as jnp
from pydantic import Field

from agentrl.config import Config

from .learner import forward_logprobs

_MAX_LOG_W = 20.0


class OffPolicyConfig(Config):
    """How the learner treats samples from another policy (``off_policy:`` in a run config)."""

    correction: Literal["auto", "none", "tis"] = Field(
        default="auto",
        description="tis: rescore with the trainer and weight by truncated importance ratios; "
        "none: learn from the sampler's log-probs as they are; auto: tis with "
        "rollout.backend=server, none with local",
    )
    level: Literal["token", "sequence"] = Field(
        default="token", description="one importance weight per token, or per sequence"
    )
    mode: Literal["truncate", "mask"] = Field(
        default="truncate",
        description="truncate: min(w, cap); mask: drop tokens/sequences with w outside "
        "[1/cap, cap]",
    )
    cap: float = Field(default=2.0, gt=1, description="the truncation / masking bound")
    measure: bool = Field(
        default=False,
        description="rescore and log the sampler-vs-trainer gap even when not correcting",
    )

    def corrects(self, backend: str) -> bool:
        return self.correction == "tis" or (self.correction == "auto" and backend == "server")


def _rescore_fn(learner: Any) -> Any:
    fn = getattr(learner, "_off_policy_rescore", None)
    if fn is None:
        temperature = learner.config.temperature

        def rescore(params: Any, frozen: Any, batch: Any) -> jax.Array:
            policy = learner._merged(params, frozen).policy
            return forward_logprobs(policy, batch, temperature) * batch.loss_mask

        fn = jax.jit(rescore)
        learner._off_policy_rescore = fn
    return fn


def importance_weights(
    log_w_bl: jax.Array, mask_bl: jax.Array, config: OffPolicyConfig
) -> tuple[jax.Array, jax.Array]:
    """``(weights, cut)``: the importance weights of `config` (0 off the mask) and, per token,
    1.0 where truncation or masking changed the weight."""
    if config.level == "sequence":
        log_w_bl = jnp.broadcast_to(jnp.sum(log_w_bl * mask_bl, -1, keepdims=True), mask_bl.shape)
    w_bl = jnp.exp(jnp.clip(log_w_bl, -_MAX_LOG_W, _MAX_LOG_W))
    if config.mode == "truncate":
        cut = w_bl > config.cap
        w_bl = jnp.minimum(w_bl, config.cap)
    else:
        cut = (w_bl > config.cap) | (w_bl < 1.0 / config.cap)
        w_bl = jnp.where(cut, 0.0, w_bl)
    return w_bl * mask_bl, cut * mask_bl


def gap_metrics(trainer_bl: jax.Array, sampler_bl: jax.Array, mask_bl: jax.Array) -> dict:
    """Sampler-vs-trainer log-prob gap over policy tokens: mean/max |diff| and KL(mu||pi)."""
    n = jnp.maximum(jnp.sum(mask_bl), 1.0)
    diff_bl = (trainer_bl - sampler_bl) * mask_bl
    k3_bl = (jnp.exp(diff_bl) - 1.0 - diff_bl) * mask_bl  # KL(mu || pi) under mu's samples
    return {
        "offpolicy/gap_mean_abs": float(jnp.sum(jnp.abs(diff_bl)) / n),
        "offpolicy/gap_max_abs": float(jnp.max(jnp.abs(diff_bl))),
        "offpolicy/kl": float(jnp.sum(k3_bl) / n),
    }


def train_step(
    learner: Any, trajectories: list[Any], config: OffPolicyConfig, *, correct: bool
) -> dict[str, float]:
    """One `learner.train_step` on `trajectories`, rescored (gap logged) and, when `correct`,
    with ``pi_old`` = the trainer's log-probs and truncated importance weights."""
    batch = learner.make_batch(trajectories)
    if batch is None:
        return {"skipped": 1.0}
    device = learner.put(batch)
    trainer_bl = _rescore_fn(learner)(learner.params, learner.frozen, device)
    mask_bl = device.loss_mask
    metrics = gap_metrics(trainer_bl, device.old_logprobs, mask_bl)
    if correct:
        w_bl, cut_bl = importance_weights(trainer_bl - device.old_logprobs, mask_bl, config)
        n = jnp.maximum(jnp.sum(mask_bl), 1.0)
        metrics["offpolicy/is_weight_mean"] = float(jnp.sum(w_bl) / n)
        metrics[f"offpolicy/{'truncated' if config.mode == 'truncate' else 'masked'}_frac"] = float(
            jnp.sum(cut_bl) / n
        )
        batch = device.replace(old_logprobs=trainer_bl, is_weights=w_bl)
    return {**learner.train_step(batch), **metrics}
