"""The rollout engine against small fake envs and scripted policies (no model, no jax)."""

from __future__ import annotations

import re
import threading
import time

import pytest

from agentrl.errors import ConfigError
from agentrl.rollout import plan_episodes, rollout
from agentrl.sampling.base import SamplingParams
from agentrl.testing import ScriptedSampler, byte_tokenizer

TOOL = {
    "type": "function",
    "function": {
        "name": "add",
        "description": "Add two integers.",
        "parameters": {"type": "object", "properties": {"a": {"type": "integer"}}},
    },
}


class CountEnv:
    """Asks for "done"; answers "again" (or a tool result) otherwise; misbehaves on request.

    The action "crash" raises, "hang" sleeps, "nan" returns a NaN reward, "tool" gets a tool
    message back. Three turns at most.
    """

    max_turns = 3

    def __init__(self, tools: tuple = ()) -> None:
        self.tools = tools
        self.turns = 0

    def reset(self, *, seed=None, options=None):
        self.turns = 0
        task = (options or {}).get("task_index", seed)
        prompt = f"Task {task}: say done."
        return [{"role": "user", "content": prompt}], {"task": {"id": f"t{task}", "answer": "done"}}

    def step(self, action):
        self.turns += 1
        if action == "crash":
            raise RuntimeError("the env fell over")
        if action == "hang":
            time.sleep(2.0)
        reward = float("nan") if action == "nan" else 0.0
        if action == "done":
            return [], 1.0, True, False, {"reward_components": {"correct": 1.0}}
        truncated = self.turns >= self.max_turns
        if action == "tool":
            return [{"role": "tool", "content": "3"}], reward, False, truncated, {}
        return [{"role": "user", "content": "again"}], reward, False, truncated, {}


def turn_of(prompt: str) -> int:
    return prompt.count("<|im_start|>assistant") - 1


def script(replies_by_task: dict[int, list[str]]):
    """A policy that answers task k's turn t with replies_by_task[k][t]."""

    def policy(prompt: str) -> str:
        task = int(re.search(r"Task (\d+)", prompt).group(1))
        replies = replies_by_task.get(task, ["done"])
        return replies[min(turn_of(prompt), len(replies) - 1)]

    return policy


@pytest.fixture(scope="module")
def tok():
    return byte_tokenizer()


def test_multi_turn_tokens_are_exactly_the_rendered_conversation(tok):
    sampler = ScriptedSampler(tok, script({0: ["hm", "tool", "done"]}))
    env = CountEnv(tools=(TOOL,))
    result = rollout(env, sampler, tok, tasks=[0], progress=False)
    [traj] = result.trajectories
    traj.validate_invariants()
    assert traj.termination == "terminated" and traj.reward == 1.0
    assert traj.step_rewards == [0.0, 0.0, 1.0]
    assert traj.reward_components == {"correct": 1.0}
    conversation = [
        {"role": "user", "content": "Task 0: say done."},
        {"role": "assistant", "content": "hm"},
        {"role": "user", "content": "again"},
        {"role": "assistant", "content": "tool"},
        {"role": "tool", "content": "3"},
        {"role": "assistant", "content": "done"},
    ]
    # Byte tokens are canonical, so token-in/token-out equals a full render of the chat, up to
    # the template's newline after the last <|im_end|>, which nobody sampled.
    rendered = tok.render(conversation, tools=[TOOL])
    assert rendered.endswith("<|im_end|>\n")
    assert traj.token_ids == tok.encode(rendered[:-1])
    assert traj.messages == conversation
    sampled = [
        tok.decode(traj.token_ids[s.start : s.end]) for s in traj.spans if s.role == "policy"
    ]
    assert sampled == ["hm<|im_end|>", "tool<|im_end|>", "done<|im_end|>"]
    assert [s.role for s in traj.spans] == ["prompt", "policy", "env", "policy", "tool", "policy"]
    assert [lp for lp, m in zip(traj.logprobs, traj.loss_mask) if m] == [
        -0.5
    ] * 13  # hm, tool, done + 3 EOS
    assert traj.task_id == "t0" and traj.info["turns"] == 3


