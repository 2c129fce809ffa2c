"""Trainers: SFT, GRPO, PPO, DPO and distillation, sharing one set of kernels and infrastructure.

Importing this package does not import jax; the learners load on first attribute access.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY: dict[str, str] = {
    # learners and their configs
    "SFTConfig": ".sft",
    "SFTLearner": ".sft",
    "GRPOConfig": ".grpo",
    "GRPOLearner": ".grpo",
    "PPOConfig": ".ppo",
    "PPOLearner": ".ppo",
    "DPOConfig": ".dpo",
    "DPOLearner": ".dpo",
    "online_pairs": ".dpo",
    "DistillConfig": ".distill",
    "DistillLearner": ".distill",
    "OptimizerConfig": ".optim",
    "build_optimizer": ".optim",
    # strategy objects chosen in configs
    "PPOClip": ".policy_losses",
    "GSPO": ".policy_losses",
    "GroupNormalized": ".advantages",
    "DrGRPO": ".advantages",
    "RLOO": ".advantages",
    "ReinforcePlusPlus": ".advantages",
    "gae": ".advantages",
    # data and batching
    "TokenBatch": ".batching",
    "pack_sequences": ".batching",
    "trajectories_to_batch": ".batching",
    "drop_zero_variance_groups": ".batching",
    "SequenceExample": ".data",
    "PreferencePair": ".data",
    "chat_example": ".data",
    "read_preference_jsonl": ".data",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'agentrl.trainers' has no attribute {name!r}")
    return getattr(importlib.import_module(_LAZY[name], __name__), name)
