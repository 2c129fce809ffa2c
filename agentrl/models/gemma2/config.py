"""Gemma 2 config, its published sizes and its partition rules."""

from __future__ import annotations

from typing import Any, ClassVar

from agentrl.models.config import ModelConfig
from agentrl.models.gemma.config import gemma_defaults
from agentrl.models.sharding import DECODER_RULES

PARTITION_RULES = DECODER_RULES


def alternating_layers(n: int, period: int) -> tuple[str, ...]:
    """Sliding-window layers with every `period`-th one global (Gemma 2: 2, Gemma 3: 6)."""
    return tuple(
        "full_attention" if (i + 1) % period == 0 else "sliding_attention" for i in range(n)
    )


class Gemma2Config(ModelConfig):
    """Gemma 2 (config.json ``model_type: gemma2``)."""

    model_type: ClassVar[str] = "gemma2"
    architecture: ClassVar[str] = "Gemma2ForCausalLM"
    norm_offset: ClassVar[bool] = True
    scale_embeddings: ClassVar[bool] = True
    sandwich_norm: ClassVar[bool] = True
    activation_key: ClassVar[str] = "hidden_activation"
    partition_rules: ClassVar[Any] = PARTITION_RULES

    @classmethod
    def normalize_hf(cls, hf: dict[str, Any]) -> dict[str, Any]:
        hf = gemma_defaults(hf)
        hf.pop("hidden_act", None)  # Gemma 2 reads hidden_activation
        hf.setdefault("hidden_activation", "gelu_pytorch_tanh")
        hf.setdefault("query_pre_attn_scalar", 256)
        hf.setdefault("sliding_window", 4096)
        hf.setdefault("attn_logit_softcapping", 50.0)
        hf.setdefault("final_logit_softcapping", 30.0)
        if hf.get("layer_types") is None:
            hf["layer_types"] = alternating_layers(hf["num_hidden_layers"], 2)
        return hf

    @classmethod
    def _published(cls, **kw: Any) -> Gemma2Config:
        n = kw["num_hidden_layers"]
        base: dict[str, Any] = dict(
            **gemma_defaults({}), max_position_embeddings=8192, query_pre_attn_scalar=256,
            sliding_window=4096, attn_logit_softcapping=50.0, final_logit_softcapping=30.0,
            layer_types=alternating_layers(n, 2),
        )  # fmt: skip
        return cls(**{**base, **kw})

    @classmethod
    def gemma2_2b(cls) -> Gemma2Config:
        return cls._published(
            hidden_size=2304, intermediate_size=9216, num_hidden_layers=26,
            num_attention_heads=8, num_key_value_heads=4,
        )  # fmt: skip

    @classmethod
    def gemma2_9b(cls) -> Gemma2Config:
        return cls._published(
            hidden_size=3584, intermediate_size=14336, num_hidden_layers=42,
            num_attention_heads=16, num_key_value_heads=8,
        )  # fmt: skip

    @classmethod
    def gemma2_27b(cls) -> Gemma2Config:
        return cls._published(
            hidden_size=4608, intermediate_size=36864, num_hidden_layers=46,
            num_attention_heads=32, num_key_value_heads=16, head_dim=128,
            query_pre_attn_scalar=144,
        )  # fmt: skip

    @classmethod
    def tiny(cls, vocab_size: int = 512, **overrides: Any) -> Gemma2Config:
        base: dict[str, Any] = dict(
            hidden_size=128, intermediate_size=352, num_hidden_layers=4, num_attention_heads=4,
            num_key_value_heads=2, head_dim=32, query_pre_attn_scalar=32, sliding_window=64,
            max_position_embeddings=2048, vocab_size=vocab_size,
        )  # fmt: skip
        return cls._published(**{**base, **overrides})
