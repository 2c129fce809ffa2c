"""Rollouts on the continuous-batching engine: no turn barrier, the same trajectories as the
turn-synchronous loop, prefix reuse across turns, failures as data."""

from __future__ import annotations

import time

import numpy as np
import pytest

from agentrl.errors import ConfigError
from agentrl.rollout import rollout
from agentrl.sampling.base import SamplingParams
from agentrl.sampling.engine_sampler import EngineSampler
from agentrl.testing import ScriptedSampler, byte_tokenizer

LOG: list[tuple[int, int]] = []  # (task, turn) of every step, in order (envs are copied)


class TurnsEnv:
    """Three turns whatever the model says; task k's step sleeps ``delays[k]`` seconds; the
    action of a task in ``crash`` raises; every step appends a tool-like message."""

    max_turns = 3

    def __init__(self, delays=None, crash=()) -> None:
        self.delays = delays or {}
        self.crash = crash
        self.turns = 0
        self.task = 0

    def reset(self, *, seed=None, options=None):
        self.turns = 0
        self.task = (options or {}).get("task_index", seed)
        prompt = f"Task {self.task}: count to three."
        return [{"role": "user", "content": prompt}], {
            "task": {"id": f"t{self.task}", "prompt": prompt}
        }

    def step(self, action):
        self.turns += 1
        time.sleep(self.delays.get(self.task, 0.0))
        if self.task in self.crash:
            raise RuntimeError("the env fell over")
        LOG.append((self.task, self.turns))
        done = self.turns >= self.max_turns
        return [{"role": "user", "content": f"turn {self.turns} ok"}], 0.5, False, done, {}


@pytest.fixture(scope="module")
def setup():
    from agentrl.models.tiny import tiny_model

    model, tokenizer = tiny_model(seed=1, num_hidden_layers=2)
    return model, tokenizer


def _sampler(setup, **kw):
    model, tokenizer = setup
    # The shape ladder of tests/sampling/test_continuous_engine.py: one process compiles it once.
    kw = {"max_context": 160, "prefill_chunk": 32, "steps_per_round": 4, "min_bucket": 32, **kw}
    return EngineSampler(model, tokenizer, **kw)


PARAMS = SamplingParams(temperature=0, max_tokens=6)


def test_same_trajectories_as_the_turn_synchronous_loop(setup):
    _, tokenizer = setup
    runs = {}
    for engine in ("static", "continuous"):
        sampler = _sampler(setup)
        result = rollout(
            TurnsEnv(), sampler, tokenizer, tasks=range(4), group_size=2, params=PARAMS,
            max_concurrency=5, progress=False, engine=engine,
        )  # fmt: skip
        runs[engine] = (result, sampler.engine.stats)
    (static, _), (continuous, stats) = runs["static"], runs["continuous"]
    for a, b in zip(static.trajectories, continuous.trajectories, strict=True):
        b.validate_invariants()
        assert a.token_ids == b.token_ids and a.loss_mask == b.loss_mask
        np.testing.assert_allclose(a.logprobs, b.logprobs, atol=1e-5, rtol=0)
        assert (a.termination, a.reward, a.group_id, a.seed) == (
            b.termination, b.reward, b.group_id, b.seed,
        )  # fmt: skip
        assert b.info["turns"] == 3 and b.info["prompt"] == a.info["prompt"]
        assert [m["content"] for m in a.messages] == [m["content"] for m in b.messages]
    # Each turn prefilled only its new tokens: less than the trajectories' distinct tokens.
    distinct = sum(len(t.token_ids) for t in continuous.trajectories)
    assert stats.prefill_tokens <= distinct
    assert stats.cached_tokens > 0


def test_no_turn_barrier(setup):
    _, tokenizer = setup
    LOG.clear()
    rollout(
        TurnsEnv(delays={0: 0.6}), _sampler(setup), tokenizer, tasks=range(3), params=PARAMS,
        max_concurrency=3, progress=False, engine="continuous",
    )  # fmt: skip
    log = list(LOG)
    slow_first = log.index((0, 1))
    # The fast episodes finished all their turns while the slow one was still on its first.
    assert {(1, 3), (2, 3)} <= set(log[:slow_first])


def test_failures_stay_data_and_seeds_are_kept(setup):
    _, tokenizer = setup
    result = rollout(
        TurnsEnv(crash=(11,), delays={12: 3.0}), _sampler(setup), tokenizer, seeds=[10, 11, 12],
        params=PARAMS, step_timeout=1.0,
        progress=False, engine="continuous",
    )  # fmt: skip
    ok, crashed, hung = result.trajectories
    assert ok.termination in ("truncated", "max_tokens") and ok.seed == 10
    assert crashed.termination == "error" and "the env fell over" in crashed.error
    assert hung.termination == "error" and "timed out" in hung.error
    for t in result.trajectories:
        t.validate_invariants()


def test_engine_choice_is_checked():
    tok = byte_tokenizer()
    scripted = ScriptedSampler(tok, ["done"])
    with pytest.raises(ConfigError, match="EngineSampler"):
        rollout(TurnsEnv(), scripted, tok, num_episodes=1, engine="continuous", progress=False)
    with pytest.raises(ConfigError, match="engine="):
        rollout(TurnsEnv(), scripted, tok, num_episodes=1, engine="fast", progress=False)
