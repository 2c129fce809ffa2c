"""Gymnasium-style wrappers for agentrl environments.

- `MaxTurns`: truncate an episode after a number of assistant turns.
- `EpisodeStatistics`: put the episode's return, turns and reward components in ``info["episode"]``
  when it ends, and keep the recent ones.
- `HoldOut`: never draw a problem of a held-out set (compared by normalized prompt text).
- `WithTools`: give any env tools. An action that calls tools gets the tool results back as the
  observation (reward 0, episode continues); an action without a tool call goes to the inner env.

    >>> import agentrl
    >>> from agentrl.wrappers import EpisodeStatistics, MaxTurns
    >>> env = EpisodeStatistics(MaxTurns(agentrl.make("guess-number"), 3))
    >>> _ = env.reset(seed=0)
    >>> for guess in ("1", "2", "3"):
    ...     obs, reward, terminated, truncated, info = env.step(guess)
    >>> truncated, info["episode"]["turns"]
    (True, 3)

Every wrapper exposes the agentrl contract of the env inside (`reward_range`, `tools`,
`tool_format`, `max_turns`, `num_tasks`, `oracle_action()`, `sft_messages()`).
"""

from __future__ import annotations

import collections
import copy
from collections.abc import Iterable, Sequence
from typing import Any

import gymnasium

from agentrl.errors import ConfigError, EnvError
from agentrl.messages import Message


class Wrapper(gymnasium.Wrapper[list[Message], str, list[Message], str]):
    """Base wrapper: forwards the agentrl contract attributes to the wrapped env."""

    @property
    def reward_range(self) -> tuple[float, float]:
        return self.env.get_wrapper_attr("reward_range")

    @property
    def tools(self) -> tuple[Any, ...]:
        return self.env.get_wrapper_attr("tools")

    @property
    def tool_format(self) -> str:
        return self.env.get_wrapper_attr("tool_format")

    @property
    def max_turns(self) -> int:
        return self.env.get_wrapper_attr("max_turns")

    @property
    def num_tasks(self) -> int | None:
        return self.env.get_wrapper_attr("num_tasks")

    @property
    def done(self) -> bool:
        return self.env.get_wrapper_attr("done")

    def oracle_action(self) -> str | None:
        return self.env.get_wrapper_attr("oracle_action")()

    def sft_messages(self) -> list[Message] | None:
        return self.env.get_wrapper_attr("sft_messages")()


class MaxTurns(Wrapper):
    """Truncate episodes after `max_turns` assistant turns (or earlier if the env does).

    Args:
        env: the env to limit.
        max_turns: assistant turns per episode at most (>= 1).
    """

    def __init__(self, env: gymnasium.Env, max_turns: int) -> None:
        if not isinstance(max_turns, int) or max_turns < 1:
            raise ConfigError(f"got max_turns={max_turns!r}, need an int >= 1")
        super().__init__(env)
        self._limit = max_turns
        self._turns = 0
        self._ended = True

    @property
    def max_turns(self) -> int:
        return min(self._limit, self.env.get_wrapper_attr("max_turns"))

    @property
    def done(self) -> bool:
        return self._ended

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        self._turns, self._ended = 0, False
        return self.env.reset(seed=seed, options=options)

    def step(self, action: str):
        if self._ended:
            raise EnvError(
                f"step() called after the episode ended (max_turns={self._limit}); "
                "call reset() first"
            )
        observation, reward, terminated, truncated, info = self.env.step(action)
        self._turns += 1
        truncated = bool(truncated or (not terminated and self._turns >= self._limit))
        self._ended = terminated or truncated
        return observation, reward, terminated, truncated, info

    def oracle_action(self) -> str | None:
        return None if self._ended else super().oracle_action()


class EpisodeStatistics(Wrapper):
    """Record each episode's return, turns and summed reward components.

    At the end of an episode ``info["episode"]`` holds ``{"return", "turns", "components",
    "terminated"}``; `returns`, `turns` and `terminations` keep the last `buffer_length` episodes.
    """

    def __init__(self, env: gymnasium.Env, buffer_length: int = 100) -> None:
        if buffer_length < 1:
            raise ConfigError(f"got buffer_length={buffer_length}, need >= 1")
        super().__init__(env)
        self.returns: collections.deque[float] = collections.deque(maxlen=buffer_length)
        self.turns: collections.deque[int] = collections.deque(maxlen=buffer_length)
        self.terminations: collections.deque[bool] = collections.deque(maxlen=buffer_length)
        self._return = 0.0
        self._turns = 0
        self._components: dict[str, float] = {}

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        self._return, self._turns, self._components = 0.0, 0, {}
        return self.env.reset(seed=seed, options=options)

    def step(self, action: str):
        observation, reward, terminated, truncated, info = self.env.step(action)
        self._return += float(reward)
        self._turns += 1
        for name, value in info.get("reward_components", {}).items():
            self._components[name] = self._components.get(name, 0.0) + float(value)
        if terminated or truncated:
            info["episode"] = {
                "return": self._return,
                "turns": self._turns,
                "components": dict(self._components),
                "terminated": bool(terminated),
            }
            self.returns.append(self._return)
            self.turns.append(self._turns)
            self.terminations.append(bool(terminated))
        return observation, reward, terminated, truncated, info


def normalize_prompt(text: str) -> str:
    """A problem's identity for held-out checks: case-folded, whitespace collapsed."""
    return " ".join(str(text).split()).casefold()