def test_one_generate_call_per_turn_batches_every_active_episode(tok):
    replies = {k: ["x"] * k + ["done"] for k in range(4)}  # task k takes k+1 turns
    sampler = ScriptedSampler(tok, script(replies))
    result = rollout(CountEnv(), sampler, tok, tasks=[0, 1, 2, 3], group_size=2, progress=False)
    assert sampler.calls == [8, 6, 4]  # task 3 is cut at max_turns=3
    assert [t.termination for t in result.trajectories] == ["terminated"] * 6 + ["truncated"] * 2
    assert result.summary.terminations == {"terminated": 6, "truncated": 2}
    assert result.summary.generate_calls == 3
    # the two episodes of a group share one rendered prompt, but not their sessions
    alone = rollout(
        CountEnv(), ScriptedSampler(tok, script(replies)), tok, tasks=[2], progress=False
    )
    for t in result.trajectories[4:6]:
        t.validate_invariants()
        assert t.token_ids == alone.trajectories[0].token_ids
    assert result.summary.mean_reward == pytest.approx(6 / 8)


def test_group_sampling_shares_seed_task_and_group_id(tok):
    sampler = ScriptedSampler(tok, ["done"])
    result = rollout(
        CountEnv(), sampler, tok, num_episodes=6, group_size=3, seed=10, progress=False
    )
    groups = [(t.group_id, t.seed, t.task_id) for t in result.trajectories]
    assert groups == [("s10", 10, "t10")] * 3 + [("s11", 11, "t11")] * 3


def test_max_concurrency_bounds_the_batch(tok):
    sampler = ScriptedSampler(tok, ["done"])
    result = rollout(CountEnv(), sampler, tok, num_episodes=10, max_concurrency=4, progress=False)
    assert sampler.calls == [4, 4, 2]
    assert result.summary.num_episodes == 10


def test_failures_are_recorded_and_the_batch_goes_on(tok):
    replies = {0: ["crash"], 1: ["hang"], 2: ["nan"], 3: ["x", "done"]}
    sampler = ScriptedSampler(tok, script(replies))
    result = rollout(CountEnv(), sampler, tok, tasks=[0, 1, 2, 3], step_timeout=0.3, progress=False)
    crash, hang, nan, ok = result.trajectories
    for t in result.trajectories:
        t.validate_invariants()
    assert crash.termination == "error"
    assert crash.error == "env.step: RuntimeError: the env fell over"
    assert hang.termination == "error" and "timed out after 0.3s" in hang.error
    assert nan.termination == "error" and "reward=nan" in nan.error
    assert ok.termination == "terminated" and ok.reward == 1.0
    assert result.summary.terminations == {"error": 3, "terminated": 1}
    assert sum(result.summary.errors.values()) == 3


def test_reset_failure_is_an_error_episode(tok):
    class BrokenReset(CountEnv):
        def reset(self, *, seed=None, options=None):
            raise ValueError(f"no task {seed}")

    result = rollout(
        BrokenReset(), ScriptedSampler(tok, ["done"]), tok, num_episodes=2, progress=False
    )
    assert [t.error for t in result.trajectories] == [
        "env.reset: ValueError: no task 0",
        "env.reset: ValueError: no task 1",
    ]
    assert all(t.token_ids == [] for t in result.trajectories)


def test_context_limit_ends_the_episode_without_stepping(tok):
    long_reply = "y" * 40
    sampler = ScriptedSampler(tok, script({0: [long_reply]}))
    prompt_len = len(tok.encode_chat([{"role": "user", "content": "Task 0: say done."}]))
    result = rollout(
        CountEnv(), sampler, tok, tasks=[0], max_context=prompt_len + 10, progress=False
    )
    [traj] = result.trajectories
    traj.validate_invariants()
    assert traj.termination == "context_limit"
    assert len(traj.token_ids) == prompt_len + 10 and traj.num_policy_tokens == 10
    assert traj.step_rewards == []


