"""`agentrl serve`'s app over real loopback HTTP: the official openai client, streaming, tool
calls, concurrency, disconnects and bad requests. The policy is scripted (no model)."""

from __future__ import annotations

import concurrent.futures
import json

import httpx
import openai
import pytest

from agentrl.serve import ServerThread, create_app
from agentrl.testing import ScriptedSampler, byte_tokenizer
from agentrl.trajectory import validate_jsonl

TOOL_REPLY = (
    'Let me add.\n<tool_call>\n{"name": "add", "arguments": {"a": 2, "b": 3}}\n</tool_call>'
)
ADD = {
    "type": "function",
    "function": {
        "name": "add",
        "description": "Add two integers.",
        "parameters": {
            "type": "object",
            "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
            "required": ["a", "b"],
        },
    },
}


def policy(prompt: str) -> str:
    if "<tools>" in prompt:
        return TOOL_REPLY
    if "long" in prompt:
        return "é" * 200 + " the end"
    return "Hello from agentrl! 2+3=5"


@pytest.fixture(scope="module")
def tok():
    return byte_tokenizer()


@pytest.fixture(scope="module")
def sampler(tok):
    return ScriptedSampler(tok, policy, delay_s=0.02, max_context=2048)


@pytest.fixture(scope="module")
def server(tmp_path_factory, tok, sampler):
    record = tmp_path_factory.mktemp("record")
    app = create_app(
        sampler,
        tok,
        model_name="scripted",
        max_request_bytes=64_000,
        batch_window_s=0.02,
        record_dir=str(record),
    )
    with ServerThread(app) as running:
        running.record_dir = record
        yield running


@pytest.fixture(scope="module")
def client(server):
    return openai.OpenAI(base_url=server.url + "/v1", api_key="unused", max_retries=0)


def test_models_and_health(server, client):
    assert [m.id for m in client.models.list().data] == ["scripted"]
    assert httpx.get(server.url + "/health").json()["status"] == "ok"


def test_chat_plain(client):
    answer = client.chat.completions.create(
        model="scripted", messages=[{"role": "user", "content": "hi"}], logprobs=True
    )
    [choice] = answer.choices
    assert choice.message.content == "Hello from agentrl! 2+3=5"
    assert choice.finish_reason == "stop"
    assert [e.logprob for e in choice.logprobs.content] == [-0.5] * 26  # 25 bytes + <|im_end|>
    assert answer.usage.completion_tokens == 26


