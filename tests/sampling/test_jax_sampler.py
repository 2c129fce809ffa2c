"""JaxSampler: cached decode equals uncached greedy, top-1 equals greedy, seeds, log-probs, stops,
compilation counts, live parameters, beam search against brute force."""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from agentrl.errors import SamplerError
from agentrl.models.tiny import tiny_config, tiny_model, tiny_model_from_config
from agentrl.sampling import JaxSampler, SamplingParams
from agentrl.sampling.jax_sampler import bucket

# Calls share buckets (4 rows, 32-token prompts, 16 new tokens) so the module compiles little.
MAX_TOKENS = 12


@pytest.fixture(scope="module")
def setup():
    model, tokenizer = tiny_model(seed=3, num_hidden_layers=2)
    sampler = JaxSampler(model, tokenizer, max_context=64, seed=0)
    prompts = [
        tokenizer.encode_chat([{"role": "user", "content": "What is 2+3?"}]),
        tokenizer.encode("12+35=47. 47-8="),
        tokenizer.encode("Hi"),
    ]
    return model, tokenizer, sampler, prompts


@pytest.fixture(scope="module")
def forward():
    """Uncached, unpadded forward: logits of one sequence (right-padded to 64 for one compile)."""

    @nnx.jit
    def logits_tv(model, tokens_1t, mask_1t):
        return model(tokens_1t, None, attention_mask=mask_1t).logits[0]

    def run(model, ids):
        tokens = np.zeros((1, 64), np.int32)
        tokens[0, : len(ids)] = ids
        mask = np.arange(64)[None] < len(ids)
        return np.asarray(logits_tv(model, jnp.asarray(tokens), jnp.asarray(mask)))[: len(ids)]

    return run


def _tokens(results):
    return [[c.token_ids for c in per_prompt] for per_prompt in results]


def test_greedy_batch_equals_uncached_decoding(setup, forward):
    model, _, sampler, prompts = setup
    results = sampler.generate(prompts, SamplingParams(temperature=0, max_tokens=MAX_TOKENS))
    for prompt, (completion,) in zip(prompts, results):
        ids = list(prompt)
        for _ in range(len(completion.token_ids)):
            ids.append(int(np.argmax(forward(model, ids)[-1])))
        assert completion.token_ids == ids[len(prompt) :]
        assert completion.finish_reason in ("stop", "length")
    assert sampler.policy_version == 0


def test_top1_sampling_equals_greedy(setup):
    _, _, sampler, prompts = setup
    greedy = sampler.generate(prompts, SamplingParams(temperature=0, max_tokens=MAX_TOKENS))
    top1 = sampler.generate(
        prompts, SamplingParams(temperature=1.3, top_k=1, max_tokens=MAX_TOKENS, seed=5)
    )
    assert _tokens(top1) == _tokens(greedy)


def test_seeds_reproduce_and_differ(setup):
    _, _, sampler, prompts = setup
    two = prompts[:2]  # x n=2: the same 4-row bucket
    params = SamplingParams(temperature=1.0, max_tokens=MAX_TOKENS, n=2, seed=11)
    first, again = sampler.generate(two, params), sampler.generate(two, params)
    assert _tokens(first) == _tokens(again)
    other = sampler.generate(
        two, SamplingParams(temperature=1.0, max_tokens=MAX_TOKENS, n=2, seed=12)
    )
    assert _tokens(other) != _tokens(first)
    # The n copies of a prompt are independent samples.
    assert all(per[0] != per[1] for per in _tokens(first))


def test_logprobs_equal_teacher_forced_forward(setup, forward):
    model, _, sampler, prompts = setup
    temperature = 0.7
    params = SamplingParams(temperature=temperature, max_tokens=MAX_TOKENS, seed=1)
    for prompt, (completion,) in zip(prompts, sampler.generate(prompts, params)):
        ids = list(prompt) + completion.token_ids
        logits_tv = forward(model, ids)[len(prompt) - 1 : -1]
        expected = jax.nn.log_softmax(logits_tv / temperature, axis=-1)
        expected = np.take_along_axis(
            np.asarray(expected), np.asarray(completion.token_ids)[:, None], 1
        )
        np.testing.assert_allclose(completion.logprobs, expected[:, 0], atol=2e-5, rtol=0)


