"""Trainers: SFT, GRPO, PPO, DPO and distillation, sharing one set of kernels and infrastructure.

Importing this package does not import jax; the learners load on first attribute access.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY: dict[str, str] = {}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'agentrl.trainers' has no attribute {name!r}")
    return getattr(importlib.import_module(_LAZY[name], __name__), name)