def test_chat_streaming(client):
    stream = client.chat.completions.create(
        model="scripted",
        messages=[{"role": "user", "content": "a long one"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "é" * 200 + " the end"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].usage.completion_tokens == 400 + 8 + 1  # é is 2 bytes


def test_chat_tool_call(client):
    messages = [{"role": "user", "content": "What is 2+3? Use the tool."}]
    answer = client.chat.completions.create(model="scripted", messages=messages, tools=[ADD])
    [choice] = answer.choices
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content == "Let me add."
    [call] = choice.message.tool_calls
    assert call.function.name == "add" and json.loads(call.function.arguments) == {"a": 2, "b": 3}
    # The tool result goes back in and renders through the template.
    messages += [
        choice.message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": "5"},
    ]
    follow = client.chat.completions.create(model="scripted", messages=messages, tools=[ADD])
    assert follow.choices[0].finish_reason == "tool_calls"  # the script always calls with tools


def test_chat_tool_call_streaming(client):
    stream = client.chat.completions.create(
        model="scripted", messages=[{"role": "user", "content": "add"}], tools=[ADD], stream=True
    )
    chunks = [c for c in stream if c.choices]
    calls = [tc for c in chunks for tc in (c.choices[0].delta.tool_calls or [])]
    assert [tc.function.name for tc in calls] == ["add"]
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


def test_completions_with_token_ids_and_logprobs(client, tok):
    prompt = tok.encode("Say hi")
    answer = client.completions.create(
        model="scripted",
        prompt=prompt,
        max_tokens=5,
        logprobs=0,  # the sampled tokens (alternatives are refused: see below)
        n=2,
        extra_body={"return_tokens_as_token_ids": True, "return_token_ids": True},
    )
    assert len(answer.choices) == 2
    for choice in answer.choices:
        assert choice.text == "Hello" and choice.finish_reason == "length"
        assert choice.logprobs.tokens == [f"token_id:{t}" for t in tok.encode("Hello")]
        assert choice.logprobs.token_logprobs == [-0.5] * 5
        assert choice.model_extra["token_ids"] == tok.encode("Hello")


def test_completions_stop_string_and_streaming(client):
    answer = client.completions.create(model="scripted", prompt="x", max_tokens=50, stop=["!"])
    assert answer.choices[0].text == "Hello from agentrl"
    assert answer.choices[0].finish_reason == "stop"
    pieces = [
        c.choices[0].text
        for c in client.completions.create(model="scripted", prompt="x", max_tokens=50, stream=True)
    ]
    assert "".join(pieces) == "Hello from agentrl! 2+3=5" and len(pieces) == 26


def test_concurrent_requests_are_batched(server, client):
    def ask(k: int) -> str:
        answer = client.chat.completions.create(
            model="scripted", messages=[{"role": "user", "content": f"hi {k}"}]
        )
        return answer.choices[0].message.content

    before = httpx.get(server.url + "/health").json()
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        replies = list(pool.map(ask, range(32)))
    after = httpx.get(server.url + "/health").json()
    assert replies == ["Hello from agentrl! 2+3=5"] * 32
    assert after["generate_calls"] - before["generate_calls"] < 32  # several per call
    assert after["largest_batch"] > 1


def test_client_disconnect_mid_stream_does_not_hurt(server, client):
    body = {
        "model": "scripted",
        "messages": [{"role": "user", "content": "a long one"}],
        "stream": True,
    }
    with (
        httpx.Client() as http,
        http.stream("POST", server.url + "/v1/chat/completions", json=body) as response,
    ):
        assert response.status_code == 200
        next(response.iter_lines())  # read one event, then hang up
    assert httpx.get(server.url + "/health").json()["status"] == "ok"
    assert client.chat.completions.create(
        model="scripted", messages=[{"role": "user", "content": "hi"}]
    ).choices


@pytest.mark.parametrize(
    ("body", "status", "needle"),
    [
        (b"{not json", 400, "not valid JSON"),
        (b"[1, 2]", 400, "JSON object"),
        (json.dumps({"model": "scripted"}).encode(), 400, "messages"),
        (
            json.dumps(
                {
                    "model": "scripted",
                    "messages": [{"role": "user", "content": "x"}],
                    "temperature": -1,
                }
            ).encode(),
            400,
            "temperature",
        ),
        (
            json.dumps({"model": "other", "messages": [{"role": "user", "content": "x"}]}).encode(),
            404,
            "'other' not found",
        ),
        (
            json.dumps(
                {"model": "scripted", "messages": [{"role": "wizard", "content": "x"}]}
            ).encode(),
            400,
            "wizard",
        ),
        (
            json.dumps({"messages": [{"role": "user", "content": "x" * 70_000}]}).encode(),
            413,
            "exceeds the limit",
        ),
    ],
)
def test_bad_requests_get_4xx_and_the_server_stays_healthy(server, body, status, needle):
    response = httpx.post(
        server.url + "/v1/chat/completions",
        content=body,
        headers={"content-type": "application/json"},
    )
    assert response.status_code == status
    assert needle in response.json()["error"]["message"]
    assert httpx.get(server.url + "/health").status_code == 200


def test_bad_completion_prompts(server):
    for prompt, needle in (
        ([], "empty"),
        ([1, 99999], "outside the vocabulary"),
        ("x" * 3000, "context"),
    ):
        response = httpx.post(server.url + "/v1/completions", json={"prompt": prompt})
        assert response.status_code == 400 and needle in response.json()["error"]["message"]


def test_api_key(tok, sampler):
    app = create_app(sampler, tok, model_name="scripted", api_key="sesame")
    with ServerThread(app) as running:
        assert httpx.get(running.url + "/v1/models").status_code == 401
        assert httpx.get(running.url + "/health").status_code == 200
        good = openai.OpenAI(base_url=running.url + "/v1", api_key="sesame", max_retries=0)
        assert good.models.list().data[0].id == "scripted"
        bad = openai.OpenAI(base_url=running.url + "/v1", api_key="nope", max_retries=0)
        with pytest.raises(openai.AuthenticationError):
            bad.models.list()


def test_recorded_requests_are_valid_trajectories(server, client, tok):
    client.chat.completions.create(
        model="scripted", messages=[{"role": "user", "content": "record me"}]
    )
    report = validate_jsonl(server.record_dir)
    assert report.ok, report.errors
    assert report.num_trajectories > 0
    from agentrl.trajectory import read_jsonl

    mine = [
        t
        for t in read_jsonl(server.record_dir)
        if t.messages and t.messages[0]["content"] == "record me"
    ]
    [traj] = mine
    assert traj.env_id == "serve/v1/chat/completions"
    sampled = [t for t, m in zip(traj.token_ids, traj.loss_mask) if m]
    assert tok.decode(sampled) == "Hello from agentrl! 2+3=5<|im_end|>"
    assert tok.decode(traj.token_ids[: traj.prompt_length]) == tok.render(
        [{"role": "user", "content": "record me"}], add_generation_prompt=True
    )
    assert traj.messages[-1] == {"role": "assistant", "content": "Hello from agentrl! 2+3=5"}


def test_a_failing_sampler_answers_500_and_the_server_keeps_serving(tok):
    class Flaky(ScriptedSampler):
        def generate(self, prompts, params):
            if params.max_tokens == 13:
                raise RuntimeError("device on fire")
            return super().generate(prompts, params)

    app = create_app(Flaky(tok, ["fine"]), tok, model_name="scripted")
    with ServerThread(app) as running:
        body = {"messages": [{"role": "user", "content": "x"}]}
        broken = httpx.post(running.url + "/v1/chat/completions", json={**body, "max_tokens": 13})
        assert broken.status_code == 500
        assert "RuntimeError: device on fire" in broken.json()["error"]["message"]
        ok = httpx.post(running.url + "/v1/chat/completions", json={**body, "max_tokens": 5})
        assert ok.status_code == 200 and ok.json()["choices"][0]["message"]["content"] == "fine"


@pytest.mark.parametrize(
    ("path", "extra", "param"),
    [
        ("/v1/chat/completions", {"presence_penalty": 0.5}, "presence_penalty"),
        ("/v1/chat/completions", {"frequency_penalty": -1.0}, "frequency_penalty"),
        ("/v1/chat/completions", {"logit_bias": {"42": 5}}, "logit_bias"),
        ("/v1/chat/completions", {"logprobs": True, "top_logprobs": 2}, "top_logprobs"),
        ("/v1/chat/completions", {"tool_choice": "required", "tools": [ADD]}, "tool_choice"),
        (
            "/v1/chat/completions",
            {"tool_choice": {"type": "function", "function": {"name": "add"}}, "tools": [ADD]},
            "tool_choice",
        ),
        ("/v1/completions", {"logprobs": 2}, "logprobs"),
        ("/v1/completions", {"best_of": 3}, "best_of"),
        ("/v1/completions", {"repetition_penalty": 1.2}, "repetition_penalty"),
    ],
)
def test_fields_it_cannot_honour_are_refused_not_dropped(server, path, extra, param):
    body = {"model": "scripted", **extra}
    if path.endswith("chat/completions"):
        body["messages"] = [{"role": "user", "content": "hi"}]
    else:
        body["prompt"] = "hi"
    response = httpx.post(server.url + path, json=body)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["param"] == param and param in error["message"]


def test_no_op_values_of_those_fields_are_accepted(server):
    body = {
        "model": "scripted",
        "messages": [{"role": "user", "content": "hi"}],
        "presence_penalty": 0,
        "frequency_penalty": 0.0,
        "logit_bias": {},
        "logprobs": True,
        "top_logprobs": 0,
        "tool_choice": "auto",
    }
    assert httpx.post(server.url + "/v1/chat/completions", json=body).status_code == 200
    plain = {"model": "scripted", "prompt": "hi", "logprobs": 0, "best_of": 1}
    answer = httpx.post(server.url + "/v1/completions", json=plain).json()
    assert answer["choices"][0]["logprobs"]["token_logprobs"]
