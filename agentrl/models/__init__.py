"""The Flax NNX model zoo (Llama 3, Qwen 2/3, Gemma 1/2/3) and Hugging Face checkpoint I/O.

    >>> import agentrl.models as M
    >>> model, tokenizer = M.load("path/to/Qwen2.5-0.5B-Instruct")      # doctest: +SKIP
    >>> out = model(tokens_bt, positions_bt, attention_mask=mask_bt)     # doctest: +SKIP
    >>> out.logits.shape                                                 # doctest: +SKIP
    (B, T, vocab)
    >>> M.save(model, tokenizer, "out/checkpoint")                       # doctest: +SKIP

Every family is the same `CausalLM` built from the shared layers in `agentrl.models.layers`;
what differs is its config class (`Qwen2Config`, `LlamaConfig`, `Gemma2Config`, ...), which
parses and writes config.json and holds presets for the published sizes.
"""

from agentrl.models.config import ModelConfig, RopeScaling
from agentrl.models.gemma import GemmaConfig
from agentrl.models.gemma2 import Gemma2Config
from agentrl.models.gemma3 import Gemma3Config
from agentrl.models.hf_io import load, read_config, save
from agentrl.models.layers import LayerCache
from agentrl.models.llama import LlamaConfig
from agentrl.models.qwen2 import Qwen2Config
from agentrl.models.qwen3 import Qwen3Config
from agentrl.models.registry import FAMILIES, config_from_hf, presets
from agentrl.models.sharding import shard_model
from agentrl.models.transformer import Cache, CausalLM, ModelOutput

__all__ = [
    "FAMILIES",
    "Cache",
    "CausalLM",
    "Gemma2Config",
    "Gemma3Config",
    "GemmaConfig",
    "LayerCache",
    "LlamaConfig",
    "ModelConfig",
    "ModelOutput",
    "Qwen2Config",
    "Qwen3Config",
    "RopeScaling",
    "config_from_hf",
    "load",
    "presets",
    "read_config",
    "save",
    "shard_model",
]
