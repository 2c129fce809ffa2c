"""Micro-batching and precision: micro-batches equal one big batch, float32 master weights and
optimizer-state dtype, float32 log-probs from a bfloat16 model, the samplers' KV-cache dtype."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx
from trainer_helpers import VOCAB, make_model, make_trajectories, random_sequences

from agentrl.errors import ConfigError
from agentrl.trainers.grpo import GRPOConfig, GRPOLearner
from agentrl.trainers.learner import UpdateConfig, forward_logprobs
from agentrl.trainers.sft import SFTConfig, SFTLearner

BF16 = jnp.bfloat16


def _host(tree):
    return [np.asarray(x, np.float32) for x in jax.tree.leaves(tree)]


def test_micro_batches_of_two_rows_equal_one_big_batch():
    """One SGD step of GRPO (sequence-mean loss, group advantages: the whole batch's
    normalization) in micro-batches of 2 rows gives the parameters of the batch at once."""
    trajs = make_trajectories(groups=3, group_size=4, env_tokens=True)
    results = []
    for rows in (None, 2):
        config = GRPOConfig(optimizer={"name": "sgd", "lr": 0.5, "grad_clip": None})
        learner = GRPOLearner(config, make_model(), update=UpdateConfig(micro_batch_rows=rows))
        start = _host(learner.params)
        metrics = learner.train_step(trajs)
        results.append((_host(learner.params), metrics, start))
    (big, m_big, start), (micro, m_micro, _) = results
    moved = max(float(np.max(np.abs(a - b))) for a, b in zip(big, start))
    assert moved > 1e-3  # the step is big enough for a scaling error to show
    for a, b in zip(big, micro):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(m_big["loss"], m_micro["loss"], rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(m_big["grad_norm"], m_micro["grad_norm"], rtol=1e-4)


def test_micro_batch_rows_must_divide_the_batch():
    learner = SFTLearner(SFTConfig(), make_model(), update=UpdateConfig(micro_batch_rows=3))
    assert learner.row_multiple == 3
    batch = learner.make_batch(list(zip(*random_sequences(5))))
    assert batch.num_rows % 3 == 0  # make_batch pads to whole micro-batches
    with pytest.raises(ConfigError, match="micro_batch_rows=3"):
        learner.apply_update(learner.put(batch.rows(0, 4)))


def _bf16_model(seed: int = 0):
    from agentrl.models.qwen2 import Qwen2Config
    from agentrl.models.transformer import CausalLM

    dims = dict(
        vocab_size=VOCAB, hidden_size=32, intermediate_size=48, num_hidden_layers=1,
        num_attention_heads=4, num_key_value_heads=2, head_dim=8,
    )  # fmt: skip
    return CausalLM(Qwen2Config.tiny(**dims), rngs=nnx.Rngs(seed), dtype=BF16, param_dtype=BF16)


def _changed(before, after) -> float:
    """The fraction of parameter values that differ."""
    diff = sum(int(np.sum(a != b)) for a, b in zip(before, after))
    return diff / sum(a.size for a in before)


def test_float32_master_weights_keep_updates_bfloat16_would_lose():
    """An SGD step far below bfloat16's resolution: without a master copy the bfloat16 weights
    (all but the few near zero) do not move; with one, the float32 master moves and the model
    holds it rounded."""
    batch_data = list(zip(*random_sequences(4)))
    sgd = SFTConfig(optimizer={"name": "sgd", "lr": 1e-6, "grad_clip": None})
    plain_model = _bf16_model()
    before = _host(nnx.state(plain_model, nnx.Param))
    plain = SFTLearner(sgd, plain_model, update=UpdateConfig(master_weights=None))
    plain.train_step(batch_data)
    assert _changed(before, _host(plain.params)) < 0.05

    model = _bf16_model()
    learner = SFTLearner(sgd, model)  # master_weights="float32" is the default
    assert {x.dtype for x in jax.tree.leaves(learner.params)} == {jnp.dtype(jnp.float32)}
    learner.train_step(batch_data)
    learner.train_step(batch_data)
    assert _changed(before, _host(learner.params)) > 0.5
    held = jax.tree.leaves(nnx.state(model, nnx.Param))
    assert {x.dtype for x in held} == {jnp.dtype(BF16)}
    for m, h in zip(jax.tree.leaves(learner.params), held):
        np.testing.assert_array_equal(np.asarray(m.astype(BF16)), np.asarray(h))
    # A restored state writes its rounded master into the model too.
    state = jax.tree.map(np.array, learner.state_dict())
    fresh = _bf16_model(seed=1)
    restored = SFTLearner(sgd, fresh)
    restored.load_state_dict(jax.tree.map(jnp.asarray, state))
    for a, b in zip(held, jax.tree.leaves(nnx.state(fresh, nnx.Param))):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_opt_state_dtype_stores_the_moments_in_it():
    data = list(zip(*random_sequences(4)))
    adam = SFTConfig(optimizer={"name": "adamw", "lr": 1e-2})
    reference = SFTLearner(adam, make_model())
    small = SFTLearner(adam, make_model(), update=UpdateConfig(opt_state_dtype="bfloat16"))
    floats = [x for x in jax.tree.leaves(small.opt_state) if jnp.issubdtype(x.dtype, jnp.floating)]
    assert floats and {x.dtype for x in floats} == {jnp.dtype(BF16)}
    for _ in range(2):
        reference.train_step(data)
        small.train_step(data)
    floats = [x for x in jax.tree.leaves(small.opt_state) if jnp.issubdtype(x.dtype, jnp.floating)]
    assert {x.dtype for x in floats} == {jnp.dtype(BF16)}  # still, after updates
    # Rounding the moments changes Adam's steps only slightly.
    for a, b in zip(_host(reference.params), _host(small.params)):
        np.testing.assert_allclose(a, b, atol=2e-3)


def test_a_bfloat16_model_scores_in_float32():
    """The output head accumulates and returns float32: the log-probs of a bfloat16 model
    match float32 arithmetic on its (bfloat16) weights far below bfloat16's rounding."""
    model = _bf16_model()
    tokens = jnp.asarray(np.random.default_rng(0).integers(1, VOCAB, (2, 7)), jnp.int32)
    hidden = model.hidden(tokens)
    assert hidden.dtype == BF16
    logits = model.head(hidden)
    assert logits.dtype == jnp.float32
    table = np.asarray(model.embed_tokens.embedding[...], np.float32)  # tied head
    exact = np.einsum("btd,vd->btv", np.asarray(hidden, np.float32), table)
    np.testing.assert_allclose(np.asarray(logits), exact, rtol=1e-5, atol=1e-6)
    learner = SFTLearner(SFTConfig(), model)
    batch = learner.put(learner.make_batch(list(zip(*random_sequences(2)))))
    assert forward_logprobs(model, batch).dtype == jnp.float32


