"""Qwen 3 config, its published sizes and its partition rules."""

from __future__ import annotations

from typing import Any, ClassVar

from agentrl.models.config import ModelConfig
from agentrl.models.qwen2.config import normalize_qwen_window, qwen_window_hf
from agentrl.models.sharding import DECODER_RULES

PARTITION_RULES = DECODER_RULES


class Qwen3Config(ModelConfig):
    """Qwen 3 dense models (config.json ``model_type: qwen3``)."""

    model_type: ClassVar[str] = "qwen3"
    architecture: ClassVar[str] = "Qwen3ForCausalLM"
    qk_norm: ClassVar[bool] = True
    partition_rules: ClassVar[Any] = PARTITION_RULES

    @classmethod
    def normalize_hf(cls, hf: dict[str, Any]) -> dict[str, Any]:
        hf.setdefault("head_dim", 128)
        return normalize_qwen_window(hf)

    def extra_hf(self) -> dict[str, Any]:
        return qwen_window_hf(self)

    @classmethod
    def _published(cls, **kw: Any) -> Qwen3Config:
        base: dict[str, Any] = dict(
            vocab_size=151936, head_dim=128, rope_theta=1_000_000.0, rms_norm_eps=1e-6,
            max_position_embeddings=40960, tie_word_embeddings=True,
            bos_token_id=151643, eos_token_id=151645,
        )  # fmt: skip
        return cls(**{**base, **kw})

    @classmethod
    def qwen3_0_6b(cls) -> Qwen3Config:
        return cls._published(
            hidden_size=1024, intermediate_size=3072, num_hidden_layers=28,
            num_attention_heads=16, num_key_value_heads=8,
        )  # fmt: skip

    @classmethod
    def qwen3_1_7b(cls) -> Qwen3Config:
        return cls._published(
            hidden_size=2048, intermediate_size=6144, num_hidden_layers=28,
            num_attention_heads=16, num_key_value_heads=8,
        )  # fmt: skip

    @classmethod
    def qwen3_4b(cls) -> Qwen3Config:
        return cls._published(
            hidden_size=2560, intermediate_size=9728, num_hidden_layers=36,
            num_attention_heads=32, num_key_value_heads=8,
        )  # fmt: skip

    @classmethod
    def qwen3_8b(cls) -> Qwen3Config:
        return cls._published(
            hidden_size=4096, intermediate_size=12288, num_hidden_layers=36,
            num_attention_heads=32, num_key_value_heads=8, tie_word_embeddings=False,
        )  # fmt: skip

    @classmethod
    def tiny(cls, vocab_size: int = 512, **overrides: Any) -> Qwen3Config:
        base: dict[str, Any] = dict(
            vocab_size=vocab_size, hidden_size=128, intermediate_size=352, num_hidden_layers=4,
            num_attention_heads=4, num_key_value_heads=2, head_dim=32, rope_theta=10000.0,
            max_position_embeddings=2048, tie_word_embeddings=True,
        )  # fmt: skip
        return cls(**{**base, **overrides})
