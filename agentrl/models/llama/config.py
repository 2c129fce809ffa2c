"""Llama 3 config, its published sizes and its partition rules."""

from __future__ import annotations

from typing import Any, ClassVar

from agentrl.models.config import ModelConfig, RopeScaling
from agentrl.models.sharding import DECODER_RULES

PARTITION_RULES = DECODER_RULES


def _llama3_rope(factor: float) -> RopeScaling:
    return RopeScaling(
        rope_type="llama3",
        factor=factor,
        low_freq_factor=1.0,
        high_freq_factor=4.0,
        original_max_position_embeddings=8192,
    )


class LlamaConfig(ModelConfig):
    """Llama 3.x (config.json ``model_type: llama``)."""

    model_type: ClassVar[str] = "llama"
    architecture: ClassVar[str] = "LlamaForCausalLM"
    partition_rules: ClassVar[Any] = PARTITION_RULES

    @classmethod
    def normalize_hf(cls, hf: dict[str, Any]) -> dict[str, Any]:
        hf.setdefault("rms_norm_eps", 1e-6)
        return hf

    @classmethod
    def _published(cls, **kw: Any) -> LlamaConfig:
        base: dict[str, Any] = dict(
            vocab_size=128256, rope_theta=500_000.0, rms_norm_eps=1e-5,
            max_position_embeddings=131072, bos_token_id=128000, eos_token_id=128001,
        )  # fmt: skip
        return cls(**{**base, **kw})

    @classmethod
    def llama3_2_1b(cls) -> LlamaConfig:
        return cls._published(
            hidden_size=2048, intermediate_size=8192, num_hidden_layers=16,
            num_attention_heads=32, num_key_value_heads=8, head_dim=64,
            tie_word_embeddings=True, rope_scaling=_llama3_rope(32.0),
        )  # fmt: skip

    @classmethod
    def llama3_2_3b(cls) -> LlamaConfig:
        return cls._published(
            hidden_size=3072, intermediate_size=8192, num_hidden_layers=28,
            num_attention_heads=24, num_key_value_heads=8, head_dim=128,
            tie_word_embeddings=True, rope_scaling=_llama3_rope(32.0),
        )  # fmt: skip

    @classmethod
    def llama3_1_8b(cls) -> LlamaConfig:
        return cls._published(
            hidden_size=4096, intermediate_size=14336, num_hidden_layers=32,
            num_attention_heads=32, num_key_value_heads=8, head_dim=128,
            rope_scaling=_llama3_rope(8.0),
        )  # fmt: skip

    @classmethod
    def tiny(cls, vocab_size: int = 512, **overrides: Any) -> LlamaConfig:
        base: dict[str, Any] = dict(
            vocab_size=vocab_size, hidden_size=128, intermediate_size=352, num_hidden_layers=4,
            num_attention_heads=4, num_key_value_heads=2, head_dim=32, rms_norm_eps=1e-5,
            rope_theta=500_000.0, rope_scaling=_llama3_rope(8.0), max_position_embeddings=2048,
            tie_word_embeddings=True,
        )  # fmt: skip
        return cls(**{**base, **overrides})
