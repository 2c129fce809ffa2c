"""Optimizer and learning-rate schedule from a config, built with optax."""

from __future__ import annotations

from typing import Any, Literal

import jax
import jax.numpy as jnp
import optax
from pydantic import Field, model_validator

from agentrl.config import Config


class OptimizerConfig(Config):
    """The optimizer, its learning-rate schedule and gradient clipping."""

    name: Literal["adamw", "adam", "sgd"] = Field(default="adamw", description="optax optimizer")
    lr: float = Field(default=1e-5, gt=0, description="peak learning rate")
    schedule: Literal["constant", "cosine", "linear"] = Field(
        default="constant", description="shape after warmup: constant, cosine or linear decay"
    )
    warmup_steps: int = Field(
        default=0, ge=0, description="linear warmup from 0 over this many steps"
    )
    total_steps: int | None = Field(
        default=None, ge=1, description="steps of the whole run (needed by cosine and linear decay)"
    )
    min_lr_ratio: float = Field(
        default=0.0, ge=0, le=1, description="decay floor, as a fraction of lr"
    )
    weight_decay: float = Field(default=0.0, ge=0, description="decoupled weight decay (adamw)")
    b1: float = Field(default=0.9, ge=0, lt=1)
    b2: float = Field(default=0.999, ge=0, lt=1)
    eps: float = Field(default=1e-8, gt=0)
    grad_clip: float | None = Field(
        default=1.0, gt=0, description="max global grad norm; None: off"
    )

    @model_validator(mode="after")
    def _check_schedule(self) -> OptimizerConfig:
        if self.schedule != "constant":
            if self.total_steps is None:
                raise ValueError(f"got schedule={self.schedule!r} with total_steps=None, need >= 1")
            if self.total_steps <= self.warmup_steps:
                raise ValueError(
                    f"got total_steps={self.total_steps}, need > warmup_steps={self.warmup_steps}"
                )
        return self


def learning_rate_schedule(config: OptimizerConfig) -> optax.Schedule:
    """Linear warmup to ``lr``, then constant, cosine or linear decay to ``lr * min_lr_ratio``."""
    peak, floor = config.lr, config.lr * config.min_lr_ratio
    if config.schedule == "constant":
        after = optax.constant_schedule(peak)
    else:
        assert config.total_steps is not None  # checked by the validator
        decay_steps = config.total_steps - config.warmup_steps
        if config.schedule == "cosine":
            after = optax.cosine_decay_schedule(peak, decay_steps, alpha=config.min_lr_ratio)
        else:
            after = optax.linear_schedule(peak, floor, decay_steps)
    if config.warmup_steps == 0:
        return after
    warmup = optax.linear_schedule(0.0, peak, config.warmup_steps)
    return optax.join_schedules([warmup, after], [config.warmup_steps])


def build_optimizer(config: OptimizerConfig) -> optax.GradientTransformation:
    """The optax transformation: optional global-norm clipping, then the optimizer."""
    lr = learning_rate_schedule(config)
    if config.name == "adamw":
        opt = optax.adamw(lr, config.b1, config.b2, config.eps, weight_decay=config.weight_decay)
    elif config.name == "adam":
        opt = optax.adam(lr, config.b1, config.b2, config.eps)
    else:
        opt = optax.sgd(lr)
    if config.grad_clip is None:
        return opt
    return optax.chain(optax.clip_by_global_norm(config.grad_clip), opt)


def with_state_dtype(tx: optax.GradientTransformation, dtype: Any) -> optax.GradientTransformation:
    """`tx` with its floating state (Adam's moments, ...) stored in `dtype`: each update upcasts
    the state to float32, runs `tx`, and rounds the new state back, so only storage shrinks."""

    def cast(tree: Any, to: Any) -> Any:
        return jax.tree.map(
            lambda x: x.astype(to) if jnp.issubdtype(jnp.result_type(x), jnp.floating) else x,
            tree,
        )

    def init(params: Any) -> Any:
        return cast(tx.init(params), dtype)

    def update(updates: Any, state: Any, params: Any = None) -> tuple[Any, Any]:
        updates, state = tx.update(updates, cast(state, jnp.float32), params)
        return updates, cast(state, dtype)

    return optax.GradientTransformation(init, update)
