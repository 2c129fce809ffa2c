"""Sessions on the serve app: requests grouped by ``/s/<session>`` URL or ``user`` field,
merged token-in/token-out into multi-turn trajectories, and ``POST /v1/rewards``. The policy is
scripted (no model)."""

from __future__ import annotations

import json

import httpx
import openai
import pytest

from agentrl.serve import ServerThread, create_app
from agentrl.serve.sessions import merge_session, prompt_end
from agentrl.testing import ScriptedSampler, byte_tokenizer
from agentrl.trajectory import Span, Trajectory, read_jsonl


def policy(prompt: str) -> str:
    return f"turn {prompt.count('<|im_start|>assistant')}"


@pytest.fixture(scope="module")
def tok():
    return byte_tokenizer()


@pytest.fixture(scope="module")
def server(tmp_path_factory, tok):
    record = tmp_path_factory.mktemp("record")
    app = create_app(ScriptedSampler(tok, policy), tok, model_name="scripted", record_dir=record)
    with ServerThread(app) as running:
        running.record_dir = record
        yield running


def recorded(server, session):
    return [t for t in read_jsonl(server.record_dir) if t.info["session"] == session]


def chat_loop(client, turns, **kwargs):
    """An agent loop: each turn sends the whole history back, plus a new user message."""
    messages = [{"role": "user", "content": "What is 2+3?"}]
    answers = []
    for _ in range(turns):
        answer = client.chat.completions.create(model="scripted", messages=messages, **kwargs)
        answers.append(answer)
        messages += [
            {"role": "assistant", "content": answer.choices[0].message.content},
            {"role": "user", "content": "Go on."},
        ]
    return messages[:-2], answers


def test_a_multi_turn_session_is_one_trajectory_of_its_own_tokens(server, tok):
    client = openai.OpenAI(base_url=server.url + "/s/agent-1/v1", api_key="x", max_retries=0)
    last_prompt, answers = chat_loop(client, 3)
    assert [a.choices[0].message.content for a in answers] == ["turn 1", "turn 2", "turn 3"]
    requests = recorded(server, "agent-1")
    assert len(requests) == 3
    [merged] = merge_session(requests)
    merged.validate_invariants()
    eos = tok.eos_token_ids[0]
    # The session's tokens: the last prompt as the template renders it, then the last reply.
    session_tokens = tok.encode_chat(last_prompt, add_generation_prompt=True)
    assert merged.token_ids == session_tokens + tok.encode("turn 3") + [eos]
    # The loss is on the sampled tokens only: the three replies, each with its EOS.
    sampled = [t for t, m in zip(merged.token_ids, merged.loss_mask) if m]
    assert sampled == [x for k in (1, 2, 3) for x in [*tok.encode(f"turn {k}"), eos]]
    assert sum(merged.loss_mask) == sum(a.usage.completion_tokens for a in answers)
    assert [s.role for s in merged.spans] == ["prompt", "policy", "env", "policy", "env", "policy"]
    for span in merged.spans:  # every span is exactly where its tokens are
        text = tok.decode(merged.token_ids[span.start : span.end], skip_special_tokens=False)
        if span.role == "policy":
            assert text == f"turn {span.turn + 1}<|im_end|>"
        if span.role == "env":
            assert text == "\n<|im_start|>user\nGo on.<|im_end|>\n<|im_start|>assistant\n"
    assert [lp for lp, m in zip(merged.logprobs, merged.loss_mask) if m] == [-0.5] * len(sampled)
    assert merged.info["turns"] == 3 and merged.info["session"] == "agent-1"


def test_the_user_field_names_the_session_and_a_new_conversation_is_a_new_trajectory(server):
    client = openai.OpenAI(base_url=server.url + "/v1", api_key="x", max_retries=0)
    chat_loop(client, 2, user="alice")
    # A second conversation of the same user starts over: it extends neither earlier request.
    client.chat.completions.create(
        model="scripted", messages=[{"role": "user", "content": "Something else"}], user="alice"
    )
    merged = merge_session(recorded(server, "alice"))
    assert [t.info["turns"] for t in merged] == [2, 1]
    # The URL's session wins over the user field.
    path = openai.OpenAI(base_url=server.url + "/s/bob/v1", api_key="x", max_retries=0)
    chat_loop(path, 1, user="alice")
    assert len(recorded(server, "bob")) == 1 and len(recorded(server, "alice")) == 3


