"""agentrl.infra.mesh on 8 fake CPU devices (tests/conftest.py requests them)."""

from __future__ import annotations

import jax
import numpy as np
import pytest
from jax.sharding import PartitionSpec

from agentrl.config import load_config
from agentrl.errors import ConfigError
from agentrl.infra.mesh import MeshConfig, make_mesh, replicate, shard_batch, shard_model


@pytest.fixture(scope="module", autouse=True)
def _eight_devices():
    if jax.device_count() < 8:
        pytest.skip("needs 8 (fake) devices")


@pytest.mark.parametrize(
    ("sizes", "want"),
    [
        ({}, (8, 1, 1)),
        ({"fsdp": 2}, (4, 2, 1)),
        ({"data": 2, "fsdp": -1, "tp": 2}, (2, 2, 2)),
        ({"data": 1, "fsdp": 1, "tp": 8}, (1, 1, 8)),
    ],
)
def test_resolve_fills_one_axis(sizes, want):
    cfg = MeshConfig(**sizes)
    assert cfg.resolve(8) == want
    mesh = make_mesh(cfg)
    assert (mesh.shape["data"], mesh.shape["fsdp"], mesh.shape["tp"]) == want
    assert mesh.axis_names == ("data", "fsdp", "tp")


def test_bad_sizes_are_config_errors():
    with pytest.raises(ConfigError, match=r"mesh\.tp=0, need >= 1 or -1"):
        load_config(MeshConfig, None, ["tp=0"])
    with pytest.raises(ConfigError, match="at most one -1"):
        load_config(MeshConfig, None, ["fsdp=-1"])
    with pytest.raises(ConfigError, match="do not divide the 8 available"):
        MeshConfig(tp=3).resolve(8)
    with pytest.raises(ConfigError, match="= 4 devices, but 8 are available"):
        MeshConfig(data=2, fsdp=2).resolve(8)


def test_make_mesh_on_a_device_subset():
    mesh = make_mesh(MeshConfig(data=1, fsdp=2), devices=jax.devices()[:2])
    assert mesh.devices.size == 2


def test_shard_batch_splits_leading_axis_over_data_and_fsdp():
    mesh = make_mesh(MeshConfig(data=2, fsdp=2, tp=2))
    batch = {"tokens": np.arange(8 * 5).reshape(8, 5), "reward": np.arange(8.0)}
    placed = shard_batch(batch, mesh)
    for name, value in batch.items():
        assert np.array_equal(np.asarray(placed[name]), value)
        assert placed[name].sharding.spec[0] == ("data", "fsdp")
    # 4 batch shards of 2 rows, each on 2 tp devices.
    assert {s.data.shape for s in placed["tokens"].addressable_shards} == {(2, 5)}
    with pytest.raises(ConfigError, match=r"batch\['x'\] with batch size 6, need a multiple of"):
        shard_batch({"x": np.zeros((6, 2))}, mesh)


def test_replicate():
    mesh = make_mesh()
    tree = replicate({"w": np.ones((3, 2))}, mesh)
    assert tree["w"].sharding.spec == PartitionSpec()
    assert len(tree["w"].addressable_shards) == 8


def test_shard_model_places_every_parameter_on_the_mesh():
    from flax import nnx

    class Block(nnx.Module):
        def __init__(self, rngs):
            self.up_proj = nnx.Linear(8, 16, rngs=rngs)
            self.down_proj = nnx.Linear(16, 8, rngs=rngs)

    model = Block(nnx.Rngs(0))
    before = jax.tree.map(np.asarray, nnx.state(model, nnx.Param))
    mesh = make_mesh(MeshConfig(data=2, fsdp=2, tp=2))
    assert shard_model(model, mesh) is model
    after = nnx.state(model, nnx.Param)
    for old, new in zip(jax.tree.leaves(before), jax.tree.leaves(after), strict=True):
        assert np.array_equal(old, np.asarray(new))
        assert new.sharding.mesh.shape == mesh.shape and len(new.addressable_shards) == 8


def test_devices_spans_the_first_devices_only():
    mesh = make_mesh(MeshConfig(data=-1, tp=2, devices=4))
    assert dict(mesh.shape) == {"data": 2, "fsdp": 1, "tp": 2}
    assert list(mesh.devices.flat) == jax.devices()[:4]
    with pytest.raises(ConfigError, match=r"mesh\.devices=9, but 8 are available"):
        make_mesh(MeshConfig(devices=9))
    with pytest.raises(ConfigError, match="= 2 devices, but 4 are available"):
        make_mesh(MeshConfig(data=2, devices=4))
