"""A GRPO step on 8 fake CPU devices (data=2, fsdp=2, tp=2) matches the one-device step."""

from __future__ import annotations

import jax
import numpy as np
import pytest
from trainer_helpers import make_model, make_trajectories

from agentrl.infra.mesh import MeshConfig, make_mesh
from agentrl.trainers.grpo import GRPOConfig, GRPOLearner


def test_grpo_step_on_a_2x2x2_mesh_matches_one_device():
    if jax.device_count() < 8:
        pytest.skip("needs XLA_FLAGS=--xla_force_host_platform_device_count=8")
    # SGD, so parameter differences are gradient differences (Adam would amplify the noise of
    # near-zero gradients into full-size steps).
    config = GRPOConfig(kl_coef=0.05, optimizer={"name": "sgd", "lr": 0.5})
    trajs = make_trajectories(groups=2, group_size=4, env_tokens=True)
    results = []
    for mesh in (None, make_mesh(MeshConfig(data=2, fsdp=2, tp=2))):
        learner = GRPOLearner(config, make_model(), mesh=mesh)
        metrics = learner.train_step(trajs)
        results.append((metrics, jax.tree.map(np.asarray, learner.params), learner))
    (m1, p1, _), (m8, p8, sharded) = results
    kernel = sharded.model.layers[0].self_attn.q_proj.kernel[...]
    assert len(kernel.sharding.device_set) == 8 and not kernel.sharding.is_fully_replicated
    for key in ("loss", "kl", "grad_norm", "entropy"):
        np.testing.assert_allclose(m8[key], m1[key], rtol=1e-5, atol=1e-7, err_msg=key)
    for a, b in zip(jax.tree.leaves(p1), jax.tree.leaves(p8)):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)