def test_a_completion_cut_by_max_tokens_is_stepped_and_marked(tok):
    sampler = ScriptedSampler(tok, script({0: ["done and more"]}))
    env = CountEnv()
    env.max_turns = 1
    result = rollout(
        env, sampler, tok, tasks=[0], params=SamplingParams(max_tokens=4), progress=False
    )
    [traj] = result.trajectories
    assert traj.termination == "max_tokens"  # env truncated after 1 turn on a cut answer
    assert traj.info["finish_reasons"] == ["length"] and traj.num_policy_tokens == 4


def test_on_trajectory_sees_every_episode(tok):
    seen = []
    rollout(
        CountEnv(),
        ScriptedSampler(tok, ["done"]),
        tok,
        num_episodes=3,
        on_trajectory=seen.append,
        progress=False,
    )
    assert sorted(t.seed for t in seen) == [0, 1, 2]


def test_bad_arguments_name_the_value(tok):
    sampler = ScriptedSampler(tok, ["done"])
    with pytest.raises(ConfigError, match="group_size=3"):
        rollout(CountEnv(), sampler, tok, num_episodes=4, group_size=3, progress=False)
    with pytest.raises(ConfigError, match=r"params\.n=2"):
        rollout(
            CountEnv(), sampler, tok, num_episodes=2, params=SamplingParams(n=2), progress=False
        )
    with pytest.raises(ConfigError, match="exactly one"):
        plan_episodes(num_episodes=2, tasks=[0])
    with pytest.raises(ConfigError, match="max_concurrency=0"):
        rollout(CountEnv(), sampler, tok, num_episodes=2, max_concurrency=0, progress=False)


def test_env_messages_past_the_context_are_cut_from_the_trajectory(tok):
    class Verbose(CountEnv):
        def step(self, action):
            return [{"role": "user", "content": "blah " * 40}], 0.0, False, False, {}

    sampler = ScriptedSampler(tok, ["hm"])
    prompt_len = len(tok.encode_chat([{"role": "user", "content": "Task 0: say done."}]))
    limit = prompt_len + 50
    result = rollout(Verbose(), sampler, tok, tasks=[0], max_context=limit, progress=False)
    [traj] = result.trajectories
    traj.validate_invariants()
    assert traj.termination == "context_limit"
    assert len(traj.token_ids) == limit and traj.info["cut_tokens"] > 0
    assert traj.num_policy_tokens == 3  # "hm" + EOS, untouched by the cut
    assert [s.role for s in traj.spans] == ["prompt", "policy", "env"]


def test_pipeline_overlaps_env_steps_with_generation_and_changes_nothing_else(tok):
    generating = threading.Event()
    overlapped = []

    class Flagging(ScriptedSampler):
        def generate(self, prompts, params):
            generating.set()
            try:
                return super().generate(prompts, params)  # sleeps delay_s
            finally:
                generating.clear()

    class SlowEnv(CountEnv):
        def step(self, action):
            time.sleep(0.1)
            overlapped.append(generating.is_set())  # was the other cohort generating?
            return super().step(action)

    replies = {k: ["x"] * (k % 3) + ["done"] for k in range(12)}
    runs = {}
    for pipeline in (False, True):
        overlapped.clear()
        sampler = Flagging(tok, script(replies), delay_s=0.1)
        result = rollout(
            SlowEnv(), sampler, tok, tasks=range(12), max_concurrency=4, pipeline=pipeline,
            progress=False,
        )  # fmt: skip
        runs[pipeline] = (result, list(overlapped), sampler.calls)
    (plain, plain_overlap, plain_calls), (piped, piped_overlap, piped_calls) = (
        runs[False],
        runs[True],
    )
    assert [t.token_ids for t in piped.trajectories] == [t.token_ids for t in plain.trajectories]
    assert [t.termination for t in piped.trajectories] == [
        t.termination for t in plain.trajectories
    ]
    assert not any(plain_overlap)  # lockstep: envs step only while nothing generates
    assert sum(piped_overlap) >= len(piped_overlap) // 2
    assert max(piped_calls) <= 4 and sum(piped_calls) == sum(plain_calls)
