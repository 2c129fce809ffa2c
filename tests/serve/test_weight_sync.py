"""Weight sync with ``agentrl serve``: ``POST /v1/weights`` loads a published folder, verified by
checksum; a corrupted or truncated push is refused and the old weights keep serving; every
answer says which policy version made it; in-flight requests finish before a swap; sampling
through the server in per-call mode is the in-process sampler's, bit for bit."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from agentrl.sampling.base import SamplingParams
from agentrl.sampling.weight_sync import (
    MANIFEST,
    WeightPublisher,
    WeightPusher,
    WeightSyncError,
    weights_checksum,
)
from agentrl.serve import ServerThread, create_app
from agentrl.serve.weights import VERSION_HEADER, WeightGate

TINY = {"num_hidden_layers": 1}


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """A server over model B (seed 1) and a trainer's model A (seed 0), published as v1."""
    from agentrl.models.tiny import tiny_model
    from agentrl.sampling.jax_sampler import JaxSampler

    trainer, tok = tiny_model(seed=0, **TINY)
    served, _ = tiny_model(seed=1, **TINY)
    publisher = WeightPublisher(tmp_path_factory.mktemp("run") / "weights", tok)
    sampler = JaxSampler(served, tok, max_context=128, seed=0, max_batch=8)
    app = create_app(sampler, tok, model_name="policy", engine="static")
    with ServerThread(app) as server:
        yield {"server": server, "trainer": trainer, "tok": tok, "publisher": publisher,
               "served": served}  # fmt: skip


def _weights(url: str) -> dict:
    return httpx.get(url + "/v1/weights", timeout=30).json()


def _complete(url: str, prompt: list[int]) -> httpx.Response:
    body = {"prompt": prompt, "max_tokens": 6, "temperature": 0, "logprobs": 0,
            "return_token_ids": True}  # fmt: skip
    return httpx.post(url + "/v1/completions", json=body, timeout=120)


