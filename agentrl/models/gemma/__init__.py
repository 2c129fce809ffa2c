"""Gemma 1: scaled embeddings, (1 + w) RMSNorm, tanh-GELU MLP, tied output head."""

from agentrl.models.gemma.config import PARTITION_RULES, GemmaConfig

__all__ = ["PARTITION_RULES", "GemmaConfig"]
