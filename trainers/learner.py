"""The machinery every learner shares: trainable split, jitted update, accumulation, mesh.

A learner holds one or more NNX modules (the policy, a value head, a projection, ...) in a
`Bundle`, splits them once into trainable parameters and everything else, and runs one jitted,
buffer-donating update per optimizer step::

    params, opt_state, metrics = update(params, opt_state, frozen, extra, batch)

The update first computes full-batch normalizers (`Learner.prepare_weights`), then splits the
batch into micro-batches of ``UpdateConfig.micro_batch_rows`` rows and sums their gradients (in
float32) with `lax.scan`; since the per-token weights already carry the whole batch's
normalization, 1x8 equals 8x1. After each step the new parameters are written back into the
modules in place, so a sampler holding the model sees them without a copy.

Precision (`UpdateConfig`): with parameters stored in bfloat16, the learner keeps a float32 master
copy of the trainable ones (``master_weights``); the optimizer updates it and the modules get it
rounded. The optimizer's moments are kept in ``opt_state_dtype``. Which parameters train: every
`nnx.Param`, or only the LoRA adapters when the policy carries them (`agentrl.models.lora`).
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Mapping
from typing import Any, Literal

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
from .optim import OptimizerConfig, build_optimizer, learning_rate_schedule, with_state_dtype

Metrics = dict[str, jax.Array]


DType = Literal["float32", "bfloat16", "float16"]


class UpdateConfig(Config):
    """How an optimizer step runs: micro-batching, and the precision of what the optimizer keeps.
    One per run (``update:`` in `agentrl train`'s config), shared by every learner of the run."""

    micro_batch_rows: int | None = Field(
        default=None,
        ge=1,
        description="rows per forward/backward pass: a batch is split into micro-batches of "
        "this many rows and their gradients summed into one optimizer step (equal to the whole "
        "batch at once); None: the whole batch in one pass",
    )
    master_weights: Literal["float32"] | None = Field(
        default="float32",
        description="keep a float32 copy of trainable parameters stored in lower precision: "
        "the optimizer updates it and the model gets it rounded (a 1e-6 learning-rate step is "
        "below bfloat16's resolution); None: update the stored parameters directly",
    )
    opt_state_dtype: DType | None = Field(
        default=None,
        description="dtype of the optimizer's moments; None: that of the parameters it updates "
        "(the float32 master copy when there is one)",
    )


class LearnerConfig(Config):
    """Fields every learner has."""

    optimizer: OptimizerConfig = Field(default=OptimizerConfig())
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


def has_lora(module: nnx.Module) -> bool:
    """Whether `module` carries LoRA adapters (`agentrl.models.lora.apply_lora`)."""
    return bool(jax.tree.leaves(nnx.state(module, nnx.LoRAParam)))


def trainable_filter(lora: bool, model_key: str) -> Any:
    """Every `nnx.Param`; with LoRA, the adapters (`nnx.LoRAParam`) plus every parameter of
    the modules other than `model_key` (value heads and projections are always trained)."""
    if not lora:
        return nnx.Param
    return nnx.Any(nnx.LoRAParam, nnx.All(nnx.Param, nnx.Not(nnx.PathContains(model_key))))


def _cast_floats(tree: Any, dtypes: Any) -> Any:
    """`tree` with each floating leaf cast to its dtype in `dtypes` (same structure)."""
    return jax.tree.map(
        lambda x, d: x.astype(d) if jnp.issubdtype(x.dtype, jnp.floating) else x, tree, dtypes
    )


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
        model_key: which module is the policy; when it carries LoRA adapters, only they (and
            the other modules) train.
        mesh: a ``(data, fsdp, tp)`` mesh; the modules are sharded by their rules and batches
            split over ``data`` and ``fsdp``.
        update: micro-batching and optimizer precision (default `UpdateConfig()`).
    """

    def __init__(
        self,
        config: LearnerConfig,
        modules: Mapping[str, nnx.Module],
        *,
        model_key: str = "policy",
        mesh: Mesh | None = None,
        update: UpdateConfig | None = None,
    ) -> None:
        self.config = config
        self.update_config = update = update or UpdateConfig()
        self.mesh = mesh
        self.model_key = model_key
        if mesh is not None:
            from agentrl.models.sharding import shard_model

            for module in modules.values():
                shard_model(module, mesh)
        self.bundle = Bundle(modules)
        self.lora = has_lora(modules[model_key])
        self._filter = trainable_filter(self.lora, model_key)
        split: Any = nnx.split(self.bundle, self._filter, ...)
        self.graphdef: Any = split[0]
        self.frozen: Any = split[2]  # everything else, passed to the update but never donated
        if not jax.tree.leaves(split[1]):
            raise ConfigError("the model has no trainable parameters")
        self._check_micro_batch()
        # The modules' own dtypes; with a master copy, `params` is float32 and the modules
        # get it cast back to these after every step.
        self._dtypes = jax.tree.map(lambda x: x.dtype, split[1])
        self.params: Any = split[1]  # trainable variables; replaced (not mutated) by every step
        low = [d for d in jax.tree.leaves(self._dtypes) if jnp.issubdtype(d, jnp.floating)]
        self._master = update.master_weights is not None and any(
            jnp.dtype(d) != jnp.dtype(update.master_weights) for d in low
        )
        if self._master:
            master = jax.tree.map(lambda _: jnp.dtype(update.master_weights), self._dtypes)
            self.params = jax.jit(lambda p: _cast_floats(p, master))(split[1])
        self._to_model = jax.jit(lambda p: _cast_floats(p, self._dtypes))
        self.tx = build_optimizer(config.optimizer)
        if update.opt_state_dtype is not None:
            self.tx = with_state_dtype(self.tx, jnp.dtype(update.opt_state_dtype))
        self.opt_state = jax.jit(self.tx.init, out_shardings=self._opt_shardings())(self.params)
        self.step = 0
        self._lr = learning_rate_schedule(config.optimizer)
        self._update = jax.jit(self._update_fn, donate_argnums=(0, 1))

    def _opt_shardings(self) -> Any:
        """Optimizer-state shardings: every params-shaped part (Adam's moments) sharded as
        its parameters, the rest (step counts) replicated; None (let jit choose) off a mesh."""
        if self.mesh is None or any(
            isinstance(x, jax.core.Tracer) for x in jax.tree.leaves(self.params)
        ):
            return None  # traced (the memory plan builds learners abstractly and places these)
        from jax.sharding import PartitionSpec

        param_shardings = jax.tree.map(lambda x: x.sharding, self.params)
        abstract = jax.eval_shape(self.tx.init, self.params)
        replicated = NamedSharding(self.mesh, PartitionSpec())
        return optax.tree_map_params(
            self.tx,
            lambda _, sharding: sharding,
            abstract,
            param_shardings,
            transform_non_params=lambda _: replicated,
        )

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
    def batch_shards(self) -> int:
        """How many ways the mesh splits a batch's rows (data x fsdp; 1 without a mesh)."""
        if self.mesh is None:
            return 1
        return int(np.prod([self.mesh.shape[a] for a in ("data", "fsdp") if a in self.mesh.shape]))

    @property
    def row_multiple(self) -> int:
        """Batches need a row count divisible by this (the micro-batch, or the mesh's shards)."""
        return self.update_config.micro_batch_rows or self.batch_shards

    def _check_micro_batch(self) -> None:
        rows, shards = self.update_config.micro_batch_rows, self.batch_shards
        if rows is not None and rows % shards:
            raise ConfigError(
                f"got update.micro_batch_rows={rows}, need a multiple of the mesh's "
                f"{shards} batch shards (data x fsdp)"
            )

    def model_params(self) -> Any:
        """A copy of the trainable parameters in the modules' own dtypes."""
        if self._master:
            return self._to_model(self.params)  # a fresh (rounded) copy already
        return jax.tree.map(jnp.copy, self.params)

    def _merged(self, params: nnx.State, frozen: nnx.State) -> Bundle:
        return nnx.merge(self.graphdef, _cast_floats(params, self._dtypes), frozen)

    def _grads(self, params, frozen, extra, batch) -> tuple[Any, Metrics]:
        def loss_of(p):
            loss, metrics = self.loss(self._merged(p, frozen), batch, extra)
            return loss, {"loss": loss, **metrics}

        (_, metrics), grads = jax.value_and_grad(loss_of, has_aux=True)(params)
        return grads, metrics

    def _update_fn(self, params, opt_state, frozen, extra, batch):
        batch = self.prepare_weights(batch)
        rows = self.update_config.micro_batch_rows
        steps = 1 if rows is None else batch.num_rows // rows
        if steps == 1:
            grads, metrics = self._grads(params, frozen, extra, batch)
        else:
            # Contiguous micro-batches: learners that pair rows (DPO's 2p, 2p+1) keep pairs.
            micro = jax.tree.map(lambda x: x.reshape(steps, rows, *x.shape[1:]), batch)
            first = jax.tree.map(lambda x: x[0], micro)
            shapes = jax.eval_shape(self._grads, params, frozen, extra, first)
            init = (
                jax.tree.map(lambda s: jnp.zeros(s.shape, jnp.float32), shapes[0]),
                {k: _metric_identity(k, s) for k, s in shapes[1].items()},
            )

            def body(carry, mb):
                g, m = self._grads(params, frozen, extra, mb)
                # Summed in float32: bfloat16 gradients would lose the small micro-batches.
                g_sum = jax.tree.map(lambda a, b: a + b.astype(jnp.float32), carry[0], g)
                m_sum = {k: _reduce_metric(k, carry[1][k], v) for k, v in m.items()}
                return (g_sum, m_sum), None

            (grads, metrics), _ = jax.lax.scan(body, init, micro)
            grads = jax.tree.map(lambda g, p: g.astype(p.dtype), grads, params)
        metrics["grad_norm"] = optax.tree.norm(grads)
        updates, opt_state = self.tx.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, metrics

    def put(self, batch: TokenBatch) -> TokenBatch:
        """Move a batch to the device(s), split over the mesh's batch axes when there is one."""
        if self.mesh is None:
            return jax.tree.map(jnp.asarray, batch)
        from agentrl.infra.mesh import put_rows

        return put_rows(batch, self.mesh)

    def ready(self, batch: TokenBatch) -> TokenBatch:
        """A device batch with whatever the loss reads filled in (learners with a reference or
        advantages compute them here when the batch lacks them)."""
        return self.put(batch)

    def apply_update(self, batch: TokenBatch, extra: Any = None) -> dict[str, float]:
        """One optimizer step on a device batch; writes the new parameters into the modules."""
        rows = self.update_config.micro_batch_rows
        if rows is not None and batch.num_rows % rows:
            raise ConfigError(
                f"got a batch of {batch.num_rows} rows, need a multiple of "
                f"update.micro_batch_rows={rows}"
            )
        lr = float(self._lr(self.step))
        self.params, self.opt_state, metrics = self._update(
            self.params, self.opt_state, self.frozen, extra, batch
        )
        self._write_back()
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
        """The array pytree to checkpoint: trainable params, optimizer state, step (on the
        mesh, replicated: a checkpoint of several processes holds only global arrays)."""
        step: Any = jnp.asarray(self.step)
        if self.mesh is not None:
            from jax.sharding import PartitionSpec

            from agentrl.models.sharding import place

            step = place(np.asarray(self.step), NamedSharding(self.mesh, PartitionSpec()))
        return {"params": self.params, "opt_state": self.opt_state, "step": step}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore what `state_dict` returned (shapes must match); updates the modules. On a
        mesh, arrays are placed where the current ones are (host copies included)."""
        if self.mesh is not None:
            from agentrl.models.sharding import place

            where = jax.tree.map(lambda x: x.sharding, (self.params, self.opt_state))
            params, opt_state = place((state["params"], state["opt_state"]), where)
            state = {**state, "params": params, "opt_state": opt_state}
        self.params = state["params"]
        self.opt_state = state["opt_state"]
        self.step = int(state["step"])
        self._write_back()

    def _write_back(self) -> None:
        """Put the trainable parameters into the modules (rounded from the master copy)."""
        model = self._to_model(self.params) if self._master else self.params
        nnx.update(self.bundle, model)


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
            if learner.lora:
                # The adapter's output is a product of its factors, so zeros give the base
                # model: the frozen base weights are shared, never copied.
                zeros = jax.tree.map(jnp.zeros_like, learner.model_params())
                self._states = (zeros, learner.frozen)
                self.kind = "lora_base"
            else:
                self._states = (learner.model_params(), learner.frozen)
                self.kind = "frozen_copy"

        def score(states, batch):
            return forward_logprobs(pick(nnx.merge(graphdef, *states)), batch, temperature)

        self._score = jax.jit(score)

    def logprobs(self, batch: TokenBatch, rows: int | None = None) -> jax.Array:
        """``log pi_ref`` of every target of a device batch, ``[B, L]``, scored `rows` rows
        per call (all at once when None). Learners pass their micro-batch: scoring a whole
        rollout batch at once would hold its activations for every row together (1024 rows
        of 8k tokens is terabytes), an update pass only a micro-batch's."""
        if rows is None or rows >= batch.num_rows:
            return self._score(self._states, batch)
        parts = [
            self._score(self._states, batch.rows(i, i + rows))
            for i in range(0, batch.num_rows, rows)
        ]
        return jnp.concatenate(parts, axis=0)
