"""`deepscaler-v0`: DeepScaleR's math task.

The user turn is ``{problem} Let's think step by step and output the final answer within
\\boxed{}.``; the reward is 1 when `agentrl.grading.grade` judges the last boxed answer correct
(against any accepted gold answer), else 0. Data: a DeepScaleR-format JSON list, JSON Lines or
Parquet file (``problem``, ``answer``, optional ``solution``) passed as ``data=``; without it the
env draws from the procedural generator of `agentrl.envs.procedural` and says so on stderr.

    >>> import agentrl
    >>> env = agentrl.make("deepscaler", data=[{"problem": "What is 2+3?", "answer": "5"}])
    >>> obs, info = env.reset(seed=0)
    >>> obs[0]["content"]
    "What is 2+3? Let's think step by step and output the final answer within \\\\boxed{}."
"""

from __future__ import annotations

from .math_env import MathEnv


class DeepScaleREnv(MathEnv):
    """DeepScaleR math problems; reward 1 for a correct boxed answer, else 0."""

    data_format = "deepscaler"
    env_id = "deepscaler-v0"
