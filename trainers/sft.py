"""Supervised fine-tuning: next-token cross-entropy on assistant tokens, full or LoRA.

learner = SFTLearner(SFTConfig(optimizer={"lr": 1e-4}), model)
batch = learner.make_batch([chat_example(tok, messages) for messages in data])
metrics = learner.train_step(batch)       # {"loss", "grad_norm", "lr", "tokens"}
learner.eval_loss(held_out_batch)["loss"]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
from flax import nnx
from jax.sharding import Mesh
from pydantic import Field

from agentrl.trajectory import Trajectory

from .batching import TokenBatch, pack_sequences
from .data import SequenceExample
from .learner import Bundle, Learner, LearnerConfig, Metrics, UpdateConfig, forward_logprobs
from .losses import Aggregation, token_weights, weighted_nll


class SFTConfig(LearnerConfig):
    """Supervised fine-tuning."""

    aggregation: Aggregation = Field(
        default="token_mean", description="token_mean: every assistant token counts the same"
    )
    norm_constant: float | None = Field(
        default=None, gt=0, description="C of token_sum aggregation"
    )


class SFTLearner(Learner):
    """Cross-entropy on the loss-masked (assistant) tokens of chat sequences.

    Args:
        config: the `SFTConfig`.
        model: the NNX causal LM, updated in place.
        mesh: optional ``(data, fsdp, tp)`` mesh.
        update: micro-batching and optimizer precision (`UpdateConfig`).
        pad_id: id for padding positions.
    """

    def __init__(
        self,
        config: SFTConfig,
        model: nnx.Module,
        *,
        mesh: Mesh | None = None,
        pad_id: int = 0,
        update: UpdateConfig | None = None,
    ) -> None:
        super().__init__(config, {"policy": model}, mesh=mesh, update=update)
        self.config: SFTConfig = config
        self.pad_id = pad_id

    def make_batch(
        self, examples: Sequence[SequenceExample | Trajectory | tuple[list[int], list[int]]]
    ) -> TokenBatch:
        """Pad examples (token ids + loss mask) into a host batch."""
        ids, masks = [], []
        for ex in examples:
            if isinstance(ex, tuple):
                ids.append(ex[0])
                masks.append(ex[1])
            else:
                ids.append(ex.token_ids)
                masks.append(ex.loss_mask)
        return pack_sequences(
            ids,
            masks,
            pad_id=self.pad_id,
            buckets=self.config.buckets,
            row_multiple=self.row_multiple,
        )

    def prepare_weights(self, batch: TokenBatch) -> TokenBatch:
        weights = token_weights(batch.loss_mask, self.config.aggregation, self.config.norm_constant)
        return batch.replace(weights=weights)

    def loss(self, bundle: Bundle, batch: TokenBatch, extra: Any) -> tuple[jax.Array, Metrics]:
        logp_bl = forward_logprobs(bundle.policy, batch)
        loss = weighted_nll(logp_bl, batch.weights)
        return loss, {"tokens": jnp.sum(batch.loss_mask)}

    def train_step(self, batch: TokenBatch | Sequence[Any]) -> dict[str, float]:
        """One optimizer step (in micro-batches, see `UpdateConfig`) on a batch or examples."""
        if not isinstance(batch, TokenBatch):
            batch = self.make_batch(batch)
        return self.apply_update(self.put(batch))
