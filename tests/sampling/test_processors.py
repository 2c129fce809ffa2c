"""Logit filters (top-k, top-p, min-p), sampling frequencies, and host-side stop strings."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from agentrl.sampling import SamplingParams
from agentrl.sampling.processors import FilterConfig, filter_logits, sample_tokens
from agentrl.sampling.stops import first_stop

# Probabilities 0.5, 0.25, 0.15, 0.07, 0.03 in a scrambled order.
PROBS = np.array([0.07, 0.5, 0.03, 0.25, 0.15])
LOGITS = jnp.asarray(np.log(PROBS)[None], jnp.float32)


def _kept(config: FilterConfig, top_p: float = 1.0, min_p: float = 0.0) -> set[int]:
    out = filter_logits(LOGITS, config, jnp.float32(top_p), jnp.float32(min_p))
    return set(np.flatnonzero(np.isfinite(np.asarray(out[0]))).tolist())


def test_top_k():
    assert _kept(FilterConfig(top_k=2)) == {1, 3}
    assert _kept(FilterConfig(top_k=1)) == {1}


def test_top_p_keeps_the_smallest_nucleus():
    on = FilterConfig(use_top_p=True)
    assert _kept(on, top_p=0.5) == {1}  # 0.5 alone reaches 0.5
    assert _kept(on, top_p=0.6) == {1, 3}
    assert _kept(on, top_p=0.9) == {1, 3, 4}
    assert _kept(on, top_p=1e-6) == {1}  # the most likely token always survives


def test_min_p():
    assert _kept(FilterConfig(use_min_p=True), min_p=0.4) == {1, 3}  # >= 0.2
    assert _kept(FilterConfig(use_min_p=True), min_p=0.1) == {1, 3, 4, 0}  # >= 0.05


def test_filters_compose_in_order():
    both = FilterConfig(top_k=3, use_top_p=True)
    assert _kept(both, top_p=0.7) == {1, 3}


def test_config_from_params():
    assert FilterConfig.from_params(SamplingParams(temperature=0, top_k=5), 100).greedy
    config = FilterConfig.from_params(SamplingParams(top_k=500, top_p=0.9), 100)
    assert config == FilterConfig(greedy=False, top_k=0, use_top_p=True, use_min_p=False)


def test_sampling_frequencies_follow_the_filtered_distribution():
    n = 4000
    keys = jax.random.split(jax.random.PRNGKey(0), n)
    logits = jnp.repeat(LOGITS, n, axis=0)
    config = FilterConfig(top_k=2)
    tokens, logprobs = jax.jit(sample_tokens, static_argnums=2)(
        logits, keys, config, jnp.float32(1.0), jnp.float32(1.0), jnp.float32(0.0)
    )
    tokens = np.asarray(tokens)
    assert set(tokens.tolist()) == {1, 3}
    # Renormalized top-2: 0.5/0.75 and 0.25/0.75; 4000 draws put 2/3 within about +-0.025.
    assert abs(np.mean(tokens == 1) - 2 / 3) < 0.03
    # Log-probs are those of the unfiltered distribution at this temperature.
    np.testing.assert_allclose(np.asarray(logprobs), np.log(PROBS)[tokens], rtol=1e-5)


def test_first_stop_finds_the_completing_token():
    pieces = {1: "The ", 2: "answer", 3: " is", 4: " 42", 5: ".\n", 6: "Done"}

    def decode(ids):
        return "".join(pieces[i] for i in ids)

    ids = [1, 2, 3, 4, 5, 6]
    assert first_stop(ids, ["is 4"], decode) == 4  # completed by " 42"
    assert first_stop(ids, ["\n", "answer"], decode) == 2
    assert first_stop(ids, ["nope"], decode) is None
    assert first_stop([], ["x"], decode) is None
    assert first_stop(ids, [], decode) is None


def test_inverse_cdf_sampling_matches_the_distribution_and_never_picks_a_filtered_token():
    from agentrl.sampling.processors import inverse_cdf_sample

    n = 20_000
    keys = jax.random.split(jax.random.PRNGKey(1), n)
    # The most likely token last, and filtered (-inf) tokens at both ends and in between.
    probs = np.array([0.0, 0.1, 0.0, 0.2, 0.3, 0.4, 0.0])
    logits = jnp.asarray(
        np.where(probs > 0, np.log(np.maximum(probs, 1e-30)), -np.inf), jnp.float32
    )
    tokens = np.asarray(jax.jit(inverse_cdf_sample)(keys, jnp.repeat(logits[None], n, 0)))
    counts = np.bincount(tokens, minlength=7) / n
    assert counts[[0, 2, 6]].sum() == 0
    # 20000 draws: each frequency within about 3 standard deviations (<= 0.011).
    np.testing.assert_allclose(counts[[1, 3, 4, 5]], [0.1, 0.2, 0.3, 0.4], atol=0.011)
    # A row is drawn from its own key only: the same key gives the same token in any batch.
    alone = jax.jit(inverse_cdf_sample)(keys[:3], jnp.repeat(logits[None], 3, 0))
    np.testing.assert_array_equal(np.asarray(alone), tokens[:3])