def test_completions_with_token_ids_chain_too(server, tok):
    """Token-in/token-out over /v1/completions: each prompt is the previous one plus its
    completion plus new tokens, so the session is one trajectory."""
    url = server.url + "/s/tokens/v1/completions"
    prompt = tok.encode("Q: 1+1?")
    for k in range(2):
        body = {"model": "scripted", "prompt": prompt, "return_token_ids": True}
        choice = httpx.post(url, json=body).json()["choices"][0]
        prompt = prompt + choice["token_ids"] + tok.encode(f" observation {k}. ")
    [merged] = merge_session(recorded(server, "tokens"))
    assert merged.info["turns"] == 2
    assert merged.token_ids == prompt[: len(merged.token_ids)]


def test_merge_extends_the_request_it_continues_not_only_the_last():
    def request(prompt: list[int], out: list[int], rid: str) -> Trajectory:
        n = len(prompt)
        return Trajectory(
            env_id="serve/v1/completions",
            token_ids=prompt + out,
            loss_mask=[0] * n + [1] * len(out),
            logprobs=[0.0] * n + [-1.0] * len(out),
            spans=[Span(role="prompt", start=0, end=n, turn=0),
                   Span(role="policy", start=n, end=n + len(out), turn=0)],
            info={"request_id": rid},
        )  # fmt: skip

    a = request([1, 2], [3], "a")
    b = request([9], [8], "b")  # another conversation in between
    c = request([1, 2, 3, 4], [5, 6], "c")  # continues a, not b
    d = request([1, 2, 3, 4], [7], "d")  # a retry of c's turn: extends nothing now
    e = request([9, 7, 0], [4], "e")  # differs from b in b's last sampled token only
    f = request(
        [9], [8, 5], "f"
    )  # b's turn sampled again: its tokens start with b's, its prompt not
    first, second, third, fourth, fifth = merge_session([a, b, c, d, e, f])
    assert (fourth.info["requests"], fifth.info["requests"]) == (["e"], ["f"])
    assert first.token_ids == [1, 2, 3, 4, 5, 6]
    assert first.loss_mask == [0, 0, 1, 0, 1, 1]
    assert first.logprobs == [0.0, 0.0, -1.0, 0.0, -1.0, -1.0]
    assert first.info["requests"] == ["a", "c"]
    assert (second.token_ids, third.token_ids) == ([9, 8], [1, 2, 3, 4, 7])
    assert third.loss_mask == [0, 0, 0, 0, 1] and prompt_end(d) == 4
    for t in (first, second, third, fourth, fifth):
        t.validate_invariants()


def test_rewards_attach_to_recorded_sessions(server):
    client = openai.OpenAI(base_url=server.url + "/v1", api_key="x", max_retries=0)
    chat_loop(client, 1, user="carol")
    ok = httpx.post(server.url + "/v1/rewards", json={"user": "carol", "reward": 1.0})
    assert ok.status_code == 200 and ok.json()["user"] == "carol"
    # Under a session URL the user field is not needed.
    chat_loop(openai.OpenAI(base_url=server.url + "/s/dave/v1", api_key="x"), 1)
    dave = httpx.post(server.url + "/s/dave/v1/rewards", json={"reward": 0.5, "task": "t1"})
    assert dave.status_code == 200 and dave.json()["user"] == "dave"
    [rewards] = server.record_dir.glob("*.rewards")
    lines = [json.loads(line) for line in rewards.read_text().splitlines()]
    assert [(r["session"], r["reward"], r["task"]) for r in lines] == [
        ("carol", 1.0, None),
        ("dave", 0.5, "t1"),
    ]
    missing = httpx.post(server.url + "/v1/rewards", json={"user": "nobody", "reward": 1})
    assert missing.status_code == 404
    assert "no recorded session 'nobody'" in missing.json()["error"]["message"]
    bad = httpx.post(server.url + "/v1/rewards", json={"user": "carol", "reward": "high"})
    assert bad.status_code == 400 and "reward" in bad.json()["error"]["message"]
    nan = httpx.post(server.url + "/v1/rewards", content='{"user": "carol", "reward": NaN}')
    assert nan.status_code == 400 and "need a finite number" in nan.json()["error"]["message"]
    anonymous = httpx.post(server.url + "/v1/rewards", json={"reward": 1})
    assert anonymous.status_code == 400 and "name the session" in anonymous.text


def test_rewards_need_a_recording_server(tok):
    app = create_app(ScriptedSampler(tok, ["hi"]), tok, model_name="scripted")
    with ServerThread(app) as running:
        answer = httpx.post(running.url + "/v1/rewards", json={"user": "x", "reward": 1})
        assert answer.status_code == 400 and "--record DIR" in answer.text
