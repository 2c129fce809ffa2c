"""The `agentrl.Env` base class: bookkeeping every env inherits."""

from __future__ import annotations

import pytest

import agentrl
from agentrl.env import Env, Task, Turn, render_messages
from agentrl.errors import ConfigError, EnvError


class Echo(Env):
    """Two-turn toy: reward 1 when the reply is 'yes' on turn 2."""

    max_turns = 2
    num_tasks = 3

    def _reset(self, options):
        i = self._task_index(options)
        return [{"role": "user", "content": f"task {i}"}], Task(f"echo/{i}", f"task {i}", "yes")

    def _step(self, action):
        if self.turn == 2 and action == "yes":
            return Turn([], 1.0, True, {"said_yes": 1.0})
        return Turn([{"role": "user", "content": "again"}])


def test_step_before_reset_after_end_and_non_text_raise_env_error():
    env = Echo()
    with pytest.raises(EnvError, match="before reset"):
        env.step("hi")
    env.reset(seed=0)
    with pytest.raises(EnvError, match="str"):
        env.step(42)  # type: ignore[arg-type]
    env.step("no")
    _, _, terminated, truncated, _ = env.step("no")
    assert (terminated, truncated) == (False, True)
    with pytest.raises(EnvError, match="after the episode ended"):
        env.step("yes")


def test_terminated_when_solved_and_reward_components_in_info():
    env = Echo()
    env.reset(seed=0)
    env.step("x")
    _, reward, terminated, truncated, info = env.step("yes")
    assert (reward, terminated, truncated) == (1.0, True, False)
    assert info["reward_components"] == {"said_yes": 1.0}
    assert info["task"]["answer"] == "yes" and info["turn"] == 2


def test_task_index_option_and_seeded_choice():
    env = Echo()
    assert env.reset(options={"task_index": 2})[1]["task"]["id"] == "echo/2"
    picks = {env.reset(seed=s)[1]["task"]["id"] for s in range(30)}
    assert picks == {"echo/0", "echo/1", "echo/2"}
    assert env.reset(seed=5)[0] == env.reset(seed=5)[0]
    with pytest.raises(EnvError, match="task_index=3, need 0 <= task_index < 3"):
        env.reset(options={"task_index": 3})
    with pytest.raises(EnvError, match="need an int"):
        env.reset(options={"task_index": "1"})


def test_returned_data_is_fresh_each_call():
    env = Echo()
    obs, info = env.reset(seed=0)
    original = obs[0]["content"]
    obs[0]["content"] = "mutated"
    info["task"]["answer"] = "mutated"
    obs2, info2 = env.reset(seed=0)
    assert obs2[0]["content"] == original
    assert info2["task"]["answer"] == "yes"
    _, _, _, _, step_info = env.step("x")
    step_info["task"]["answer"] = "mutated"
    assert env.step("yes")[4]["task"]["answer"] == "yes"


def test_max_turns_and_render_mode_are_validated():
    with pytest.raises(ConfigError, match="max_turns=0"):
        Echo(max_turns=0)
    with pytest.raises(ConfigError, match="render_mode='human'"):
        Echo(render_mode="human")


def test_render_ansi_shows_the_conversation():
    env = Echo(render_mode="ansi")
    env.reset(seed=0, options={"task_index": 0})
    env.step("hello")
    text = env.render()
    assert text == "[user]\ntask 0\n\n[assistant]\nhello\n\n[user]\nagain"
    assert Echo().render() is None
    assert render_messages([{"role": "tool", "content": "4", "name": "calc"}]) == "[tool calc]\n4"


def test_default_oracle_and_sft_messages_use_the_solution():
    class WithSolution(Echo):
        def _reset(self, options):
            messages, _ = super()._reset(options)
            return messages, Task("t", "task", "7", solution="3 + 4 = 7. \\boxed{7}")

    env = WithSolution()
    env.reset(seed=0)
    assert env.oracle_action() == "3 + 4 = 7. \\boxed{7}"
    assert env.sft_messages()[-1] == {"role": "assistant", "content": "3 + 4 = 7. \\boxed{7}"}
    env2 = Echo()
    env2.reset(seed=0)
    assert env2.oracle_action() == "The answer is \\boxed{yes}."
    assert env2.sft_messages() is None


def test_public_names_resolve():
    assert agentrl.Env is Env
    assert agentrl.ChatSpace.__module__ == "agentrl.spaces"
    assert callable(agentrl.check_env)
