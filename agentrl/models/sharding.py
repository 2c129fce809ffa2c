"""Sharding a model over a ``jax.sharding.Mesh`` with axes ``("data", "fsdp", "tp")``.

Each family declares its partition rules as data (``PARTITION_RULES`` beside its config): a list
of ``(regex, PartitionSpec)`` matched with `re.search` against a parameter's path
(``layers/3/self_attn/q_proj/kernel``); the first match wins, unmatched parameters are replicated.
Column-parallel projections (q/k/v, gate, up) split their output over ``tp`` and their input over
``fsdp``; row-parallel ones (o, down) the reverse, so a block needs one all-reduce. A dimension
that a mesh axis does not divide is left whole on that axis rather than failing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import jax
import numpy as np
from flax import nnx
from jax.sharding import Mesh, NamedSharding, PartitionSpec

P = PartitionSpec
Rules = Sequence[tuple[str, PartitionSpec]]

_COLUMN = r"(q_proj|k_proj|v_proj|gate_proj|up_proj|lm_head)"
_ROW = r"(o_proj|down_proj)"

DECODER_RULES: tuple[tuple[str, PartitionSpec], ...] = (
    (r"embed_tokens/embedding$", P("tp", "fsdp")),
    (_COLUMN + r"/kernel$", P("fsdp", "tp")),
    (_COLUMN + r"/(bias|kernel_scale)$", P("tp")),
    (_ROW + r"/kernel$", P("tp", "fsdp")),
    (_ROW + r"/(bias|kernel_scale)$", P("fsdp")),
    (_COLUMN + r"/lora/lora_a$", P("fsdp", None)),
    (_COLUMN + r"/lora/lora_b$", P(None, "tp")),
    (_ROW + r"/lora/lora_a$", P("tp", None)),
    (_ROW + r"/lora/lora_b$", P(None, "fsdp")),
)

BATCH_SPEC = P(("data", "fsdp"))  # how trainers split a [B, T] batch over the same mesh


def make_mesh(
    data: int = 1, fsdp: int = 1, tp: int = 1, devices: Sequence[Any] | None = None
) -> Mesh:
    """A ``(data, fsdp, tp)`` mesh over the first ``data * fsdp * tp`` devices."""
    devices = list(jax.devices() if devices is None else devices)
    n = data * fsdp * tp
    if n > len(devices):
        raise ValueError(
            f"got mesh data={data} x fsdp={fsdp} x tp={tp} = {n}, but {len(devices)} devices"
        )
    return Mesh(np.array(devices[:n]).reshape(data, fsdp, tp), ("data", "fsdp", "tp"))


def spec_for(path: str, shape: Sequence[int], mesh: Mesh, rules: Rules) -> PartitionSpec:
    """The rule's spec for one parameter, with axes that do not divide its dimension dropped."""
    spec = next((s for pattern, s in rules if re.search(pattern, path)), None)
    if spec is None:
        return P()
    axes = []
    for dim, axis in zip(shape, tuple(spec) + (None,) * (len(shape) - len(spec))):
        names = (axis,) if isinstance(axis, str) else tuple(axis or ())
        size = int(np.prod([mesh.shape[a] for a in names])) if names else 1
        axes.append(axis if names and dim % size == 0 else None)
    return P(*axes)


def path_str(path: Sequence[Any]) -> str:
    """``layers/0/self_attn/q_proj/kernel`` from an nnx graph path or a pytree key path (whose
    last step into the Variable, ``.value``, is dropped)."""
    parts = [str(getattr(p, "key", getattr(p, "name", getattr(p, "idx", p)))) for p in path]
    if parts and parts[-1] == "value" and not isinstance(path[-1], str):
        parts.pop()
    return "/".join(parts)


def rules_for(model: nnx.Module) -> Rules:
    config = getattr(model, "config", None)
    return getattr(type(config), "partition_rules", DECODER_RULES)


def shardings(model: nnx.Module, mesh: Mesh, rules: Rules | None = None) -> nnx.State:
    """A state-shaped tree of `NamedSharding` for every variable of `model`."""
    rules = rules_for(model) if rules is None else rules
    state = nnx.state(model)

    def one(path: Sequence[Any], leaf: Any) -> NamedSharding:
        return NamedSharding(mesh, spec_for(path_str(path), np.shape(leaf), mesh, rules))

    return jax.tree_util.tree_map_with_path(one, state)


def shard_model(model: nnx.Module, mesh: Mesh, rules: Rules | None = None) -> nnx.Module:
    """Move every parameter of `model` to its sharding on `mesh`, in place; returns `model`."""
    state = nnx.state(model)
    sharded = jax.device_put(state, shardings(model, mesh, rules))
    nnx.update(model, sharded)
    return model
