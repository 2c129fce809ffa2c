"""Advantage estimators (small frozen objects chosen in a config) and GAE.

Every estimator maps episode rewards to per-token advantages ``[B, L]``:
``estimator(rewards_b, group_ids_b, mask_bl, kl_bl=None, *, num_groups)``. Rows whose mask is
empty (batch padding) get zero advantage and take no part in any statistic. ``group_ids_b`` are
ints in ``[0, num_groups)``; rows sharing an id were sampled from the same prompt.
"""

from __future__ import annotations

from typing import Annotated, Literal

import jax
import jax.numpy as jnp
from pydantic import BaseModel, ConfigDict, Field


def _group_stats(
    rewards_b: jax.Array, group_ids_b: jax.Array, valid_b: jax.Array, num_groups: int
) -> tuple[jax.Array, jax.Array, jax.Array]:
    """Per-row group size ``n``, group mean and unbiased group std (0 for groups of one)."""
    seg = jax.ops.segment_sum
    count_g = seg(valid_b, group_ids_b, num_segments=num_groups)
    mean_g = seg(rewards_b * valid_b, group_ids_b, num_segments=num_groups) / jnp.maximum(
        count_g, 1.0
    )
    sq_dev_b = jnp.square(rewards_b - mean_g[group_ids_b]) * valid_b
    var_g = seg(sq_dev_b, group_ids_b, num_segments=num_groups) / jnp.maximum(count_g - 1.0, 1.0)
    return count_g[group_ids_b], mean_g[group_ids_b], jnp.sqrt(var_g)[group_ids_b]


def _broadcast(adv_b: jax.Array, mask_bl: jax.Array) -> jax.Array:
    return adv_b[:, None] * mask_bl


def _valid(mask_bl: jax.Array) -> jax.Array:
    return (jnp.sum(mask_bl, axis=-1) > 0).astype(jnp.float32)


class GroupNormalized(BaseModel):
    """GRPO: ``A_i = (r_i - mean_g r) / (std_g r + eps)`` over the ``n`` episodes of a group.

    ``std`` is the unbiased (``n - 1``) standard deviation. ``scale_by_std=False`` is Dr.GRPO's
    ``A_i = r_i - mean_g r``, which does not up-weight groups whose rewards barely differ.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["grpo"] = "grpo"
    scale_by_std: bool = True
    eps: float = Field(default=1e-6, gt=0, description="added to the std before dividing")

    def __call__(self, rewards_b, group_ids_b, mask_bl, kl_bl=None, *, num_groups: int):
        valid_b = _valid(mask_bl)
        _, mean_b, std_b = _group_stats(rewards_b, group_ids_b, valid_b, num_groups)
        adv_b = rewards_b - mean_b
        if self.scale_by_std:
            adv_b = adv_b / (std_b + self.eps)
        return _broadcast(adv_b * valid_b, mask_bl)


class DrGRPO(GroupNormalized):
    """Dr.GRPO's estimator: the group-mean baseline without the std division."""

    kind: Literal["dr_grpo"] = "dr_grpo"  # type: ignore[assignment]
    scale_by_std: bool = False


