"""`agentrl.Env`: the Gymnasium environment contract for text agents.

An observation is the list of chat messages the env adds this turn (the first holds the prompt);
an action is the assistant's text. The env never sees tokens.

Subclasses implement two hooks and inherit the bookkeeping (seeding, turn counting, truncation at
`max_turns`, the error on `step` after the end, fresh `info` dicts):

- ``_reset(options) -> (messages, task)``: start an episode, drawing randomness from
  ``self.np_random``;
- ``_step(action) -> Turn``: answer one assistant message.

    >>> import agentrl
    >>> env = agentrl.make("guess-number")
    >>> obs, info = env.reset(seed=0)
    >>> {"id", "prompt", "answer", "solution"} <= set(info["task"])
    True
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import gymnasium

from agentrl.errors import ConfigError, EnvError
from agentrl.messages import Message
from agentrl.spaces import ChatSpace, TextSpace


@dataclass(frozen=True)
class Task:
    """One problem an episode is about.

    Attributes:
        id: stable identifier (``"aime.json#3"``, ``"arithmetic/2/81723"``).
        prompt: the user-facing text.
        answer: the gold answer as text.
        solution: a worked solution ending in the answer, when known (used for SFT warm-start).
        answers: every accepted gold answer (some datasets list alternatives); ``answer`` first.
        metadata: anything else the record carried (difficulty, source, ...).
    """

    id: str
    prompt: str
    answer: str
    solution: str | None = None
    answers: tuple[str, ...] = ()
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A fresh plain dict (``info["task"]``), safe for the caller to keep or mutate."""
        return {
            "id": self.id,
            "prompt": self.prompt,
            "answer": self.answer,
            "solution": self.solution,
            "answers": list(self.answers or (self.answer,)),
            "metadata": copy.deepcopy(dict(self.metadata)),
        }


@dataclass
class Turn:
    """What `_step` returns: the env's reply to one assistant message.

    Attributes:
        observation: the new messages (tool results, user reply); may be empty at the end.
        reward: this step's reward.
        terminated: the task reached an end (an answer was given, the game was won or lost).
        components: named parts of this step's reward, for ``info["reward_components"]``. They
            are per step: summed over an episode they give the episode's totals.
        info: extra diagnostics for ``info``.
    """

    observation: list[Message]
    reward: float = 0.0
    terminated: bool = False
    components: dict[str, float] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)


