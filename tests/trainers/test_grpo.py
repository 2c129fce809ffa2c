"""GRPO learner: one step moves every parameter and lowers the loss; KL, epochs, compiles."""

from __future__ import annotations

import jax
import numpy as np
import pytest
from trainer_helpers import make_model, make_trajectories, params_changed

from agentrl.trainers.grpo import GRPOConfig, GRPOLearner


@pytest.fixture(scope="module")
def learner():
    config = GRPOConfig(
        kl_coef=0.05,
        num_inner_epochs=2,
        num_minibatches=2,
        recompute_old_logprobs=True,
        optimizer={"lr": 1e-2},
    )
    return GRPOLearner(config, make_model())


def test_step_changes_every_parameter_lowers_the_loss_and_tracks_kl(learner):
    trajs = make_trajectories(groups=2, group_size=4, env_tokens=True)
    batch = learner.prepare(learner.make_batch(trajs))
    first = learner.eval_loss(batch)
    assert first["kl"] == pytest.approx(0.0, abs=1e-6)  # the reference is the starting policy
    assert first["ratio_mean"] == pytest.approx(1.0, abs=1e-5)  # pi_old was recomputed
    before = jax.tree.map(np.array, learner.params)
    metrics = learner.train_step(batch)
    assert params_changed(before, learner.params) == []
    assert learner.step == 4  # 2 epochs x 2 minibatches, all reusing the rollout's pi_old
    after = learner.eval_loss(batch)
    assert after["pg_loss"] < first["pg_loss"]
    assert after["kl"] > 0
    assert metrics["ratio_max"] > 1.0 and metrics["ratio_min"] <= 1.0
    for key in ("loss", "kl", "clip_frac", "entropy", "grad_norm", "reward_mean", "adv_abs_mean"):
        assert np.isfinite(metrics[key]), key


def test_new_lengths_in_one_bucket_do_not_recompile(learner):
    compiled = learner.compilations
    learner.train_step(make_trajectories(groups=2, group_size=4, seed=5))  # a new rollout
    assert learner.compilations == compiled


def test_variant_presets_validate():
    assert GRPOConfig.dr_grpo(max_tokens=64).norm_constant == 64.0
    dapo = GRPOConfig.dapo()
    assert dapo.policy_loss.eps_high == 0.28 and dapo.dynamic_sampling
    assert GRPOConfig.gspo().policy_loss.kind == "gspo"
    cfg = GRPOConfig.model_validate({"advantage": {"kind": "rloo"}, "kl_coef": 0.0})
    assert cfg.advantage.kind == "rloo"
    with pytest.raises(ValueError, match="norm_constant=None"):
        GRPOConfig(aggregation="token_sum")
    with pytest.raises(ValueError, match="num_inner_epochs"):
        GRPOConfig(num_inner_epochs=0)


def test_a_batch_without_policy_tokens_is_skipped(learner):
    trajs = make_trajectories(groups=2, group_size=4, env_tokens=True)
    masked = [t.model_copy(update={"loss_mask": [0] * len(t.token_ids)}) for t in trajs]
    step = learner.step
    assert learner.train_step(masked)["skipped"] == 1.0
    assert learner.step == step