class RLOO(BaseModel):
    """REINFORCE leave-one-out: ``A_i = r_i - mean_{j != i} r_j = n/(n-1) (r_i - mean_g r)``.

    Groups of one have no baseline and get zero advantage.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["rloo"] = "rloo"

    def __call__(self, rewards_b, group_ids_b, mask_bl, kl_bl=None, *, num_groups: int):
        valid_b = _valid(mask_bl)
        count_b, mean_b, _ = _group_stats(rewards_b, group_ids_b, valid_b, num_groups)
        scale_b = jnp.where(count_b > 1, count_b / jnp.maximum(count_b - 1.0, 1.0), 0.0)
        return _broadcast(scale_b * (rewards_b - mean_b) * valid_b, mask_bl)


class ReinforcePlusPlus(BaseModel):
    """REINFORCE++: returns normalized over every policy token of the batch (no critic).

    Per token, the return is the episode reward less the KL still to come (discount 1):
    ``G_{b,t} = r_b - kl_coef * sum_{s >= t} m_{b,s} kl_{b,s}``; then
    ``A = (G - mean(G)) / (std(G) + eps)`` with mean and std over the masked tokens of the whole
    batch. ``kl_coef=0`` (or no `kl_bl`) gives batch-normalized episode rewards.
    ``group_baseline=True`` first subtracts each group's mean reward (REINFORCE++-baseline).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["reinforce_pp"] = "reinforce_pp"
    kl_coef: float = Field(
        default=0.0, ge=0, description="per-token KL penalty folded into the return"
    )
    group_baseline: bool = False
    eps: float = Field(default=1e-6, gt=0)

    def __call__(self, rewards_b, group_ids_b, mask_bl, kl_bl=None, *, num_groups: int):
        mask_bl = mask_bl.astype(jnp.float32)
        valid_b = _valid(mask_bl)
        if self.group_baseline:
            _, mean_b, _ = _group_stats(rewards_b, group_ids_b, valid_b, num_groups)
            rewards_b = rewards_b - mean_b
        returns_bl = rewards_b[:, None] * mask_bl
        if kl_bl is not None and self.kl_coef > 0:
            kl_to_go_bl = jnp.flip(jnp.cumsum(jnp.flip(kl_bl * mask_bl, -1), axis=-1), -1)
            returns_bl = returns_bl - self.kl_coef * kl_to_go_bl * mask_bl
        count = jnp.maximum(jnp.sum(mask_bl), 1.0)
        mean = jnp.sum(returns_bl * mask_bl) / count
        std = jnp.sqrt(jnp.sum(jnp.square(returns_bl - mean) * mask_bl) / count)
        return (returns_bl - mean) / (std + self.eps) * mask_bl


AdvantageEstimator = Annotated[
    GroupNormalized | DrGRPO | RLOO | ReinforcePlusPlus, Field(discriminator="kind")
]


def gae(
    rewards_bl: jax.Array,
    values_bl: jax.Array,
    mask_bl: jax.Array,
    gamma: float,
    lam: float,
) -> tuple[jax.Array, jax.Array]:
    """Generalized advantage estimation over each row's policy tokens, by a reverse `lax.scan`.

    The timesteps are the masked positions in order; unmasked positions (prompt, env and tool
    tokens between turns) are skipped: they output 0 and pass the running values through. With
    ``t+1`` the next policy token (none after the last, where ``V = 0``):
    ``delta_t = r_t + gamma V_{t+1} - V_t``, ``A_t = delta_t + gamma lam A_{t+1}``,
    ``R_t = A_t + V_t``.

    Returns:
        ``(advantages_bl, returns_bl)``, both 0 where the mask is 0.
    """
    mask_bl = mask_bl.astype(jnp.float32)

    def step(carry, inputs):
        next_value_b, next_adv_b = carry
        reward_b, value_b, m_b = inputs
        delta_b = reward_b + gamma * next_value_b - value_b
        adv_b = delta_b + gamma * lam * next_adv_b
        keep = m_b > 0
        carry = (jnp.where(keep, value_b, next_value_b), jnp.where(keep, adv_b, next_adv_b))
        return carry, jnp.where(keep, adv_b, 0.0)

    batch = rewards_bl.shape[0]
    init = (jnp.zeros(batch, jnp.float32), jnp.zeros(batch, jnp.float32))
    xs = (rewards_bl.T.astype(jnp.float32), values_bl.T.astype(jnp.float32), mask_bl.T)
    _, adv_lb = jax.lax.scan(step, init, xs, reverse=True)
    advantages_bl = adv_lb.T
    return advantages_bl, (advantages_bl + values_bl) * mask_bl
