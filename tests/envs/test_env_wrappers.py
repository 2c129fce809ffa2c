"""MaxTurns, EpisodeStatistics and WithTools."""

from __future__ import annotations

import json
import pickle

import pytest

import agentrl
from agentrl.errors import ConfigError, EnvError
from agentrl.registration import tools as tool_registry
from agentrl.tools.base import tool
from agentrl.wrappers import EpisodeStatistics, MaxTurns, WithTools


@tool(name="envs_test_multiply")
def multiply(a: int, b: int) -> int:
    """Multiply two integers.

    Args:
        a: the first factor.
        b: the second factor.
    """
    return a * b


def _call(name: str, **arguments) -> str:
    return f'<tool_call>{{"name": "{name}", "arguments": {json.dumps(arguments)}}}</tool_call>'


def _math_env():
    return agentrl.make("deepscaler", data=[{"problem": "What is 6 * 7?", "answer": "42"}])


def test_max_turns_truncates_and_then_refuses_steps():
    env = MaxTurns(agentrl.make("guess-number"), 2)
    assert env.max_turns == 2
    _, info = env.reset(seed=0)
    wrong = "1" if info["task"]["answer"] != "1" else "2"
    assert env.step(wrong)[2:4] == (False, False)
    assert env.step(wrong)[2:4] == (False, True)
    assert env.oracle_action() is None
    with pytest.raises(EnvError, match="max_turns=2"):
        env.step("3")
    with pytest.raises(ConfigError, match="max_turns=0"):
        MaxTurns(agentrl.make("guess-number"), 0)


def test_episode_statistics_records_returns_and_components():
    env = EpisodeStatistics(agentrl.make("guess-number"), buffer_length=2)
    for seed in range(3):
        env.reset(seed=seed)
        turns = 0
        while True:
            turns += 1
            *_, terminated, truncated, info = env.step(env.oracle_action())
            if terminated or truncated:
                break
        assert info["episode"] == {
            "return": 1.0,
            "turns": turns,
            "components": {"found": 1.0},
            "terminated": True,
        }
    assert list(env.returns) == [1.0, 1.0] and len(env.turns) == 2


def test_with_tools_runs_calls_and_passes_answers_through():
    env = WithTools(_math_env(), ["envs_test_multiply"])
    assert [t.name for t in env.tools] == ["envs_test_multiply"]
    assert env.max_turns == 1 + 4 and env.tool_format == "hermes"
    env.reset(seed=0)
    obs, reward, terminated, truncated, info = env.step(
        "Let me compute. " + _call("envs_test_multiply", a=6, b=7)
    )
    assert obs == [
        {"role": "tool", "content": "42", "tool_call_id": "call_1_0", "name": "envs_test_multiply"}
    ]
    assert (reward, terminated, truncated, info["tool_turn"]) == (0.0, False, False, True)
    obs, reward, terminated, truncated, info = env.step('<tool_call>{"name": oops</tool_call>')
    assert obs[0]["role"] == "tool" and obs[0]["content"].startswith("error:")
    obs, reward, terminated, _, info = env.step("So \\boxed{42}.")
    assert (reward, terminated, info["tool_turn"]) == (1.0, True, False)
    with pytest.raises(EnvError):
        env.step("more")


def test_with_tools_budget_truncates_endless_tool_calls():
    env = WithTools(_math_env(), ["envs_test_multiply"], max_tool_turns=2)
    env.reset(seed=0)
    flags = [env.step(_call("envs_test_multiply", a=1, b=2))[2:4] for _ in range(3)]
    assert flags == [(False, False), (False, False), (False, True)]


def test_with_tools_passes_check_env_and_pickles_its_tools_with_their_options():
    search = tool_registry.make("search", documents=["alpha beta", "gamma delta"])
    env = WithTools(_math_env(), [multiply, search.with_options(timeout_s=3)])
    report = agentrl.check_env(env)
    assert "pickles" in report.passed and report.notes == ["checked through a wrapper"]
    clone = pickle.loads(pickle.dumps(env))
    clone.reset(seed=0)
    assert clone.step(_call("envs_test_multiply", a=3, b=3))[0][0]["content"] == "9"
    # A configured tool keeps its constructor arguments and options (not re-made by name).
    out = clone.step(_call("search", query="gamma"))[0][0]["content"]
    assert out == "[1] doc-1: gamma delta"
    assert [t.timeout_s for t in clone.tools if t.name == "search"] == [3]


def test_with_tools_rejects_bad_arguments():
    with pytest.raises(ConfigError, match="tool_format='json'"):
        WithTools(_math_env(), [multiply], tool_format="json")
    with pytest.raises(ConfigError, match="unique"):
        WithTools(_math_env(), [multiply, multiply])
    with pytest.raises(agentrl.errors.UnknownIdError, match="no tool named"):
        WithTools(_math_env(), ["no-such-tool"])


def test_tool_math_uses_tools_then_grades_the_boxed_answer():
    env = agentrl.make("tool-math", tools=[multiply], data=[{"problem": "6*7?", "answer": "42"}])
    obs, _ = env.reset(seed=0)
    assert "tools" in obs[0]["content"]
    obs, reward, terminated, _, info = env.step(_call("envs_test_multiply", a=6, b=7))
    assert obs[0]["content"] == "42" and (reward, terminated) == (0.0, False)
    assert info["reward_components"] == {"correct": 0.0, "tool_calls": 1.0}
    obs, reward, terminated, _, _ = env.step("Thinking...")
    assert obs[0]["content"].startswith("Please call a tool") and not terminated
    _, reward, terminated, _, info = env.step("\\boxed{42}")
    assert (reward, terminated) == (1.0, True)
    assert info["reward_components"] == {"correct": 1.0, "tool_calls": 0.0}
    report = agentrl.check_env(env)
    assert "pickles" in report.passed


def test_tool_math_sft_messages_show_a_real_calculator_call():
    from agentrl.registration import tools as tool_registry

    if "calculator" not in tool_registry:
        pytest.skip("the calculator tool is not registered yet (agentrl.tools)")
    env = agentrl.make("tool-math", tools=["calculator"], kinds="word", difficulty=3)
    _, info = env.reset(seed=0)
    user, call, result, answer = env.sft_messages()
    assert user["role"] == "user" and answer["role"] == "assistant"
    assert call["content"].startswith("<tool_call>") and '"name": "calculator"' in call["content"]
    assert result["role"] == "tool" and result["content"] == info["task"]["answer"]
    assert answer["content"] == info["task"]["solution"]
