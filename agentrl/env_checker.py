"""`check_env`: Gymnasium's checker plus the stricter checks an LLM environment must pass.

    >>> import agentrl
    >>> report = agentrl.check_env(agentrl.make("guess-number"))
    >>> "oracle_earns_max" in report.passed
    True

Checks, in order (each has a name that failures report):

- ``gymnasium``: `gymnasium.utils.env_checker.check_env` passes, and emits no warning.
- ``contract``: `reward_range`, `tools`, `tool_format`, `max_turns`, `num_tasks` are well formed;
  ``reset`` returns chat messages and ``info["task"]`` with ``id``, ``prompt``, ``answer``,
  ``solution``.
- ``same_seed_same_episode``: two episodes with one seed and the same actions are identical.
- ``oracle_earns_max``: following `oracle_action()` ends the episode with return
  ``reward_range[1]``.
- ``empty_earns_min`` / ``garbage_earns_min``: replying with empty or nonsense text until the
  episode ends returns ``reward_range[0]``.
- ``rewards_finite``: every reward and reward component is a finite float within
  `reward_range`.
- ``terminated_vs_truncated``: never both; an episode that reaches `max_turns` unfinished is
  truncated, and none runs longer.
- ``step_after_end_raises``: `step` after the end raises `EnvError` with a message.
- ``pickles``: a pickled copy continues the episode exactly like the original.
- ``close_twice``: `close()` twice on that copy is fine.
- ``sft_messages``: when provided, a prompt followed by an assistant turn.
"""

from __future__ import annotations

import copy
import math
import pickle
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import gymnasium
from gymnasium.utils.env_checker import check_env as gymnasium_check_env

from agentrl.errors import EnvCheckError, EnvError
from agentrl.messages import ROLES

GARBAGE_TEXTS: tuple[str, ...] = (
    "asdf qwerty zxcv",
    "\\boxed{} <tool_call>{not json</tool_call> ]]} Ω ü 数学 🙂",
    "The answer is \\boxed{banana}.",
    "<think>hmm</think> I am not sure.",
)
_SEEDS = (0, 1, 2)
_TOOL_FORMATS = ("hermes", "llama3", "xml")


@dataclass
class CheckReport:
    """What `check_env` found for an env that passed: checks passed, skipped (and why), notes.

    A failing check raises `EnvCheckError` instead of returning a report.
    """

    passed: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@dataclass
class _Episode:
    """One played episode, for comparisons."""

    observations: list[Any]
    rewards: list[float]
    flags: list[tuple[bool, bool]]
    infos: list[dict[str, Any]]

    @property
    def total(self) -> float:
        return sum(self.rewards)


def check_env(env: gymnasium.Env, *, skip_gymnasium: bool = False) -> CheckReport:
    """Run every check on `env`; raise `EnvCheckError` naming the first that fails.

    Args:
        env: an `agentrl.Env` (or a wrapper around one).
        skip_gymnasium: skip Gymnasium's own checker (for envs it cannot drive).

    Returns:
        A `CheckReport` with the passed and skipped checks.
    """
    report = CheckReport()
    checks: list[tuple[str, Callable[[gymnasium.Env, CheckReport], None]]] = [
        ("gymnasium", _check_gymnasium),
        ("contract", _check_contract),
        ("same_seed_same_episode", _check_same_seed),
        ("oracle_earns_max", _check_oracle),
        ("empty_earns_min", _check_empty),
        ("garbage_earns_min", _check_garbage),
        ("step_after_end_raises", _check_step_after_end),
        ("pickles", _check_pickles),
        ("sft_messages", _check_sft_messages),
    ]
    for name, check in checks:
        if name == "gymnasium" and skip_gymnasium:
            report.skipped[name] = "skip_gymnasium=True"
            continue
        try:
            check(env, report)
        except EnvCheckError:
            raise
        except AssertionError as e:
            raise EnvCheckError(name, str(e) or "assertion failed") from e
        except Exception as e:  # any crash inside a check is that check failing; re-raised
            raise EnvCheckError(name, f"{type(e).__name__}: {e}") from e
        if name not in report.skipped:
            report.passed.append(name)
    report.passed += ["rewards_finite", "terminated_vs_truncated", "close_twice"]
    return report


# -- helpers ------------------------------------------------------------------------------------
def _attr(env: gymnasium.Env, name: str) -> Any:
    """A contract attribute through any wrappers."""
    if hasattr(env, name):
        return getattr(env, name)
    return env.get_wrapper_attr(name)


