"""PPO with a learned value function: GAE advantages, clipped value loss, KL penalty in reward.

    learner = PPOLearner(PPOConfig(kl_reward_coef=0.05), model)             # value head
    learner = PPOLearner(PPOConfig(), model, critic=critic_model)           # separate critic
    metrics = learner.train_step(rollout_result.trajectories)

Per token, the reward is the episode reward on the row's last policy token minus a KL penalty
``kl_reward_coef * (log pi_old - log pi_ref)`` on every policy token; GAE (`advantages.gae`)
turns rewards and the critic's values into advantages and returns. The value of a position is a
linear head on the hidden state that predicts the next token: on the policy's own hidden states
(shared backbone) or on a separate critic model's.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
from flax import nnx
from jax.sharding import Mesh
from pydantic import Field

from .advantages import gae
from .batching import TokenBatch
from .grpo import RLConfig, RLLearner, policy_loss_terms
from .learner import Bundle, Metrics, UpdateConfig, forward_token_stats
from .logprobs import masked_mean
from .losses import Aggregation, clipped_value_loss


class PPOConfig(RLConfig):
    """PPO with a critic."""

    aggregation: Aggregation = Field(default="token_mean", description="how token losses reduce")
    gamma: float = Field(default=1.0, ge=0, le=1, description="discount per policy token")
    lam: float = Field(default=0.95, ge=0, le=1, description="GAE lambda")
    vf_coef: float = Field(default=0.5, ge=0, description="weight of the value loss")
    value_clip: float | None = Field(
        default=0.2, gt=0, description="clip values to old +- this; None: no clipping"
    )
    kl_reward_coef: float = Field(
        default=0.0, ge=0, description="per-token KL-to-reference penalty folded into the reward"
    )
    whiten_advantages: bool = Field(
        default=True, description="normalize advantages over the batch's policy tokens"
    )


class ValueHead(nnx.Module):
    """``v = h w + b``: a scalar value per position. ``w`` starts small (values start near 0)
    but not zero, so a separate critic's backbone gets a gradient from the first step."""

    def __init__(self, hidden_size: int, seed: int = 0) -> None:
        key = jax.random.key(seed)
        scale = 0.01 / hidden_size**0.5
        self.kernel = nnx.Param(scale * jax.random.normal(key, (hidden_size, 1), jnp.float32))
        self.bias = nnx.Param(jnp.zeros((1,), jnp.float32))

    def __call__(self, hidden_bld: jax.Array) -> jax.Array:
        return (hidden_bld.astype(jnp.float32) @ self.kernel[...] + self.bias[...])[..., 0]


def last_token_rewards(rewards_b: jax.Array, mask_bl: jax.Array) -> jax.Array:
    """The episode reward placed on each row's last masked position, ``[B, L]``."""
    length = mask_bl.shape[1]
    last_b = length - 1 - jnp.argmax(jnp.flip(mask_bl, axis=1) > 0, axis=1)
    onehot_bl = jax.nn.one_hot(last_b, length) * mask_bl
    return rewards_b[:, None] * onehot_bl


class PPOLearner(RLLearner):
    """Proximal policy optimization with GAE.

    Args:
        config: the `PPOConfig`.
        model: the policy, updated in place.
        critic: a separate model whose hidden states feed the value head; None: the head sits
            on the policy's hidden states and the value loss trains the shared backbone too.
        ref_model: the KL reference (default: frozen copy, or the LoRA base).
        mesh: optional ``(data, fsdp, tp)`` mesh.
        update: micro-batching and optimizer precision (`UpdateConfig`).
        pad_id: id for padding positions.
    """

    config: PPOConfig

    def __init__(
        self,
        config: PPOConfig,
        model: nnx.Module,
        *,
        critic: nnx.Module | None = None,
        ref_model: nnx.Module | None = None,
        mesh: Mesh | None = None,
        update: UpdateConfig | None = None,
        pad_id: int = 0,
    ) -> None:
        backbone = critic if critic is not None else model
        modules: dict[str, nnx.Module] = {
            "policy": model,
            "value_head": ValueHead(backbone.config.hidden_size, config.seed),  # type: ignore[attr-defined]
        }
        if critic is not None:
            modules["critic"] = critic
        self.has_critic = critic is not None
        super().__init__(config, modules, mesh=mesh, update=update)
        needs_ref = config.kl_coef > 0 or config.kl_reward_coef > 0
        self._setup_rl(ref_model, pad_id, needs_ref)

    def _forward(
        self, bundle: Any, batch: TokenBatch, *, entropy: bool
    ) -> tuple[jax.Array | None, jax.Array, jax.Array]:
        """Entropies (when asked), target log-probs and values of a batch (tempered policy)."""
        logp_bl, entropy_bl, hidden_bld = forward_token_stats(
            bundle.policy, batch, self.config.temperature, entropy=entropy
        )
        if self.has_critic:
            hidden_bld = bundle.critic.hidden(
                batch.input_ids, batch.positions, attention_mask=batch.attention_mask
            )
        return entropy_bl, logp_bl, bundle.value_head(hidden_bld)

    def _prepare_fn(self, params, frozen, batch: TokenBatch, ref_logp_bl) -> TokenBatch:
        """Old values, KL-shaped token rewards, GAE advantages and returns."""
        c = self.config
        mask_bl = batch.loss_mask
        _, logp_bl, values_bl = self._forward(self._merged(params, frozen), batch, entropy=False)
        old_bl = logp_bl if c.recompute_old_logprobs else batch.old_logprobs
        old_bl = old_bl * mask_bl
        rewards_bl = last_token_rewards(batch.rewards, mask_bl)
        if ref_logp_bl is not None and c.kl_reward_coef > 0:
            rewards_bl = rewards_bl - c.kl_reward_coef * (old_bl - ref_logp_bl) * mask_bl
        adv_bl, returns_bl = gae(rewards_bl, values_bl, mask_bl, c.gamma, c.lam)
        if c.whiten_advantages:
            mean = masked_mean(adv_bl, mask_bl)
            std = jnp.sqrt(masked_mean(jnp.square(adv_bl - mean), mask_bl))
            adv_bl = (adv_bl - mean) / (std + 1e-6) * mask_bl
        return batch.replace(
            old_logprobs=old_bl,
            ref_logprobs=ref_logp_bl,
            advantages=adv_bl,
            old_values=values_bl * mask_bl,
            returns=returns_bl,
        )

    def loss(self, bundle: Bundle, batch: TokenBatch, extra: Any) -> tuple[jax.Array, Metrics]:
        c = self.config
        entropy_bl, logp_bl, values_bl = self._forward(bundle, batch, entropy=True)
        assert entropy_bl is not None  # asked for
        per_token_bl, metrics = policy_loss_terms(c, entropy_bl, logp_bl, batch)
        value_bl = clipped_value_loss(values_bl, batch.old_values, batch.returns, c.value_clip)
        value_loss = jnp.sum(batch.metric_weights * value_bl)
        metrics["value_loss"] = value_loss
        metrics["value_mean"] = jnp.sum(batch.metric_weights * values_bl)
        return jnp.sum(batch.weights * per_token_bl) + c.vf_coef * value_loss, metrics
