"""GRPO and its variants (Dr.GRPO, DAPO, GSPO, RLOO, REINFORCE++) as one learner.

    learner = GRPOLearner(GRPOConfig(kl_coef=0.001, optimizer={"lr": 1e-6}), model)
    metrics = learner.train_step(rollout_result.trajectories)  # groups share a group_id

One `train_step` takes one rollout batch: it computes reference log-probs (when a KL term needs
them) and advantages once, then runs ``num_inner_epochs`` passes of ``num_minibatches`` optimizer
steps, every one reusing the rollout's log-probs as ``pi_old``. The variants are config choices,
named by ``variant`` (``GRPOConfig(variant="dapo")``, ``grpo: {variant: dapo}`` in YAML,
``--set grpo.variant=dapo``), which fills the fields below that are not given explicitly:

- ``grpo``: `GroupNormalized` advantages, `PPOClip` (0.2), ``seq_mean``.
- ``dr_grpo``: `DrGRPO` advantages (no std division), ``token_sum`` over a constant budget,
  which ``norm_constant`` must give (e.g. the rollout's ``max_tokens``).
- ``dapo``: clip-higher `PPOClip` (0.2 / 0.28), ``token_mean``, dynamic sampling, overlong
  filtering.
- ``gspo``: the sequence-level ratio (`GSPO`), ``seq_mean``.
- ``rloo`` / ``reinforce_pp``: `RLOO` / `ReinforcePlusPlus` advantages (the latter's ``kl_coef``
  folds a KL penalty into the return).

A field given explicitly wins over the variant (``variant: dapo, dynamic_sampling: false`` is DAPO
without dynamic sampling), and a partial ``policy_loss``/``advantage`` mapping of the same kind
is merged into the variant's (``variant: dapo, policy_loss: {eps_high: 0.3}``). A dumped config
(`model_dump`) leaves out the fields equal to its variant's values, so it reloads to an equal
config and a changed ``variant`` in a loaded file or an override takes effect.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx
from jax.sharding import Mesh
from pydantic import (
    BaseModel,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
    model_validator,
)

from agentrl.trajectory import Trajectory

from .advantages import RLOO, AdvantageEstimator, DrGRPO, GroupNormalized, ReinforcePlusPlus
from .batching import (
    OVERLONG_TERMINATIONS,
    TokenBatch,
    drop_zero_variance_groups,
    trajectories_to_batch,
)
from .learner import (
    Bundle,
    Learner,
    LearnerConfig,
    Metrics,
    ReferencePolicy,
    UpdateConfig,
    forward_logprobs,
    forward_token_stats,
)
from .losses import Aggregation, KLEstimator, kl_penalty, token_weights
from .policy_losses import GSPO, PolicyLoss, PPOClip


class RLConfig(LearnerConfig):
    """Fields shared by the on-policy RL learners (GRPO, PPO)."""

    policy_loss: PolicyLoss = Field(default=PPOClip(), description="surrogate objective")
    aggregation: Aggregation = Field(default="seq_mean", description="how token losses are reduced")
    norm_constant: float | None = Field(
        default=None, gt=0, description="C of token_sum aggregation (e.g. max completion tokens)"
    )
    kl_coef: float = Field(default=0.0, ge=0, description="weight of the KL-to-reference loss term")
    kl_estimator: KLEstimator = Field(default="k3", description="k1, k2 or k3")
    entropy_coef: float = Field(default=0.0, ge=0, description="entropy bonus weight")
    num_inner_epochs: int = Field(
        default=1, ge=1, description="passes over each rollout batch (mu)"
    )
    num_minibatches: int = Field(default=1, ge=1, description="optimizer steps per pass")
    temperature: float = Field(
        default=1.0,
        gt=0,
        description="the rollout's sampling temperature, which log-probs are scored at "
        "(agentrl train sets it from rollout.temperature)",
    )
    recompute_old_logprobs: bool = Field(
        default=False, description="score pi_old with the trainer instead of using the sampler's"
    )
    overlong_filter: bool = Field(default=False, description="mask episodes cut by a length limit")
    overlong_terminations: tuple[str, ...] = OVERLONG_TERMINATIONS

    @model_validator(mode="after")
    def _check_aggregation(self) -> RLConfig:
        if self.aggregation == "token_sum" and self.norm_constant is None:
            raise ValueError("got aggregation='token_sum' with norm_constant=None, need > 0")
        return self


Variant = Literal["grpo", "dr_grpo", "dapo", "gspo", "rloo", "reinforce_pp"]

# What each variant sets; the fields a variant leaves out keep GRPOConfig's defaults.
VARIANTS: dict[str, dict[str, Any]] = {
    "grpo": {},
    "dr_grpo": {"advantage": DrGRPO(), "aggregation": "token_sum"},
    "dapo": {
        "policy_loss": PPOClip(eps_low=0.2, eps_high=0.28),
        "aggregation": "token_mean",
        "dynamic_sampling": True,
        "overlong_filter": True,
    },
    "gspo": {"policy_loss": GSPO(), "aggregation": "seq_mean"},
    "rloo": {"advantage": RLOO()},
    "reinforce_pp": {"advantage": ReinforcePlusPlus()},
}
VARIANT_FIELDS = ("advantage", "policy_loss", "aggregation", "dynamic_sampling", "overlong_filter")


class GRPOConfig(RLConfig):
    """Critic-free group RL."""

    variant: Variant = Field(
        default="grpo",
        description="grpo, dr_grpo (needs norm_constant), dapo, gspo, rloo or reinforce_pp: fills "
        "advantage, policy_loss, aggregation, dynamic_sampling and overlong_filter where not given",
    )
    advantage: AdvantageEstimator = Field(
        default=GroupNormalized(), description="grpo, dr_grpo, rloo or reinforce_pp"
    )
    dynamic_sampling: bool = Field(
        default=False, description="drop groups whose rewards are all equal"
    )

    @classmethod
    def variant_values(cls, variant: str) -> dict[str, Any]:
        """The value of every variant-set field under `variant` (its own or the default)."""
        if variant not in VARIANTS:
            raise ValueError(f"got variant={variant!r}, need one of {', '.join(VARIANTS)}")
        defaults = {name: cls.model_fields[name].default for name in VARIANT_FIELDS}
        return {**defaults, **VARIANTS[variant]}

    @model_validator(mode="before")
    @classmethod
    def _apply_variant(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        variant = data.get("variant", "grpo")
        if not isinstance(variant, str) or variant not in VARIANTS:
            return data  # the field's own validation names the bad value
        out = dict(data)
        for name, value in cls.variant_values(variant).items():
            given = out.get(name)
            if name not in out:
                out[name] = value
            elif (
                isinstance(value, BaseModel)
                and isinstance(given, dict)
                and given.get("kind", value.kind) == value.kind  # type: ignore[attr-defined]
            ):
                out[name] = {**value.model_dump(), **given}
        from_variant = "aggregation" not in data and out["aggregation"] == "token_sum"
        if from_variant and out.get("norm_constant") is None:
            raise ValueError(
                f"variant {variant!r} sums token losses over a "
                "constant budget: need norm_constant > 0 (e.g. the rollout's max_tokens), got None"
            )
        return out

    @model_serializer(mode="wrap")
    def _dump(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # Leave out what the variant gives, so that a changed `variant` in the dump takes effect.
        data = handler(self)
        for name, value in self.variant_values(self.variant).items():
            if getattr(self, name) == value:
                data.pop(name, None)
        return data

    @classmethod
    def dr_grpo(cls, max_tokens: int, **overrides: Any) -> GRPOConfig:
        """Dr.GRPO: mean-only baseline, token sums over a constant `max_tokens` budget."""
        return cls(**{"variant": "dr_grpo", "norm_constant": float(max_tokens), **overrides})

    @classmethod
    def dapo(cls, **overrides: Any) -> GRPOConfig:
        """DAPO: clip-higher (0.2 / 0.28), token-level loss, dynamic sampling, overlong filter."""
        return cls(**{"variant": "dapo", **overrides})

    @classmethod
    def gspo(cls, **overrides: Any) -> GRPOConfig:
        """GSPO: sequence-level importance ratio, sequence-mean loss."""
        return cls(**{"variant": "gspo", **overrides})


def policy_loss_terms(
    config: RLConfig, entropy_bl: jax.Array, logp_bl: jax.Array, batch: TokenBatch
) -> tuple[jax.Array, Metrics]:
    """The per-token policy objective (surrogate + KL + entropy bonus) and its metrics, from
    the tempered policy's target log-probs and entropies."""
    out = config.policy_loss(logp_bl, batch.old_logprobs, batch.advantages, batch.loss_mask)
    mw, mask = batch.metric_weights, batch.loss_mask > 0
    per_token_bl = out.loss_bl
    metrics = {
        "pg_loss": jnp.sum(batch.weights * out.loss_bl),
        "clip_frac": jnp.sum(mw * out.clipped_bl),
        "ratio_mean": jnp.sum(mw * out.ratio_bl),
        "ratio_max": jnp.max(jnp.where(mask, out.ratio_bl, -jnp.inf)),
        "ratio_min": jnp.min(jnp.where(mask, out.ratio_bl, jnp.inf)),
        "entropy": jnp.sum(mw * jax.lax.stop_gradient(entropy_bl)),
    }
    if batch.ref_logprobs is not None:
        kl_bl = kl_penalty(logp_bl, batch.ref_logprobs, config.kl_estimator)
        metrics["kl"] = jnp.sum(mw * kl_bl)
        per_token_bl = per_token_bl + config.kl_coef * kl_bl
    if config.entropy_coef > 0:
        per_token_bl = per_token_bl - config.entropy_coef * entropy_bl
    return per_token_bl, metrics


