"""Rewards: named functions of (completion, task) -> float, and `Rubric`, their weighted sum.

    >>> from agentrl.rewards import BoxedFormatReward, CorrectnessReward, Rubric
    >>> rubric = Rubric([CorrectnessReward(), BoxedFormatReward()], weights=[1.0, 0.0])
    >>> result = rubric(r"so it is \\boxed{4}", {"answer": "4"})
    >>> result.total, result.components
    (1.0, {'correctness': 1.0, 'boxed_format': 1.0})

A weight of 0 keeps a reward as a logged metric (it appears in `components`) without training on
it. Environments put `components` into ``info["reward_components"]``. Built-ins are registered
in `agentrl.registration.rewards` (``correctness-v0``, ``boxed-format-v0``, ``think-format-v0``,
``length-penalty-v0``), so configs can name them: ``Rubric.from_ids({"correctness": 1.0})``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from agentrl.errors import ConfigError, GradingError, RewardError
from agentrl.registration import rewards as _registry


@runtime_checkable
class Reward(Protocol):
    """What a reward is: a name and a call. Classes or plain objects both qualify."""

    name: str

    def __call__(self, completion: str, task: Mapping[str, Any]) -> float: ...


@dataclass(frozen=True)
class RubricResult:
    """A rubric's verdict: the weighted `total` and every component's raw value by name."""

    total: float
    components: dict[str, float]


class Rubric:
    """A weighted sum of rewards.

    Args:
        rewards: the rewards; their names must be distinct.
        weights: one finite weight per reward (default 1.0 each). Weight 0 = metric only.
    """

    def __init__(self, rewards: Sequence[Reward], weights: Sequence[float] | None = None) -> None:
        rewards = list(rewards)
        weights = [1.0] * len(rewards) if weights is None else [float(w) for w in weights]
        if not rewards:
            raise ConfigError("got rewards=[], need at least one reward")
        if len(weights) != len(rewards):
            raise ConfigError(f"got {len(weights)} weights for {len(rewards)} rewards")
        for reward, weight in zip(rewards, weights):
            if not isinstance(getattr(reward, "name", None), str) or not callable(reward):
                raise ConfigError(f"got reward={reward!r}, need a callable with a `name`")
            if not math.isfinite(weight):
                raise ConfigError(f"got weight={weight} for reward {reward.name!r}, need finite")
        names = [r.name for r in rewards]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ConfigError(f"reward names must be distinct; repeated: {duplicates}")
        self.rewards = tuple(rewards)
        self.weights = tuple(weights)

    @classmethod
    def from_ids(cls, weights: Mapping[str, float], **kwargs: Any) -> Rubric:
        """Build from registered reward ids: ``{"correctness": 1.0, "boxed-format": 0.1}``.
        `kwargs` maps an id to the keyword arguments of its constructor."""
        made = [_registry.make(rid, **kwargs.get(rid, {})) for rid in weights]
        return cls(made, list(weights.values()))

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.rewards)

    @property
    def reward_range(self) -> tuple[float, float]:
        """Bounds of `total` from each reward's `reward_range` ((-inf, inf) if one is unknown)."""
        low = high = 0.0
        for reward, weight in zip(self.rewards, self.weights):
            lo, hi = getattr(reward, "reward_range", (-math.inf, math.inf))
            low += min(weight * lo, weight * hi) if weight else 0.0
            high += max(weight * lo, weight * hi) if weight else 0.0
        return low, high

    def __call__(self, completion: str, task: Mapping[str, Any]) -> RubricResult:
        components: dict[str, float] = {}
        total = 0.0
        for reward, weight in zip(self.rewards, self.weights):
            value = reward(completion, task)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise RewardError(f"reward {reward.name!r} returned {value!r}, need a float")
            if not math.isfinite(value):
                raise RewardError(f"reward {reward.name!r} returned {value}, need a finite float")
            components[reward.name] = float(value)
            if weight:
                total += weight * float(value)
        return RubricResult(total, components)

    def __repr__(self) -> str:
        parts = ", ".join(f"{n}={w:g}" for n, w in zip(self.names, self.weights))
        return f"Rubric({parts})"


