"""The architecture config every family shares, and its Hugging Face config.json translation.

One decoder-only transformer covers Llama 3, Qwen 2/3 and Gemma 1/2/3; what differs between them
is data. Fields that a checkpoint's config.json may set are pydantic fields named exactly as in
config.json; behaviours fixed by the family (Gemma's ``(1 + w)`` RMSNorm, Qwen 3's q/k norm, ...)
are class constants of the family's subclass.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from agentrl.errors import ModelError

LayerType = Literal["full_attention", "sliding_attention"]
Activation = Literal["silu", "gelu_pytorch_tanh"]


class RopeScaling(BaseModel):
    """Rotary-embedding frequency scaling, as config.json's ``rope_scaling`` states it.

    ``rope_type="linear"`` divides every frequency by ``factor`` (Gemma 3 global layers);
    ``"llama3"`` rescales long wavelengths only (Llama 3.1/3.2); ``"yarn"`` (YaRN, how Qwen 2.5
    and Qwen 3 extend their context) divides the low frequencies by ``factor``, keeps the
    high ones, blends the band between (set by ``beta_fast``/``beta_slow`` rotations over the
    original context), and scales the rotated queries and keys by `yarn_attention_factor`.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    rope_type: Literal["default", "linear", "llama3", "yarn"] = "default"
    factor: float = 1.0
    low_freq_factor: float = 1.0
    high_freq_factor: float = 4.0
    original_max_position_embeddings: int = 8192
    # YaRN only; None means the paper's defaults (see `yarn_attention_factor`).
    beta_fast: float | None = None
    beta_slow: float | None = None
    attention_factor: float | None = None
    mscale: float | None = None
    mscale_all_dim: float | None = None
    truncate: bool = True

    @property
    def yarn_attention_factor(self) -> float:
        """What YaRN multiplies cos and sin by: ``attention_factor`` when given, else
        ``0.1 ln(factor) + 1`` (as a ratio of two such terms when ``mscale`` and
        ``mscale_all_dim`` are both given, DeepSeek's form)."""
        if self.attention_factor is not None:
            return self.attention_factor

        def scale(weight: float) -> float:
            return 1.0 if self.factor <= 1 else 0.1 * weight * math.log(self.factor) + 1.0

        if self.mscale and self.mscale_all_dim:
            return scale(self.mscale) / scale(self.mscale_all_dim)
        return scale(1.0)

    def to_hf(self) -> dict[str, Any]:
        out: dict[str, Any] = {"rope_type": self.rope_type, "factor": self.factor}
        if self.rope_type == "llama3":
            out.update(
                low_freq_factor=self.low_freq_factor,
                high_freq_factor=self.high_freq_factor,
                original_max_position_embeddings=self.original_max_position_embeddings,
            )
        if self.rope_type == "yarn":
            out["original_max_position_embeddings"] = self.original_max_position_embeddings
            optional = ("beta_fast", "beta_slow", "attention_factor", "mscale", "mscale_all_dim")
            out.update({k: getattr(self, k) for k in optional if getattr(self, k) is not None})
            if not self.truncate:
                out["truncate"] = False
        return out


