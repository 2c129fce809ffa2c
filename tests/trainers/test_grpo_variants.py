"""Every GRPO variant through `GRPOLearner.train_step`, and `variant` changing what it does.

The configs are built from plain mappings, as YAML and ``--set`` give them, so these tests fail if
the ``variant`` field is read by nothing.
"""

from __future__ import annotations

import jax
import numpy as np
import pytest
from trainer_helpers import make_model, make_trajectories, params_changed

from agentrl.config import load_config
from agentrl.trainers.grpo import GRPOConfig, GRPOLearner
from agentrl.trainers.learner import forward_logprobs

# What each variant needs besides its name (Dr.GRPO's constant budget; a KL folded into
# REINFORCE++'s return, merged into the variant's estimator).
EXTRA = {
    "grpo": {},
    "dr_grpo": {"norm_constant": 8.0},
    "dapo": {},
    "gspo": {},
    "rloo": {},
    "reinforce_pp": {"advantage": {"kl_coef": 0.01}},
}


def _learner(mapping, seed=0):
    config = GRPOConfig.model_validate({"optimizer": {"lr": 1e-3}, **mapping})
    return GRPOLearner(config, make_model(seed))


@pytest.mark.parametrize("variant", list(EXTRA))
def test_each_variant_moves_every_parameter_and_lowers_the_loss(variant):
    model = make_model()
    config = GRPOConfig.model_validate(
        {"variant": variant, "recompute_old_logprobs": True, "optimizer": {"lr": 1e-3}}
        | EXTRA[variant]
    )
    learner = GRPOLearner(config, model)
    batch = learner.prepare(learner.make_batch(make_trajectories(groups=2, group_size=4)))
    first = learner.eval_loss(batch)["loss"]
    logp_before = np.asarray(forward_logprobs(model, batch))
    before = jax.tree.map(np.array, learner.params)
    for _ in range(3):
        metrics = learner.train_step(batch)
        assert "skipped" not in metrics and np.isfinite(metrics["loss"])
    assert params_changed(before, learner.params) == []
    assert learner.eval_loss(batch)["loss"] < first - 1e-4, variant
    # The right direction, whatever the loss's own scale: tokens with positive advantage became
    # likelier than those with negative advantage.
    gain = np.asarray(forward_logprobs(model, batch)) - logp_before
    assert float(np.sum(np.asarray(batch.advantages) * gain)) > 0, variant


def test_reinforce_pp_kl_in_the_return_builds_a_reference():
    learner = _learner({"variant": "reinforce_pp", **EXTRA["reinforce_pp"]})
    assert learner.config.advantage.kind == "reinforce_pp"
    assert learner.config.advantage.kl_coef == 0.01  # merged into the variant's estimator
    assert learner.ref is not None


def _prepared(variant, trajs, **extra):
    learner = _learner({"variant": variant, **extra})
    return learner, learner.prepare(learner.make_batch(trajs))


def _first_token_advantages(batch):
    mask = np.asarray(batch.loss_mask)
    real = mask.sum(-1) > 0
    first = mask.argmax(-1)
    adv = np.asarray(batch.advantages)[np.arange(len(mask)), first]
    return adv[real], np.asarray(batch.rewards)[real], mask[real]


def test_advantage_variants_use_their_estimator():
    trajs = make_trajectories(groups=2, group_size=4)
    rewards = np.array([t.reward for t in trajs]).reshape(2, 4)
    centred = (rewards - rewards.mean(1, keepdims=True)).ravel()

    _, batch = _prepared("grpo", trajs)
    adv, _, _ = _first_token_advantages(batch)
    std = np.repeat(rewards.std(1, ddof=1), 4)
    np.testing.assert_allclose(adv, centred / (std + 1e-6), rtol=1e-5)

    _, batch = _prepared("dr_grpo", trajs, norm_constant=8.0)
    adv, _, _ = _first_token_advantages(batch)
    np.testing.assert_allclose(adv, centred, rtol=1e-5, atol=1e-6)  # no std division

    _, batch = _prepared("rloo", trajs)
    adv, _, _ = _first_token_advantages(batch)
    np.testing.assert_allclose(adv, centred * 4 / 3, rtol=1e-5, atol=1e-6)  # leave-one-out

    _, batch = _prepared("reinforce_pp", trajs)
    mask = np.asarray(batch.loss_mask) > 0
    tokens = np.asarray(batch.advantages)[mask]
    assert abs(tokens.mean()) < 1e-5 and tokens.std() == pytest.approx(1.0, abs=1e-4)