def mean_metrics(records: Sequence[dict[str, float]]) -> dict[str, float]:
    """Average per-step metrics over a train_step's updates (max/min for ``_max``/``_min``)."""
    out = {}
    for key in records[0]:
        values = [r[key] for r in records]
        reduce = max if key.endswith("_max") else min if key.endswith("_min") else np.mean
        out[key] = float(reduce(values))
    out["grad_norm_last"] = records[-1]["grad_norm"]
    return out


def reward_metrics(batch: TokenBatch) -> dict[str, float]:
    """Reward and advantage statistics over the real rows of a (host or device) batch."""
    from agentrl.infra.distributed import gather_to_host

    # Full values even where the batch spans processes (a collective there).
    mask, rewards, adv = gather_to_host((batch.loss_mask, batch.rewards, batch.advantages))
    real = mask.sum(-1) > 0
    rewards, adv = rewards[real], adv[mask > 0]
    return {
        "reward_mean": float(rewards.mean()) if rewards.size else 0.0,
        "reward_std": float(rewards.std()) if rewards.size else 0.0,
        "adv_mean": float(adv.mean()) if adv.size else 0.0,
        "adv_abs_mean": float(np.abs(adv).mean()) if adv.size else 0.0,
        "policy_tokens": float(mask.sum()),
        "rows": float(real.sum()),
    }


