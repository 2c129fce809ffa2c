"""Qwen 2 / 2.5 config, its published sizes and its partition rules."""

from __future__ import annotations

from typing import Any, ClassVar

from agentrl.models.config import ModelConfig
from agentrl.models.sharding import DECODER_RULES

PARTITION_RULES = DECODER_RULES


class Qwen2Config(ModelConfig):
    """Qwen 2 / 2.5 (config.json ``model_type: qwen2``)."""

    model_type: ClassVar[str] = "qwen2"
    architecture: ClassVar[str] = "Qwen2ForCausalLM"
    qkv_bias_always: ClassVar[bool] = True
    partition_rules: ClassVar[Any] = PARTITION_RULES

    @classmethod
    def normalize_hf(cls, hf: dict[str, Any]) -> dict[str, Any]:
        return normalize_qwen_window(hf)

    def extra_hf(self) -> dict[str, Any]:
        return qwen_window_hf(self)

    @classmethod
    def _published(cls, **kw: Any) -> Qwen2Config:
        base: dict[str, Any] = dict(
            vocab_size=151936,
            head_dim=64,
            rope_theta=1_000_000.0,
            rms_norm_eps=1e-6,
            max_position_embeddings=32768,
            tie_word_embeddings=True,
            bos_token_id=151643,
            eos_token_id=151643,
        )
        return cls(**{**base, **kw})

    @classmethod
    def qwen2_5_0_5b(cls) -> Qwen2Config:
        return cls._published(
            hidden_size=896, intermediate_size=4864, num_hidden_layers=24,
            num_attention_heads=14, num_key_value_heads=2,
        )  # fmt: skip

    @classmethod
    def qwen2_5_1_5b(cls) -> Qwen2Config:
        return cls._published(
            hidden_size=1536, intermediate_size=8960, num_hidden_layers=28,
            num_attention_heads=12, num_key_value_heads=2, head_dim=128,
        )  # fmt: skip

    @classmethod
    def qwen2_5_3b(cls) -> Qwen2Config:
        return cls._published(
            hidden_size=2048, intermediate_size=11008, num_hidden_layers=36,
            num_attention_heads=16, num_key_value_heads=2, head_dim=128,
        )  # fmt: skip

    @classmethod
    def qwen2_5_7b(cls) -> Qwen2Config:
        return cls._published(
            vocab_size=152064, hidden_size=3584, intermediate_size=18944, num_hidden_layers=28,
            num_attention_heads=28, num_key_value_heads=4, head_dim=128, tie_word_embeddings=False,
        )  # fmt: skip

    @classmethod
    def tiny(cls, vocab_size: int = 512, **overrides: Any) -> Qwen2Config:
        """A ~0.8M-parameter model for tests and the embedded CPU default."""
        base: dict[str, Any] = dict(
            vocab_size=vocab_size, hidden_size=128, intermediate_size=352, num_hidden_layers=4,
            num_attention_heads=4, num_key_value_heads=2, head_dim=32, rope_theta=10000.0,
            max_position_embeddings=2048, tie_word_embeddings=True,
        )  # fmt: skip
        return cls(**{**base, **overrides})


def normalize_qwen_window(hf: dict[str, Any]) -> dict[str, Any]:
    """Qwen's window applies only with ``use_sliding_window``, from layer ``max_window_layers``."""
    if not hf.get("use_sliding_window"):
        hf.pop("sliding_window", None)
        hf.pop("layer_types", None)
    elif hf.get("layer_types") is None:
        first = hf.get("max_window_layers", 28)
        hf["layer_types"] = [
            "sliding_attention" if i >= first else "full_attention"
            for i in range(hf["num_hidden_layers"])
        ]
    return hf


def qwen_window_hf(config: ModelConfig) -> dict[str, Any]:
    return {"use_sliding_window": config.sliding_window is not None}
