"""Gemma 1 config, its published sizes and its partition rules."""

from __future__ import annotations

from typing import Any, ClassVar

from agentrl.models.config import ModelConfig
from agentrl.models.sharding import DECODER_RULES

PARTITION_RULES = DECODER_RULES


class GemmaConfig(ModelConfig):
    """Gemma 1 (config.json ``model_type: gemma``)."""

    model_type: ClassVar[str] = "gemma"
    architecture: ClassVar[str] = "GemmaForCausalLM"
    norm_offset: ClassVar[bool] = True
    scale_embeddings: ClassVar[bool] = True
    partition_rules: ClassVar[Any] = PARTITION_RULES

    @classmethod
    def normalize_hf(cls, hf: dict[str, Any]) -> dict[str, Any]:
        return gemma_defaults(hf)

    @classmethod
    def _published(cls, **kw: Any) -> GemmaConfig:
        return cls(**{**gemma_defaults({}), "max_position_embeddings": 8192, **kw})

    @classmethod
    def gemma_2b(cls) -> GemmaConfig:
        return cls._published(
            hidden_size=2048, intermediate_size=16384, num_hidden_layers=18,
            num_attention_heads=8, num_key_value_heads=1,
        )  # fmt: skip

    @classmethod
    def gemma_7b(cls) -> GemmaConfig:
        return cls._published(
            hidden_size=3072, intermediate_size=24576, num_hidden_layers=28,
            num_attention_heads=16, num_key_value_heads=16,
        )  # fmt: skip

    @classmethod
    def tiny(cls, vocab_size: int = 512, **overrides: Any) -> GemmaConfig:
        base: dict[str, Any] = dict(
            **gemma_defaults({}), hidden_size=128, intermediate_size=352, num_hidden_layers=4,
            num_attention_heads=4, num_key_value_heads=1, max_position_embeddings=2048,
        )  # fmt: skip
        return cls(**{**base, "head_dim": 32, "vocab_size": vocab_size, **overrides})


def gemma_defaults(hf: dict[str, Any]) -> dict[str, Any]:
    """What every Gemma config.json may omit, with transformers' defaults."""
    defaults: dict[str, Any] = dict(
        vocab_size=256000, head_dim=256, rms_norm_eps=1e-6, rope_theta=10000.0,
        tie_word_embeddings=True, hidden_act="gelu_pytorch_tanh",
        bos_token_id=2, eos_token_id=1, pad_token_id=0,
    )  # fmt: skip
    if "hidden_activation" in hf or "hidden_act" in hf:
        del defaults["hidden_act"]  # the family's own key says it
    return {**defaults, **hf}
