"""Gemma 2: Gemma plus logit soft-capping, sandwich norms and alternating sliding-window layers."""

from agentrl.models.gemma2.config import PARTITION_RULES, Gemma2Config

__all__ = ["PARTITION_RULES", "Gemma2Config"]
