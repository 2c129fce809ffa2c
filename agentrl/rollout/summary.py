"""What a rollout did: counts, rates and rewards, and the progress bar that shows them live."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from agentrl.trajectory import Trajectory


@dataclass
class RolloutSummary:
    """Aggregate numbers of one `rollout` call.

    Attributes:
        num_episodes: episodes run.
        terminations: how many episodes ended for each reason (``terminated``, ``truncated``,
            ``context_limit``, ``max_tokens``, ``error``).
        mean_reward: mean total reward over all episodes (failed ones included, at their
            recorded reward).
        episodes_per_s: episodes over wall time.
        tokens_per_s: sampled (policy) tokens over wall time.
        policy_tokens: sampled tokens in all.
        wall_s: wall time of the whole rollout.
        generate_s: wall time inside `Sampler.generate`.
        env_s: wall time waiting for env resets and steps.
        generate_calls: how many `generate` calls (turn batches) there were.
        errors: the distinct error messages with their counts (at most 10).
    """

    num_episodes: int
    terminations: dict[str, int]
    mean_reward: float
    episodes_per_s: float
    tokens_per_s: float
    policy_tokens: int
    wall_s: float
    generate_s: float
    env_s: float
    generate_calls: int
    errors: dict[str, int] = field(default_factory=dict)

    @property
    def overhead_fraction(self) -> float:
        """Share of wall time spent outside `Sampler.generate` (envs, tools, the engine)."""
        return 0.0 if self.wall_s <= 0 else max(0.0, 1.0 - self.generate_s / self.wall_s)

    @classmethod
    def build(
        cls,
        trajectories: list[Trajectory],
        *,
        wall_s: float,
        generate_s: float,
        env_s: float,
        generate_calls: int,
    ) -> RolloutSummary:
        n = len(trajectories)
        tokens = sum(t.num_policy_tokens for t in trajectories)
        errors = Counter(t.error or "" for t in trajectories if t.termination == "error")
        return cls(
            num_episodes=n,
            terminations=dict(Counter(t.termination for t in trajectories)),
            mean_reward=math.fsum(t.reward for t in trajectories) / n if n else 0.0,
            episodes_per_s=n / wall_s if wall_s > 0 else 0.0,
            tokens_per_s=tokens / wall_s if wall_s > 0 else 0.0,
            policy_tokens=tokens,
            wall_s=wall_s,
            generate_s=generate_s,
            env_s=env_s,
            generate_calls=generate_calls,
            errors=dict(errors.most_common(10)),
        )

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready numbers (with ``overhead_fraction``)."""
        return {**asdict(self), "overhead_fraction": self.overhead_fraction}


class Progress:
    """A tqdm bar over episodes with episodes/s, tokens/s and mean reward; inert when disabled."""

    def __init__(self, total: int, *, enabled: bool) -> None:
        self._bar: Any = None
        if enabled:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=total, unit="ep", desc="rollout", dynamic_ncols=True)
        self._episodes = 0
        self._tokens = 0
        self._reward = 0.0

    def add(self, trajectory: Trajectory, elapsed_s: float) -> None:
        self._episodes += 1
        self._tokens += trajectory.num_policy_tokens
        self._reward += trajectory.reward
        if self._bar is None:
            return
        elapsed_s = max(elapsed_s, 1e-9)
        self._bar.set_postfix(
            {
                "ep/s": f"{self._episodes / elapsed_s:.2f}",
                "tok/s": f"{self._tokens / elapsed_s:.0f}",
                "reward": f"{self._reward / self._episodes:.3f}",
            },
            refresh=False,
        )
        self._bar.update(1)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
