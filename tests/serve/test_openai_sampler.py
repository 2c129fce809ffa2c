"""`OpenAISampler` over loopback HTTP: against `agentrl serve`'s app (token-in/token-out) and
against a fault-injecting server (429, 500, dropped connections, timeouts, dead endpoints)."""

from __future__ import annotations

import contextlib
import http.server
import json
import threading
import time

import pytest

from agentrl.errors import ConfigError, SamplerError
from agentrl.sampling.base import SamplingParams
from agentrl.sampling.openai_client import OpenAISampler
from agentrl.serve import ServerThread, create_app
from agentrl.testing import ScriptedSampler, byte_tokenizer


def policy(prompt: str) -> str:
    return "ok: " + prompt[-12:].replace("<|im_end|>", "")


@pytest.fixture(scope="module")
def tok():
    return byte_tokenizer()


@pytest.fixture(scope="module")
def served(tok):
    inner = ScriptedSampler(tok, policy, max_context=4096)
    with ServerThread(create_app(inner, tok, model_name="scripted")) as server:
        yield server, inner


def test_token_in_token_out_through_agentrl_serve(served, tok):
    server, inner = served
    prompts = [tok.encode("first prompt"), tok.encode("second, longer prompt é")]
    params = SamplingParams(temperature=0, max_tokens=64, n=2)
    with OpenAISampler(server.url, tokenizer=tok) as remote:
        got = remote.generate(prompts, params)
        assert remote.model == "scripted" and remote.max_context == 4096
    want = inner.generate(prompts, params)
    assert [[c.token_ids for c in row] for row in got] == [
        [c.token_ids for c in row] for row in want
    ]
    assert [[c.logprobs for c in row] for row in got] == [[c.logprobs for c in row] for row in want]
    assert got[1][0].text == tok.decode(want[1][0].token_ids[:-1])  # the API text has no EOS
    assert {c.finish_reason for row in got for c in row} == {"stop"}


def test_stop_and_length_through_agentrl_serve(served, tok):
    server, _ = served
    with OpenAISampler(server.url + "/v1/", model="scripted") as remote:
        assert remote.max_context == 4096  # asked of /v1/models on first read
        [[cut]] = remote.generate([tok.encode("abc")], SamplingParams(max_tokens=3))
        [[stopped]] = remote.generate([tok.encode("abc")], SamplingParams(stop=(":",)))
    assert (tok.decode(cut.token_ids), cut.finish_reason) == ("ok:", "length")
    assert (tok.decode(stopped.token_ids), stopped.finish_reason) == ("ok:", "stop")


def test_chat_mode(served, tok):
    server, _ = served
    chat = [{"role": "user", "content": "hello"}]
    with OpenAISampler(server.url, model="scripted") as remote:
        [[reply]] = remote.chat([chat], SamplingParams())
    assert reply.text == policy(tok.render(chat, add_generation_prompt=True))
    assert reply.metadata["message"]["role"] == "assistant"
    assert reply.token_ids and reply.logprobs == [-0.5] * len(reply.token_ids)


# --- a server that misbehaves on purpose -------------------------------------------------------


class FaultServer:
    """Answers /v1/completions from a script of faults: "429", "500", "drop", "slow", "400",
    then "ok" (a valid answer with token ids) once the script is used up."""

    def __init__(self, faults: list[str]) -> None:
        self.faults = list(faults)
        self.hits = 0
        self.lock = threading.Lock()
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                with owner.lock:
                    owner.hits += 1
                    fault = owner.faults.pop(0) if owner.faults else "ok"
                if fault == "drop":
                    self.close_connection = True
                    self.connection.shutdown(2)  # hang up without an answer
                    return
                if fault == "slow":
                    time.sleep(1.0)
                status = {"429": 429, "500": 500, "400": 400}.get(fault, 200)
                payload = {"error": {"message": fault}} if status != 200 else _answer(body)
                data = json.dumps(payload).encode()
                self.send_response(status)
                if status == 429:
                    self.send_header("Retry-After", "0")
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                # A client that timed out has left already, as intended.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(data)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _answer(body: dict) -> dict:
    ids = [t + 1 for t in body["prompt"][: body["max_tokens"]]]
    return {
        "choices": [
            {
                "index": 0,
                "text": "",
                "logprobs": {
                    "tokens": [f"token_id:{t}" for t in ids],
                    "token_logprobs": [-1.0] * len(ids),
                },
                "finish_reason": "length",
            }
        ]
    }


