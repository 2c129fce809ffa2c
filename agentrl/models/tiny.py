"""The built-in tiny model: a ~0.8M-parameter Qwen 2 architecture matched to the built-in
512-token tokenizer. It is the embedded default for CPU demos and everybody's tests.

    >>> from agentrl.models.tiny import tiny_model
    >>> model, tokenizer = tiny_model(seed=0)
    >>> model.config.vocab_size == tokenizer.vocab_size
    True
"""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp
from flax import nnx

from agentrl.models.qwen2 import Qwen2Config
from agentrl.models.transformer import CausalLM


def tiny_config(vocab_size: int = 512, **overrides: Any) -> Qwen2Config:
    """The tiny model's config: hidden 128, 4 layers, 4 heads (2 KV), MLP 352, tied embeddings."""
    return Qwen2Config.tiny(vocab_size=vocab_size, **overrides)


def tiny_model_from_config(
    config: Qwen2Config, seed: int = 0, *, dtype: Any = jnp.float32, param_dtype: Any = jnp.float32
) -> CausalLM:
    """A randomly initialized model of `config` (normal(0, initializer_range) weights)."""
    return CausalLM(config, rngs=nnx.Rngs(seed), dtype=dtype, param_dtype=param_dtype)


def tiny_tokenizer() -> Any:
    """The built-in byte-level BPE (vocab 512, ChatML template)."""
    from agentrl.tokenizer import builtin_tiny_tokenizer

    return builtin_tiny_tokenizer()


def tiny_model(seed: int = 0, **overrides: Any) -> tuple[CausalLM, Any]:
    """``(model, tokenizer)``: the tiny model, randomly initialized from `seed`, and its tokenizer.

    Args:
        seed: initialization seed.
        **overrides: config fields to change (``num_hidden_layers=2``, ...), or ``dtype`` /
            ``param_dtype`` for the model.
    """
    tokenizer = tiny_tokenizer()
    dtypes = {k: overrides.pop(k) for k in ("dtype", "param_dtype") if k in overrides}
    eos = tokenizer.eos_token_ids[0] if tokenizer.eos_token_ids else None
    fields: dict[str, Any] = {"eos_token_id": eos, "pad_token_id": tokenizer.pad_token_id}
    config = tiny_config(vocab_size=tokenizer.vocab_size, **{**fields, **overrides})
    return tiny_model_from_config(config, seed, **dtypes), tokenizer
