"""Sharding a model over a ``jax.sharding.Mesh`` with axes ``("data", "fsdp", "tp")``.

Each family declares its partition rules as data (``PARTITION_RULES`` beside its config): a list
of ``(regex, PartitionSpec)`` matched with `re.search` against a parameter's path
(``layers/3/self_attn/q_proj/kernel``); the first match wins, unmatched parameters are replicated.
Column-parallel projections (q/k/v, gate, up) split their output over ``tp`` and their input over
``fsdp``; row-parallel ones (o, down) the reverse, so a block needs one all-reduce. A dimension
that a mesh axis does not divide is left whole on that axis (only memory is lost), except where
the mesh asks for the impossible: `check_mesh` refuses a ``tp`` that does not divide the
attention heads, the KV heads (the KV cache is split by head) or the MLP width, and an ``fsdp``
that does not divide the hidden size, naming the values, instead of silently replicating.
The mesh itself is built by `agentrl.infra.mesh.make_mesh` from a `MeshConfig`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import jax
import numpy as np
from flax import nnx
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from agentrl.errors import ConfigError

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
# A sampler's KV cache, keys [B, kv, d, S] and values [B, kv, S, d]: rows as the batch, KV
# heads over tp (the heads the column-parallel k/v projections produce on each tp shard).
CACHE_SPEC = P(("data", "fsdp"), "tp")


def batch_shards(mesh: Mesh | None) -> int:
    """How many ways a batch's rows are split on `mesh` (data x fsdp; 1 without a mesh)."""
    return 1 if mesh is None else mesh.shape.get("data", 1) * mesh.shape.get("fsdp", 1)


def cache_sharding(mesh: Mesh) -> NamedSharding:
    return NamedSharding(mesh, CACHE_SPEC)


def constrain_cache(cache: Any, mesh: Mesh | None) -> Any:
    """Inside jit: pin every layer's KV cache to `CACHE_SPEC` on `mesh` (no-op without one)."""
    if mesh is None:
        return cache
    sharding = cache_sharding(mesh)
    return jax.tree.map(lambda x: jax.lax.with_sharding_constraint(x, sharding), cache)


def check_mesh(config: Any, mesh: Mesh) -> None:
    """Refuse a mesh whose ``tp`` or ``fsdp`` cannot split the model the rules say it splits.

    Raises:
        ConfigError: naming the axis, its size and the dimension it does not divide.
    """
    tp, fsdp = mesh.shape.get("tp", 1), mesh.shape.get("fsdp", 1)
    checks = [
        ("tp", tp, "num_attention_heads"),
        ("tp", tp, "num_key_value_heads"),
        ("tp", tp, "intermediate_size"),
        ("fsdp", fsdp, "hidden_size"),
    ]
    for axis, size, field in checks:
        dim = getattr(config, field, None)
        if size > 1 and dim is not None and dim % size:
            raise ConfigError(
                f"got mesh.{axis}={size}, which does not divide the model's {field}={dim}; "
                f"pick a {axis} that divides {dim}"
            )


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
    check_mesh(getattr(model, "config", None), mesh)
    state = nnx.state(model)

    def one(path: Sequence[Any], leaf: Any) -> NamedSharding:
        return NamedSharding(mesh, spec_for(path_str(path), np.shape(leaf), mesh, rules))

    return jax.tree_util.tree_map_with_path(one, state)


def shard_model(model: nnx.Module, mesh: Mesh, rules: Rules | None = None) -> nnx.Module:
    """Move every parameter of `model` to its sharding on `mesh`, in place; returns `model`.

    Under multi-process JAX every process holds the same full values (same seed or the same
    checkpoint), and each keeps the shards of its own devices.
    """
    state = nnx.state(model)
    nnx.update(model, place(state, shardings(model, mesh, rules)))
    return model


def place(tree: Any, shardings_tree: Any) -> Any:
    """`jax.device_put` of `tree` onto `shardings_tree`, also across processes: there each
    process passes the full value and keeps its own devices' shards (arrays already placed
    as asked are left alone)."""
    if jax.process_count() == 1:
        return jax.device_put(tree, shardings_tree)

    def one(x: Any, sharding: NamedSharding) -> Any:
        if isinstance(x, jax.Array) and x.sharding == sharding:
            return x
        if isinstance(x, jax.Array) and not x.is_fully_addressable:
            return jax.jit(lambda y: y, out_shardings=sharding)(x)
        value = np.asarray(x)
        return jax.make_array_from_callback(value.shape, sharding, lambda idx: value[idx])

    return jax.tree.map(one, tree, shardings_tree)