def test_stop_strings_and_stop_ids(setup):
    _, tokenizer, sampler, prompts = setup
    base = SamplingParams(temperature=1.0, max_tokens=MAX_TOKENS, seed=2)
    (full,), *_ = sampler.generate(prompts, base)
    ids = full.token_ids
    assert len(ids) >= 6, "the seed should give a long enough completion"
    # A stop string that the 5th token completes (its text spans the 4th and 5th tokens).
    text4, text5 = tokenizer.decode(ids[:4]), tokenizer.decode(ids[:5])
    stop = text5[max(len(text4) - 1, 0) :]
    assert stop not in text4
    (cut,), *_ = sampler.generate(prompts, SamplingParams(**{**base.__dict__, "stop": (stop,)}))
    assert cut.token_ids == ids[:5]
    assert cut.finish_reason == "stop"
    assert stop in cut.text
    # A stop token id ends the completion at its first occurrence, inclusive.
    (by_id,), *_ = sampler.generate(
        prompts, SamplingParams(**{**base.__dict__, "stop_token_ids": (ids[3],)})
    )
    assert by_id.token_ids == ids[: ids.index(ids[3]) + 1]
    assert by_id.finish_reason == "stop"


def test_eos_ends_a_completion(setup):
    model, tokenizer, sampler, prompts = setup
    # Make EOS the most likely next token everywhere: greedy stops at once.
    eos = tokenizer.eos_token_ids[0]
    embedding = model.embed_tokens.embedding
    saved = embedding.get_value()
    try:
        embedding.set_value(saved.at[eos].multiply(40.0))
        (completion,), *_ = sampler.generate(prompts, SamplingParams(temperature=0, max_tokens=8))
    finally:
        embedding.set_value(saved)
    assert completion.token_ids == [eos]
    assert completion.finish_reason == "stop"


def test_compiles_once_per_bucket_and_reads_live_weights(setup):
    model, _, sampler, prompts = setup
    greedy = SamplingParams(temperature=0, max_tokens=MAX_TOKENS)
    before = sampler.generate(prompts, greedy)
    compiled = sampler.num_compilations
    # Other prompt lengths and budgets inside the same buckets, other weights: no recompile.
    sampler.generate([p[:-1] for p in prompts], SamplingParams(temperature=0, max_tokens=5))
    embedding = model.embed_tokens.embedding
    saved = embedding.get_value()
    embedding.set_value(saved[::-1])
    try:
        changed = sampler.generate(prompts, greedy)
    finally:
        embedding.set_value(saved)
    assert _tokens(changed) != _tokens(before)
    assert _tokens(sampler.generate(prompts, greedy)) == _tokens(before)
    assert sampler.num_compilations == compiled
    # A new bucket (longer prompts) compiles once more: prefill and decode.
    sampler.generate([prompts[0] * 2, prompts[1] * 3, *prompts[1:]], greedy)
    assert sampler.num_compilations == compiled + 2


def test_context_limit_and_bad_prompts(setup):
    _, _, sampler, prompts = setup
    greedy = SamplingParams(temperature=0, max_tokens=MAX_TOKENS)
    long_prompt = (prompts[0] * 8)[:60]  # 60 of 64 slots: only 4 new tokens fit
    sampler.generate([long_prompt, *prompts], greedy)  # the 64-token bucket, compiled
    compiled = sampler.num_compilations
    rows = [long_prompt, (prompts[0] * 8)[:64], (prompts[0] * 8)[:100], prompts[1]]
    (short,), (full,), (over,), _ = sampler.generate(rows, greedy)
    assert len(short.token_ids) <= 4
    for completion in (full, over):
        assert completion.token_ids == [] and completion.finish_reason == "length"
        assert "max_context=64" in str(completion.metadata["error"])
    # The over-long prompt did not make a 128-token prompt bucket.
    assert sampler.num_compilations == compiled
    with pytest.raises(SamplerError, match="prompt 1 is empty"):
        sampler.generate([[1], []], SamplingParams())
    with pytest.raises(SamplerError, match="token id 512, outside the vocabulary"):
        sampler.generate([[1, 512]], SamplingParams())


