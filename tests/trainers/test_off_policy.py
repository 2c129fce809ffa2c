"""Off-policy correction: importance weights (token/sequence, truncate/mask, cap), the gap
metrics, and the rescoring against the in-process sampler (zero gap to float precision)."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

from agentrl.sampling.base import SamplingParams
from agentrl.trainers.off_policy import OffPolicyConfig, gap_metrics, importance_weights, train_step

MASK = jnp.array([[0.0, 1.0, 1.0, 1.0], [0.0, 0.0, 1.0, 1.0]])
LOG_W = jnp.array([[0.0, 0.1, 1.5, -1.0], [0.0, 0.0, -0.2, 0.3]])  # pi_prox - mu


def _cfg(**kw):
    return OffPolicyConfig(correction="tis", **kw)


def test_token_level_truncation_caps_each_token():
    w, cut = importance_weights(LOG_W, MASK, _cfg(level="token", mode="truncate", cap=2.0))
    want = np.minimum(np.exp(np.asarray(LOG_W)), 2.0) * np.asarray(MASK)
    np.testing.assert_allclose(w, want, rtol=1e-6)
    assert np.asarray(cut).tolist() == [[0, 0, 1, 0], [0, 0, 0, 0]]  # exp(1.5) > 2 only


def test_token_level_masking_drops_tokens_outside_the_band():
    w, cut = importance_weights(LOG_W, MASK, _cfg(level="token", mode="mask", cap=2.0))
    # exp(1.5)=4.5 > 2 and exp(-1)=0.37 < 1/2 are dropped; the rest keep their weight
    assert np.asarray(cut).tolist() == [[0, 0, 1, 1], [0, 0, 0, 0]]
    np.testing.assert_allclose(w[0], [0.0, np.exp(0.1), 0.0, 0.0], rtol=1e-6)
    np.testing.assert_allclose(w[1], [0.0, 0.0, np.exp(-0.2), np.exp(0.3)], rtol=1e-6)


def test_sequence_level_weights_are_the_product_over_the_sequence():
    w, _ = importance_weights(LOG_W, MASK, _cfg(level="sequence", mode="truncate", cap=10.0))
    row0, row1 = np.exp(0.1 + 1.5 - 1.0), np.exp(-0.2 + 0.3)
    np.testing.assert_allclose(w[0], [0.0, row0, row0, row0], rtol=1e-5)
    np.testing.assert_allclose(w[1], [0.0, 0.0, row1, row1], rtol=1e-5)
    capped, _ = importance_weights(LOG_W, MASK, _cfg(level="sequence", cap=1.5))
    np.testing.assert_allclose(capped[0, 1:], [1.5, 1.5, 1.5], rtol=1e-6)


def test_gap_metrics():
    sampler = jnp.zeros((2, 4))
    m = gap_metrics(LOG_W * MASK, sampler, MASK)
    assert m["offpolicy/gap_max_abs"] == pytest.approx(1.5)
    assert m["offpolicy/gap_mean_abs"] == pytest.approx((0.1 + 1.5 + 1.0 + 0.2 + 0.3) / 5)
    d = np.asarray(LOG_W)[np.asarray(MASK) > 0]
    assert m["offpolicy/kl"] == pytest.approx(float(np.mean(np.exp(d) - 1 - d)), rel=1e-5)


def test_auto_corrects_with_servers_only():
    auto = OffPolicyConfig()
    assert auto.corrects("server") and not auto.corrects("local")
    assert not OffPolicyConfig(correction="none").corrects("server")


@pytest.fixture(scope="module")
def rollout_batch():
    """A GRPO learner and trajectories its own weights sampled in process."""
    from agentrl.models.tiny import tiny_model
    from agentrl.rollout import rollout
    from agentrl.sampling.jax_sampler import JaxSampler
    from agentrl.trainers.grpo import GRPOConfig, GRPOLearner

    model, tok = tiny_model(seed=0, num_hidden_layers=1)
    sampler = JaxSampler(model, tok, max_context=96, seed=0, max_batch=8)
    result = rollout(
        "deepscaler", sampler, tok, num_episodes=8, group_size=4, progress=False,
        params=SamplingParams(temperature=1.0, max_tokens=12, seed=3), max_context=96,
    )  # fmt: skip
    config = GRPOConfig(entropy_coef=0.01, dynamic_sampling=False)

    def make() -> GRPOLearner:  # a fresh copy of the sampling weights (updates change them)
        fresh, _ = tiny_model(seed=0, num_hidden_layers=1)
        return GRPOLearner(config, fresh, pad_id=tok.pad_token_id)

    return make, result.trajectories


def test_the_in_process_sampler_has_no_gap(rollout_batch):
    make, trajs = rollout_batch
    metrics = train_step(make(), trajs, _cfg(), correct=True)
    assert metrics["offpolicy/gap_max_abs"] < 1e-5
    assert metrics["offpolicy/kl"] < 1e-8
    assert metrics["offpolicy/is_weight_mean"] == pytest.approx(1.0, abs=1e-5)


def test_a_stale_sampler_is_corrected_and_capped(rollout_batch):
    make, trajs = rollout_batch
    shifted = [t.model_copy(update={"logprobs": [lp - 3.0 * m for lp, m in zip(
        t.logprobs, t.loss_mask)]}) for t in trajs]  # fmt: skip
    metrics = train_step(make(), shifted, _cfg(cap=2.0), correct=True)
    assert metrics["offpolicy/gap_mean_abs"] == pytest.approx(3.0, abs=1e-4)
    assert metrics["offpolicy/truncated_frac"] == pytest.approx(1.0)  # w = e^3 > 2 everywhere
    assert metrics["offpolicy/is_weight_mean"] == pytest.approx(2.0, abs=1e-5)
    plain = train_step(make(), shifted, _cfg(), correct=False)  # measured, not corrected
    assert "offpolicy/is_weight_mean" not in plain
    assert plain["offpolicy/gap_mean_abs"] == pytest.approx(3.0, abs=1e-4)
