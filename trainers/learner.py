"""The machinery every learner shares: trainable split, jitted update, accumulation, mesh.

A learner holds one or more NNX modules (the policy, a value head, a projection, ...) in a
`Bundle`, splits them once into trainable parameters and everything else, and runs one jitted,
buffer-donating update per optimizer step::

    params, opt_state, metrics = update(params, opt_state, frozen, extra, batch)

The update first computes full-batch normalizers (`Learner.prepare_weights`), then splits the
batch into ``grad_accum_steps`` micro-batches and sums their gradients with `lax.scan`; since the
per-token weights already carry the whole batch's normalization, 1x8 equals 8x1. After each step
the new parameters are written back into the modules in place, so a sampler holding the model
sees them without a copy.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx
from jax.sharding import Mesh, NamedSharding
from pydantic import Field

from agentrl.config import Config
from agentrl.errors import ConfigError

from .batching import TokenBatch
from .logprobs import chunked_token_stats
from .optim import OptimizerConfig, build_optimizer, learning_rate_schedule

Metrics = dict[str, jax.Array]


class LearnerConfig(Config):
    """Fields every learner has."""

    optimizer: OptimizerConfig = Field(default=OptimizerConfig())
    grad_accum_steps: int = Field(default=1, ge=1, description="micro-batches per optimizer step")
    lora: bool = Field(
        default=False,
        description="train only the policy's LoRA adapters (the model must carry them)",
    )
    buckets: tuple[int, ...] | None = Field(
        default=None, description="allowed padded lengths; None: powers of two from 16"
    )
    seed: int = Field(
        default=0, description="initializes the learner's own heads (value, projection)"
    )


class Bundle(nnx.Module):
    """The modules a learner trains, as named attributes (one NNX graph, shared references)."""

    def __init__(self, modules: Mapping[str, nnx.Module]) -> None:
        for name, module in modules.items():
            setattr(self, name, module)

    def __getattr__(self, name: str) -> Any:  # the named modules, for type checkers
        raise AttributeError(name)


def trainable_filter(lora: bool, model_key: str) -> Any:
    """Every `nnx.Param`; with LoRA, the adapters (`nnx.LoRAParam`) plus every parameter of
    the modules other than `model_key` (value heads and projections are always trained)."""
    if not lora:
        return nnx.Param
    return nnx.Any(nnx.LoRAParam, nnx.All(nnx.Param, nnx.Not(nnx.PathContains(model_key))))


def forward_token_stats(
    model: Any, batch: TokenBatch, temperature: float = 1.0, *, entropy: bool = False
) -> tuple[jax.Array, jax.Array | None, jax.Array]:
    """Log-probs of the batch's targets under `model` (logits divided by `temperature`), and
    optionally the entropies of those tempered distributions, without ever holding the whole
    batch's logits (see `chunked_token_stats`).

    Returns:
        ``(logprobs [B, L], entropies [B, L] or None, hidden states [B, L, D])``.
    """
    hidden_bld = model.hidden(batch.input_ids, batch.positions, attention_mask=batch.attention_mask)
    logp_bl, entropy_bl = chunked_token_stats(
        model.head,
        hidden_bld,
        batch.target_ids,
        model.config.vocab_size,
        temperature=temperature,
        entropy=entropy,
    )
    return logp_bl, entropy_bl, hidden_bld


def forward_logprobs(model: Any, batch: TokenBatch, temperature: float = 1.0) -> jax.Array:
    """Log-probs ``[B, L]`` of the batch's targets under `model` (see `forward_token_stats`)."""
    return forward_token_stats(model, batch, temperature)[0]


def _reduce_metric(name: str, a: jax.Array, b: jax.Array) -> jax.Array:
    if name.endswith("_max"):
        return jnp.maximum(a, b)
    if name.endswith("_min"):
        return jnp.minimum(a, b)
    return a + b


def _metric_identity(name: str, x: jax.ShapeDtypeStruct) -> jax.Array:
    fill = -jnp.inf if name.endswith("_max") else jnp.inf if name.endswith("_min") else 0.0
    return jnp.full(x.shape, fill, x.dtype)


