"""Greedy decoding through `OpenAISampler` against the server equals the in-process
`JaxSampler`, token for token, with the same log-probs (the tiny model)."""

from __future__ import annotations

import pytest

from agentrl.sampling.base import SamplingParams
from agentrl.sampling.openai_client import OpenAISampler
from agentrl.serve import ServerThread, create_app


@pytest.fixture(scope="module")
def tiny():
    from agentrl.sampling.jax_sampler import JaxSampler
    from agentrl.testing import tiny_model

    model, tok = tiny_model()
    return JaxSampler(model, tok, max_context=256), tok


def test_greedy_over_http_equals_in_process(tiny):
    sampler, tok = tiny
    chats = [
        [{"role": "user", "content": "What is 2+3?"}],
        [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Name a prime."}],
    ]
    prompts = [tok.encode_chat(c) for c in chats]
    params = SamplingParams(temperature=0.0, max_tokens=12)
    # One prompt per generate call on both sides, so both run the very same program shapes.
    app = create_app(sampler, tok, model_name="tiny", max_batch=1)
    with ServerThread(app) as server, OpenAISampler(server.url, tokenizer=tok) as remote:
        over_http = remote.generate(prompts, params)
        assert remote.max_context == 256
    for prompt, [remote_completion] in zip(prompts, over_http):
        [local] = sampler.generate([prompt], params)[0]
        assert remote_completion.token_ids == local.token_ids
        assert len(local.token_ids) > 0
        assert remote_completion.logprobs == local.logprobs  # JSON round-trips floats exactly
        assert remote_completion.finish_reason == local.finish_reason