class CorrectnessReward:
    """1.0 when the completion's final answer grades correct against the task's gold, else 0.0.

    The gold is ``task["answers"]`` (a list of alternatives) when present, else
    ``task["answer"]``. "wrong", "unparseable" and "timeout" verdicts all earn 0.

    Args:
        timeout: seconds the grader may spend (default `agentrl.grading.DEFAULT_TIMEOUT`).
        after_think: grade only the text after the last ``</think>`` when there is one, so a
            draft boxed while thinking is not taken for the answer.
    """

    reward_range = (0.0, 1.0)

    def __init__(
        self, *, name: str = "correctness", timeout: float | None = None, after_think: bool = True
    ) -> None:
        from agentrl.grading import DEFAULT_TIMEOUT

        self.name = name
        self.after_think = after_think
        self.timeout = DEFAULT_TIMEOUT if timeout is None else float(timeout)
        if not self.timeout > 0:
            raise ConfigError(f"got timeout={timeout}, need > 0 seconds")

    def grade(self, completion: str, task: Mapping[str, Any]) -> Any:
        """The full `agentrl.grading.Grade` (verdict and reason) behind the reward."""
        from agentrl.grading import grade

        gold = task.get("answers") or task.get("answer")
        if gold is None:
            raise GradingError(f"task {task.get('id', '?')!r} has no 'answer' to grade against")
        if self.after_think and "</think>" in completion:
            completion = completion.rsplit("</think>", 1)[1]
        return grade(completion, gold, timeout=self.timeout)

    def __call__(self, completion: str, task: Mapping[str, Any]) -> float:
        return 1.0 if self.grade(completion, task).verdict == "correct" else 0.0


class BoxedFormatReward:
    """1.0 when the completion contains a non-empty ``\\boxed{...}`` answer, else 0.0."""

    reward_range = (0.0, 1.0)

    def __init__(self, *, name: str = "boxed_format") -> None:
        self.name = name

    def __call__(self, completion: str, task: Mapping[str, Any]) -> float:
        from agentrl.grading import extract_boxed

        return 1.0 if extract_boxed(completion) is not None else 0.0


class ThinkFormatReward:
    """1.0 when reasoning sits in one properly closed think block followed by an answer.

    Exactly one closing tag; at most one opening tag, before it (chat templates such as
    DeepSeek-R1's put the opening tag in the prompt, so by default it may be absent); no tags
    after the block; and some non-blank text after it.
    """

    reward_range = (0.0, 1.0)

    def __init__(
        self,
        *,
        name: str = "think_format",
        open_tag: str = "<think>",
        close_tag: str = "</think>",
        require_open: bool = False,
    ) -> None:
        if not open_tag or not close_tag or open_tag == close_tag:
            raise ConfigError(f"got open_tag={open_tag!r}, close_tag={close_tag!r}")
        self.name = name
        self.open_tag, self.close_tag, self.require_open = open_tag, close_tag, require_open

    def __call__(self, completion: str, task: Mapping[str, Any]) -> float:
        opens = completion.count(self.open_tag)
        if completion.count(self.close_tag) != 1 or opens > 1:
            return 0.0
        if opens == 0 and self.require_open:
            return 0.0
        before, _, after = completion.partition(self.close_tag)
        if opens == 1 and self.open_tag not in before:
            return 0.0
        thought = before.split(self.open_tag, 1)[-1]
        return 1.0 if thought.strip() and after.strip() else 0.0


class LengthPenalty:
    """0 up to `soft_limit` units, falling linearly to `penalty` at `hard_limit` and beyond.

    Args:
        soft_limit: length that costs nothing.
        hard_limit: length at which the full penalty applies (> soft_limit).
        penalty: the value at and past `hard_limit` (negative, default -1).
        unit: "chars", "words", or a callable counting units (e.g. ``lambda s:
            len(tokenizer.encode(s))``).
    """

    def __init__(
        self,
        *,
        soft_limit: int = 2048,
        hard_limit: int = 4096,
        penalty: float = -1.0,
        unit: str | Callable[[str], int] = "chars",
        name: str = "length_penalty",
    ) -> None:
        if not 0 <= soft_limit < hard_limit:
            raise ConfigError(
                f"got soft_limit={soft_limit}, hard_limit={hard_limit}; "
                "need 0 <= soft_limit < hard_limit"
            )
        if not (math.isfinite(penalty) and penalty <= 0):
            raise ConfigError(f"got penalty={penalty}, need a finite value <= 0")
        if not callable(unit) and unit not in ("chars", "words"):
            raise ConfigError(f"got unit={unit!r}, need 'chars', 'words' or a callable")
        self.name = name
        self.soft_limit, self.hard_limit, self.penalty, self.unit = (
            soft_limit,
            hard_limit,
            penalty,
            unit,
        )
        self.reward_range = (penalty, 0.0)

    def length(self, completion: str) -> int:
        if callable(self.unit):
            return int(self.unit(completion))
        return len(completion) if self.unit == "chars" else len(re.findall(r"\S+", completion))

    def __call__(self, completion: str, task: Mapping[str, Any]) -> float:
        over = self.length(completion) - self.soft_limit
        if over <= 0:
            return 0.0
        fraction = min(1.0, over / (self.hard_limit - self.soft_limit))
        return self.penalty * fraction


# Built-ins, registered when the registry first imports this module.
for _id, _factory in (
    ("correctness-v0", CorrectnessReward),
    ("boxed-format-v0", BoxedFormatReward),
    ("think-format-v0", ThinkFormatReward),
    ("length-penalty-v0", LengthPenalty),
):
    _registry.register(_id, _factory, source="agentrl", overwrite=True)
