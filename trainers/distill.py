"""Distillation from a frozen teacher: logits (forward KL), features (hidden MSE), on-policy.

    learner = DistillLearner(DistillConfig(mode="logit", temperature=2.0), student, teacher)
    metrics = learner.train_step([chat_example(tok, m) for m in data])     # logit / feature
    metrics = learner.train_step(student_rollout.trajectories)             # on_policy

- ``logit``: ``tau^2 KL(p_teacher || q_student)`` on every loss-masked token of given data.
- ``feature``: MSE between the student's final hidden states, projected by a learned linear map
  when the widths differ, and the teacher's.
- ``on_policy``: reverse KL ``KL(q_student || p_teacher)`` on the tokens the student itself
  sampled (its trajectories' policy tokens), the mode-seeking objective of on-policy distillation.

``ce_coef > 0`` adds the usual cross-entropy on the data's own tokens.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import jax
import jax.numpy as jnp
from flax import nnx
from jax.sharding import Mesh
from pydantic import Field

from agentrl.errors import ConfigError
from agentrl.trajectory import Trajectory

from .batching import TokenBatch, pack_sequences
from .data import SequenceExample
from .distill_losses import feature_mse, forward_kl, reverse_kl
from .learner import Bundle, Learner, LearnerConfig, Metrics, UpdateConfig
from .logprobs import over_position_chunks, positions_per_chunk, token_logprobs
from .losses import token_weights, weighted_nll


class DistillConfig(LearnerConfig):
    """Teacher-to-student distillation."""

    mode: Literal["logit", "feature", "on_policy"] = Field(
        default="logit", description="logit (forward KL), feature (hidden MSE), on_policy"
    )
    temperature: float = Field(default=1.0, gt=0, description="softens both distributions")
    ce_coef: float = Field(default=0.0, ge=0, description="weight of plain cross-entropy")


class DistillLearner(Learner):
    """Trains `student` toward a frozen `teacher`.

    Args:
        config: the `DistillConfig`.
        student: the model trained (in place).
        teacher: the frozen teacher; same vocabulary for the logit modes, any width.
        mesh: optional ``(data, fsdp, tp)`` mesh.
        update: micro-batching and optimizer precision (`UpdateConfig`).
        pad_id: id for padding positions.
    """

    config: DistillConfig

    def __init__(
        self,
        config: DistillConfig,
        student: nnx.Module,
        teacher: nnx.Module,
        *,
        mesh: Mesh | None = None,
        update: UpdateConfig | None = None,
        pad_id: int = 0,
    ) -> None:
        s_cfg, t_cfg = student.config, teacher.config  # type: ignore[attr-defined]
        if config.mode != "feature" and s_cfg.vocab_size != t_cfg.vocab_size:
            raise ConfigError(
                f"got student vocab_size={s_cfg.vocab_size} and teacher "
                f"vocab_size={t_cfg.vocab_size}; mode={config.mode!r} needs them equal"
            )
        modules: dict[str, nnx.Module] = {"policy": student}
        if config.mode == "feature" and s_cfg.hidden_size != t_cfg.hidden_size:
            modules["projection"] = nnx.Linear(
                s_cfg.hidden_size, t_cfg.hidden_size, rngs=nnx.Rngs(config.seed)
            )
        super().__init__(config, modules, mesh=mesh, update=update)
        if mesh is not None:
            from agentrl.models.sharding import shard_model

            shard_model(teacher, mesh)
        self.pad_id = pad_id
        teacher_split: Any = nnx.split(teacher)
        self._teacher_graphdef, self.teacher_state = teacher_split[0], teacher_split[1]

    def make_batch(
        self, examples: Sequence[SequenceExample | Trajectory | tuple[list[int], list[int]]]
    ) -> TokenBatch:
        """Pad data examples (or the student's trajectories, for on_policy) into a host batch."""
        ids, masks = [], []
        for ex in examples:
            token_ids, mask = ex if isinstance(ex, tuple) else (ex.token_ids, ex.loss_mask)
            ids.append(token_ids)
            masks.append(mask)
        return pack_sequences(
            ids,
            masks,
            pad_id=self.pad_id,
            buckets=self.config.buckets,
            row_multiple=self.row_multiple,
        )

    def prepare_weights(self, batch: TokenBatch) -> TokenBatch:
        return batch.replace(weights=token_weights(batch.loss_mask, "token_mean"))

    def loss(self, bundle: Bundle, batch: TokenBatch, extra: Any) -> tuple[jax.Array, Metrics]:
        c = self.config
        call = dict(attention_mask=batch.attention_mask)
        teacher, student = nnx.merge(self._teacher_graphdef, extra), bundle.policy
        t_hidden_bld = jax.lax.stop_gradient(
            teacher.hidden(batch.input_ids, batch.positions, **call)
        )
        s_hidden_bld = student.hidden(batch.input_ids, batch.positions, **call)

        def per_position(s_h: jax.Array, t_h: jax.Array, y: jax.Array) -> tuple[jax.Array, ...]:
            """(distillation term, student log-prob of the target) of a chunk of positions:
            the logit modes project both models' hidden states here, a chunk at a time."""
            s_logits = student.head(s_h)
            logp = token_logprobs(s_logits, y) if c.ce_coef > 0 else jnp.zeros(y.shape)
            if c.mode == "feature":
                projected = bundle.projection(s_h) if hasattr(bundle, "projection") else s_h
                return feature_mse(projected, t_h), logp
            t_logits = jax.lax.stop_gradient(teacher.head(t_h))
            kl = forward_kl if c.mode == "logit" else reverse_kl
            return kl(s_logits, t_logits, c.temperature), logp

        vocab = max(student.config.vocab_size, teacher.config.vocab_size)
        chunk = positions_per_chunk(batch.num_rows, 2 * vocab)  # both models' logits at once
        per_token_bl, logp_bl = over_position_chunks(
            per_position, (s_hidden_bld, t_hidden_bld, batch.target_ids), chunk
        )
        distill = jnp.sum(batch.weights * per_token_bl)
        metrics = {"distill_loss": distill}
        loss = distill
        if c.ce_coef > 0:
            nll = weighted_nll(logp_bl, batch.weights)
            metrics["ce_loss"] = nll
            loss = loss + c.ce_coef * nll
        return loss, metrics

    def train_step(self, batch: TokenBatch | Sequence[Any]) -> dict[str, float]:
        """One optimizer step on examples, trajectories or a `make_batch` result."""
        if not isinstance(batch, TokenBatch):
            batch = self.make_batch(batch)
        return self.apply_update(self.put(batch), self.teacher_state)

    def eval_loss(self, batch: TokenBatch, extra: Any = None) -> dict[str, float]:
        """The distillation loss of `batch` under the current student."""
        return super().eval_loss(batch, self.teacher_state if extra is None else extra)
