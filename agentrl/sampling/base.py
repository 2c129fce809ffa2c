"""The one sampler interface: token ids in, completions (ids, log-probs, finish reason) out.

Every backend (the KV-cached `JaxSampler`, `OpenAISampler` over HTTP, an in-process vLLM engine,
the scripted policies of `agentrl.testing`) implements `Sampler.generate`.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from agentrl.errors import ConfigError

FinishReason = Literal["stop", "length", "abort"]


@dataclass(frozen=True)
class SamplingParams:
    """How to sample. `temperature=0` means greedy; `top_k=0`, `top_p=1`, `min_p=0` disable them.

    Attributes:
        max_tokens: new tokens per completion at most.
        stop_token_ids: extra ids that end a completion (the tokenizer's EOS ids always do).
        stop: strings that end a completion; the completion keeps the text up to and including
            the stop string's last token.
        n: completions per prompt.
        seed: makes sampling reproducible; None draws from the sampler's own key.
    """

    temperature: float = 1.0
    top_k: int = 0
    top_p: float = 1.0
    min_p: float = 0.0
    max_tokens: int = 256
    stop_token_ids: tuple[int, ...] = ()
    stop: tuple[str, ...] = ()
    n: int = 1
    seed: int | None = None

    def __post_init__(self) -> None:
        checks = [
            ("temperature", self.temperature >= 0, ">= 0"),
            ("top_k", self.top_k >= 0, ">= 0"),
            ("top_p", 0 < self.top_p <= 1, "in (0, 1]"),
            ("min_p", 0 <= self.min_p < 1, "in [0, 1)"),
            ("max_tokens", self.max_tokens >= 1, ">= 1"),
            ("n", self.n >= 1, ">= 1"),
        ]
        for name, ok, need in checks:
            if not ok:
                raise ConfigError(f"got {name}={getattr(self, name)!r}, need {need}")

    @property
    def greedy(self) -> bool:
        return self.temperature == 0 or self.top_k == 1


@dataclass
class Completion:
    """One sampled continuation of a prompt.

    Attributes:
        token_ids: the new tokens, including the EOS/stop token that ended it, if any.
        logprobs: the sampler's log-probability of each token in `token_ids`, under the
            distribution it actually sampled from (after temperature), or None if unavailable.
        finish_reason: "stop" (EOS or stop string), "length" (max_tokens or context), "abort".
        text: the decoded text, when the backend has a tokenizer.
    """

    token_ids: list[int]
    logprobs: list[float] | None
    finish_reason: FinishReason
    text: str | None = None
    metadata: dict[str, object] = field(default_factory=dict)


class Sampler(abc.ABC):
    """Generates completions for batches of token-id prompts.

    Attributes:
        policy_version: bumps whenever the weights behind the sampler change, so trajectories
            record which policy produced them.
        max_context: the longest prompt + completion the backend accepts, if known.
    """

    policy_version: int = 0
    max_context: int | None = None

    @abc.abstractmethod
    def generate(
        self, prompts: Sequence[Sequence[int]], params: SamplingParams
    ) -> list[list[Completion]]:
        """Return, for each prompt, `params.n` completions."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections, caches, threads."""


ENGINES = ("auto", "static", "continuous")


def uses_continuous_engine(sampler: Any, engine: str) -> bool:
    """Whether `engine` (``"auto"``, ``"static"`` or ``"continuous"``) runs on `sampler`'s
    continuous-batching engine: ``"auto"`` does when the sampler has one (an `EngineSampler`).

    Raises:
        ConfigError: an unknown `engine`, or ``"continuous"`` for a sampler without an engine.
    """
    if engine not in ENGINES:
        raise ConfigError(f"got engine={engine!r}, need 'auto', 'static' or 'continuous'")
    has_engine = hasattr(sampler, "engine") and hasattr(sampler, "submit")
    if engine == "continuous" and not has_engine:
        raise ConfigError(
            f"engine='continuous' needs an EngineSampler, got {type(sampler).__name__}; "
            "use engine='static' for other samplers"
        )
    return has_engine and engine != "static"
