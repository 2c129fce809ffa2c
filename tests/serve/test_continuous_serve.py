"""`agentrl serve` on the continuous-batching engine: requests join the running batch, streams
send tokens as they are decoded, and a chat follow-up reuses its conversation's cached KV."""

from __future__ import annotations

import concurrent.futures
import json

import httpx
import pytest

from agentrl.sampling.engine_sampler import EngineSampler
from agentrl.serve import ServerThread, create_app
from agentrl.serve.continuous import ContinuousServing

SMALL = {"max_context": 160, "prefill_chunk": 32, "steps_per_round": 4, "min_bucket": 32}


@pytest.fixture(scope="module")
def served():
    from agentrl.models.tiny import tiny_model

    model, tokenizer = tiny_model(seed=3, num_hidden_layers=2)
    sampler = EngineSampler(model, tokenizer, num_slots=8, **SMALL)
    app = create_app(sampler, tokenizer, model_name="tiny", default_max_tokens=24)
    assert isinstance(app.state.server.engine, ContinuousServing)
    with ServerThread(app) as server:
        yield server, sampler, tokenizer


def _chat(server, messages, **extra):
    body = {"model": "tiny", "messages": messages, "temperature": 0, "max_tokens": 24, **extra}
    response = httpx.post(server.url + "/v1/chat/completions", json=body, timeout=120)
    assert response.status_code == 200, response.text
    return response.json()


def test_streams_tokens_as_they_are_decoded(served):
    server, sampler, _ = served
    messages = [{"role": "user", "content": "Tell me a story"}]
    whole = _chat(server, messages)
    text = whole["choices"][0]["message"]["content"]
    generated = whole["usage"]["completion_tokens"]
    body = {"model": "tiny", "messages": messages, "temperature": 0, "max_tokens": 24,
            "stream": True, "logprobs": True}  # fmt: skip
    pieces, busy_at_first, logprobs = [], None, []
    with httpx.stream("POST", server.url + "/v1/chat/completions", json=body, timeout=120) as r:
        for line in r.iter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            delta = json.loads(line[6:])["choices"][0]
            if delta["delta"].get("content"):
                if busy_at_first is None:
                    busy_at_first = sampler.engine.busy
                pieces.append(delta["delta"]["content"])
                logprobs += [e["logprob"] for e in delta["logprobs"]["content"]]
    assert "".join(pieces) == text
    if generated > 2 * SMALL["steps_per_round"]:
        # The first token reached the client while its completion was still being decoded.
        assert busy_at_first is True
    whole_lp = _chat(server, messages, logprobs=True)["choices"][0]["logprobs"]["content"]
    assert logprobs == pytest.approx([e["logprob"] for e in whole_lp][: len(logprobs)], abs=1e-5)


def test_a_follow_up_reuses_the_conversation_prefix(served):
    server, _, _ = served
    first = [{"role": "user", "content": "What is 2+3?"}]
    answer = _chat(server, first)
    prompt_tokens = answer["usage"]["prompt_tokens"]
    follow = [*first, {"role": "assistant", "content": answer["choices"][0]["message"]["content"]},
              {"role": "user", "content": "And 4+4?"}]  # fmt: skip
    again = _chat(server, follow)
    assert again["usage"]["prompt_tokens_details"]["cached_tokens"] >= prompt_tokens


def test_concurrent_requests_join_the_running_batch(served):
    server, sampler, _ = served
    rounds_before = sampler.engine.stats.decode_rounds

    def ask(k: int) -> str:
        return _chat(server, [{"role": "user", "content": f"Count to {k}"}])["choices"][0][
            "message"
        ]["content"]

    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(ask, range(6)))
    assert len(answers) == 6
    alone = [ask(k) for k in range(6)]
    assert answers == alone  # greedy: batch mates change nothing
    assert sampler.engine.stats.decode_rounds > rounds_before
