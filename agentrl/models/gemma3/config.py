"""Gemma 3 (text) config, its published sizes and its partition rules."""

from __future__ import annotations

from typing import Any, ClassVar

from agentrl.models.config import ModelConfig, RopeScaling
from agentrl.models.gemma.config import gemma_defaults
from agentrl.models.gemma2.config import alternating_layers
from agentrl.models.sharding import DECODER_RULES

PARTITION_RULES = DECODER_RULES

_LINEAR_8 = RopeScaling(rope_type="linear", factor=8.0)


class Gemma3Config(ModelConfig):
    """Gemma 3 text models (config.json ``model_type: gemma3_text``)."""

    model_type: ClassVar[str] = "gemma3_text"
    architecture: ClassVar[str] = "Gemma3ForCausalLM"
    norm_offset: ClassVar[bool] = True
    scale_embeddings: ClassVar[bool] = True
    sandwich_norm: ClassVar[bool] = True
    qk_norm: ClassVar[bool] = True
    activation_key: ClassVar[str] = "hidden_activation"
    partition_rules: ClassVar[Any] = PARTITION_RULES

    @classmethod
    def normalize_hf(cls, hf: dict[str, Any]) -> dict[str, Any]:
        hf = gemma_defaults(hf)
        hf.pop("hidden_act", None)
        hf.setdefault("hidden_activation", "gelu_pytorch_tanh")
        hf.setdefault("vocab_size", 262208)
        hf.setdefault("query_pre_attn_scalar", 256)
        hf.setdefault("sliding_window", 4096)
        hf.setdefault("rope_theta", 1_000_000.0)
        hf.setdefault("rope_local_base_freq", 10_000.0)
        if hf.get("layer_types") is None:
            period = hf.get("sliding_window_pattern", 6)
            hf["layer_types"] = alternating_layers(hf["num_hidden_layers"], period)
        return hf

    @classmethod
    def _published(cls, **kw: Any) -> Gemma3Config:
        base: dict[str, Any] = gemma_defaults(dict(
            max_position_embeddings=131072, query_pre_attn_scalar=256,
            sliding_window=1024, rope_theta=1_000_000.0, rope_local_base_freq=10_000.0,
            rope_scaling=_LINEAR_8, vocab_size=262208,
            layer_types=alternating_layers(kw["num_hidden_layers"], 6),
        ))  # fmt: skip
        return cls(**{**base, **kw})

    @classmethod
    def gemma3_1b(cls) -> Gemma3Config:
        return cls._published(
            vocab_size=262144, hidden_size=1152, intermediate_size=6912, num_hidden_layers=26,
            num_attention_heads=4, num_key_value_heads=1, sliding_window=512,
            max_position_embeddings=32768, rope_scaling=None,
        )  # fmt: skip

    @classmethod
    def gemma3_4b(cls) -> Gemma3Config:
        return cls._published(
            hidden_size=2560, intermediate_size=10240, num_hidden_layers=34,
            num_attention_heads=8, num_key_value_heads=4,
        )  # fmt: skip

    @classmethod
    def gemma3_12b(cls) -> Gemma3Config:
        return cls._published(
            hidden_size=3840, intermediate_size=15360, num_hidden_layers=48,
            num_attention_heads=16, num_key_value_heads=8,
        )  # fmt: skip

    @classmethod
    def gemma3_27b(cls) -> Gemma3Config:
        return cls._published(
            hidden_size=5376, intermediate_size=21504, num_hidden_layers=62,
            num_attention_heads=32, num_key_value_heads=16, head_dim=128,
            query_pre_attn_scalar=168,
        )  # fmt: skip

    @classmethod
    def tiny(cls, vocab_size: int = 512, **overrides: Any) -> Gemma3Config:
        base: dict[str, Any] = dict(
            vocab_size=vocab_size, hidden_size=128, intermediate_size=352, num_hidden_layers=6,
            num_attention_heads=4, num_key_value_heads=2, head_dim=32, query_pre_attn_scalar=32,
            sliding_window=64, max_position_embeddings=2048, rope_scaling=None,
        )  # fmt: skip
        return cls._published(**{**base, **overrides})
