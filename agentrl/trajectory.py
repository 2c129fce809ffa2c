"""Trajectories: the one contract trainers read.

A trajectory is one episode as tokens. ``token_ids`` is the whole conversation exactly as the
policy saw and produced it (token-in, token-out: history is appended, never re-tokenized), so
what a trainer scores is exactly what was sampled. ``loss_mask`` is 1 only on tokens the policy
sampled; prompt, environment and tool tokens are 0. ``logprobs`` holds the sampler's log-prob
of each sampled token and 0.0 elsewhere.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from agentrl.errors import AgentRLError

Termination = Literal["terminated", "truncated", "context_limit", "max_tokens", "error"]
SpanRole = Literal["prompt", "policy", "env", "tool"]


class TrajectoryError(AgentRLError):
    """A trajectory violates an invariant (see `Trajectory.validate_invariants`)."""


class Span(BaseModel):
    """A half-open token range ``[start, end)`` produced by one source in one turn."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    role: SpanRole
    start: int
    end: int
    turn: int  # env step index: 0 for the initial prompt and the first action, then 1, 2, ...


class Trajectory(BaseModel):
    """One episode, token-level. See the module docstring for the invariants."""

    model_config = ConfigDict(extra="forbid")

    env_id: str
    seed: int | None = None
    task_id: str | None = None
    group_id: str | None = None  # episodes sharing a task in GRPO-style group sampling
    policy_version: int = 0
    token_ids: list[int]
    loss_mask: list[int]
    logprobs: list[float]
    spans: list[Span]
    step_rewards: list[float] = Field(default_factory=list)  # one per env step
    reward: float = 0.0  # the episode's total (sum of step_rewards)
    reward_components: dict[str, float] = Field(default_factory=dict)
    termination: Termination = "terminated"
    error: str | None = None  # why the episode failed, when termination == "error"
    messages: list[dict[str, Any]] = Field(default_factory=list)  # readable copy of the chat
    info: dict[str, Any] = Field(default_factory=dict)

    @property
    def num_policy_tokens(self) -> int:
        return sum(self.loss_mask)

    @property
    def prompt_length(self) -> int:
        """Tokens before the first sampled token."""
        for i, m in enumerate(self.loss_mask):
            if m:
                return i
        return len(self.token_ids)

    def validate_invariants(self) -> None:
        """Raise `TrajectoryError` naming the first broken invariant."""
        n = len(self.token_ids)
        if len(self.loss_mask) != n or len(self.logprobs) != n:
            raise TrajectoryError(
                f"lengths differ: token_ids={n}, loss_mask={len(self.loss_mask)}, "
                f"logprobs={len(self.logprobs)}"
            )
        if any(m not in (0, 1) for m in self.loss_mask):
            raise TrajectoryError("loss_mask holds values other than 0 and 1")
        if any(t < 0 for t in self.token_ids):
            raise TrajectoryError("negative token id")
        for i, (m, lp) in enumerate(zip(self.loss_mask, self.logprobs)):
            if m and not (math.isfinite(lp) and lp <= 1e-6):
                raise TrajectoryError(f"logprob {lp!r} at sampled position {i} is not a log-prob")
            if not m and lp != 0.0:
                raise TrajectoryError(f"logprob {lp!r} at unsampled position {i} should be 0.0")
        position = 0
        for span in self.spans:
            if span.start != position or span.end < span.start:
                raise TrajectoryError(f"span {span} does not continue at token {position}")
            want = 1 if span.role == "policy" else 0
            if any(m != want for m in self.loss_mask[span.start : span.end]):
                raise TrajectoryError(f"loss_mask inside {span} is not all {want}")
            position = span.end
        if position != n:
            raise TrajectoryError(f"spans cover {position} of {n} tokens")
        if not all(math.isfinite(r) for r in [self.reward, *self.step_rewards]):
            raise TrajectoryError(f"non-finite reward in {self.step_rewards} / {self.reward}")
        if self.step_rewards and not math.isclose(
            sum(self.step_rewards), self.reward, rel_tol=1e-6, abs_tol=1e-6
        ):
            raise TrajectoryError(
                f"reward {self.reward} != sum of step_rewards {sum(self.step_rewards)}"
            )
        if self.termination == "error" and not self.error:
            raise TrajectoryError("termination is 'error' but no error message is recorded")