@pytest.fixture
def faulty(request):
    server = FaultServer(request.param)
    yield server
    server.close()


def quick(url, **kw) -> OpenAISampler:
    return OpenAISampler(url, model="m", backoff_s=0.01, max_backoff_s=0.05, **kw)


@pytest.mark.parametrize("faulty", [["429", "500", "drop", "429"]], indirect=True)
def test_retries_429_5xx_and_dropped_connections(faulty):
    with quick(faulty.url) as sampler:
        [[c]] = sampler.generate([[5, 6, 7]], SamplingParams(max_tokens=2))
        assert sampler.retries == 4
    assert c.token_ids == [6, 7] and c.logprobs == [-1.0, -1.0] and c.finish_reason == "length"
    assert faulty.hits == 5


@pytest.mark.parametrize("faulty", [["slow"]], indirect=True)
def test_timeouts_are_retried(faulty):
    with quick(faulty.url, timeout=0.3) as sampler:
        [[c]] = sampler.generate([[1]], SamplingParams(max_tokens=1))
    assert c.token_ids == [2] and faulty.hits == 2


@pytest.mark.parametrize("faulty", [["400"]], indirect=True)
def test_client_errors_fail_at_once(faulty):
    with quick(faulty.url) as sampler, pytest.raises(SamplerError, match="answered 400"):
        sampler.generate([[1]], SamplingParams())
    assert faulty.hits == 1


@pytest.mark.parametrize("faulty", [["500"] * 10], indirect=True)
def test_gives_up_after_max_retries(faulty):
    with (
        quick(faulty.url, max_retries=2) as sampler,
        pytest.raises(SamplerError, match="gave up after 3 attempts"),
    ):
        sampler.generate([[1]], SamplingParams())
    assert faulty.hits == 3


def test_balances_endpoints_and_routes_around_a_dead_one():
    a, b = FaultServer([]), FaultServer([])
    dead = FaultServer([])
    dead.close()  # its port now refuses connections
    try:
        with quick([a.url, b.url], balance="round_robin") as sampler:
            sampler.generate([[i] for i in range(10)], SamplingParams(max_tokens=1))
        assert (a.hits, b.hits) == (5, 5)
        with quick([dead.url, a.url], max_concurrency=4) as sampler:
            out = sampler.generate([[i] for i in range(8)], SamplingParams(max_tokens=1))
        assert [row[0].token_ids for row in out] == [[i + 1] for i in range(8)]
        assert a.hits == 5 + 8
    finally:
        a.close()
        b.close()


def test_bad_configuration():
    with pytest.raises(ConfigError, match="max_concurrency=0"):
        OpenAISampler("http://127.0.0.1:1", max_concurrency=0)
    with pytest.raises(ConfigError, match="http"):
        OpenAISampler("localhost:8000")
    with pytest.raises(ConfigError, match="balance"):
        OpenAISampler("http://127.0.0.1:1", balance="random")  # type: ignore[arg-type]


def test_rollout_through_http_equals_rollout_in_process(tok):
    """tool-math with real tool calls, policy behind `agentrl serve`, driven by OpenAISampler."""
    from agentrl.rollout import rollout

    def tool_then_answer(prompt: str) -> str:
        if "<tool_response>" not in prompt:
            call = '{"name": "calculator", "arguments": {"expression": "6*7"}}'
            return f"<tool_call>\n{call}\n</tool_call>"
        return "So \\boxed{42}."

    def run(sampler):
        result = rollout("tool-math", sampler, tok, num_episodes=4, group_size=2, progress=False)
        return result.trajectories

    local = run(ScriptedSampler(tok, tool_then_answer))
    app = create_app(ScriptedSampler(tok, tool_then_answer), tok, model_name="scripted")
    with ServerThread(app) as server, OpenAISampler(server.url, model="scripted") as remote:
        over_http = run(remote)
    for a, b in zip(local, over_http):
        b.validate_invariants()
        assert b.token_ids == a.token_ids and b.loss_mask == a.loss_mask
        assert b.logprobs == a.logprobs and b.spans == a.spans
        assert [s.role for s in b.spans] == ["prompt", "policy", "tool", "policy"]