class RLLearner(Learner):
    """What GRPO and PPO share: batching, reference, the minibatch/epoch loop."""

    config: RLConfig

    def _setup_rl(self, ref_model: nnx.Module | None, pad_id: int, needs_ref: bool) -> None:
        self.pad_id = pad_id
        self.ref = ReferencePolicy(self, ref_model, self.config.temperature) if needs_ref else None
        self._prepare = jax.jit(self._prepare_fn)

    def make_batch(self, trajectories: Sequence[Trajectory]) -> TokenBatch | None:
        """A host batch from a rollout (None when dynamic sampling dropped every group)."""
        if getattr(self.config, "dynamic_sampling", False):
            trajectories = drop_zero_variance_groups(trajectories)
        if not trajectories:
            return None
        c = self.config
        return trajectories_to_batch(
            trajectories,
            pad_id=self.pad_id,
            buckets=c.buckets,
            row_multiple=self.row_multiple * c.num_minibatches,
            overlong_filter=c.overlong_filter,
            overlong_terminations=c.overlong_terminations,
        )

    def prepare_weights(self, batch: TokenBatch) -> TokenBatch:
        c = self.config
        weights = token_weights(batch.loss_mask, c.aggregation, c.norm_constant)
        if batch.is_weights is not None:  # truncated importance sampling (`off_policy`)
            weights = weights * batch.is_weights
        return batch.replace(
            weights=weights,
            metric_weights=token_weights(batch.loss_mask, "token_mean"),
        )

    def _prepare_fn(self, params, frozen, batch: TokenBatch, ref_logp_bl) -> TokenBatch:
        raise NotImplementedError

    def prepare(self, batch: TokenBatch) -> TokenBatch:
        """A device batch with reference log-probs, ``pi_old`` and advantages filled in."""
        batch = self.put(batch)
        ref_logp_bl = None
        if self.ref is not None:
            ref_logp_bl = self.ref.logprobs(batch, self.update_config.micro_batch_rows)
        return self._prepare(self.params, self.frozen, batch, ref_logp_bl)

    def ready(self, batch: TokenBatch) -> TokenBatch:
        return self.prepare(batch) if batch.advantages is None else self.put(batch)

    def train_step(self, batch: TokenBatch | Sequence[Trajectory]) -> dict[str, float]:
        """Learn from one rollout batch: trajectories, a `make_batch` result, or a batch that
        `prepare` already filled (then its advantages and ``pi_old`` are used as they are)."""
        if not isinstance(batch, TokenBatch):
            made = self.make_batch(batch)
            if made is None:
                return {"skipped": 1.0}
            batch = made
        batch = self.ready(batch)
        c = self.config
        rows = batch.num_rows // c.num_minibatches
        minibatches = [batch.rows(i * rows, (i + 1) * rows) for i in range(c.num_minibatches)]
        # A minibatch of padding rows only would still move Adam's momentum: skip it.
        minibatches = [mb for mb in minibatches if float(jnp.sum(mb.loss_mask)) > 0]
        if not minibatches:
            return {"skipped": 1.0, **reward_metrics(batch)}
        records = []
        for _ in range(c.num_inner_epochs):
            for mb in minibatches:
                records.append(self.apply_update(mb))
        return {**mean_metrics(records), **reward_metrics(batch)}


