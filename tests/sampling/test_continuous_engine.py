"""The continuous-batching engine: equal to JaxSampler and to a teacher-forced forward pass,
prefix reuse (turns, GRPO groups, LRU eviction) changing nothing but the work, requests
joining and leaving a running batch, streaming, and a bounded number of compilations."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from agentrl.models.tiny import tiny_model
from agentrl.sampling import JaxSampler, SamplingParams
from agentrl.sampling.engine import Engine
from agentrl.sampling.engine_sampler import EngineSampler

MAX_TOKENS = 12
# One shape ladder for every engine of the module, so tests share compilations.
SMALL = {"max_context": 160, "prefill_chunk": 32, "steps_per_round": 4, "min_bucket": 32}


@pytest.fixture(scope="module")
def setup():
    model, tokenizer = tiny_model(seed=3, num_hidden_layers=2)
    prompts = [
        tokenizer.encode_chat([{"role": "user", "content": "What is 2+3?"}]),
        tokenizer.encode("12+35=47. 47-8="),
        tokenizer.encode("Hi"),
    ]
    return model, tokenizer, prompts


def _engine(setup, **kw):
    model, tokenizer, _ = setup
    kw = {**SMALL, **kw}
    return EngineSampler(model, tokenizer, **kw)


def _flat(lists):
    return [x for part in lists for x in part]


def _tokens(results):
    return [[c.token_ids for c in per] for per in results]


@pytest.mark.parametrize(
    "params",
    [
        SamplingParams(temperature=0, max_tokens=MAX_TOKENS),
        SamplingParams(temperature=0.7, max_tokens=MAX_TOKENS, seed=1),
        SamplingParams(temperature=1.0, top_k=20, top_p=0.9, min_p=0.05, max_tokens=9, n=2, seed=4),
    ],
    ids=["greedy", "seeded", "filters"],
)
def test_equals_jax_sampler(setup, params):
    model, tokenizer, prompts = setup
    static = JaxSampler(model, tokenizer, max_context=96, seed=0).generate(prompts, params)
    engine = _engine(setup).generate(prompts, params)
    assert _tokens(engine) == _tokens(static)
    for a, b in zip(_flat(static), _flat(engine)):
        np.testing.assert_allclose(a.logprobs, b.logprobs, atol=2e-5, rtol=0)
        assert a.finish_reason == b.finish_reason


def test_logprobs_equal_teacher_forced_forward(setup):
    model, _, prompts = setup

    @nnx.jit
    def logits_tv(model, tokens_1t):
        return model(tokens_1t, None).logits[0]

    temperature = 0.7
    params = SamplingParams(temperature=temperature, max_tokens=MAX_TOKENS, seed=1)
    sampler = _engine(setup)
    for prompt, (completion,) in zip(prompts, sampler.generate(prompts, params)):
        ids = list(prompt) + completion.token_ids
        logits = logits_tv(model, jnp.asarray([ids]))[len(prompt) - 1 : -1]
        expected = jax.nn.log_softmax(logits / temperature, axis=-1)
        expected = np.take_along_axis(
            np.asarray(expected), np.asarray(completion.token_ids)[:, None], 1
        )
        np.testing.assert_allclose(completion.logprobs, expected[:, 0], atol=2e-5, rtol=0)


def _turns(sampler, prompts, params, extra, turns=3):
    """Multi-turn conversations: each turn's prompt extends the last turn's tokens."""
    histories = [list(p) for p in prompts]
    out = []
    for turn in range(turns):
        p = (
            params
            if params.seed is None
            else SamplingParams(**{**params.__dict__, "seed": params.seed + turn})
        )
        results = sampler.generate(histories, p)
        out.append(results)
        for h, (c,) in zip(histories, results):
            h += c.token_ids + extra
    return out


@pytest.mark.parametrize("temperature", [0.0, 1.0])
def test_prefix_reuse_changes_nothing_but_the_prefill(setup, temperature):
    _, tokenizer, prompts = setup
    params = SamplingParams(temperature=temperature, max_tokens=8, seed=7)
    extra = tokenizer.encode(" tool says 42.")
    reuse = _engine(setup)
    fresh = _engine(setup, prefix_reuse=False)
    with_reuse = _turns(reuse, prompts, params, extra)
    without = _turns(fresh, prompts, params, extra)
    assert [_tokens(t) for t in with_reuse] == [_tokens(t) for t in without]
    for a, b in zip(_flat(_flat(with_reuse)), _flat(_flat(without))):
        np.testing.assert_allclose(a.logprobs, b.logprobs, atol=1e-5, rtol=0)
    # After the first turn a turn prefills only the last sampled token and the new tokens.
    for turn in with_reuse[1:]:
        for (c,) in turn:
            assert c.metadata["prefilled_tokens"] == len(extra) + 1
    assert reuse.engine.stats.prefill_tokens < fresh.engine.stats.prefill_tokens / 2
    assert fresh.engine.stats.cached_tokens == 0


def test_group_prompt_is_prefilled_once(setup):
    _, _, prompts = setup
    sampler = _engine(setup)
    params = SamplingParams(temperature=1.0, max_tokens=6, n=4, seed=3)
    (group,) = sampler.generate(prompts[:1], params)
    assert len({tuple(c.token_ids) for c in group}) > 1  # independent samples
    stats = sampler.engine.stats
    # One full prefill, then each sibling copies the row and prefills only the last token.
    assert stats.prefill_tokens == len(prompts[0]) + 3
    assert stats.row_copies == 3


def test_lru_eviction_then_reprefill(setup):
    _, _, prompts = setup
    _, tokenizer, prompts = setup
    sampler = _engine(setup, num_slots=2)
    params = SamplingParams(temperature=0, max_tokens=4)
    first = [sampler.generate([p], params)[0][0] for p in prompts[:2]]  # rows 0, then 1
    sampler.generate([tokenizer.encode("Something else entirely")], params)  # evicts row 0
    assert sampler.engine.stats.evictions == 1
    ((kept,),) = sampler.generate([prompts[1]], params)
    assert kept.metadata["cached_tokens"] == len(prompts[1]) - 1
    ((evicted,),) = sampler.generate([prompts[0]], params)
    assert evicted.metadata["cached_tokens"] == 0  # prefilled again
    assert [kept.token_ids, evicted.token_ids] == [first[1].token_ids, first[0].token_ids]
    np.testing.assert_allclose(evicted.logprobs, first[0].logprobs, atol=1e-5, rtol=0)


def test_requests_join_and_leave_a_running_batch(setup):
    model, tokenizer, prompts = setup
    engine = Engine(model, tokenizer, num_slots=2, **SMALL)
    long = engine.submit(
        prompts[0], SamplingParams(temperature=0, max_tokens=40, stop_token_ids=())
    )
    engine.step()
    engine.step()
    short = [engine.submit(p, SamplingParams(temperature=0, max_tokens=3)) for p in prompts[1:]]
    finished_order = []
    while not long.done or not all(r.done for r in short):
        engine.step()
        for r in [long, *short]:
            if r.done and r not in finished_order:
                finished_order.append(r)
    # Both short requests ran (two rows: the second waited for a free one) and finished
    # while the long one kept decoding.
    assert finished_order.index(long) == 2 or long.finish_reason == "stop"
    assert all(len(r.token_ids) == 3 or r.finish_reason == "stop" for r in short)
    assert not engine.busy


def test_streaming_and_background_thread(setup):
    model, tokenizer, prompts = setup
    engine = Engine(model, tokenizer, num_slots=4, **SMALL).start()
    try:
        seen = []
        request = engine.submit(
            prompts[0],
            SamplingParams(temperature=0, max_tokens=7),
            on_token=lambda r, ids, lps: seen.append(list(ids)),
        )
        stream = request.stream()
        chunks = []
        while (chunk := stream.get(timeout=60)) is not None:
            chunks.append(chunk[0])
        assert request.wait(10)
        assert _flat(chunks) == request.token_ids == _flat(seen)
        assert len(chunks) > 1  # tokens arrived as decoded, not all at once
        assert request.first_token_at is not None
    finally:
        engine.stop()


def test_stop_strings_and_budgets_equal_jax_sampler(setup):
    model, tokenizer, prompts = setup
    base = SamplingParams(temperature=1.0, max_tokens=MAX_TOKENS, seed=2)
    static = JaxSampler(model, tokenizer, max_context=96, seed=0)
    (full,), *_ = static.generate(prompts, base)
    stop = tokenizer.decode(full.token_ids[3:5])
    params = SamplingParams(
        temperature=1.0,
        max_tokens=MAX_TOKENS,
        seed=2,
        stop=(stop,),
        stop_token_ids=(full.token_ids[7],),
    )
    a = static.generate(prompts, params)
    b = _engine(setup).generate(prompts, params)
    assert _tokens(a) == _tokens(b)
    assert [c[0].finish_reason for c in a] == [c[0].finish_reason for c in b]
    # A prompt that fills the context gets nothing, with an error, as JaxSampler does.
    ((c,),) = _engine(setup, max_context=8, min_bucket=16).generate([prompts[0]], params)
    assert c.token_ids == [] and "fills max_context" in c.metadata["error"]


def test_compiles_a_handful_of_times(setup):
    _, tokenizer, prompts = setup
    sampler = _engine(setup)
    extra = tokenizer.encode(" ok.")
    params = SamplingParams(temperature=1.0, max_tokens=8, seed=1)
    _turns(sampler, prompts, params, extra, turns=3)
    assert sampler.num_compilations <= 12  # (fewer when earlier tests compiled some shapes)
    again = _engine(setup)
    _turns(again, prompts, params, extra, turns=3)  # the same shapes: no new compilation
    assert again.num_compilations == 0


def test_weights_update_flushes_cached_prefixes(setup):
    _, _, prompts = setup
    sampler = _engine(setup)
    params = SamplingParams(temperature=0, max_tokens=4)
    sampler.generate(prompts[:1], params)
    sampler.policy_version += 1
    ((c,),) = sampler.generate(prompts[:1], params)
    assert c.metadata["cached_tokens"] == 0
