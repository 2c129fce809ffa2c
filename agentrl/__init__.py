"""agentrl: Gymnasium-style environments and JAX trainers for LLM agents.

``import agentrl`` is cheap: it loads neither jax nor the environments. Names below resolve on
first use. The public surface, grouped as Gymnasium's is::

    core             Env, Wrapper, Task, Turn, ChatSpace, TextSpace
    registration     make, register, spec, registry
    checking         check_env
    tools, rewards   Tool, tool, Reward, Rubric, grade
    rollout          rollout, Trajectory, Message, ToolCall
    sampling         Sampler, SamplingParams
    errors           AgentRLError (every other class lives in `agentrl.errors`)

Everything else is imported from its module (`agentrl.wrappers`, `agentrl.trainers`, ...).

    >>> import agentrl
    >>> env = agentrl.make("guess-number")
    >>> observation, info = env.reset(seed=0)
    >>> observation[0]["role"]
    'user'
"""

from __future__ import annotations

import importlib
from typing import Any

from agentrl.errors import AgentRLError
from agentrl.registration import envs as registry

__version__ = "0.1.0"

# -- registration ---------------------------------------------------------------------------
register = registry.register
make = registry.make
spec = registry.spec

# name -> module that defines it; imported on first attribute access.
_LAZY: dict[str, str] = {
    # core
    "Env": "agentrl.env",
    "Task": "agentrl.env",
    "Turn": "agentrl.env",
    "Wrapper": "agentrl.wrappers",
    "ChatSpace": "agentrl.spaces",
    "TextSpace": "agentrl.spaces",
    # checking
    "check_env": "agentrl.env_checker",
    # tools and rewards
    "Tool": "agentrl.tools.base",
    "tool": "agentrl.tools.base",
    "Reward": "agentrl.rewards",
    "Rubric": "agentrl.rewards",
    "grade": "agentrl.grading",
    # rollout and trajectories
    "rollout": "agentrl.rollout",
    "Trajectory": "agentrl.trajectory",
    "Message": "agentrl.messages",
    "ToolCall": "agentrl.messages",
    # sampling
    "Sampler": "agentrl.sampling.base",
    "SamplingParams": "agentrl.sampling.base",
}

__all__ = ["AgentRLError", "__version__", "make", "register", "registry", "spec", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'agentrl' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
