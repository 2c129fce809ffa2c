"""Gymnasium spaces for text agents: actions are strings, observations are lists of messages.

Both spaces sample *garbage on purpose*: random mixtures of words, digits, LaTeX fragments, markup
and non-ASCII characters. That is what `check_env` and Gymnasium's own checker feed an env to
make sure nonsense never crashes it and never earns reward.

    >>> from agentrl.spaces import TextSpace
    >>> space = TextSpace(max_length=64)
    >>> _ = space.seed(0)
    >>> text = space.sample()
    >>> isinstance(text, str) and text in space
    True
"""

from __future__ import annotations

from typing import Any

import gymnasium
import numpy as np

from agentrl.errors import ConfigError
from agentrl.messages import ROLES, Message

# Fragments a sampled text is assembled from: plain words, numbers, math markup, tool-call-ish
# markup and non-ASCII text, so parsers downstream see adversarial but plausible input.
_FRAGMENTS: tuple[str, ...] = (
    "the", "answer", "is", "so", "we", "get", "step", "=", "+", "-", "*", "/", "(", ")",
    "\\boxed{", "}", "{", "\\frac{1}{2}", "$", "\\sqrt{2}", "####", "<tool_call>",
    "</tool_call>", "<think>", "</think>", '{"name": ', "null", "\n", "  ", "...", "%",
    "é", "ß", "数学", "∑", "🙂", "\u200b", "\t",
)  # fmt: skip


class TextSpace(gymnasium.Space[str]):
    """Any Unicode string of at most `max_length` characters.

    Args:
        max_length: the longest text that is `in` the space.
        min_length: the shortest.
        seed: seeds `sample`.
    """

    def __init__(self, max_length: int = 100_000, *, min_length: int = 0, seed: Any = None):
        if max_length < 1:
            raise ConfigError(f"got max_length={max_length}, need >= 1")
        if not 0 <= min_length <= max_length:
            raise ConfigError(f"got min_length={min_length}, need 0 <= min_length <= max_length")
        self.max_length = max_length
        self.min_length = min_length
        super().__init__(shape=None, dtype=None, seed=seed)

    @property
    def is_np_flattenable(self) -> bool:
        return False

    def contains(self, x: Any) -> bool:
        return isinstance(x, str) and self.min_length <= len(x) <= self.max_length

    def sample(self, mask: Any = None, probability: Any = None) -> str:
        """A random text of random length, mixing words, math markup and non-ASCII characters."""
        if mask is not None or probability is not None:
            raise ConfigError("TextSpace.sample takes no mask or probability")
        return _sample_text(self.np_random, self.min_length, min(self.max_length, 200))

    def __repr__(self) -> str:
        return f"TextSpace(max_length={self.max_length})"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, TextSpace)
            and other.max_length == self.max_length
            and other.min_length == self.min_length
        )


class ChatSpace(gymnasium.Space[list[Message]]):
    """A list of chat messages (OpenAI format dicts with a `role` and a string `content`).

    Args:
        roles: the roles a message may have.
        max_messages: the most messages one observation may hold.
        seed: seeds `sample`.
    """

    def __init__(
        self, roles: tuple[str, ...] = ROLES, *, max_messages: int = 64, seed: Any = None
    ) -> None:
        unknown = set(roles) - set(ROLES)
        if unknown or not roles:
            raise ConfigError(f"got roles={roles!r}, need a non-empty subset of {ROLES}")
        if max_messages < 1:
            raise ConfigError(f"got max_messages={max_messages}, need >= 1")
        self.roles = tuple(roles)
        self.max_messages = max_messages
        super().__init__(shape=None, dtype=None, seed=seed)

    @property
    def is_np_flattenable(self) -> bool:
        return False

    def contains(self, x: Any) -> bool:
        if not isinstance(x, list) or len(x) > self.max_messages:
            return False
        return all(self._is_message(m) for m in x)

    def _is_message(self, m: Any) -> bool:
        return (
            isinstance(m, dict)
            and m.get("role") in self.roles
            and isinstance(m.get("content"), str)
            and all(isinstance(k, str) for k in m)
        )

    def sample(self, mask: Any = None, probability: Any = None) -> list[Message]:
        """One to three messages with random roles and random text."""
        if mask is not None or probability is not None:
            raise ConfigError("ChatSpace.sample takes no mask or probability")
        rng = self.np_random
        count = int(rng.integers(1, min(3, self.max_messages) + 1))
        return [
            {"role": str(rng.choice(self.roles)), "content": _sample_text(rng, 0, 80)}  # type: ignore[typeddict-item]
            for _ in range(count)
        ]

    def __repr__(self) -> str:
        return f"ChatSpace(roles={self.roles}, max_messages={self.max_messages})"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, ChatSpace)
            and other.roles == self.roles
            and other.max_messages == self.max_messages
        )


def _sample_text(rng: np.random.Generator, min_length: int, max_length: int) -> str:
    """Random text of a length in [min_length, max_length] made of `_FRAGMENTS` and digits."""
    target = int(rng.integers(min_length, max(min_length, max_length) + 1))
    parts: list[str] = []
    size = 0
    while size < target:
        if rng.random() < 0.3:
            piece = str(int(rng.integers(0, 10_000)))
        else:
            piece = _FRAGMENTS[int(rng.integers(len(_FRAGMENTS)))]
        parts.append(piece + (" " if rng.random() < 0.6 else ""))
        size += len(parts[-1])
    return "".join(parts)[:target]