class Learner(abc.ABC):
    """Base class: owns the split modules, the optimizer state and the jitted update.

    Subclasses implement `loss` (one micro-batch; the scalar it returns must already be
    normalized for the whole batch, see `prepare_weights`) and usually `prepare_weights`.

    Args:
        config: the learner's config.
        modules: name -> module; `model_key` names the policy (the one LoRA applies to).
        model_key: which module is the policy.
        mesh: a ``(data, fsdp, tp)`` mesh; the modules are sharded by their rules and batches
            split over ``data`` and ``fsdp``.
    """

    def __init__(
        self,
        config: LearnerConfig,
        modules: Mapping[str, nnx.Module],
        *,
        model_key: str = "policy",
        mesh: Mesh | None = None,
    ) -> None:
        self.config = config
        self.mesh = mesh
        self.model_key = model_key
        if mesh is not None:
            from agentrl.models.sharding import shard_model

            for module in modules.values():
                shard_model(module, mesh)
        self.bundle = Bundle(modules)
        self._filter = trainable_filter(config.lora, model_key)
        split: Any = nnx.split(self.bundle, self._filter, ...)
        self.graphdef: Any = split[0]
        self.params: Any = split[1]  # trainable variables; replaced (not mutated) by every step
        self.frozen: Any = split[2]  # everything else, passed to the update but never donated
        if not jax.tree.leaves(self.params):
            what = (
                "LoRA adapters (add them with agentrl.models.lora.apply_lora)"
                if config.lora
                else "params"
            )
            raise ConfigError(f"got lora={config.lora}, but the model has no trainable {what}")
        self.tx = build_optimizer(config.optimizer)
        self.opt_state = jax.jit(self.tx.init)(self.params)
        self.step = 0
        self._lr = learning_rate_schedule(config.optimizer)
        self._update = jax.jit(self._update_fn, donate_argnums=(0, 1))

    # --- what subclasses define -------------------------------------------------------------

    @abc.abstractmethod
    def loss(self, bundle: Bundle, batch: TokenBatch, extra: Any) -> tuple[jax.Array, Metrics]:
        """Loss of one micro-batch and metrics whose micro-batch sums are the batch's values
        (names ending in ``_max``/``_min`` are reduced by max/min instead)."""

    def prepare_weights(self, batch: TokenBatch) -> TokenBatch:
        """Full-batch normalization before the micro-batch split (runs inside the update)."""
        return batch

    # --- the update ---------------------------------------------------------------------------

    @property
    def model(self) -> nnx.Module:
        """The policy module (updated in place by every step)."""
        return getattr(self.bundle, self.model_key)

    @property
    def row_multiple(self) -> int:
        """Batches need a row count divisible by this (micro-batches x mesh batch shards)."""
        shards = 1
        if self.mesh is not None:
            shards = int(
                np.prod([self.mesh.shape[a] for a in ("data", "fsdp") if a in self.mesh.shape])
            )
        return self.config.grad_accum_steps * shards

    def _merged(self, params: nnx.State, frozen: nnx.State) -> Bundle:
        return nnx.merge(self.graphdef, params, frozen)

    def _grads(self, params, frozen, extra, batch) -> tuple[Any, Metrics]:
        def loss_of(p):
            loss, metrics = self.loss(self._merged(p, frozen), batch, extra)
            return loss, {"loss": loss, **metrics}

        (_, metrics), grads = jax.value_and_grad(loss_of, has_aux=True)(params)
        return grads, metrics

    def _update_fn(self, params, opt_state, frozen, extra, batch):
        batch = self.prepare_weights(batch)
        steps = self.config.grad_accum_steps
        if steps == 1:
            grads, metrics = self._grads(params, frozen, extra, batch)
        else:
            micro = jax.tree.map(
                lambda x: x.reshape(steps, x.shape[0] // steps, *x.shape[1:]), batch
            )
            first = jax.tree.map(lambda x: x[0], micro)
            shapes = jax.eval_shape(self._grads, params, frozen, extra, first)
            init = (
                jax.tree.map(lambda s: jnp.zeros(s.shape, s.dtype), shapes[0]),
                {k: _metric_identity(k, s) for k, s in shapes[1].items()},
            )

            def body(carry, mb):
                g, m = self._grads(params, frozen, extra, mb)
                g_sum = jax.tree.map(jnp.add, carry[0], g)
                m_sum = {k: _reduce_metric(k, carry[1][k], v) for k, v in m.items()}
                return (g_sum, m_sum), None

            (grads, metrics), _ = jax.lax.scan(body, init, micro)
        metrics["grad_norm"] = optax.tree.norm(grads)
        updates, opt_state = self.tx.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, metrics

    def put(self, batch: TokenBatch) -> TokenBatch:
        """Move a batch to the device(s), split over the mesh's batch axes when there is one."""
        if self.mesh is None:
            return jax.tree.map(jnp.asarray, batch)
        from agentrl.models.sharding import BATCH_SPEC

        return jax.device_put(batch, NamedSharding(self.mesh, BATCH_SPEC))

    def ready(self, batch: TokenBatch) -> TokenBatch:
        """A device batch with whatever the loss reads filled in (learners with a reference or
        advantages compute them here when the batch lacks them)."""
        return self.put(batch)

    def apply_update(self, batch: TokenBatch, extra: Any = None) -> dict[str, float]:
        """One optimizer step on a device batch; writes the new parameters into the modules."""
        if batch.num_rows % self.config.grad_accum_steps:
            raise ConfigError(
                f"got a batch of {batch.num_rows} rows, need a multiple of "
                f"grad_accum_steps={self.config.grad_accum_steps}"
            )
        lr = float(self._lr(self.step))
        self.params, self.opt_state, metrics = self._update(
            self.params, self.opt_state, self.frozen, extra, batch
        )
        nnx.update(self.bundle, self.params)
        self.step += 1
        out = {k: float(v) for k, v in metrics.items()}
        out["lr"] = lr
        return out

    def eval_loss(self, batch: TokenBatch, extra: Any = None) -> dict[str, float]:
        """The loss and metrics of `batch` without updating anything."""
        if not hasattr(self, "_eval"):
            self._eval = jax.jit(self._eval_fn)
        metrics = self._eval(self.params, self.frozen, extra, self.ready(batch))
        return {k: float(v) for k, v in metrics.items()}

    def _eval_fn(self, params, frozen, extra, batch):
        batch = self.prepare_weights(batch)
        loss, metrics = self.loss(self._merged(params, frozen), batch, extra)
        return {"loss": loss, **metrics}

    @property
    def compilations(self) -> int:
        """How many times the update has been compiled (one per distinct batch shape)."""
        return int(self._update._cache_size())  # type: ignore[attr-defined]

    # --- state for checkpoints ------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """The array pytree to checkpoint: trainable params, optimizer state, step."""
        return {"params": self.params, "opt_state": self.opt_state, "step": jnp.asarray(self.step)}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore what `state_dict` returned (shapes must match); updates the modules."""
        self.params = state["params"]
        self.opt_state = state["opt_state"]
        self.step = int(state["step"])
        nnx.update(self.bundle, self.params)


class ReferencePolicy:
    """Frozen log-probs for KL penalties and DPO: a given model, a frozen copy of the starting
    parameters, or (with LoRA) the base model, i.e. the policy with its adapters zeroed."""

    def __init__(self, learner: Learner, ref_model: nnx.Module | None, temperature: float) -> None:
        key = learner.model_key
        pick: Callable[[Any], Any]
        if ref_model is not None:
            graphdef, state = nnx.split(ref_model)
            self._states: tuple[Any, ...] = (state,)
            pick = lambda m: m  # noqa: E731
            self.kind = "model"
        else:
            graphdef = learner.graphdef
            pick = lambda b: getattr(b, key)  # noqa: E731
            if learner.config.lora:
                # The adapter's output is a product of its factors, so zeros give the base model.
                self._states = (jax.tree.map(jnp.zeros_like, learner.params), learner.frozen)
                self.kind = "lora_base"
            else:
                self._states = (jax.tree.map(jnp.copy, learner.params), learner.frozen)
                self.kind = "frozen_copy"

        def score(states, batch):
            return forward_logprobs(pick(nnx.merge(graphdef, *states)), batch, temperature)

        self._score = jax.jit(score)

    def logprobs(self, batch: TokenBatch) -> jax.Array:
        """``log pi_ref`` of every target of a device batch, ``[B, L]``."""
        return self._score(self._states, batch)