@pytest.mark.parametrize("engine", ["static", "continuous"])
def test_samplers_keep_the_kv_cache_in_the_dtype_asked(engine, monkeypatch):
    from agentrl.models.tiny import tiny_model
    from agentrl.models.transformer import CausalLM
    from agentrl.sampling.base import SamplingParams
    from agentrl.sampling.engine_sampler import EngineSampler
    from agentrl.sampling.jax_sampler import JaxSampler

    asked = []
    original = CausalLM.init_cache

    def spy(self, batch, max_len, dtype=jnp.float32):
        asked.append(jnp.dtype(dtype))
        return original(self, batch, max_len, dtype)

    monkeypatch.setattr(CausalLM, "init_cache", spy)
    model, tokenizer = tiny_model(seed=0, num_hidden_layers=1)
    kind = JaxSampler if engine == "static" else EngineSampler
    sampler = kind(model, tokenizer, max_context=48, cache_dtype=BF16)
    out = sampler.generate([tokenizer.encode("1+2=")], SamplingParams(max_tokens=4, seed=0))
    assert len(out[0][0].token_ids) > 0
    assert asked and set(asked) == {jnp.dtype(BF16)}


def test_dpo_micro_batches_keep_pairs_whole():
    from agentrl.trainers.dpo import DPOConfig, DPOLearner

    with pytest.raises(ConfigError, match="micro_batch_rows=3"):
        DPOLearner(DPOConfig(), make_model(), update=UpdateConfig(micro_batch_rows=3))


def test_a_bfloat16_policy_with_master_weights_scores_its_reference_in_its_own_dtype():
    """The KL reference of a master-weights learner is a copy of the model's bfloat16 weights
    (not of the float32 master): at the start policy and reference agree exactly."""
    trajs = make_trajectories(groups=2, group_size=4)
    learner = GRPOLearner(GRPOConfig(kl_coef=0.1, recompute_old_logprobs=True), _bf16_model())
    ref_dtypes = {x.dtype for x in jax.tree.leaves(learner.ref._states[0])}
    assert ref_dtypes == {jnp.dtype(BF16)}
    first = learner.eval_loss(learner.prepare(learner.make_batch(trajs)))
    assert first["kl"] == pytest.approx(0.0, abs=1e-6)
    assert first["ratio_mean"] == pytest.approx(1.0, abs=1e-6)
