"""Sharding on 8 fake CPU devices (fsdp=2 x tp=4): same forward, parameters really split."""

from __future__ import annotations

from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import forward
from flax import nnx
from jax.sharding import PartitionSpec as P

import agentrl.models as M
from agentrl.infra.mesh import MeshConfig, make_mesh
from agentrl.models.sharding import DECODER_RULES, path_str, spec_for

# Every projection width divisible by both 2 and 4 so that each rule really splits.
CONFIG = M.Qwen2Config.tiny(
    vocab_size=96, hidden_size=64, intermediate_size=136, num_hidden_layers=2,
    num_attention_heads=8, num_key_value_heads=4, head_dim=8, tie_word_embeddings=False,
)  # fmt: skip


@pytest.fixture(scope="module")
def mesh() -> jax.sharding.Mesh:
    if jax.device_count() < 8:
        pytest.skip("needs 8 (fake) devices")
    return make_mesh(MeshConfig(data=1, fsdp=2, tp=4))


def batch() -> tuple[jax.Array, jax.Array, jax.Array]:
    tokens = jnp.asarray(np.random.default_rng(0).integers(0, 96, size=(4, 9)), jnp.int32)
    mask = jnp.ones((4, 9), bool).at[1, :3].set(False)
    positions = jnp.maximum(jnp.cumsum(mask, axis=1) - 1, 0)
    return tokens, positions, mask


def test_sharded_forward_equals_unsharded(mesh: jax.sharding.Mesh) -> None:
    model = M.CausalLM(CONFIG, rngs=nnx.Rngs(0))
    expected = np.asarray(forward(model, *batch()))
    M.shard_model(model, mesh)
    q = model.layers[0].self_attn.q_proj.kernel[...]
    assert q.sharding.spec == P("fsdp", "tp")
    assert {s.data.shape for s in q.addressable_shards} == {(32, 16)}  # [64, 64] / (2, 4)
    down = model.layers[1].mlp.down_proj.kernel[...]
    assert {s.data.shape for s in down.addressable_shards} == {(34, 32)}  # [136, 64] / (4, 2)
    embed = model.embed_tokens.embedding[...]
    assert {s.data.shape for s in embed.addressable_shards} == {(24, 32)}
    norm = model.norm.scale[...]
    assert {s.data.shape for s in norm.addressable_shards} == {(64,)}  # replicated
    got = np.asarray(forward(model, *batch()))
    np.testing.assert_allclose(got, expected, atol=1e-5, rtol=0)


def test_load_places_shards_directly(mesh: jax.sharding.Mesh, tmp_path: Path) -> None:
    model = M.CausalLM(CONFIG, rngs=nnx.Rngs(1))
    M.save(model, None, tmp_path)
    loaded, _ = M.load(tmp_path, mesh=mesh)
    for path, leaf in jax.tree_util.tree_leaves_with_path(nnx.state(loaded)):
        name = path_str(path)
        spec = spec_for(name, leaf.shape, mesh, DECODER_RULES)
        assert leaf.sharding.spec == spec, name
    up = loaded.layers[0].mlp.up_proj.kernel[...]
    assert {s.data.shape for s in up.addressable_shards} == {(32, 34)}
    np.testing.assert_array_equal(
        np.asarray(up), np.asarray(model.layers[0].mlp.up_proj.kernel[...])
    )


def test_indivisible_dimensions_stay_whole(mesh: jax.sharding.Mesh) -> None:
    assert spec_for("layers/0/self_attn/q_proj/kernel", (66, 84), mesh, DECODER_RULES) == P(
        "fsdp", "tp"
    )
    assert spec_for("layers/0/self_attn/q_proj/kernel", (67, 6), mesh, DECODER_RULES) == P(
        None, None
    )
    assert spec_for("layers/0/input_layernorm/scale", (64,), mesh, DECODER_RULES) == P()
