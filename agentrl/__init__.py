"""agentrl: Gymnasium-style environments and JAX trainers for LLM agents.

``import agentrl`` is cheap: it loads neither jax nor the environments. Names below resolve on
first use.

    >>> import agentrl
    >>> env = agentrl.make("guess-number")
    >>> observation, info = env.reset(seed=0)
    >>> observation[0]["role"]
    'user'
"""

from __future__ import annotations

import importlib
from typing import Any

from agentrl.errors import (
    AgentRLError,
    CheckpointError,
    ConfigError,
    EnvError,
    GradingError,
    ModelError,
    SamplerError,
    ToolError,
    UnknownIdError,
)
from agentrl.registration import Registry, Spec
from agentrl.registration import envs as registry

__version__ = "0.1.0"

register = registry.register
make = registry.make
spec = registry.spec

# name -> module that defines it; imported on first attribute access.
_LAZY: dict[str, str] = {
    "Env": "agentrl.env",
    "ChatSpace": "agentrl.spaces",
    "TextSpace": "agentrl.spaces",
    "check_env": "agentrl.env_checker",
    "Tool": "agentrl.tooling",
    "tool": "agentrl.tooling",
    "Reward": "agentrl.rewards",
    "Rubric": "agentrl.rewards",
    "grade": "agentrl.grading",
    "Message": "agentrl.messages",
    "ToolCall": "agentrl.messages",
    "Trajectory": "agentrl.trajectory",
    "SamplingParams": "agentrl.sampling.base",
    "Sampler": "agentrl.sampling.base",
}

__all__ = [
    "AgentRLError",
    "CheckpointError",
    "ConfigError",
    "EnvError",
    "GradingError",
    "ModelError",
    "Registry",
    "SamplerError",
    "Spec",
    "ToolError",
    "UnknownIdError",
    "__version__",
    "make",
    "register",
    "registry",
    "spec",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'agentrl' has no attribute {name!r}")
