"""agentrl.infra.checkpoint: bit-exact round trips, keep/every, half-written checkpoints ignored."""

from __future__ import annotations

import shutil

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from flax import nnx

from agentrl.config import Config
from agentrl.errors import CheckpointError
from agentrl.infra.checkpoint import Checkpointer, abstract_like


class Tiny(nnx.Module):
    def __init__(self, rngs: nnx.Rngs, width: int = 5):
        self.embed = nnx.Embed(11, width, rngs=rngs)
        self.proj = nnx.Linear(width, 7, rngs=rngs)


class RunCfg(Config):
    lr: float = 1e-3
    name: str = "x"


@jax.jit  # one compile instead of dozens of eager ops
def _train_state(seed: jax.Array, width: int = 5):
    model = Tiny(nnx.Rngs(jax.random.key(seed)), width)
    params = nnx.state(model, nnx.Param)
    tx = optax.adamw(1e-2)
    opt_state = tx.init(params)
    # One real update so the optimizer moments are not all zeros.
    grads = jax.tree.map(lambda p: jnp.sin(p * 3.0 + seed), params)
    updates, opt_state = tx.update(grads, opt_state, params)
    params = optax.apply_updates(params, updates)
    key = jax.random.key(seed)
    return {"model": params, "opt": opt_state, "rng": key, "step": seed}


def _bits_equal(a, b) -> bool:
    if jax.dtypes.issubdtype(a.dtype, jax.dtypes.prng_key):
        a, b = jax.random.key_data(a), jax.random.key_data(b)
    return a.dtype == b.dtype and np.array_equal(np.asarray(a), np.asarray(b))


def test_round_trip_is_bit_exact(tmp_path):
    state = _train_state(jnp.int32(1))
    with Checkpointer(tmp_path / "ckpt", keep=2, every=1) as ckpt:
        assert ckpt.save(4, state, data={"next_index": 17}, config=RunCfg(lr=0.5), force=True)
    fresh = _train_state(jnp.int32(2))  # a different live tree with the same structure
    with Checkpointer(tmp_path / "ckpt") as ckpt:
        restored = ckpt.restore_latest(abstract_like(fresh))
    assert restored is not None
    assert restored.step == 4
    assert restored.data == {"next_index": 17}
    assert RunCfg.model_validate(restored.config) == RunCfg(lr=0.5)
    flat_a, tree_a = jax.tree.flatten(state)
    flat_b, tree_b = jax.tree.flatten(restored.state)
    assert tree_a == tree_b
    assert all(_bits_equal(a, b) for a, b in zip(flat_a, flat_b, strict=True))
    # The restored key is a typed key again, of the same PRNG implementation.
    assert jax.dtypes.issubdtype(restored.state["rng"].dtype, jax.dtypes.prng_key)
    assert jax.random.key_impl(restored.state["rng"]) == jax.random.key_impl(state["rng"])
    # The restored params load into a live nnx model.
    model = nnx.eval_shape(lambda: Tiny(nnx.Rngs(9)))  # abstract: no init compute
    nnx.update(model, restored.state["model"])
    live = jax.tree.leaves(nnx.state(model, nnx.Param))
    assert all(_bits_equal(a, b) for a, b in zip(live, jax.tree.leaves(state["model"])))


def test_every_keep_and_force(tmp_path):
    state = {"w": jnp.zeros(3)}
    with Checkpointer(tmp_path, keep=2, every=3, async_save=False) as ckpt:
        saved = [s for s in range(1, 10) if ckpt.save(s, {"w": jnp.full(3, float(s))})]
        assert saved == [3, 6, 9]
        assert ckpt.save(10, state, force=True)
        assert not ckpt.save(10, state, force=True)  # never the same step twice
        assert ckpt.all_steps() == [9, 10]
        assert not ckpt.should_save(11) and ckpt.should_save(12)
        restored = ckpt.restore(9, {"w": jnp.zeros(3)})
    assert restored.data is None and restored.config is None
    assert np.array_equal(restored.state["w"], np.full(3, 9.0))


