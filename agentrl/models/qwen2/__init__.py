"""Qwen 2 / 2.5: Llama-style decoder with biases on the q/k/v projections."""

from agentrl.models.qwen2.config import PARTITION_RULES, Qwen2Config

__all__ = ["PARTITION_RULES", "Qwen2Config"]