def _play(
    env: gymnasium.Env, seed: int, policy: Callable[[gymnasium.Env], str | None]
) -> _Episode | None:
    """Reset with `seed` and act with `policy` until the episode ends; None if the policy quits.

    Checks every step for finite rewards within range and correct terminated/truncated use.
    """
    observation, info = env.reset(seed=seed)
    episode = _Episode([copy.deepcopy(observation)], [], [], [info])
    max_turns = int(_attr(env, "max_turns"))
    low, high = _attr(env, "reward_range")
    for turn in range(1, max_turns + 1):
        action = policy(env)
        if action is None:
            return None
        observation, reward, terminated, truncated, info = env.step(action)
        _check_step_values(reward, terminated, truncated, info, turn, max_turns, (low, high))
        episode.observations.append(copy.deepcopy(observation))
        episode.rewards.append(float(reward))
        episode.flags.append((terminated, truncated))
        episode.infos.append(info)
        if terminated or truncated:
            return episode
    raise EnvCheckError(
        "terminated_vs_truncated",
        f"the episode (seed={seed}) did not end after max_turns={max_turns} steps",
    )


def _check_step_values(
    reward: Any,
    terminated: Any,
    truncated: Any,
    info: Any,
    turn: int,
    max_turns: int,
    reward_range: tuple[float, float],
) -> None:
    if not isinstance(reward, int | float) or not math.isfinite(reward):
        raise EnvCheckError("rewards_finite", f"step {turn} returned reward={reward!r}")
    if not reward_range[0] <= reward <= reward_range[1]:
        raise EnvCheckError(
            "rewards_finite",
            f"step {turn} returned reward={reward} outside reward_range={reward_range}",
        )
    components = info.get("reward_components", {}) if isinstance(info, dict) else None
    if not isinstance(components, dict) or not all(
        isinstance(v, int | float) and math.isfinite(v) for v in components.values()
    ):
        raise EnvCheckError(
            "rewards_finite", f"info['reward_components'] is not finite floats: {components!r}"
        )
    if not isinstance(terminated, bool) or not isinstance(truncated, bool):
        raise EnvCheckError("terminated_vs_truncated", "terminated and truncated must be bools")
    if terminated and truncated:
        raise EnvCheckError(
            "terminated_vs_truncated", f"step {turn} is both terminated and truncated"
        )
    if turn > max_turns:
        raise EnvCheckError(
            "terminated_vs_truncated", f"the episode ran to turn {turn} past max_turns={max_turns}"
        )


def _fixed(text: str) -> Callable[[gymnasium.Env], str]:
    return lambda env: text


def _oracle(env: gymnasium.Env) -> str | None:
    return _attr(env, "oracle_action")()