def test_beam_search_equals_brute_force():
    """With a beam as wide as the hypothesis count, beam search ranks every hypothesis."""
    vocab, eos, length = 5, 4, 3
    config = tiny_config(vocab_size=vocab, num_hidden_layers=1, hidden_size=32,
                         intermediate_size=48, head_dim=16)  # fmt: skip
    model = tiny_model_from_config(config, seed=1)
    # A sharper model so the ranking is not a near-tie everywhere.
    model.embed_tokens.embedding.set_value(model.embed_tokens.embedding.get_value() * 30.0)
    tokenizer = SimpleNamespace(eos_token_ids=(eos,), pad_token_id=0, decode=lambda ids: str(ids))
    prompt = [0, 1, 2]
    hypotheses = [
        list(seq[: seq.index(eos) + 1]) if eos in seq else list(seq)
        for seq in itertools.product(range(vocab), repeat=length)
    ]
    hypotheses = sorted({tuple(h) for h in hypotheses})
    tokens = np.zeros((len(hypotheses), len(prompt) + length), np.int32)
    mask = np.zeros_like(tokens, bool)
    for i, h in enumerate(hypotheses):
        tokens[i, : len(prompt) + len(h)] = prompt + list(h)
        mask[i, : len(prompt) + len(h)] = True
    logits = jax.jit(lambda w, t, m: nnx.merge(graphdef, w)(t, None, attention_mask=m).logits)
    graphdef, weights = nnx.split(model)
    logp = jax.nn.log_softmax(logits(weights, jnp.asarray(tokens), jnp.asarray(mask)))
    scores = [
        sum(float(logp[i, len(prompt) - 1 + j, t]) for j, t in enumerate(h))
        for i, h in enumerate(hypotheses)
    ]
    ranked = sorted(zip(scores, hypotheses), key=lambda x: -x[0])
    sampler = JaxSampler(model, tokenizer, max_context=32)
    beams = sampler.beam_search(prompt, beam_width=len(hypotheses), max_tokens=length)
    assert [tuple(b.token_ids) for b in beams] == [h for _, h in ranked]
    np.testing.assert_allclose(
        [b.metadata["score"] for b in beams], [s for s, _ in ranked], atol=1e-4
    )
    assert all(b.finish_reason == ("stop" if b.token_ids[-1] == eos else "length") for b in beams)


def test_buckets_powers_of_two_and_half_steps_for_prompts():
    assert [bucket(n) for n in (1, 16, 17, 33, 100)] == [16, 16, 32, 64, 128]
    lengths = (1, 16, 17, 24, 25, 36, 48, 49, 64, 65, 100)
    assert [bucket(n, half_steps=True) for n in lengths] == [
        16,
        16,
        24,
        24,
        32,
        48,
        48,
        64,
        64,
        96,
        128,
    ]


def test_repeated_prompts_share_one_prefill_and_sample_as_if_each_had_its_own(setup, monkeypatch):
    import agentrl.sampling.jax_sampler as module

    model, tokenizer, _, prompts = setup
    rows = [prompts[0]] * 5 + [prompts[1]] * 3  # two GRPO-style groups
    params = SamplingParams(temperature=1.0, max_tokens=MAX_TOKENS, seed=11)
    unique, source = module.shared_prompts(rows, [MAX_TOKENS] * len(rows))
    assert unique == prompts[:2] and source == [0] * 5 + [1] * 3
    shared = JaxSampler(model, tokenizer, max_context=64)
    got = shared.generate(rows, params)
    # The same call with every row prefilled on its own: the same tokens and log-probs.
    monkeypatch.setattr(module, "shared_prompts", lambda r, _b: (list(r), list(range(len(r)))))
    alone = JaxSampler(model, tokenizer, max_context=64).generate(rows, params)
    assert _tokens(got) == _tokens(alone)
    for (a,), (b,) in zip(got, alone):
        np.testing.assert_allclose(a.logprobs, b.logprobs, rtol=1e-5, atol=1e-6)
    # Rows of one prompt still draw their own samples.
    assert len({tuple(c.token_ids) for (c,) in got[:5]}) > 1