class GRPOLearner(RLLearner):
    """Group-relative policy optimization (see the module docstring for the variants).

    Args:
        config: the `GRPOConfig`.
        model: the policy (NNX causal LM), updated in place.
        ref_model: the KL reference; default: a frozen copy of the starting parameters, or
            the base model when the policy carries LoRA adapters (adapters off). Only built
            when a KL term is on.
        mesh: optional ``(data, fsdp, tp)`` mesh.
        update: micro-batching and optimizer precision (`UpdateConfig`).
        pad_id: id for padding positions.
    """

    config: GRPOConfig

    def __init__(
        self,
        config: GRPOConfig,
        model: nnx.Module,
        *,
        ref_model: nnx.Module | None = None,
        mesh: Mesh | None = None,
        update: UpdateConfig | None = None,
        pad_id: int = 0,
    ) -> None:
        super().__init__(config, {"policy": model}, mesh=mesh, update=update)
        adv = config.advantage
        kl_in_reward = isinstance(adv, ReinforcePlusPlus) and adv.kl_coef > 0
        self._setup_rl(ref_model, pad_id, config.kl_coef > 0 or kl_in_reward)

    def _prepare_fn(self, params, frozen, batch: TokenBatch, ref_logp_bl) -> TokenBatch:
        """Reference and old log-probs, then advantages, once per rollout batch."""
        c = self.config
        old_bl = batch.old_logprobs
        if c.recompute_old_logprobs:
            old_bl = forward_logprobs(self._merged(params, frozen).policy, batch, c.temperature)
        old_bl = old_bl * batch.loss_mask
        kl_bl = None if ref_logp_bl is None else (old_bl - ref_logp_bl) * batch.loss_mask
        adv_bl = c.advantage(
            batch.rewards, batch.group_ids, batch.loss_mask, kl_bl, num_groups=batch.num_rows
        )
        return batch.replace(old_logprobs=old_bl, ref_logprobs=ref_logp_bl, advantages=adv_bl)

    def loss(self, bundle: Bundle, batch: TokenBatch, extra: Any) -> tuple[jax.Array, Metrics]:
        logp_bl, entropy_bl, _ = forward_token_stats(
            bundle.policy, batch, self.config.temperature, entropy=True
        )
        assert entropy_bl is not None  # asked for
        per_token_bl, metrics = policy_loss_terms(self.config, entropy_bl, logp_bl, batch)
        return jnp.sum(batch.weights * per_token_bl), metrics
