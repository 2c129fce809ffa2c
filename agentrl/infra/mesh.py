"""The device mesh a trainer runs on: axes ``("data", "fsdp", "tp")``.

``data`` replicates the model and splits the batch; ``fsdp`` splits the batch and the parameters;
``tp`` splits each matmul. Per-family parameter layouts live with the models
(`agentrl.models.sharding`); this module builds the mesh from a config and places batches::

    mesh = make_mesh(MeshConfig(fsdp=2))          # data fills the remaining devices
    model = shard_model(model, mesh)
    batch = shard_batch(next(it), mesh)           # leading axis split over data x fsdp
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from agentrl.errors import ConfigError
from agentrl.infra.configs import MeshConfig

__all__ = [
    "AXES",
    "BATCH_AXES",
    "MeshConfig",
    "batch_sharding",
    "make_mesh",
    "put_rows",
    "replicate",
    "shard_batch",
    "shard_model",
]

AXES = ("data", "fsdp", "tp")
BATCH_AXES = ("data", "fsdp")  # the mesh axes a batch's leading dimension is split over


def make_mesh(config: MeshConfig | None = None, devices: Sequence[Any] | None = None) -> Mesh:
    """A ``(data, fsdp, tp)`` mesh over `devices` (default: the first ``config.devices``, or
    all of them).

    Over all devices it uses `jax.make_mesh`'s topology-aware device order (TPU/GPU). Axes are
    "auto" (GSPMD propagates shardings), as the models' partition rules expect.
    """
    config = config or MeshConfig()
    auto = (jax.sharding.AxisType.Auto,) * len(AXES)
    if devices is None and config.devices is not None:
        if jax.process_count() > 1:
            raise ConfigError(
                f"got mesh.devices={config.devices} in a run of {jax.process_count()} "
                "processes; a multi-process mesh spans every device (leave it unset)"
            )
        if config.devices > jax.device_count():
            raise ConfigError(
                f"got mesh.devices={config.devices}, but {jax.device_count()} are available"
            )
        devices = jax.devices()[: config.devices]
    if devices is None:
        return jax.make_mesh(config.resolve(jax.device_count()), AXES, axis_types=auto)
    devices = list(devices)
    grid = np.asarray(devices, dtype=object).reshape(config.resolve(len(devices)))
    return Mesh(grid, AXES, axis_types=auto)


def batch_sharding(mesh: Mesh, ndim: int) -> NamedSharding:
    """The sharding of an `ndim`-dimensional batch array: leading axis over data x fsdp."""
    return NamedSharding(mesh, PartitionSpec(BATCH_AXES, *([None] * (ndim - 1))))


def shard_batch(batch: Mapping[str, Any], mesh: Mesh) -> dict[str, jax.Array]:
    """Place every array of `batch` on `mesh`, its leading (batch) axis split over data x fsdp.

    Under multi-process JAX each process passes its own slice of the global batch.

    Raises:
        ConfigError: A leading dimension is not divisible by ``data * fsdp``.
    """
    split = mesh.shape["data"] * mesh.shape["fsdp"]
    out = {}
    for name, value in batch.items():
        array = np.asarray(value) if not isinstance(value, jax.Array) else value
        if array.ndim == 0:
            raise ConfigError(f"batch[{name!r}] is a scalar; a batch holds [B, ...] arrays")
        global_b = array.shape[0] * jax.process_count()
        if global_b % split:
            raise ConfigError(
                f"got batch[{name!r}] with batch size {global_b}, need a multiple of "
                f"data x fsdp = {split} (mesh {dict(mesh.shape)})"
            )
        sharding = batch_sharding(mesh, array.ndim)
        if jax.process_count() > 1:
            out[name] = jax.make_array_from_process_local_data(sharding, np.asarray(array))
        else:
            out[name] = jax.device_put(array, sharding)
    return out


def put_rows(tree: Any, mesh: Mesh) -> Any:
    """Place every array of `tree` (the same global value on every process) on `mesh`, its
    leading (row) axis split over data x fsdp; scalars are replicated.

    Raises:
        ConfigError: A row count is not divisible by ``data * fsdp``.
    """
    from agentrl.models.sharding import place

    split = mesh.shape["data"] * mesh.shape["fsdp"]

    def sharding(x: Any) -> NamedSharding:
        ndim = np.ndim(x)
        if ndim and np.shape(x)[0] % split:
            raise ConfigError(
                f"got a batch of {np.shape(x)[0]} rows, need a multiple of data x fsdp = "
                f"{split} (mesh {dict(mesh.shape)})"
            )
        return batch_sharding(mesh, ndim) if ndim else NamedSharding(mesh, PartitionSpec())

    return place(tree, jax.tree.map(sharding, tree))


def replicate(tree: Any, mesh: Mesh) -> Any:
    """Place every array of `tree` fully replicated on `mesh`."""
    return jax.device_put(tree, NamedSharding(mesh, PartitionSpec()))


def shard_model(model: Any, mesh: Mesh) -> Any:
    """Shard an nnx model in place by its family's rules (`agentrl.models.sharding`).

    Falls back to replicating every parameter when the models package has no sharding rules.
    """
    try:
        from agentrl.models.sharding import shard_model as family_shard_model
    except ImportError:
        from flax import nnx

        nnx.update(model, replicate(nnx.state(model), mesh))
        return model
    return family_shard_model(model, mesh)