class HoldOut(Wrapper):
    """Never start an episode on a held-out problem.

    A reset whose task's prompt (``info["task"]["prompt"]``, normalized) is in `prompts` draws
    again from the env's own generator, which moved on, so the same seed still gives the same
    episode. A reset that names a held-out task (``options={"task_index": i}``) is an error:
    the caller chose it, so redrawing would hide a bad split.

    Args:
        env: the training env.
        prompts: the held-out problems' prompts (raw or normalized).
        max_redraws: draws per reset before giving up (a generator whose whole problem space is
            held out would otherwise loop forever).
    """

    def __init__(self, env: gymnasium.Env, prompts: Iterable[str], max_redraws: int = 1000) -> None:
        super().__init__(env)
        self.prompts = frozenset(normalize_prompt(p) for p in prompts)
        self.max_redraws = max_redraws

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        observation, info = self.env.reset(seed=seed, options=options)
        for _ in range(self.max_redraws):
            prompt = normalize_prompt(info.get("task", {}).get("prompt", ""))
            if prompt not in self.prompts:
                return observation, info
            if options and "task_index" in options:
                raise EnvError(
                    f"task_index={options['task_index']} is a held-out problem "
                    f"({info['task'].get('id')!r}); train on the others"
                )
            observation, info = self.env.reset(options=options)
        raise EnvError(
            f"{self.max_redraws} draws in a row were held-out problems (seed={seed}): the "
            "generator's problem space is too small for this held-out set; widen the task or "
            "hold out fewer problems"
        )


class WithTools(Wrapper):
    """Add tools to any env.

    Each action is parsed for tool calls in `tool_format`. If it calls tools (or tries to, with a
    malformed call), the calls run through `agentrl.tools.base.execute_tool_calls` and the tool
    messages are the observation, with reward 0; the inner env does not see that turn. An action
    without a tool call goes to the inner env unchanged. Tool turns count toward `max_turns`.

    Args:
        env: the env to extend.
        tools: `Tool` objects, or names of tools in `agentrl.registration.tools`.
        tool_format: "hermes", "llama3" or "xml" (default: the env's own).
        max_tool_turns: turns that may be spent on tool calls on top of the env's own.
    """

    def __init__(
        self,
        env: gymnasium.Env,
        tools: Sequence[Any],
        *,
        tool_format: str | None = None,
        max_tool_turns: int = 4,
    ) -> None:
        from agentrl.tools.calls import FORMATS

        super().__init__(env)
        if max_tool_turns < 1:
            raise ConfigError(f"got max_tool_turns={max_tool_turns}, need >= 1")
        self._tool_format = tool_format or env.get_wrapper_attr("tool_format")
        if self._tool_format not in FORMATS:
            raise ConfigError(f"got tool_format={self._tool_format!r}, need one of {FORMATS}")
        self._added = resolve_tools(tools)
        self.max_tool_turns = max_tool_turns
        self._turns = 0
        self._ended = True
        self._task: dict[str, Any] = {}

    @property
    def tools(self) -> tuple[Any, ...]:
        return (*self.env.get_wrapper_attr("tools"), *self._added)

    @property
    def tool_format(self) -> str:
        return self._tool_format

    @property
    def max_turns(self) -> int:
        return self.env.get_wrapper_attr("max_turns") + self.max_tool_turns

    @property
    def done(self) -> bool:
        return self._ended

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        self._turns, self._ended = 0, False
        observation, info = self.env.reset(seed=seed, options=options)
        self._task = copy.deepcopy(info.get("task", {}))
        return observation, info

    def step(self, action: str):
        if self._ended:
            raise EnvError("step() called after the episode ended; call reset() first")
        self._turns += 1
        tool_messages = run_tool_calls(action, self.tools, self._tool_format, turn=self._turns)
        if tool_messages is None:
            observation, reward, terminated, truncated, info = self.env.step(action)
        else:
            observation, reward, terminated, truncated = tool_messages, 0.0, False, False
            info = {"task": copy.deepcopy(self._task), "reward_components": {}}
        truncated = bool(truncated or (not terminated and self._turns >= self.max_turns))
        self._ended = terminated or truncated
        info["tool_turn"] = tool_messages is not None
        return observation, reward, terminated, truncated, info

    def oracle_action(self) -> str | None:
        return None if self._ended else super().oracle_action()


def run_tool_calls(
    action: str, tools: Sequence[Any], tool_format: str, *, turn: int
) -> list[Message] | None:
    """The tool messages answering the calls in `action`, or None if it calls no tool.

    A malformed call is answered with an error message for the model, never an exception.
    """
    from agentrl.tools.base import error_messages, execute_tool_calls
    from agentrl.tools.calls import parse_tool_calls

    parsed = parse_tool_calls(action, tool_format, id_prefix=f"call_{turn}_")
    if not parsed.calls and not parsed.errors:
        return None
    messages = execute_tool_calls(list(tools), parsed.calls)
    return messages + error_messages(parsed.errors, id_prefix=f"error_{turn}_")


def resolve_tools(tools: Sequence[Any]) -> tuple[Any, ...]:
    """`Tool` objects for `tools`; a name is made from `agentrl.registration.tools`."""
    from agentrl.registration import tools as tool_registry

    if isinstance(tools, str):
        raise ConfigError(f"got tools={tools!r}, need a list of tools or tool names")
    made = []
    for item in tools:
        made.append(tool_registry.make(item) if isinstance(item, str) else item)
    names = [t.name for t in made]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ConfigError(f"tool names must be unique, got {duplicated} more than once")
    return tuple(made)
