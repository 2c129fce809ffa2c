"""DPO (sigmoid, IPO, hinge) from offline preference pairs or online pairs from rollouts.

    learner = DPOLearner(DPOConfig(beta=0.1), model)
    pairs = read_preference_jsonl("prefs.jsonl", tokenizer)       # offline
    pairs = online_pairs(rollout_result.trajectories)            # best vs worst of each group
    metrics = learner.train_step(pairs)

A batch interleaves the pairs' sequences, chosen then rejected (rows ``2p`` and ``2p + 1``), so
a split into micro-batches of an even number of rows keeps every pair together. The loss reads
only the responses' tokens (the loss mask), summed into sequence log-probs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
from flax import nnx
from jax.sharding import Mesh
from pydantic import Field

from agentrl.errors import ConfigError
from agentrl.trajectory import Trajectory

from .batching import TokenBatch, pack_sequences
from .data import PreferencePair, SequenceExample
from .dpo_losses import DPOLossKind, PreferenceLogprobs, dpo_loss
from .learner import (
    Bundle,
    Learner,
    LearnerConfig,
    Metrics,
    ReferencePolicy,
    UpdateConfig,
    forward_logprobs,
)
from .logprobs import sequence_logprobs


class DPOConfig(LearnerConfig):
    """Direct preference optimization."""

    loss: DPOLossKind = Field(default="sigmoid", description="sigmoid (DPO), ipo or hinge")
    beta: float = Field(default=0.1, gt=0, description="inverse temperature of the margin")
    label_smoothing: float = Field(
        default=0.0, ge=0, lt=0.5, description="chance a label is flipped (sigmoid only)"
    )


def online_pairs(
    trajectories: Sequence[Trajectory], min_margin: float = 0.0
) -> list[PreferencePair]:
    """Best against worst episode of each group, where their rewards differ by > `min_margin`.

    Multi-turn episodes keep their own loss masks, so env and tool tokens stay out of the loss.
    """
    groups: dict[str, list[Trajectory]] = {}
    for t in trajectories:
        if t.group_id is not None:
            groups.setdefault(t.group_id, []).append(t)
    pairs = []
    for members in groups.values():
        best = max(members, key=lambda t: t.reward)
        worst = min(members, key=lambda t: t.reward)
        if best.reward - worst.reward > min_margin:
            pairs.append(
                PreferencePair(
                    SequenceExample(best.token_ids, best.loss_mask),
                    SequenceExample(worst.token_ids, worst.loss_mask),
                )
            )
    return pairs


class DPOLearner(Learner):
    """Preference learning against a frozen reference.

    Args:
        config: the `DPOConfig`.
        model: the policy, updated in place.
        ref_model: the reference (default: a frozen copy of the starting parameters, or the
            base model when the policy carries LoRA adapters).
        mesh: optional ``(data, fsdp, tp)`` mesh.
        update: micro-batching and optimizer precision (`UpdateConfig`).
        pad_id: id for padding positions.
    """

    config: DPOConfig

    def __init__(
        self,
        config: DPOConfig,
        model: nnx.Module,
        *,
        ref_model: nnx.Module | None = None,
        mesh: Mesh | None = None,
        update: UpdateConfig | None = None,
        pad_id: int = 0,
    ) -> None:
        super().__init__(config, {"policy": model}, mesh=mesh, update=update)
        rows = self.update_config.micro_batch_rows
        if rows is not None and rows % 2:
            raise ConfigError(
                f"got update.micro_batch_rows={rows}, DPO needs an even number (a pair's "
                "chosen and rejected rows stay in one micro-batch)"
            )
        self.pad_id = pad_id
        self.ref = ReferencePolicy(self, ref_model, temperature=1.0)

    def make_batch(self, pairs: Sequence[PreferencePair]) -> TokenBatch:
        """Interleave chosen and rejected sequences into a host batch."""
        seqs = [s for p in pairs for s in (p.chosen, p.rejected)]
        return pack_sequences(
            [s.token_ids for s in seqs],
            [s.loss_mask for s in seqs],
            pad_id=self.pad_id,
            buckets=self.config.buckets,
            row_multiple=2 * self.row_multiple,
        )

    def prepare(self, batch: TokenBatch) -> TokenBatch:
        """A device batch with the reference's log-probs filled in."""
        batch = self.put(batch)
        rows = self.update_config.micro_batch_rows
        return batch.replace(ref_logprobs=self.ref.logprobs(batch, rows))

    def prepare_weights(self, batch: TokenBatch) -> TokenBatch:
        has_tokens_b = (jnp.sum(batch.loss_mask, axis=-1) > 0).astype(jnp.float32)
        valid_p = has_tokens_b[0::2] * has_tokens_b[1::2]
        weight_p = valid_p / jnp.maximum(jnp.sum(valid_p), 1.0)
        return batch.replace(weights=jnp.repeat(weight_p, 2))  # one weight per row, pairwise

    def loss(self, bundle: Bundle, batch: TokenBatch, extra: Any) -> tuple[jax.Array, Metrics]:
        c = self.config
        logp_bl = forward_logprobs(bundle.policy, batch)
        seq_b = sequence_logprobs(logp_bl, batch.loss_mask)
        ref_b = sequence_logprobs(batch.ref_logprobs, batch.loss_mask)
        logps = PreferenceLogprobs(seq_b[0::2], seq_b[1::2], ref_b[0::2], ref_b[1::2])
        weight_p = batch.weights[0::2]
        loss_p = dpo_loss(logps, c.loss, c.beta, c.label_smoothing)
        margin_p = logps.margin()
        metrics = {
            "accuracy": jnp.sum(weight_p * (margin_p > 0)),
            "margin": jnp.sum(weight_p * c.beta * margin_p),
            "chosen_reward": jnp.sum(weight_p * c.beta * (logps.chosen_p - logps.ref_chosen_p)),
            "rejected_reward": jnp.sum(
                weight_p * c.beta * (logps.rejected_p - logps.ref_rejected_p)
            ),
        }
        return jnp.sum(weight_p * loss_p), metrics

    def train_step(self, batch: TokenBatch | Sequence[PreferencePair]) -> dict[str, float]:
        """One optimizer step on pairs, a `make_batch` result or a `prepare`d batch."""
        if not isinstance(batch, TokenBatch):
            batch = self.make_batch(batch)
        return self.apply_update(self.ready(batch))

    def ready(self, batch: TokenBatch) -> TokenBatch:
        return self.prepare(batch) if batch.ref_logprobs is None else self.put(batch)
