"""Families by config.json ``model_type``, and the model-preset registry (``presets.make(id)``).

>>> from agentrl.models.registry import presets
>>> presets.make("qwen2.5-0.5b").hidden_size
896
"""

from __future__ import annotations

from typing import Any

from agentrl.errors import ModelError, did_you_mean
from agentrl.models.config import ModelConfig
from agentrl.models.gemma import GemmaConfig
from agentrl.models.gemma2 import Gemma2Config
from agentrl.models.gemma3 import Gemma3Config
from agentrl.models.llama import LlamaConfig
from agentrl.models.qwen2 import Qwen2Config
from agentrl.models.qwen3 import Qwen3Config
from agentrl.registration import Registry

FAMILIES: dict[str, type[ModelConfig]] = {
    cls.model_type: cls
    for cls in (LlamaConfig, Qwen2Config, Qwen3Config, GemmaConfig, Gemma2Config, Gemma3Config)
}

presets: Registry[ModelConfig] = Registry("model preset")

_PRESETS: dict[str, Any] = {
    "qwen2.5-0.5b": Qwen2Config.qwen2_5_0_5b,
    "qwen2.5-1.5b": Qwen2Config.qwen2_5_1_5b,
    "qwen2.5-3b": Qwen2Config.qwen2_5_3b,
    "qwen2.5-7b": Qwen2Config.qwen2_5_7b,
    "qwen2-tiny": Qwen2Config.tiny,
    "qwen3-0.6b": Qwen3Config.qwen3_0_6b,
    "qwen3-1.7b": Qwen3Config.qwen3_1_7b,
    "qwen3-4b": Qwen3Config.qwen3_4b,
    "qwen3-8b": Qwen3Config.qwen3_8b,
    "qwen3-tiny": Qwen3Config.tiny,
    "llama3.2-1b": LlamaConfig.llama3_2_1b,
    "llama3.2-3b": LlamaConfig.llama3_2_3b,
    "llama3.1-8b": LlamaConfig.llama3_1_8b,
    "llama3-tiny": LlamaConfig.tiny,
    "gemma-2b": GemmaConfig.gemma_2b,
    "gemma-7b": GemmaConfig.gemma_7b,
    "gemma-tiny": GemmaConfig.tiny,
    "gemma2-2b": Gemma2Config.gemma2_2b,
    "gemma2-9b": Gemma2Config.gemma2_9b,
    "gemma2-27b": Gemma2Config.gemma2_27b,
    "gemma2-tiny": Gemma2Config.tiny,
    "gemma3-1b": Gemma3Config.gemma3_1b,
    "gemma3-4b": Gemma3Config.gemma3_4b,
    "gemma3-12b": Gemma3Config.gemma3_12b,
    "gemma3-27b": Gemma3Config.gemma3_27b,
    "gemma3-tiny": Gemma3Config.tiny,
}
for _id, _factory in _PRESETS.items():
    presets.register(_id, _factory, source="agentrl")


def config_from_hf(hf: dict[str, Any]) -> ModelConfig:
    """The family config a config.json dict describes, picked by its ``model_type``."""
    model_type = hf.get("model_type")
    if model_type == "gemma3" and isinstance(hf.get("text_config"), dict):
        hf = {"model_type": "gemma3_text", **hf["text_config"]}  # multimodal: keep the text model
        model_type = "gemma3_text"
    family = FAMILIES.get(str(model_type))
    if family is None:
        raise ModelError(
            f"config.json has model_type={model_type!r}, which agentrl does not implement."
            f"{did_you_mean(str(model_type), FAMILIES)} Known: {', '.join(sorted(FAMILIES))}."
        )
    return family.from_hf(hf)
