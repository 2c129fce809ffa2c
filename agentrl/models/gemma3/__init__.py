"""Gemma 3 text: Gemma 2 with q/k norm, 5 local : 1 global layers and a local rope base."""

from agentrl.models.gemma3.config import PARTITION_RULES, Gemma3Config

__all__ = ["PARTITION_RULES", "Gemma3Config"]
