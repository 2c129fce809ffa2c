"""SFT: one step moves every parameter and lowers the eval loss; micro-batches of 1 row equal
the whole batch of 8."""

from __future__ import annotations

import jax
import numpy as np
from trainer_helpers import make_model, params_changed, random_sequences

from agentrl.trainers.learner import UpdateConfig
from agentrl.trainers.sft import SFTConfig, SFTLearner


def _copy(tree):
    return jax.tree.map(np.array, tree)


def test_step_moves_every_parameter_and_accumulation_1x8_equals_8x1():
    ids, masks = random_sequences(8, seed=1)
    results = []
    for accum in (1, 8):
        config = SFTConfig(optimizer={"lr": 1e-3})
        update = UpdateConfig(micro_batch_rows=None if accum == 1 else 1)
        learner = SFTLearner(config, make_model(), update=update)
        batch = learner.make_batch(list(zip(ids, masks)))
        before = _copy(learner.params)
        if accum == 1:
            first = learner.eval_loss(batch)["loss"]
        metrics = learner.train_step(batch)
        assert params_changed(before, learner.params) == []
        if accum == 1:
            assert np.isclose(metrics["loss"], first, rtol=1e-5)
            assert learner.eval_loss(batch)["loss"] < first
            assert metrics["tokens"] == sum(sum(m[1:]) for m in masks)  # assistant targets only
        results.append((metrics, _copy(learner.params)))
    (m1, p1), (m8, p8) = results
    np.testing.assert_allclose(m1["loss"], m8["loss"], rtol=1e-5)
    np.testing.assert_allclose(m1["grad_norm"], m8["grad_norm"], rtol=1e-4)
    for a, b in zip(jax.tree.leaves(p1), jax.tree.leaves(p8)):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