def test_dapo_and_dr_grpo_weigh_tokens_their_way():
    trajs = make_trajectories(groups=2, group_size=4)
    weights = {}
    for variant, extra in (("grpo", {}), ("dapo", {}), ("dr_grpo", {"norm_constant": 8.0})):
        learner, batch = _prepared(variant, trajs, **extra)
        mask = np.asarray(batch.loss_mask) > 0
        weights[variant] = np.asarray(learner.prepare_weights(batch).weights)[mask]
    lengths = [sum(t.loss_mask) for t in trajs]
    assert len(set(lengths)) > 1  # ragged rows, so the aggregations differ
    np.testing.assert_allclose(weights["dapo"], 1.0 / sum(lengths), rtol=1e-6)  # token_mean
    np.testing.assert_allclose(weights["dr_grpo"], 1.0 / (len(trajs) * 8.0), rtol=1e-6)
    assert not np.allclose(weights["grpo"], weights["grpo"][0])  # seq_mean: 1 / (rows * len)


def test_dapo_drops_equal_reward_groups_and_masks_cut_off_answers():
    trajs = make_trajectories(groups=3, group_size=4)
    trajs = [
        t.model_copy(update={"reward": 1.0}) if t.group_id == "g0"  # equal rewards
        else t.model_copy(update={"termination": "max_tokens"}) if t.group_id == "g1"  # cut off
        else t
        for t in trajs
    ]  # fmt: skip
    rows = {}
    for variant in ("grpo", "dapo"):
        learner = _learner({"variant": variant})
        mask = np.asarray(learner.make_batch(trajs).loss_mask)
        rows[variant] = int((mask.sum(-1) > 0).sum())
    assert rows == {"grpo": 12, "dapo": 4}


def test_dapo_clips_higher_and_gspo_uses_one_ratio_per_sequence():
    # pi_old is the sampler's -1.0 per token, so the token ratios spread widely.
    trajs = make_trajectories(groups=2, group_size=4)
    stats = {}
    for variant in ("grpo", "gspo"):
        learner, batch = _prepared(variant, trajs)
        stats[variant] = learner.eval_loss(batch)
    # A sequence's ratio is the geometric mean of its tokens' ratios: inside their range.
    assert stats["gspo"]["ratio_max"] < stats["grpo"]["ratio_max"] * (1 - 1e-3)
    assert stats["gspo"]["ratio_min"] > stats["grpo"]["ratio_min"] * (1 + 1e-3)
    assert _learner({"variant": "dapo"}).config.policy_loss.eps_high == 0.28


@pytest.mark.parametrize(
    ("overrides", "expect"),
    [
        (["variant=dapo"], dict(aggregation="token_mean", dynamic_sampling=True, eps_high=0.28)),
        (["variant=dapo", "dynamic_sampling=false"], dict(dynamic_sampling=False)),
        (["variant=dapo", "policy_loss.eps_high=0.3"], dict(eps_high=0.3, eps_low=0.2)),
        (["variant=gspo"], dict(kind="gspo", aggregation="seq_mean", num_minibatches=4)),
        (["variant=dr_grpo", "norm_constant=32"], dict(adv="dr_grpo", aggregation="token_sum")),
        (["advantage.kind=rloo"], dict(adv="rloo", variant="grpo")),
    ],
)
def test_variant_from_overrides_over_a_loaded_config(overrides, expect):
    # The base is a validated config, dumped and re-read as `agentrl train` layers a preset.
    base = GRPOConfig(num_minibatches=4, dynamic_sampling=True)
    cfg = load_config(GRPOConfig, None, overrides, base=base)
    got = dict(
        aggregation=cfg.aggregation,
        dynamic_sampling=cfg.dynamic_sampling,
        eps_high=getattr(cfg.policy_loss, "eps_high", None),
        eps_low=getattr(cfg.policy_loss, "eps_low", None),
        kind=cfg.policy_loss.kind,
        num_minibatches=cfg.num_minibatches,
        adv=cfg.advantage.kind,
        variant=cfg.variant,
    )
    assert {k: got[k] for k in expect} == expect


def test_switching_the_variant_of_a_dumped_config_leaves_nothing_stale():
    dapo = GRPOConfig(variant="dapo", kl_coef=0.01)
    assert GRPOConfig.model_validate(dapo.model_dump()) == dapo  # round trip
    gspo = GRPOConfig.model_validate({**dapo.model_dump(), "variant": "gspo"})
    assert gspo == GRPOConfig(variant="gspo", kl_coef=0.01)


def test_presets_are_the_variants_and_errors_name_the_value():
    assert GRPOConfig.dapo() == GRPOConfig(variant="dapo")
    assert GRPOConfig.gspo().policy_loss.kind == "gspo"
    assert GRPOConfig.dr_grpo(max_tokens=64) == GRPOConfig(variant="dr_grpo", norm_constant=64.0)
    with pytest.raises(ValueError, match="norm_constant"):
        GRPOConfig(variant="dr_grpo")
    with pytest.raises(ValueError, match="dapox"):
        GRPOConfig.model_validate({"variant": "dapox"})
