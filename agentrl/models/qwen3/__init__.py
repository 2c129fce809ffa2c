"""Qwen 3 (dense): Qwen 2 without q/k/v biases, with RMSNorm on queries and keys per head."""

from agentrl.models.qwen3.config import PARTITION_RULES, Qwen3Config

__all__ = ["PARTITION_RULES", "Qwen3Config"]
