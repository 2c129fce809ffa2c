"""One episode in flight: its env, its token-level chat session and what it has earned so far."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from agentrl.sampling.base import Completion
from agentrl.trajectory import Termination, Trajectory


@dataclass(frozen=True)
class EpisodePlan:
    """What to run: which env seed and task, in which group.

    Attributes:
        index: position in the rollout's output.
        seed: passed to ``env.reset``; the episodes of one group share it.
        task_index: ``options={"task_index": ...}`` for ``env.reset``, or None to let the seed
            choose.
        group_id: shared by the episodes of one group.
    """

    index: int
    seed: int
    task_index: int | None
    group_id: str


def error_text(exc: BaseException) -> str:
    """``"ValueError: bad input"``: how an exception is recorded in a trajectory."""
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


@dataclass
class Episode:
    """The running state of one episode (see `agentrl.rollout.rollout`)."""

    plan: EpisodePlan
    env: Any
    env_id: str
    session: Any = None
    policy_version: int | None = None
    task: dict[str, Any] = field(default_factory=dict)
    messages: list[dict[str, Any]] = field(default_factory=list)
    step_rewards: list[float] = field(default_factory=list)
    components: dict[str, float] = field(default_factory=dict)
    finish_reasons: list[str] = field(default_factory=list)
    observation: list[dict[str, Any]] = field(default_factory=list)  # from env.reset
    action: str | None = None  # the text to step the env with this turn
    env_broken: bool = False  # the env raised or hung: do not reuse it
    logprobs_missing: bool = False
    termination: Termination | None = None
    error: str | None = None

    @property
    def done(self) -> bool:
        return self.termination is not None

    @property
    def num_tokens(self) -> int:
        return 0 if self.session is None else len(self.session.token_ids)

    def end(self, termination: Termination, error: str | None = None) -> None:
        self.termination = termination
        self.error = error

    def fail(self, exc: BaseException, where: str) -> None:
        self.end("error", f"{where}: {error_text(exc)}")

    # --- growing the token sequence -------------------------------------------------------

    def start(self, messages: Sequence[Mapping[str, Any]]) -> None:
        self.session.start(list(messages))
        self.messages.extend(dict(m) for m in messages)

    def sampled_by(self, completion: Completion, sampler_version: int) -> None:
        """Record the policy version of a turn's completion: the one its server reports
        (``metadata["policy_version"]``), else the sampler's. An episode whose turns came from
        several versions keeps the oldest (its staleness is that of its oldest tokens)."""
        reported = completion.metadata.get("policy_version")
        version = int(reported) if isinstance(reported, int) else sampler_version
        if self.policy_version is None or version < self.policy_version:
            self.policy_version = version

    def add_completion(self, completion: Completion, token_ids: list[int]) -> None:
        logprobs = completion.logprobs
        if logprobs is None:
            self.logprobs_missing = True
            logprobs = [0.0] * len(token_ids)
        self.session.add_completion(token_ids, list(logprobs[: len(token_ids)]))
        self.finish_reasons.append(completion.finish_reason)

    def add_observation(self, messages: Sequence[Mapping[str, Any]]) -> None:
        self.messages.extend(dict(m) for m in messages)
        self.session.add_messages(list(messages))

    def add_reward(self, reward: Any, info: Mapping[str, Any]) -> None:
        """Record one step's reward; a non-finite or non-numeric reward ends the episode."""
        try:
            value = float(reward)
        except (TypeError, ValueError):
            value = math.nan
        if not math.isfinite(value):
            self.end("error", f"env.step returned reward={reward!r}, need a finite float")
            return
        self.step_rewards.append(value)
        for name, part in dict(info.get("reward_components") or {}).items():
            self.components[name] = self.components.get(name, 0.0) + float(part)

    # --- the result -------------------------------------------------------------------------

    def to_trajectory(self, max_len: int | None = None) -> Trajectory:
        """The episode as a `Trajectory`, cut to `max_len` tokens if longer.

        Only env/tool/prompt tokens can lie past `max_len` (completions are budgeted to fit),
        so the cut never drops a sampled token; ``info["cut_tokens"]`` says how many went.
        """
        session = self.session
        token_ids = list(session.token_ids) if session is not None else []
        loss_mask = [int(m) for m in session.loss_mask] if session is not None else []
        logprobs = [float(x) for x in session.logprobs] if session is not None else []
        spans = list(session.spans) if session is not None else []
        info: dict[str, Any] = {
            "turns": len(self.finish_reasons),
            "finish_reasons": self.finish_reasons,
            "task_index": self.plan.task_index,
        }
        if "answer" in self.task:
            info["answer"] = self.task["answer"]
        if "prompt" in self.task:  # what the run trained on, by content (held-out checks)
            info["prompt"] = self.task["prompt"]
        if self.logprobs_missing:
            info["logprobs_missing"] = True
        if max_len is not None and len(token_ids) > max_len:
            info["cut_tokens"] = len(token_ids) - max_len
            token_ids, loss_mask, logprobs = (
                token_ids[:max_len],
                loss_mask[:max_len],
                logprobs[:max_len],
            )
            spans = [
                s.model_copy(update={"end": min(s.end, max_len)})
                for s in spans
                if s.start < max_len
            ]
        return Trajectory(
            env_id=self.env_id,
            seed=self.plan.seed,
            task_id=None if self.task.get("id") is None else str(self.task["id"]),
            group_id=self.plan.group_id,
            policy_version=self.policy_version or 0,
            token_ids=token_ids,
            loss_mask=loss_mask,
            logprobs=logprobs,
            spans=spans,
            step_rewards=list(self.step_rewards),
            reward=math.fsum(self.step_rewards),
            reward_components=dict(self.components),
            termination=self.termination or "truncated",
            error=self.error,
            messages=list(self.messages),
            info=info,
        )
