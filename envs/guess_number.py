"""`guess-number-v0`: the smallest multi-turn environment. Read this one first.

The env thinks of a whole number between `low` and `high`. Each turn the agent names a number
and the env answers "Higher.", "Lower." or "Correct!". Reward: 1 on the turn the agent finds the
number, 0 on every other turn; the episode is cut off (truncated) after `max_turns` guesses.
Binary search always wins within the default limit, so the best return is 1.

    >>> import agentrl
    >>> env = agentrl.make("guess-number")
    >>> obs, info = env.reset(seed=0)
    >>> obs, reward, terminated, truncated, info = env.step("Is it 50?")
    >>> obs[0]["content"] in ("Higher.", "Lower.", "Correct!")
    True
"""

from __future__ import annotations

import math
import re
from typing import Any

from agentrl.env import Env, Task, Turn
from agentrl.errors import ConfigError
from agentrl.messages import Message

_INTEGER = re.compile(r"-?\d+")


class GuessNumberEnv(Env):
    """Find a secret number from higher/lower hints; reward 1 for finding it, else 0.

    Args:
        low, high: the secret is drawn uniformly from [low, high].
        max_turns: guesses allowed; defaults to what binary search needs.
    """

    reward_range = (0.0, 1.0)

    def __init__(
        self,
        low: int = 1,
        high: int = 100,
        *,
        max_turns: int | None = None,
        render_mode: str | None = None,
    ) -> None:
        if not high > low:
            raise ConfigError(f"got low={low}, high={high}, need high > low")
        # Binary search over n numbers needs ceil(log2(n + 1)) guesses.
        needed = math.ceil(math.log2(high - low + 2))
        super().__init__(
            max_turns=needed if max_turns is None else max_turns, render_mode=render_mode
        )
        self.low, self.high = low, high
        self.secret = low
        self.bounds = (low, high)  # what the hints so far have ruled in

    def _reset(self, options: dict[str, Any]) -> tuple[list[Message], Task]:
        self.secret = int(self.np_random.integers(self.low, self.high + 1))
        self.bounds = (self.low, self.high)
        prompt = (
            f"I am thinking of a whole number between {self.low} and {self.high}. "
            f"Guess it: reply with one number and I will say higher or lower. "
            f"You have {self.max_turns} guesses."
        )
        task = Task(f"guess-number/{self.secret}", prompt, str(self.secret))
        return [{"role": "user", "content": prompt}], task

    def _step(self, action: str) -> Turn:
        numbers = _INTEGER.findall(action)
        if not numbers:
            hint = f"Please reply with a whole number between {self.low} and {self.high}."
            return Turn([{"role": "user", "content": hint}], 0.0, False, {"found": 0.0})
        guess = int(numbers[-1])  # the last number is the one the agent settled on
        if guess == self.secret:
            return Turn([{"role": "user", "content": "Correct!"}], 1.0, True, {"found": 1.0})
        low, high = self.bounds
        if guess < self.secret:
            self.bounds = (max(low, guess + 1), high)
            return Turn([{"role": "user", "content": "Higher."}], 0.0, False, {"found": 0.0})
        self.bounds = (low, min(high, guess - 1))
        return Turn([{"role": "user", "content": "Lower."}], 0.0, False, {"found": 0.0})

    def oracle_action(self) -> str | None:
        """Binary search: the middle of what the hints so far allow."""
        if self.done:
            return None
        low, high = self.bounds
        return str((low + high) // 2)

    def sft_messages(self) -> list[Message] | None:
        """The whole binary-search game for the current secret, as one conversation."""
        if self.task is None:
            return None
        return [
            {"role": "user", "content": self.task.prompt},
            *_binary_search(self.low, self.high, self.secret),
        ]


def _binary_search(low: int, high: int, secret: int) -> list[Message]:
    """The assistant/user turns of a binary search for `secret` in [low, high]."""
    turns: list[Message] = []
    while True:
        guess = (low + high) // 2
        turns.append({"role": "assistant", "content": str(guess)})
        if guess == secret:
            turns.append({"role": "user", "content": "Correct!"})
            return turns
        if guess < secret:
            low = guess + 1
            turns.append({"role": "user", "content": "Higher."})
        else:
            high = guess - 1
            turns.append({"role": "user", "content": "Lower."})
