"""A correct answer earns reward only inside ``\\boxed{}`` in every math env (DeepScaleR's rule),
though the grader itself reads the unboxed answer as correct."""

from __future__ import annotations

import pytest

import agentrl
from agentrl.grading import grade

MATH_ENVS = ["deepscaler", "gsm8k", "tool-math"]
SEEDS = [0, 1, 2]


def _unboxed(answer: str) -> list[str]:
    return [f"The answer is {answer}", f"So the result is {answer}.", answer]


@pytest.mark.parametrize("env_id", MATH_ENVS)
@pytest.mark.parametrize("seed", SEEDS)
def test_the_boxed_correct_answer_earns_one(env_id, seed):
    env = agentrl.make(env_id)
    _, info = env.reset(seed=seed)
    _, reward, terminated, _, step_info = env.step(f"So: \\boxed{{{info['task']['answer']}}}")
    assert (reward, terminated) == (1.0, True)
    assert step_info["reward_components"]["correct"] == 1.0


@pytest.mark.parametrize("env_id", ["deepscaler", "gsm8k"])
@pytest.mark.parametrize("seed", SEEDS)
def test_a_correct_unboxed_answer_ends_the_episode_with_zero(env_id, seed):
    env = agentrl.make(env_id)
    _, info = env.reset(seed=seed)
    answer = info["task"]["answer"]
    for response in _unboxed(answer):
        assert grade(response, answer).verdict == "correct"  # the grader reads it...
        env.reset(seed=seed)
        _, reward, terminated, _, step_info = env.step(response)
        assert (reward, terminated) == (0.0, True), response  # ...the env does not pay for it
        assert step_info["reward_components"]["correct"] == 0.0


@pytest.mark.parametrize("seed", SEEDS)
def test_tool_math_asks_again_for_an_unboxed_answer_and_never_pays_it(seed):
    env = agentrl.make("tool-math", max_turns=3)
    _, info = env.reset(seed=seed)
    answer = info["task"]["answer"]
    assert grade(f"The answer is {answer}", answer).verdict == "correct"
    rewards = []
    for _ in range(3):
        obs, reward, terminated, truncated, _ = env.step(f"The answer is {answer}")
        rewards.append(reward)
        if terminated or truncated:
            break
        assert "\\boxed{}" in obs[-1]["content"]  # a reminder to box the answer
    assert rewards == [0.0, 0.0, 0.0] and truncated and not terminated
