"""Where a run's arrays live on a 2 x 2 x 2 mesh of 8 fake CPU devices (tests/conftest.py):
every parameter at its family rule's spec, Adam's moments sharded as their parameters, the
samplers' KV caches split by rows and KV heads, and impossible meshes refused by name."""

from __future__ import annotations

import re

import jax
import pytest
from flax import nnx
from jax.sharding import PartitionSpec as P

from agentrl.errors import ConfigError
from agentrl.infra.mesh import MeshConfig, make_mesh
from agentrl.models.sharding import CACHE_SPEC, path_str, rules_for, shard_model, spec_for
from agentrl.models.tiny import tiny_model
from agentrl.sampling.base import SamplingParams
from agentrl.sampling.engine import Engine
from agentrl.sampling.jax_sampler import JaxSampler
from agentrl.trainers.grpo import GRPOConfig, GRPOLearner


@pytest.fixture(scope="module")
def mesh() -> jax.sharding.Mesh:
    if jax.device_count() < 8:
        pytest.skip("needs 8 (fake) devices")
    return make_mesh(MeshConfig(data=2, fsdp=2, tp=2))


def _specs(tree, mesh, rules) -> dict[str, tuple[P, P]]:
    """path -> (the array's spec, its rule's spec)."""
    return {
        path_str(path): (leaf.sharding.spec, spec_for(path_str(path), leaf.shape, mesh, rules))
        for path, leaf in jax.tree_util.tree_leaves_with_path(tree)
    }


def test_parameters_and_adam_moments_follow_the_rules(mesh) -> None:
    model, _ = tiny_model(seed=0, num_hidden_layers=2)
    rules = rules_for(model)
    learner = GRPOLearner(GRPOConfig(kl_coef=0.1), model, mesh=mesh)
    specs = _specs(nnx.state(learner.model), mesh, rules)
    assert specs["layers/0/self_attn/q_proj/kernel"][0] == P("fsdp", "tp")
    assert specs["layers/1/mlp/down_proj/kernel"][0] == P("tp", "fsdp")
    assert specs["embed_tokens/embedding"][0] == P("tp", "fsdp")
    for name, (got, want) in specs.items():
        assert got == want, name
    # Adam's mu and nu: every params-shaped part of the state sits exactly where its
    # parameter does; the step count is replicated.
    params = {
        path_str(p): x.sharding for p, x in jax.tree_util.tree_leaves_with_path(learner.params)
    }
    moments = 0
    for path, leaf in jax.tree_util.tree_leaves_with_path(learner.opt_state):
        name = path_str(path)
        match = [p for p in params if name.endswith(p)]
        if match:
            assert leaf.sharding == params[match[0]], name
            moments += 1
        else:
            assert leaf.sharding.is_fully_replicated, name
    assert moments == 2 * len(params)
    ref = _specs(learner.ref._states[0], mesh, rules)  # the frozen reference copy
    assert all(got == want for got, want in ref.values())


def test_a_train_step_keeps_every_placement(mesh) -> None:
    from trainer_helpers import make_trajectories

    model, _ = tiny_model(seed=0, num_hidden_layers=1)
    learner = GRPOLearner(GRPOConfig(), model, mesh=mesh)
    before = jax.tree.map(lambda x: x.sharding, (learner.params, learner.opt_state))
    learner.train_step(make_trajectories(groups=2, group_size=4))
    after = jax.tree.map(lambda x: x.sharding, (learner.params, learner.opt_state))
    assert after == before
    for name, (got, want) in _specs(nnx.state(model), mesh, rules_for(model)).items():
        assert got == want, name


def test_sampler_kv_caches_split_rows_and_kv_heads(mesh) -> None:
    model, tokenizer = tiny_model(seed=0, num_hidden_layers=1)
    shard_model(model, mesh)
    sampler = JaxSampler(model, tokenizer, max_context=64, mesh=mesh)
    seen = []
    prefill = sampler._prefill

    def spy(*args, **kwargs):
        state = prefill(*args, **kwargs)
        k, v = state.cache[0]  # before decode donates it
        seen.append((k.shape, k.sharding.spec, v.sharding.spec, k.addressable_shards[0].data.shape))
        return state

    sampler._prefill = spy
    out = sampler.generate([tokenizer.encode("1+1=")], SamplingParams(max_tokens=4, n=3))
    assert len(out[0]) == 3
    shape, k_spec, v_spec, shard = seen[0]
    assert shape[0] == 4  # 3 rows padded to a multiple of data x fsdp
    assert k_spec == v_spec == CACHE_SPEC
    assert shard[:2] == (1, 1)  # 4 rows over data x fsdp, 2 KV heads over tp

    engine = Engine(model, tokenizer, num_slots=6, max_context=64, mesh=mesh)
    store_k = engine._store[0].k
    assert store_k.shape[0] == 8 and store_k.sharding.spec == CACHE_SPEC
    request = engine.submit(tokenizer.encode("2+2="), SamplingParams(max_tokens=4))
    engine.run_until([request])
    assert engine._store[0].k.sharding.spec == CACHE_SPEC and request.token_ids


def test_a_tp_that_does_not_divide_the_heads_is_refused(mesh) -> None:
    model, _ = tiny_model(seed=0, num_hidden_layers=1, num_key_value_heads=1)
    message = "mesh.tp=2, which does not divide the model's num_key_value_heads=1"
    with pytest.raises(ConfigError, match=re.escape(message)):
        shard_model(model, mesh)
