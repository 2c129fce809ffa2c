"""The rollout engine: registered environments plus a sampler in, token-level trajectories out.

>>> from agentrl.rollout import rollout
>>> result = rollout("deepscaler", sampler, tokenizer, num_episodes=64, group_size=8,
...                  params=SamplingParams(temperature=1.0, max_tokens=512))  # doctest: +SKIP
>>> result.summary.terminations  # doctest: +SKIP
{'terminated': 61, 'max_tokens': 3}
"""

from __future__ import annotations

from agentrl.rollout.engine import RolloutResult, plan_episodes, rollout
from agentrl.rollout.episode import EpisodePlan
from agentrl.rollout.summary import RolloutSummary

__all__ = ["EpisodePlan", "RolloutResult", "RolloutSummary", "plan_episodes", "rollout"]
