"""PPO, DPO and distillation learners: one step moves every trainable parameter, and a second
step on the same batch starts from a lower loss (each step reports the loss before it)."""

from __future__ import annotations

import jax
import numpy as np
import pytest
from trainer_helpers import make_model, make_trajectories, params_changed, random_sequences

from agentrl.errors import ConfigError
from agentrl.trainers.data import PreferencePair, SequenceExample
from agentrl.trainers.distill import DistillConfig, DistillLearner
from agentrl.trainers.dpo import DPOConfig, DPOLearner, online_pairs
from agentrl.trainers.ppo import PPOConfig, PPOLearner


def _two_steps(learner, batch):
    before = jax.tree.map(np.array, learner.params)
    first = learner.train_step(batch)
    unchanged = params_changed(before, learner.params)
    second = learner.train_step(batch)
    return first, second, unchanged


@pytest.mark.parametrize("separate_critic", [False, True])
def test_ppo_step(separate_critic):
    critic = make_model(seed=3) if separate_critic else None
    config = PPOConfig(kl_reward_coef=0.1, recompute_old_logprobs=True, optimizer={"lr": 1e-2})
    learner = PPOLearner(config, make_model(), critic=critic)
    batch = learner.prepare(learner.make_batch(make_trajectories(2, 4, env_tokens=True)))
    first, second, unchanged = _two_steps(learner, batch)
    assert unchanged == []
    assert second["loss"] < first["loss"]
    assert second["value_loss"] < first["value_loss"]
    assert first["ratio_mean"] == pytest.approx(1.0, abs=1e-5)


def test_dpo_step_and_online_pairs():
    trajs = make_trajectories(5, 3)
    pairs = online_pairs(trajs)
    assert len(pairs) == 5
    best = max(trajs[:3], key=lambda t: t.reward)
    assert pairs[0].chosen.token_ids == best.token_ids
    learner = DPOLearner(DPOConfig(beta=0.5, optimizer={"lr": 1e-2}), make_model())
    batch = learner.prepare(learner.make_batch(pairs))
    assert batch.num_rows == 12  # 5 pairs -> 10 rows -> 12; a padding pair, weight 0
    first, second, unchanged = _two_steps(learner, batch)
    assert unchanged == []
    assert first["loss"] == pytest.approx(np.log(2), rel=1e-5)  # policy == reference
    assert second["loss"] < first["loss"] and second["margin"] > 0


# logit and on_policy differ only in the kernel (forward vs reverse KL, tested against NumPy)
@pytest.mark.parametrize("mode", ["feature", "on_policy"])
def test_distill_step(mode):
    teacher = make_model(seed=7, hidden_size=48 if mode == "feature" else 32)
    config = DistillConfig(mode=mode, temperature=2.0, optimizer={"lr": 1e-2})
    learner = DistillLearner(config, make_model(), teacher)
    if mode == "on_policy":
        data = make_trajectories(2, 2)
    else:
        data = [SequenceExample(i, m) for i, m in zip(*random_sequences(4))]
    first, second, unchanged = _two_steps(learner, learner.make_batch(data))
    assert unchanged == []
    assert second["distill_loss"] < first["distill_loss"]
    if mode == "feature":
        assert "projection" in learner.params


def test_distill_rejects_mismatched_vocab():
    with pytest.raises(ConfigError, match="vocab_size=64 and teacher vocab_size=80"):
        DistillLearner(DistillConfig(), make_model(), make_model(vocab_size=80))


def test_preference_pair_validation():
    pair = PreferencePair(SequenceExample([1, 2, 3], [0, 1, 1]), SequenceExample([1, 4], [0, 1]))
    assert pair.chosen.loss_mask == [0, 1, 1]


@pytest.mark.parametrize("mode", ["logit", "on_policy"])
def test_distill_by_position_chunks_takes_the_same_step(mode, monkeypatch):
    """Teacher and student logits are made a few positions at a time when a batch's would be
    too many: the same losses and the same updated parameters as all at once."""
    from agentrl.trainers import logprobs

    data = [SequenceExample(i, m) for i, m in zip(*random_sequences(4))]
    # Plain SGD: the step is the gradient itself (Adam's first step is about lr * sign(g),
    # which turns float noise on a near-zero gradient into a full-size difference).
    optimizer = {"name": "sgd", "lr": 1.0, "grad_clip": None}
    config = DistillConfig(mode=mode, temperature=2.0, ce_coef=0.5, optimizer=optimizer)

    def one_step() -> tuple[dict, list]:
        learner = DistillLearner(config, make_model(), make_model(seed=7))
        metrics = learner.train_step(learner.make_batch(data))
        return metrics, jax.tree.leaves(learner.params)

    whole = one_step()
    vocab = make_model().config.vocab_size
    monkeypatch.setattr(logprobs, "LOGITS_PER_CHUNK", 4 * 2 * vocab * 3)  # 3 positions a chunk
    chunked = one_step()
    for key in ("distill_loss", "ce_loss"):
        assert chunked[0][key] == pytest.approx(whole[0][key], rel=1e-5)
    for got, want in zip(chunked[1], whole[1], strict=True):
        np.testing.assert_allclose(got, want, atol=1e-6, rtol=1e-5)
