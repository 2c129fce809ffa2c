"""LoRA adapters on attention and MLP projections, mergeable and exportable for PEFT.

    >>> config = LoRAConfig(rank=8, alpha=16)
    >>> apply_lora(model, config, rngs=nnx.Rngs(0))                 # doctest: +SKIP
    >>> optimizer = nnx.Optimizer(model, optax.adam(1e-3), wrt=nnx.LoRAParam)   # doctest: +SKIP
    >>> save_adapter(model, config, "out/adapter")                  # doctest: +SKIP

The adapter of a projection ``W`` adds ``(alpha / rank) * x @ A @ B``, with ``A`` ``[in, rank]``
and ``B`` ``[rank, out]``; ``B`` starts at zero so a fresh adapter changes nothing. Adapter
weights are `nnx.LoRAParam` (a `nnx.Param` subclass), so a trainer selects them with
``wrt=nnx.LoRAParam`` and the frozen base with ``nnx.All(nnx.Param, nnx.Not(nnx.LoRAParam))``.
"""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx
from pydantic import BaseModel, ConfigDict, Field, field_validator

from agentrl.errors import ConfigError
from agentrl.models.hf_io import hf_modules
from agentrl.models.layers import Linear
from agentrl.models.safetensors_io import CheckpointReader, TensorEntry, write_file

PROJECTIONS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
ADAPTER_CONFIG = "adapter_config.json"
ADAPTER_WEIGHTS = "adapter_model.safetensors"


