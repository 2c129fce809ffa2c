"""The pure kernels against plain NumPy (and plain Python loop) references."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from agentrl.trainers import advantages as adv
from agentrl.trainers import distill_losses, dpo_losses, losses, policy_losses
from agentrl.trainers.logprobs import token_entropy, token_logprobs

RNG = np.random.default_rng(0)
B, L, V = 3, 7, 11  # primes, so a transposed axis cannot line up by accident


def np_log_softmax(z):
    z = z - z.max(-1, keepdims=True)
    return z - np.log(np.exp(z).sum(-1, keepdims=True))


@pytest.fixture(scope="module")
def logits():
    return RNG.normal(size=(B, L, V)).astype(np.float32) * 3


@pytest.fixture(scope="module")
def mask():
    m = np.zeros((B, L), np.float32)
    m[0, 2:5] = 1
    m[1, 1:7] = 1
    m[2, 4:6] = 1
    return m


def test_token_logprobs_and_entropy(logits):
    targets = RNG.integers(0, V, size=(B, L))
    ref = np.take_along_axis(np_log_softmax(logits), targets[..., None], -1)[..., 0]
    np.testing.assert_allclose(token_logprobs(logits, targets), ref, rtol=1e-5, atol=1e-5)
    logp = np_log_softmax(logits)
    ent = -(np.exp(logp) * logp).sum(-1)
    np.testing.assert_allclose(token_entropy(logits), ent, rtol=1e-5, atol=1e-5)


def test_token_weights_modes(mask):
    n = mask.sum(-1)
    np.testing.assert_allclose(losses.token_weights(mask, "token_mean"), mask / n.sum())
    np.testing.assert_allclose(losses.token_weights(mask, "seq_mean"), mask / n[:, None] / 3)
    np.testing.assert_allclose(losses.token_weights(mask, "token_sum", 16.0), mask / (3 * 16.0))
    padded = np.concatenate([mask, np.zeros((2, L), np.float32)])  # padding rows do not count
    np.testing.assert_allclose(losses.token_weights(padded, "seq_mean")[:B], mask / n[:, None] / 3)
    with pytest.raises(ValueError, match="norm_constant=None"):
        losses.token_weights(mask, "token_sum")


def test_kl_estimators():
    lp = RNG.normal(size=(B, L)) - 2
    ref = RNG.normal(size=(B, L)) - 2
    log_r = ref - lp
    np.testing.assert_allclose(losses.kl_penalty(lp, ref, "k1"), -log_r, rtol=1e-5)
    np.testing.assert_allclose(losses.kl_penalty(lp, ref, "k2"), 0.5 * log_r**2, rtol=1e-5)
    k3 = np.exp(log_r) - 1 - log_r
    np.testing.assert_allclose(losses.kl_penalty(lp, ref, "k3"), k3, rtol=1e-5, atol=1e-6)
    assert float(jnp.min(losses.kl_penalty(lp, ref, "k3"))) >= 0


def test_clipped_value_loss():
    v, old, ret = (RNG.normal(size=(B, L)) for _ in range(3))
    vc = old + np.clip(v - old, -0.2, 0.2)
    ref = 0.5 * np.maximum((v - ret) ** 2, (vc - ret) ** 2)
    np.testing.assert_allclose(losses.clipped_value_loss(v, old, ret, 0.2), ref, rtol=1e-5)
    np.testing.assert_allclose(
        losses.clipped_value_loss(v, old, ret, None), 0.5 * (v - ret) ** 2, rtol=1e-5
    )


def test_ppo_clip_matches_numpy(mask):
    lp, old = RNG.normal(size=(2, B, L)) * 0.3 - 1
    a = RNG.normal(size=(B, L))
    out = policy_losses.PPOClip(eps_low=0.2, eps_high=0.28)(lp, old, a, mask)
    r = np.exp(lp - old)
    ref = -np.minimum(r * a, np.clip(r, 0.8, 1.28) * a)
    np.testing.assert_allclose(out.loss_bl, ref, rtol=1e-5, atol=1e-6)
    clipped = ((a > 0) & (r > 1.28)) | ((a < 0) & (r < 0.8))
    np.testing.assert_array_equal(np.asarray(out.clipped_bl, bool), clipped)


def test_gspo_is_the_sequence_ratio_loss(mask):
    lp, old = RNG.normal(size=(2, B, L)) * 0.01 - 1
    a_b = RNG.normal(size=B)
    loss = policy_losses.GSPO()
    w = losses.token_weights(mask, "seq_mean")

    def token_form(lp):
        return jnp.sum(w * loss(lp, old, a_b[:, None] * mask, mask).loss_bl)

    def sequence_form(lp):  # GSPO as written in the paper
        s = jnp.exp(jnp.sum((lp - old) * mask, -1) / mask.sum(-1))
        return -jnp.mean(jnp.minimum(s * a_b, jnp.clip(s, 1 - 3e-4, 1 + 4e-4) * a_b))

    np.testing.assert_allclose(token_form(lp), sequence_form(lp), rtol=1e-5)
    g1, g2 = jax.grad(token_form)(lp), jax.grad(sequence_form)(lp)
    np.testing.assert_allclose(g1 * mask, g2 * mask, rtol=1e-4, atol=1e-7)


GROUPS = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2, 3])  # last row: group of one
REWARDS = np.array([1, 0, 0, 0.5, 0.5, 0.5, 1, 2, 4, 3], np.float32)


def _seq_mask(rows=10, length=5):
    m = np.ones((rows, length), np.float32)
    m[:, 0] = 0
    return m


def test_group_advantages_match_numpy():
    m = _seq_mask()
    grpo = np.zeros(10)
    dr = np.zeros(10)
    rloo = np.zeros(10)
    for g in range(4):
        idx = np.equal(GROUPS, g)
        r = REWARDS[idx]
        std = r.std(ddof=1) if len(r) > 1 else 0.0
        grpo[idx] = (r - r.mean()) / (std + 1e-6)
        dr[idx] = r - r.mean()
        rloo[idx] = [r[i] - np.delete(r, i).mean() if len(r) > 1 else 0 for i in range(len(r))]
    for est, want in [(adv.GroupNormalized(), grpo), (adv.DrGRPO(), dr), (adv.RLOO(), rloo)]:
        got = est(REWARDS, GROUPS, m, num_groups=4)
        np.testing.assert_allclose(got, want[:, None] * m, rtol=1e-5, atol=1e-5)


def test_padding_rows_are_ignored_by_group_statistics():
    m = _seq_mask(rows=4)
    m[3] = 0  # a padding row in group 1 with a wild reward
    r = np.array([1.0, 0.0, 3.0, 100.0], np.float32)
    got = adv.GroupNormalized()(r, np.array([0, 0, 1, 1]), m, num_groups=2)
    std0 = np.std([1.0, 0.0], ddof=1)
    np.testing.assert_allclose(got[:2, 1], [0.5 / std0, -0.5 / std0], rtol=1e-5)
    np.testing.assert_array_equal(got[2:], 0)  # row 2 is alone in its group, row 3 is padding


def test_reinforce_pp_matches_numpy():
    m = _seq_mask(rows=4, length=6)
    m[1, 4:] = 0
    r = np.array([1.0, 0.0, 0.5, 2.0], np.float32)
    kl = RNG.uniform(0, 0.3, size=m.shape).astype(np.float32)
    est = adv.ReinforcePlusPlus(kl_coef=0.1)
    got = est(r, np.zeros(4, int), m, kl, num_groups=1)
    ret = np.zeros_like(m)
    for b in range(4):
        for t in range(6):
            if m[b, t]:
                ret[b, t] = r[b] - 0.1 * sum(kl[b, s] for s in range(t, 6) if m[b, s])
    vals = ret[m > 0]
    want = (ret - vals.mean()) / (vals.std() + 1e-6) * m
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_gae_scan_equals_python_loop():
    rows, length, gamma, lam = 3, 9, 0.97, 0.9
    rewards = RNG.normal(size=(rows, length)).astype(np.float32)
    values = RNG.normal(size=(rows, length)).astype(np.float32)
    m = np.ones((rows, length), np.float32)
    m[:, :2] = 0
    m[1, 4:6] = 0  # env tokens between two turns are skipped
    m[2, 7:] = 0
    got_adv, got_ret = adv.gae(rewards, values, m, gamma, lam)
    want_adv = np.zeros_like(rewards)
    for b in range(rows):
        steps = [t for t in range(length) if m[b, t]]
        last = 0.0
        for i in reversed(range(len(steps))):
            t = steps[i]
            next_v = values[b, steps[i + 1]] if i + 1 < len(steps) else 0.0
            delta = rewards[b, t] + gamma * next_v - values[b, t]
            last = delta + gamma * lam * last
            want_adv[b, t] = last
    np.testing.assert_allclose(got_adv, want_adv, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got_ret, (want_adv + values) * m, rtol=1e-5, atol=1e-5)


def test_dpo_losses_match_numpy():
    c, r, rc, rr = (RNG.normal(size=5).astype(np.float32) * 3 for _ in range(4))
    logps = dpo_losses.PreferenceLogprobs(c, r, rc, rr)
    h = (c - rc) - (r - rr)
    logsig = lambda x: -np.log1p(np.exp(-x))  # noqa: E731
    beta, e = 0.1, 0.1
    want = {
        "sigmoid": -(1 - e) * logsig(beta * h) - e * logsig(-beta * h),
        "ipo": (h - 1 / (2 * beta)) ** 2,
        "hinge": np.maximum(0, 1 - beta * h),
    }
    for kind, ref in want.items():
        got = dpo_losses.dpo_loss(logps, kind, beta, e if kind == "sigmoid" else 0.0)
        np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-5)


def test_distill_losses_match_numpy(logits):
    teacher = RNG.normal(size=logits.shape).astype(np.float32) * 2
    tau = 2.0
    p, q = np_log_softmax(teacher / tau), np_log_softmax(logits / tau)
    fwd = tau**2 * (np.exp(p) * (p - q)).sum(-1)
    rev = tau**2 * (np.exp(q) * (q - p)).sum(-1)
    np.testing.assert_allclose(distill_losses.forward_kl(logits, teacher, tau), fwd, rtol=1e-4)
    np.testing.assert_allclose(distill_losses.reverse_kl(logits, teacher, tau), rev, rtol=1e-4)
    hs, ht = RNG.normal(size=(2, B, L, 4))
    np.testing.assert_allclose(
        distill_losses.feature_mse(hs, ht), ((hs - ht) ** 2).mean(-1), rtol=1e-5
    )