# -- the checks ---------------------------------------------------------------------------------
def _check_gymnasium(env: gymnasium.Env, report: CheckReport) -> None:
    # Gymnasium's checker steps with sampled actions: a seeded action space makes its verdict
    # the same on every run (unseeded, an env that misbehaves only on some actions, such as
    # the empty string, failed here or in a later check by chance).
    env.action_space.seed(0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gymnasium_check_env(env, skip_render_check=True, skip_close_check=True)
    for w in caught:
        text = str(w.message)
        if "different from the unwrapped version" in text:
            report.notes.append("checked through a wrapper")
            continue
        raise EnvCheckError("gymnasium", f"Gymnasium's checker warned: {text}")


def _check_contract(env: gymnasium.Env, report: CheckReport) -> None:
    reward_range = _attr(env, "reward_range")
    assert isinstance(reward_range, tuple) and len(reward_range) == 2, (
        f"reward_range must be a (min, max) tuple, got {reward_range!r}"
    )
    low, high = reward_range
    assert (
        all(isinstance(v, int | float) and math.isfinite(v) for v in (low, high)) and low < high
    ), f"reward_range must be finite with min < max, got {reward_range!r}"
    assert isinstance(_attr(env, "tools"), tuple), "tools must be a tuple of Tool objects"
    tool_format = _attr(env, "tool_format")
    assert tool_format in _TOOL_FORMATS, (
        f"got tool_format={tool_format!r}, need one of {_TOOL_FORMATS}"
    )
    max_turns = _attr(env, "max_turns")
    assert isinstance(max_turns, int) and max_turns >= 1, f"got max_turns={max_turns!r}, need >= 1"
    num_tasks = _attr(env, "num_tasks")
    assert num_tasks is None or (isinstance(num_tasks, int) and num_tasks >= 1), (
        f"got num_tasks={num_tasks!r}, need None or an int >= 1"
    )
    observation, info = env.reset(seed=0)
    assert observation and all(m.get("role") in ROLES for m in observation), (
        f"reset must return at least one chat message, got {observation!r}"
    )
    task = info.get("task")
    assert isinstance(task, dict), "reset's info must hold info['task'] (a dict)"
    missing = {"id", "prompt", "answer", "solution"} - set(task)
    assert not missing, f"info['task'] lacks {sorted(missing)}"
    assert isinstance(task["answer"], str), (
        f"info['task']['answer'] must be text, got {task['answer']!r}"
    )
    assert task["solution"] is None or isinstance(task["solution"], str), (
        "solution must be text or None"
    )
    if num_tasks is not None:
        env.reset(seed=0, options={"task_index": num_tasks - 1})


def _check_same_seed(env: gymnasium.Env, report: CheckReport) -> None:
    for seed in _SEEDS[:2]:
        scripts = [_oracle, _fixed(GARBAGE_TEXTS[0])]
        for policy in scripts:
            first = _play(env, seed, policy)
            second = _play(env, seed, policy)
            if first is None or second is None:
                continue
            for what in ("observations", "rewards", "flags", "infos"):
                assert getattr(first, what) == getattr(second, what), (
                    f"two episodes with seed={seed} and the same actions differ in their {what}"
                )


def _check_oracle(env: gymnasium.Env, report: CheckReport) -> None:
    high = _attr(env, "reward_range")[1]
    for seed in _SEEDS:
        episode = _play(env, seed, _oracle)
        if episode is None:
            report.skipped["oracle_earns_max"] = "oracle_action() returned None"
            return
        terminated, truncated = episode.flags[-1]
        assert terminated and not truncated, (
            f"following oracle_action() (seed={seed}) did not end the task "
            f"(terminated={terminated}, "
            f"truncated={truncated})"
        )
        assert math.isclose(episode.total, high, abs_tol=1e-9), (
            f"following oracle_action() (seed={seed}) returned {episode.total}, "
            f"need reward_range max {high}"
        )


def _check_min(env: gymnasium.Env, texts: tuple[str, ...], what: str) -> None:
    low = _attr(env, "reward_range")[0]
    for seed, text in zip(_SEEDS * len(texts), texts):
        episode = _play(env, seed, _fixed(text))
        assert episode is not None
        assert math.isclose(episode.total, low, abs_tol=1e-9), (
            f"replying {text!r} until the end (seed={seed}) returned {episode.total}, "
            f"need reward_range min {low} for {what} text"
        )


def _check_empty(env: gymnasium.Env, report: CheckReport) -> None:
    _check_min(env, ("",), "empty")


def _check_garbage(env: gymnasium.Env, report: CheckReport) -> None:
    _check_min(env, GARBAGE_TEXTS, "garbage")


def _check_step_after_end(env: gymnasium.Env, report: CheckReport) -> None:
    episode = _play(env, 0, _fixed(""))
    assert episode is not None
    try:
        env.step("one more")
    except EnvError as e:
        assert str(e), "the EnvError raised by step after the end has an empty message"
        return
    except Exception as e:
        raise AssertionError(
            f"step after the end raised {type(e).__name__}, need agentrl.errors.EnvError"
        ) from e
    raise AssertionError(
        "step after the episode ended did not raise; it must raise agentrl.errors.EnvError"
    )


def _check_pickles(env: gymnasium.Env, report: CheckReport) -> None:
    env.reset(seed=1)
    clone = pickle.loads(pickle.dumps(env))
    action = _oracle(env) or GARBAGE_TEXTS[0]
    original = env.step(action)
    copied = clone.step(action)
    assert original[:4] == copied[:4] and original[4] == copied[4], (
        "a pickled copy stepped with the same action gave a different result"
    )
    try:
        clone.close()
        clone.close()
    except Exception as e:
        raise EnvCheckError("close_twice", f"close() twice raised {type(e).__name__}: {e}") from e


def _check_sft_messages(env: gymnasium.Env, report: CheckReport) -> None:
    env.reset(seed=0)
    messages = _attr(env, "sft_messages")()
    if messages is None:
        report.skipped["sft_messages"] = "sft_messages() returned None"
        return
    assert isinstance(messages, list) and len(messages) >= 2, (
        "sft_messages() must list >= 2 messages"
    )
    assert all(m.get("role") in ROLES and isinstance(m.get("content"), str) for m in messages), (
        "sft_messages() must return chat messages with a role and text content"
    )
    assert messages[0]["role"] in ("system", "user"), "sft_messages() must start with the prompt"
    assert any(m["role"] == "assistant" for m in messages), "sft_messages() has no assistant turn"