class LoRAConfig(BaseModel):
    """Which projections get adapters, and their rank and scale."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rank: int = Field(8, ge=1, description="Inner dimension r of A [in, r] and B [r, out].")
    alpha: float = Field(16.0, gt=0, description="Adapter output is scaled by alpha / rank.")
    targets: tuple[str, ...] = Field(PROJECTIONS, description="Projection names to adapt.")

    @field_validator("targets")
    @classmethod
    def _known_targets(cls, targets: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [t for t in targets if t not in PROJECTIONS]
        if unknown or not targets:
            raise ValueError(
                f"got targets={list(targets)}, need a non-empty subset of {PROJECTIONS}"
            )
        return tuple(t for t in PROJECTIONS if t in targets)  # one canonical order

    @property
    def scale(self) -> float:
        return self.alpha / self.rank


class LoRA(nnx.Module):
    """The low-rank update ``scale * x @ A @ B`` of one projection."""

    def __init__(
        self,
        in_features: int,
        out_features: int,
        *,
        rank: int,
        scale: float,
        rngs: nnx.Rngs,
        dtype: Any,
    ) -> None:
        self.scale = scale
        # Kaiming-uniform A (as PEFT), zero B: the adapted model starts equal to the base.
        bound = 1.0 / math.sqrt(in_features)
        a = jax.random.uniform(rngs.params(), (in_features, rank), jnp.float32, -bound, bound)
        self.lora_a = nnx.LoRAParam(a.astype(dtype))
        self.lora_b = nnx.LoRAParam(jnp.zeros((rank, out_features), dtype))

    def __call__(self, x: jax.Array) -> jax.Array:
        a, b = self.lora_a[...].astype(x.dtype), self.lora_b[...].astype(x.dtype)
        return (x @ a) @ b * jnp.asarray(self.scale, x.dtype)

    def delta_kernel(self) -> jax.Array:
        """``scale * A @ B`` in float32: what merging adds to the kernel."""
        a = self.lora_a[...].astype(jnp.float32)
        return a @ self.lora_b[...].astype(jnp.float32) * self.scale


def targeted(model: nnx.Module, targets: tuple[str, ...]) -> Iterator[tuple[str, Linear]]:
    """(checkpoint key prefix, projection) for every projection named in `targets`."""
    for name, module in hf_modules(model):
        if isinstance(module, Linear) and name.rsplit(".", 1)[-1] in targets:
            yield name, module


def apply_lora(
    model: nnx.Module, config: LoRAConfig, *, rngs: nnx.Rngs, dtype: Any = jnp.float32
) -> nnx.Module:
    """Give every targeted projection a fresh adapter (in place); returns `model`."""
    found = 0
    for _, linear in targeted(model, config.targets):
        if linear.lora is not None:
            raise ConfigError("the model already has LoRA adapters; merge_lora first")
        linear.lora = LoRA(
            linear.in_features,
            linear.out_features,
            rank=config.rank,
            scale=config.scale,
            rngs=rngs,
            dtype=dtype,
        )
        found += 1
    if not found:
        raise ConfigError(f"no projection of the model matches targets={list(config.targets)}")
    return model


def merge_lora(model: nnx.Module) -> nnx.Module:
    """Fold every adapter into its kernel and remove it (in place); returns `model`.

    A quantized base cannot absorb a float update; dequantize it first (`quant.dequantize`).
    """
    for _, linear in targeted(model, PROJECTIONS):
        if linear.lora is None:
            continue
        if type(linear) is not Linear:
            raise ConfigError(f"cannot merge LoRA into a {type(linear).__name__}; dequantize first")
        linear.kernel.set_value(linear.effective_kernel())
        linear.lora = None
    return model


@contextlib.contextmanager
def adapters_off(model: nnx.Module) -> Iterator[nnx.Module]:
    """`model` without its adapters inside the block (the base model: e.g. to export it); the
    same adapter objects are put back after."""
    held = [(x, x.lora) for _, x in targeted(model, PROJECTIONS) if x.lora is not None]
    for linear, _ in held:
        linear.lora = None
    try:
        yield model
    finally:
        for linear, lora in held:
            linear.lora = lora


def remove_lora(model: nnx.Module) -> nnx.Module:
    """Drop every adapter without merging it (in place); returns `model`."""
    for _, linear in targeted(model, PROJECTIONS):
        linear.lora = None
    return model


def save_adapter(
    model: nnx.Module, config: LoRAConfig, path: str | Path, *, base_model: str | None = None
) -> Path:
    """Write a PEFT adapter folder (adapter_config.json + adapter_model.safetensors).

    Args:
        model: a model with adapters (`apply_lora`).
        config: the adapters' config.
        path: the folder (created if needed).
        base_model: recorded as ``base_model_name_or_path`` for PEFT.
    """
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    entries: list[TensorEntry] = []
    for name, linear in targeted(model, config.targets):
        if linear.lora is None:
            continue
        key = f"base_model.model.{name}"
        # PEFT stores torch Linear weights [out, in]: A as [rank, in], B as [out, rank].
        for suffix, variable in (
            (".lora_A.weight", linear.lora.lora_a),
            (".lora_B.weight", linear.lora.lora_b),
        ):
            shape = tuple(reversed(variable.shape))
            entries.append(
                TensorEntry(key + suffix, shape, np.dtype(np.float32), _transposed(variable))
            )
    if not entries:
        raise ConfigError("the model has no LoRA adapters to save")
    write_file(folder / ADAPTER_WEIGHTS, entries, {"format": "pt"})
    adapter_config = {
        "peft_type": "LORA",
        "task_type": "CAUSAL_LM",
        "base_model_name_or_path": base_model,
        "r": config.rank,
        "lora_alpha": config.alpha,
        "lora_dropout": 0.0,
        "target_modules": sorted(config.targets),
        "bias": "none",
        "fan_in_fan_out": False,
        "use_rslora": False,
        "use_dora": False,
        "init_lora_weights": True,
        "inference_mode": True,
        "modules_to_save": None,
    }
    (folder / ADAPTER_CONFIG).write_text(json.dumps(adapter_config, indent=2) + "\n")
    return folder


def load_adapter(
    model: nnx.Module, path: str | Path, *, rngs: nnx.Rngs | None = None
) -> LoRAConfig:
    """Attach the LoRA adapters of a PEFT adapter folder to `model` (in place).

    Returns:
        The adapters' config, read from adapter_config.json.
    """
    folder = Path(path)
    try:
        raw = json.loads((folder / ADAPTER_CONFIG).read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise ConfigError(f"{folder} is not a PEFT adapter folder: {e}") from e
    if raw.get("peft_type") != "LORA" or raw.get("use_dora") or raw.get("use_rslora"):
        raise ConfigError(
            f"{folder}: only plain LoRA adapters are supported, got {raw.get('peft_type')!r}"
        )
    targets = raw.get("target_modules") or []
    config = LoRAConfig(rank=raw["r"], alpha=raw["lora_alpha"], targets=tuple(targets))
    apply_lora(model, config, rngs=rngs or nnx.Rngs(0))
    with CheckpointReader(folder) as reader:
        for name, linear in targeted(model, config.targets):
            key = f"base_model.model.{name}"
            for suffix, variable in (
                (".lora_A.weight", linear.lora.lora_a),
                (".lora_B.weight", linear.lora.lora_b),
            ):
                value = reader.read(key + suffix).T
                if value.shape != variable.shape:
                    raise ConfigError(
                        f"{key + suffix} has shape {value.shape[::-1]}, need {variable.shape[::-1]}"
                    )
                variable.set_value(jnp.asarray(value, variable.dtype))
    return config


def _transposed(variable: nnx.Variable) -> Any:
    return lambda: np.asarray(variable.get_value(), dtype=np.float32).T