def test_half_written_checkpoints_are_never_picked_up(tmp_path):
    ckdir = tmp_path / "ckpt"
    with Checkpointer(ckdir, keep=5, every=1) as ckpt:
        ckpt.save(1, {"w": jnp.ones(2)})
    # A crash mid-save leaves Orbax's temp folder, or (another filesystem) a step folder
    # without the completion metadata; an empty folder is the extreme case.
    shutil.copytree(ckdir / "1", ckdir / "2.orbax-checkpoint-tmp-1700000000")
    shutil.copytree(ckdir / "1", ckdir / "3")
    (ckdir / "3" / "_CHECKPOINT_METADATA").unlink()
    (ckdir / "4").mkdir()
    with Checkpointer(ckdir, keep=5, every=1) as ckpt:
        assert ckpt.all_steps() == [1]
        restored = ckpt.restore_latest({"w": jnp.zeros(2)})
        assert restored is not None and restored.step == 1
        # Saving again at a step that was half-written works.
        assert ckpt.save(3, {"w": jnp.full(2, 3.0)})
        ckpt.wait()
        assert ckpt.latest_step() == 3
    assert (ckdir / "3.incomplete").is_dir() and (ckdir / "4.incomplete").is_dir()


def test_empty_directory_restores_none(tmp_path):
    with Checkpointer(tmp_path) as ckpt:
        assert ckpt.restore_latest({"w": jnp.zeros(2)}) is None
        with pytest.raises(CheckpointError, match="no complete checkpoint for step 5"):
            ckpt.restore(5, {"w": jnp.zeros(2)})


def test_mismatched_structure_names_path_and_keys(tmp_path):
    with Checkpointer(tmp_path, every=1) as ckpt:
        ckpt.save(2, {"w": jnp.ones((2, 3)), "b": jnp.ones(3)})
        ckpt.wait()
        with pytest.raises(CheckpointError) as e:
            ckpt.restore_latest({"w": jnp.ones((2, 4)), "c": jnp.ones(3)})
    msg = str(e.value)
    assert str(tmp_path / "2") in msg
    assert "missing in checkpoint: c" in msg
    assert "unexpected in checkpoint: b" in msg
    assert "w: checkpoint has (2, 3) float32, expected (2, 4) float32" in msg


@pytest.mark.parametrize(("kwargs", "match"), [({"keep": 0}, "keep=0"), ({"every": 0}, "every=0")])
def test_bad_arguments(tmp_path, kwargs, match):
    with pytest.raises(CheckpointError, match=match):
        Checkpointer(tmp_path, **kwargs)


def test_sharded_state_restores_with_its_sharding(tmp_path):
    from jax.sharding import NamedSharding, PartitionSpec

    from agentrl.infra.mesh import MeshConfig, make_mesh

    if jax.device_count() < 8:
        pytest.skip("needs 8 (fake) devices")
    mesh = make_mesh(MeshConfig(data=2, fsdp=4))
    sharding = NamedSharding(mesh, PartitionSpec("fsdp", None))
    w = jax.device_put(jnp.arange(32.0).reshape(8, 4), sharding)
    with Checkpointer(tmp_path, every=1) as ckpt:
        ckpt.save(1, {"w": w})
        ckpt.wait()
        restored = ckpt.restore_latest(abstract_like({"w": w}))
    assert restored is not None
    assert restored.state["w"].sharding == sharding
    assert np.array_equal(restored.state["w"], w)


def test_export_hf_uses_models_save(tmp_path, monkeypatch):
    import agentrl.models as models
    from agentrl.errors import ModelError
    from agentrl.infra.checkpoint import export_hf

    calls = []
    monkeypatch.setattr(models, "save", lambda m, t, d: calls.append((m, t, d)), raising=False)
    assert export_hf("model", "tok", tmp_path / "hf") == tmp_path / "hf"
    assert calls == [("model", "tok", tmp_path / "hf")]
    monkeypatch.delattr(models, "save", raising=False)
    with pytest.raises(ModelError, match=r"agentrl\.models\.save is missing"):
        export_hf("model", "tok", tmp_path / "hf")