def _corrupt_copy(src: Path, dst: Path, how: str) -> Path:
    import shutil

    shutil.copytree(src, dst)
    data = dst / "model.safetensors"
    raw = bytearray(data.read_bytes())
    if how == "flip":
        raw[-100] ^= 0x40  # one bit of one weight, in the data region
    else:
        raw = raw[: len(raw) // 2]
    data.write_bytes(bytes(raw))
    return dst


def test_push_loads_verifies_and_reports_the_version(setup):
    from agentrl.sampling.jax_sampler import JaxSampler

    url, trainer, tok = setup["server"].url, setup["trainer"], setup["tok"]
    prompt = tok.encode("1 + 2 =")
    before = _complete(url, prompt)
    published = setup["publisher"].publish(trainer, 1)
    assert json.loads((published.path / MANIFEST).read_text())["version"] == 1
    assert not list(published.path.parent.glob(".*tmp*"))  # written via a renamed temp folder
    got = WeightPusher([url]).push(published)
    assert got == {url: published.checksum}
    assert weights_checksum(setup["served"]) == weights_checksum(trainer)
    assert _weights(url)["version"] == 1
    after = _complete(url, prompt)
    assert before.headers[VERSION_HEADER] == "0" and after.headers[VERSION_HEADER] == "1"
    local = JaxSampler(trainer, tok, max_context=128, seed=0, max_batch=8)
    [[want]] = local.generate([prompt], SamplingParams(temperature=0, max_tokens=6))
    assert after.json()["choices"][0]["token_ids"] == want.token_ids


@pytest.mark.parametrize("how", ["flip", "truncate"])
def test_a_corrupted_push_is_refused_and_the_old_weights_keep_serving(setup, tmp_path, how):
    url, tok = setup["server"].url, setup["tok"]
    published = setup["publisher"].publish(setup["trainer"], 2)
    prompt = tok.encode("7 * 6 =")
    version = _weights(url)["version"]
    before = _complete(url, prompt).json()["choices"][0]["token_ids"]
    bad = _corrupt_copy(published.path, tmp_path / "bad", how)
    with pytest.raises(WeightSyncError, match="409" if how == "flip" else "400") as refused:
        WeightPusher([url]).push(type(published)(bad, 2, published.checksum))
    assert ("hash to" if how == "flip" else "cannot load") in str(refused.value)
    assert _weights(url)["version"] == version
    assert _complete(url, prompt).json()["choices"][0]["token_ids"] == before


def test_a_server_reporting_other_weights_fails_the_check(setup):
    url = setup["server"].url
    published = setup["publisher"].publish(setup["trainer"], 3)
    lying = type(published)(published.path, 3, "0" * 64)  # the trainer's claim differs
    with pytest.raises(WeightSyncError, match="refused"):
        WeightPusher([url]).push(lying)


def test_an_unreachable_server_is_reported_not_skipped_silently(setup):
    from agentrl.sampling.weight_sync import ServerUnreachable
    from agentrl.train.servers import free_port

    dead = f"http://127.0.0.1:{free_port()}"
    published = setup["publisher"].publish(setup["trainer"], 4)
    results = WeightPusher([dead], timeout_s=5).push(published)
    assert isinstance(results[dead], ServerUnreachable)


def test_in_flight_requests_finish_before_a_swap_and_new_ones_wait():
    events: list[str] = []

    async def scenario() -> None:
        gate = WeightGate()
        await gate.enter()  # a request in flight
        events.append("request 1 in")
        swap = asyncio.create_task(gate.exclusive(lambda: events.append("swap")))
        await asyncio.sleep(0.05)
        late = asyncio.create_task(gate.enter())  # arrives during the pending swap
        await asyncio.sleep(0.05)
        assert events == ["request 1 in"] and not late.done()
        events.append("request 1 out")
        gate.leave()
        await swap
        await late
        events.append("request 2 in")
        gate.leave()

    asyncio.run(scenario())
    assert events == ["request 1 in", "request 1 out", "swap", "request 2 in"]


def test_per_call_sampling_through_the_server_is_the_local_samplers(setup):
    """The property `max_staleness: 0` rests on: same prompts, same seed, same weights ->
    the same tokens and log-probs, through HTTP or in process."""
    from agentrl.sampling.jax_sampler import JaxSampler
    from agentrl.sampling.openai_client import OpenAISampler

    url, tok, trainer = setup["server"].url, setup["tok"], setup["trainer"]
    WeightPusher([url]).push(setup["publisher"].publish(trainer, 5))
    prompts = [tok.encode("12 + 30 ="), tok.encode("12 + 30 ="), tok.encode("9 - 4 = ")]
    params = SamplingParams(temperature=1.0, max_tokens=8, seed=1234)
    local = JaxSampler(trainer, tok, max_context=128, seed=0, max_batch=8)
    want = local.generate(prompts, params)
    with OpenAISampler(url, model="policy", batch_prompts=True) as remote:
        got = remote.generate(prompts, params)
    assert [c[0].token_ids for c in got] == [c[0].token_ids for c in want]
    assert [c[0].logprobs for c in got] == [c[0].logprobs for c in want]
    assert {c[0].metadata["policy_version"] for c in got} == {5}
    # With two endpoints the call is split in two requests: the first chunk keeps the seed,
    # the second gets its own, whichever server answers (here both are the same one).
    from agentrl.sampling.openai_client import _prompt_params

    with OpenAISampler([url, url + "/v1"], model="policy", batch_prompts=True) as remote:
        split = remote.generate(prompts, params)
    first = local.generate(prompts[:1], params)
    second = local.generate(prompts[1:], _prompt_params(params, 1))
    assert [c[0].token_ids for c in split] == [c[0].token_ids for c in first + second]
    # Per prompt, each request gets its own seed: a group's repeated prompt is not one sample.
    with OpenAISampler(url, model="policy") as remote:
        each = remote.generate(prompts[:1] * 4, params)
    assert len({tuple(c[0].token_ids) for c in each}) > 1


def test_the_vllm_reload_path_pauses_reloads_and_resumes(tmp_path):
    """Against a stand-in for ``VLLM_SERVER_DEV_MODE=1 vllm serve`` (vLLM cannot run here)."""
    from agentrl.models.tiny import tiny_model

    calls: list[tuple[str, object]] = []
    app = FastAPI()

    @app.post("/pause")
    async def pause(wait_for_inflight_requests: bool = False) -> dict:
        calls.append(("pause", wait_for_inflight_requests))
        return {}

    @app.post("/collective_rpc")
    async def rpc(body: dict) -> dict:
        calls.append(("collective_rpc", body))
        return {}

    @app.post("/resume")
    async def resume() -> dict:
        calls.append(("resume", None))
        return {}

    model, tok = tiny_model(**TINY)
    published = WeightPublisher(tmp_path, tok).publish(model, 7)
    with ServerThread(app) as server:
        assert WeightPusher([server.url], kind="vllm").push(published) == {
            server.url: published.checksum
        }
    assert calls == [
        ("pause", True),
        ("collective_rpc", {"method": "reload_weights",
                            "kwargs": {"weights_path": str(published.path)}}),
        ("resume", None),
    ]  # fmt: skip


def test_the_prompts_of_one_request_stay_one_generate_call():
    """However late the batching task wakes (here: a zero window, as under heavy load), what is
    already queued joins the batch, so a per-call request's rows keep their seeds."""
    from agentrl.serve.batching import BatchingEngine
    from agentrl.testing import ScriptedSampler, byte_tokenizer

    tok = byte_tokenizer()
    engine = BatchingEngine(ScriptedSampler(tok, lambda p: "x"), max_batch=64, window_s=0.0)

    async def scenario() -> None:
        await engine.start()
        params = SamplingParams(max_tokens=2)
        await asyncio.gather(*(engine.generate(tok.encode(f"p{i}"), params) for i in range(5)))
        await engine.stop()

    asyncio.run(scenario())
    assert (engine.stats.calls, engine.stats.largest) == (1, 5)


def test_bfloat16_weights_load_into_a_float32_server_and_verify(setup):
    """A trainer keeping bfloat16 weights publishes them as such; a float32 server holds the
    same values upcast, and the checksum (over the published dtypes) agrees."""
    import jax.numpy as jnp

    from agentrl.models.tiny import tiny_model

    trainer, _ = tiny_model(seed=2, param_dtype=jnp.bfloat16, **TINY)
    published = setup["publisher"].publish(trainer, 9)
    manifest = json.loads((published.path / MANIFEST).read_text())
    assert set(manifest["dtypes"].values()) == {"bfloat16"}
    url = setup["server"].url
    assert WeightPusher([url]).push(published) == {url: published.checksum}
    assert _weights(url)["version"] == 9