class ModelConfig(BaseModel):
    """Architecture of one decoder-only language model; subclassed once per family.

    Field names follow Hugging Face's config.json so that parsing is a rename-free copy.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    # Family constants, overridden by subclasses.
    model_type: ClassVar[str] = ""
    architecture: ClassVar[str] = ""
    qkv_bias_always: ClassVar[bool] = False  # Qwen 2: q/k/v carry biases, o_proj does not
    qk_norm: ClassVar[bool] = False  # RMSNorm over head_dim on queries and keys (Qwen 3, Gemma 3)
    norm_offset: ClassVar[bool] = False  # RMSNorm scales by (1 + w) (Gemma)
    scale_embeddings: ClassVar[bool] = False  # embeddings times sqrt(hidden_size) (Gemma)
    sandwich_norm: ClassVar[bool] = False  # extra norms after attention and MLP (Gemma 2/3)
    activation_key: ClassVar[str] = "hidden_act"  # Gemma 2/3 call it hidden_activation

    vocab_size: int = Field(gt=0)
    hidden_size: int = Field(gt=0)
    intermediate_size: int = Field(gt=0)
    num_hidden_layers: int = Field(gt=0)
    num_attention_heads: int = Field(gt=0)
    num_key_value_heads: int = Field(gt=0)
    head_dim: int = Field(gt=0)
    max_position_embeddings: int = 32768
    rms_norm_eps: float = 1e-6
    rope_theta: float = 10000.0
    rope_scaling: RopeScaling | None = None
    hidden_act: Activation = "silu"
    tie_word_embeddings: bool = False
    attention_bias: bool = False
    mlp_bias: bool = False
    # Gemma 2/3 (None elsewhere).
    query_pre_attn_scalar: int | float | None = None
    attn_logit_softcapping: float | None = None
    final_logit_softcapping: float | None = None
    sliding_window: int | None = None
    layer_types: tuple[LayerType, ...] | None = None
    rope_local_base_freq: float | None = None  # rope base of sliding layers (Gemma 3)
    initializer_range: float = 0.02
    bos_token_id: int | tuple[int, ...] | None = None
    eos_token_id: int | tuple[int, ...] | None = None
    pad_token_id: int | None = None

    @model_validator(mode="after")
    def _check(self) -> ModelConfig:
        if self.num_attention_heads % self.num_key_value_heads:
            raise ValueError(
                f"got num_attention_heads={self.num_attention_heads}, need a multiple of "
                f"num_key_value_heads={self.num_key_value_heads}"
            )
        if self.layer_types is not None and len(self.layer_types) != self.num_hidden_layers:
            raise ValueError(
                f"got {len(self.layer_types)} layer_types, need num_hidden_layers="
                f"{self.num_hidden_layers}"
            )
        if self.sliding_window is not None and self.sliding_window < 1:
            raise ValueError(f"got sliding_window={self.sliding_window}, need >= 1")
        return self

    # -- derived ---------------------------------------------------------------------------
    @property
    def qkv_bias(self) -> bool:
        return self.attention_bias or self.qkv_bias_always

    @property
    def o_bias(self) -> bool:
        return self.attention_bias and not self.qkv_bias_always

    @property
    def attention_scale(self) -> float:
        """The factor on q·k: ``query_pre_attn_scalar**-0.5`` where set, else ``head_dim**-0.5``."""
        base = self.query_pre_attn_scalar or self.head_dim
        return float(base) ** -0.5

    def layer_type(self, index: int) -> LayerType:
        if self.layer_types is None or self.sliding_window is None:
            return "full_attention"
        return self.layer_types[index]

    def num_parameters(self) -> int:
        """Parameter count of the model this config builds (biases and norms included)."""
        d, f, h, kv, dh = (
            self.hidden_size,
            self.intermediate_size,
            self.num_attention_heads,
            self.num_key_value_heads,
            self.head_dim,
        )
        attn = d * dh * (2 * h + 2 * kv) + (dh * (h + 2 * kv) if self.qkv_bias else 0)
        attn += d if self.o_bias else 0
        attn += 2 * dh if self.qk_norm else 0
        mlp = 3 * d * f + ((2 * f + d) if self.mlp_bias else 0)
        norms = d * (4 if self.sandwich_norm else 2)
        head = 0 if self.tie_word_embeddings else d * self.vocab_size
        return self.vocab_size * d + self.num_hidden_layers * (attn + mlp + norms) + d + head

    # -- Hugging Face config.json ------------------------------------------------------------
    @classmethod
    def normalize_hf(cls, hf: dict[str, Any]) -> dict[str, Any]:
        """Family hook: fill in what config.json may leave out, as transformers does."""
        return hf

    @classmethod
    def from_hf(cls, hf: dict[str, Any]) -> ModelConfig:
        """Parse a config.json dict; unknown keys (``use_cache``, ...) are ignored."""
        hf = cls.normalize_hf(dict(hf))
        fields: dict[str, Any] = {k: v for k, v in hf.items() if k in cls.model_fields}
        if cls.activation_key in hf:
            fields["hidden_act"] = hf[cls.activation_key]
        fields.setdefault("num_key_value_heads", hf.get("num_attention_heads"))
        if fields.get("head_dim") is None and "num_attention_heads" in hf:
            fields["head_dim"] = hf["hidden_size"] // hf["num_attention_heads"]
        fields.update(_parse_rope(hf))
        if fields.get("layer_types") is not None:
            fields["layer_types"] = tuple(fields["layer_types"])
        try:
            return cls(**fields)
        except ValidationError as e:
            raise ModelError(
                f"config.json does not describe a valid {cls.model_type} model: {e}"
            ) from e

    def to_hf(self) -> dict[str, Any]:
        """The config.json dict transformers reads (rope in the ``rope_theta``/``rope_scaling``
        form every published checkpoint uses)."""
        out = self.model_dump(exclude={"rope_scaling", "hidden_act", "layer_types"})
        out[self.activation_key] = self.hidden_act
        out["rope_scaling"] = None if self.rope_scaling is None else self.rope_scaling.to_hf()
        if self.layer_types is not None:
            out["layer_types"] = list(self.layer_types)
        for key in ("query_pre_attn_scalar", "sliding_window", "rope_local_base_freq"):
            if out[key] is None:
                del out[key]
        out.update(self.extra_hf())
        return {
            "architectures": [self.architecture],
            "model_type": self.model_type,
            **out,
            "torch_dtype": "float32",
        }

    def extra_hf(self) -> dict[str, Any]:
        """Family hook: keys config.json needs beyond the fields (``use_sliding_window``, ...)."""
        return {}

    @classmethod
    def from_json(cls, path: str | Path) -> ModelConfig:
        return cls.from_hf(json.loads(Path(path).read_text()))


def _parse_rope(hf: dict[str, Any]) -> dict[str, Any]:
    """rope_theta / rope_scaling from either the classic keys or transformers 5's
    ``rope_parameters`` (flat, or nested per layer type as Gemma 3 writes it)."""
    out: dict[str, Any] = {}
    params = hf.get("rope_parameters")
    if isinstance(params, dict) and "full_attention" in params:
        local = params.get("sliding_attention") or {}
        if "rope_theta" in local:
            out["rope_local_base_freq"] = local["rope_theta"]
        params = params["full_attention"]
    scaling = hf.get("rope_scaling") or params
    if isinstance(params, dict) and "rope_theta" in params:
        out["rope_theta"] = params["rope_theta"]
    if isinstance(scaling, dict):
        rope_type = scaling.get("rope_type", scaling.get("type", "default"))
        known = ("default", "linear", "llama3", "yarn")
        if rope_type not in known:
            raise ModelError(f"unsupported rope_type={rope_type!r}; know {', '.join(known)}")
        if rope_type == "yarn":
            for key in ("factor", "original_max_position_embeddings"):
                if scaling.get(key) is None:
                    raise ModelError(f"rope_scaling of type yarn has no {key}: {scaling}")
        if rope_type != "default":
            fields = {k: v for k, v in scaling.items() if v is not None}
            out["rope_scaling"] = RopeScaling(**{**fields, "rope_type": rope_type})
    return out