class Env(gymnasium.Env[list[Message], str]):
    """Base class of agentrl environments (a `gymnasium.Env` over chat messages and text).

    Class attributes a subclass sets:
        reward_range: the (min, max) of one step's reward; the gold answer earns the max, garbage
            the min.
        tools: the `Tool` objects the agent may call (empty for plain chat).
        tool_format: the tool-call syntax the env parses ("hermes", "llama3" or "xml").
        max_turns: assistant messages per episode at most; the episode is truncated after them.
        num_tasks: how many distinct tasks the env has, or None for an endless generator.
    """

    metadata: dict[str, Any] = {"render_modes": ["ansi"]}  # noqa: RUF012 - Gymnasium's name
    reward_range: tuple[float, float] = (0.0, 1.0)
    tools: tuple[Any, ...] = ()
    tool_format: str = "hermes"
    max_turns: int = 1
    num_tasks: int | None = None

    observation_space: ChatSpace = ChatSpace()  # type: ignore[assignment]
    action_space: TextSpace = TextSpace()  # type: ignore[assignment]

    def __init__(self, *, max_turns: int | None = None, render_mode: str | None = None) -> None:
        if max_turns is not None:
            if not isinstance(max_turns, int) or max_turns < 1:
                raise ConfigError(f"got max_turns={max_turns!r}, need an int >= 1")
            self.max_turns = max_turns
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ConfigError(
                f"got render_mode={render_mode!r}, need one of {self.metadata['render_modes']}"
            )
        self.render_mode = render_mode
        # Instances get their own spaces so seeding one env's space never affects another's.
        self.observation_space = ChatSpace()
        self.action_space = TextSpace()
        self.task: Task | None = None
        self.turn = 0
        self._done = True  # no episode until reset
        self._started = False
        self._transcript: list[Message] = []

    # -- the Gymnasium API ------------------------------------------------------------------
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[list[Message], dict[str, Any]]:
        """Start an episode; `options={"task_index": i}` picks task i of a dataset-backed env."""
        super().reset(seed=seed)
        if options is not None and not isinstance(options, Mapping):
            raise EnvError(f"got options={options!r}, need a dict or None")
        messages, task = self._reset(dict(options or {}))
        self.task = task
        self.turn = 0
        self._done = False
        self._started = True
        self._transcript = copy.deepcopy(messages)
        return copy.deepcopy(messages), {"task": task.to_dict(), "turn": 0}

    def step(self, action: str) -> tuple[list[Message], float, bool, bool, dict[str, Any]]:
        """Answer one assistant message; see the class docstring for what is returned."""
        if not self._started:
            raise EnvError(f"{type(self).__name__}.step() called before reset()")
        if self._done:
            raise EnvError(
                f"{type(self).__name__}.step() called after the episode ended "
                f"(turn {self.turn} of max_turns={self.max_turns}); call reset() first"
            )
        if not isinstance(action, str):
            raise EnvError(f"an action is the assistant's text (str), got {type(action).__name__}")
        self.turn += 1
        result = self._step(action)
        reward = float(result.reward)
        terminated = bool(result.terminated)
        truncated = not terminated and self.turn >= self.max_turns
        self._done = terminated or truncated
        self._transcript.append({"role": "assistant", "content": action})
        self._transcript.extend(copy.deepcopy(result.observation))
        info: dict[str, Any] = {
            "task": self.task.to_dict() if self.task else {},
            "turn": self.turn,
            "reward_components": {k: float(v) for k, v in result.components.items()},
            **copy.deepcopy(result.info),
        }
        return copy.deepcopy(result.observation), reward, terminated, truncated, info

    def render(self) -> str | None:  # type: ignore[override]
        """The episode so far as plain text (render_mode "ansi")."""
        if self.render_mode != "ansi":
            return None
        return render_messages(self._transcript)

    def close(self) -> None:
        """Release resources; calling it twice is fine."""

    # -- agentrl extras -----------------------------------------------------------------------
    @property
    def done(self) -> bool:
        """Whether the current episode has ended (or never started)."""
        return self._done

    def oracle_action(self) -> str | None:
        """What a perfect agent would say now, or None if the env cannot tell.

        The default answers single-turn tasks with the worked solution (or just the boxed gold
        answer when there is none).
        """
        if self.task is None or self._done:
            return None
        if self.task.solution:
            return self.task.solution
        return f"The answer is \\boxed{{{self.task.answer}}}."

    def sft_messages(self) -> list[Message] | None:
        """After `reset`: the prompt plus a worked-solution assistant turn, for SFT warm-start.

        None when the current task has no worked solution.
        """
        if self.task is None or not self.task.solution:
            return None
        prompt = [m for m in self._transcript if m["role"] != "assistant"][:1]
        return [*copy.deepcopy(prompt), {"role": "assistant", "content": self.task.solution}]

    # -- hooks for subclasses ---------------------------------------------------------------
    def _reset(self, options: dict[str, Any]) -> tuple[list[Message], Task]:
        raise NotImplementedError(f"{type(self).__name__} must implement _reset(options)")

    def _step(self, action: str) -> Turn:
        raise NotImplementedError(f"{type(self).__name__} must implement _step(action)")

    def _task_index(self, options: Mapping[str, Any]) -> int:
        """The task an episode uses: ``options["task_index"]`` or a seeded random draw."""
        if self.num_tasks is None:
            raise EnvError(f"{type(self).__name__} has no task list; task_index does not apply")
        index = options.get("task_index")
        if index is None:
            return int(self.np_random.integers(self.num_tasks))
        if not isinstance(index, int) or isinstance(index, bool):
            raise EnvError(f"got task_index={index!r}, need an int")
        if not 0 <= index < self.num_tasks:
            raise EnvError(f"got task_index={index}, need 0 <= task_index < {self.num_tasks}")
        return index


def render_messages(messages: list[Message]) -> str:
    """Messages as readable text: one ``[role]`` header per message."""
    blocks = []
    for m in messages:
        header = f"[{m['role']}" + (f" {m['name']}" if m.get("name") else "") + "]"
        blocks.append(f"{header}\n{m['content']}")
    return "\n\n".join(blocks)
