"""Llama 3 / 3.1 / 3.2 (with Llama 3 rope scaling)."""

from agentrl.models.llama.config import PARTITION_RULES, LlamaConfig

__all__ = ["PARTITION_RULES", "LlamaConfig"]
