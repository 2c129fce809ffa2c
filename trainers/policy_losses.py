"""Policy-gradient surrogate losses as small frozen objects chosen in a config.

Each object maps the current and rollout log-probs of the sampled tokens and their advantages to
a per-token loss (reduced by `agentrl.trainers.losses.token_weights`) plus the ratio statistics
the learners log. In YAML: ``policy_loss: {kind: ppo_clip, eps_low: 0.2, eps_high: 0.28}``.
"""

from __future__ import annotations

from typing import Annotated, Literal, NamedTuple

import jax
import jax.numpy as jnp
from pydantic import BaseModel, ConfigDict, Field

from .logprobs import masked_mean

_MAX_LOG_RATIO = 20.0


class PolicyLossOutput(NamedTuple):
    """A policy loss's per-token loss, the importance ratio and where clipping bit."""

    loss_bl: jax.Array
    ratio_bl: jax.Array
    clipped_bl: jax.Array  # 1.0 where the clipped branch of the min was taken


def _clipped_surrogate(
    ratio_bl: jax.Array, adv_bl: jax.Array, eps_low: float, eps_high: float
) -> PolicyLossOutput:
    """``l = -min(rho A, clip(rho, 1 - eps_low, 1 + eps_high) A)``."""
    clipped_ratio_bl = jnp.clip(ratio_bl, 1.0 - eps_low, 1.0 + eps_high)
    unclipped_bl = ratio_bl * adv_bl
    loss_bl = -jnp.minimum(unclipped_bl, clipped_ratio_bl * adv_bl)
    clipped_bl = ((adv_bl > 0) & (ratio_bl > 1.0 + eps_high)) | (
        (adv_bl < 0) & (ratio_bl < 1.0 - eps_low)
    )
    return PolicyLossOutput(loss_bl, ratio_bl, clipped_bl.astype(jnp.float32))


class PPOClip(BaseModel):
    """PPO's clipped ratio per token; ``eps_high > eps_low`` is DAPO's clip-higher.

    ``rho_t = exp(log pi(y_t) - log pi_old(y_t))``,
    ``l_t = -min(rho_t A_t, clip(rho_t, 1 - eps_low, 1 + eps_high) A_t)``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["ppo_clip"] = "ppo_clip"
    eps_low: float = Field(
        default=0.2, gt=0, lt=1, description="lower clip range: rho >= 1 - eps_low"
    )
    eps_high: float = Field(default=0.2, gt=0, description="upper clip range: rho <= 1 + eps_high")

    def __call__(
        self, logp_bl: jax.Array, old_logp_bl: jax.Array, adv_bl: jax.Array, mask_bl: jax.Array
    ) -> PolicyLossOutput:
        """Per-token clipped surrogate; `mask_bl` is unused (the ratio is per token)."""
        log_ratio_bl = jnp.clip(logp_bl - old_logp_bl, -_MAX_LOG_RATIO, _MAX_LOG_RATIO)
        return _clipped_surrogate(jnp.exp(log_ratio_bl), adv_bl, self.eps_low, self.eps_high)


class GSPO(BaseModel):
    """GSPO: one importance ratio per sequence, the geometric mean of its token ratios.

    ``s_b = exp(mean_t m_t (log pi(y_t) - log pi_old(y_t)))``. The loss uses the token form
    ``s_{b,t} = sg(s_b) exp(log pi(y_t) - sg(log pi(y_t)))``: its value is ``s_b`` at every
    token and its gradient is the sequence ratio's, so with sequence-constant advantages and
    ``seq_mean`` aggregation it is exactly GSPO's ``-mean_b min(s_b A_b, clip(s_b) A_b)``.
    Clip ranges are small because the ratio is a per-token geometric mean.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["gspo"] = "gspo"
    eps_low: float = Field(default=3e-4, gt=0, lt=1, description="lower clip range of s")
    eps_high: float = Field(default=4e-4, gt=0, description="upper clip range of s")

    def __call__(
        self, logp_bl: jax.Array, old_logp_bl: jax.Array, adv_bl: jax.Array, mask_bl: jax.Array
    ) -> PolicyLossOutput:
        """Per-token form of the sequence-level clipped surrogate."""
        log_s_b = masked_mean(logp_bl - old_logp_bl, mask_bl, axis=-1)
        log_s_b = jnp.clip(log_s_b, -_MAX_LOG_RATIO, _MAX_LOG_RATIO)
        ratio_bl = jnp.exp(jax.lax.stop_gradient(log_s_b)[:, None]) * jnp.exp(
            logp_bl - jax.lax.stop_gradient(logp_bl)
        )
        return _clipped_surrogate(ratio_bl, adv_bl, self.eps_low, self.eps_high)


PolicyLoss = Annotated[PPOClip | GSPO, Field(discriminator="kind")]
