"""`check_env` passes a good env and names the check a broken one fails."""

from __future__ import annotations

import random
import threading

import pytest

import agentrl
from agentrl.env import Env, Task, Turn
from agentrl.env_checker import EnvCheckError, check_env


class Good(Env):
    """Say 'yes': reward 1, anything else 0."""

    num_tasks = 2

    def _reset(self, options):
        i = self._task_index(options)
        return [{"role": "user", "content": f"Say yes ({i})."}], Task(str(i), "Say yes.", "yes")

    def _step(self, action):
        reward = float(action.strip() == "yes")
        return Turn([], reward, True, {"yes": reward})

    def oracle_action(self):
        return None if self.done else "yes"


class RandomPrompt(Good):
    def _reset(self, options):
        messages, task = super()._reset(options)
        messages[0]["content"] += str(random.random())  # not from self.np_random
        return messages, task


class BadObservation(Good):
    def _reset(self, options):
        _, task = super()._reset(options)
        return [{"role": "wizard", "content": "hi"}], task


class OracleFails(Good):
    def oracle_action(self):
        return None if self.done else "no"


class GarbagePays(Good):
    def _step(self, action):
        return Turn([], 0.0 if action == "" else 1.0, True)


class NanReward(Good):
    def _step(self, action):
        return Turn([], float("nan") if action == "" else 1.0, True)


class OutOfRange(Good):
    def _step(self, action):
        return Turn([], 2.0, True)


class NeverEnds(Good):
    max_turns = 3

    def step(self, action):
        self.reset()
        return [], 0.0, False, False, {}


class StepAfterEndIsFine(Good):
    def step(self, action):
        self._done = False
        return super().step(action)


class Unpicklable(Good):
    def __init__(self):
        super().__init__()
        self.lock = threading.Lock()


class CloseTwiceFails(Good):
    closed = False

    def close(self):
        if self.closed:
            raise RuntimeError("already closed")
        self.closed = True


class BadTask(Good):
    def _reset(self, options):
        messages, _ = super()._reset(options)
        return messages, Task("x", "Say yes.", 42)  # type: ignore[arg-type]


def test_a_good_env_passes_every_check():
    report = check_env(Good())
    assert report.passed == [
        "gymnasium",
        "contract",
        "same_seed_same_episode",
        "oracle_earns_max",
        "empty_earns_min",
        "garbage_earns_min",
        "step_after_end_raises",
        "pickles",
        "rewards_finite",
        "terminated_vs_truncated",
        "close_twice",
    ]
    assert report.skipped == {"sft_messages": "sft_messages() returned None"}


@pytest.mark.parametrize(
    "env_class, check",
    [
        (BadObservation, "gymnasium"),
        (OracleFails, "oracle_earns_max"),
        (GarbagePays, "garbage_earns_min"),
        (NanReward, "rewards_finite"),
        (OutOfRange, "rewards_finite"),
        (StepAfterEndIsFine, "step_after_end_raises"),
        (Unpicklable, "pickles"),
        (CloseTwiceFails, "close_twice"),
        (BadTask, "contract"),
    ],
)
def test_each_broken_env_fails_the_named_check(env_class, check):
    with pytest.raises(EnvCheckError) as caught:
        check_env(env_class())
    assert caught.value.check == check
    assert f"check {check!r} failed" in str(caught.value)


def test_same_seed_check_catches_nondeterminism_gymnasium_does_not_see():
    with pytest.raises(EnvCheckError) as caught:
        check_env(RandomPrompt())
    assert caught.value.check == "same_seed_same_episode"


def test_an_episode_that_never_ends_is_caught():
    with pytest.raises(EnvCheckError) as caught:
        check_env(NeverEnds(), skip_gymnasium=True)
    assert caught.value.check == "terminated_vs_truncated"


def test_check_env_is_an_agentrl_error():
    assert issubclass(EnvCheckError, agentrl.errors.EnvError)


class RecordsActions(Good):
    """Good, and remembers every action it was stepped with."""

    def __init__(self):
        super().__init__()
        self.actions: list[str] = []

    def _step(self, action):
        self.actions.append(action)
        return super()._step(action)


def test_check_env_steps_with_the_same_actions_every_run():
    """Gymnasium's checker samples actions from the env's space; `check_env` seeds it, so an
    env that misbehaves only on some actions gets the same verdict on every run."""
    runs = []
    for _ in range(2):
        env = RecordsActions()
        check_env(env)
        runs.append(env.actions)
    assert runs[0] == runs[1] and len(runs[0]) > 3
