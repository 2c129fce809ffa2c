"""Shared pieces of the model tests: prime-sized Hugging Face configs per family, a padded batch,
and helpers that run the transformers reference on it."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

VOCAB = 131  # primes (or products of distinct primes) so that no transpose can hide
HIDDEN = 66  # a multiple of HEADS (transformers checks), not HEADS * HEAD_DIM
INTERMEDIATE = 83
HEADS, KV_HEADS, HEAD_DIM = 6, 2, 14
LAYERS = 3
WINDOW = 4  # shorter than the batch, so sliding-window layers really cut

_BASE: dict[str, Any] = dict(
    vocab_size=VOCAB, hidden_size=HIDDEN, intermediate_size=INTERMEDIATE,
    num_hidden_layers=LAYERS, num_attention_heads=HEADS, num_key_value_heads=KV_HEADS,
    head_dim=HEAD_DIM, max_position_embeddings=128, rms_norm_eps=1e-6,
    bos_token_id=1, eos_token_id=2, pad_token_id=0,
)  # fmt: skip

# model_type -> config.json dict of a tiny random reference model.
HF_CONFIGS: dict[str, dict[str, Any]] = {
    "qwen2": {**_BASE, "model_type": "qwen2", "rope_theta": 10000.0, "tie_word_embeddings": False},
    "qwen3": {**_BASE, "model_type": "qwen3", "rope_theta": 1e6, "tie_word_embeddings": True},
    "llama": {
        **_BASE, "model_type": "llama", "rope_theta": 500000.0, "tie_word_embeddings": False,
        "max_position_embeddings": 4096, "mlp_bias": True, "attention_bias": True,
        "rope_scaling": {
            "rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
            "high_freq_factor": 4.0, "original_max_position_embeddings": 64,
        },
    },
    "gemma": {**_BASE, "model_type": "gemma", "hidden_act": "gelu_pytorch_tanh"},
    "gemma2": {
        **_BASE, "model_type": "gemma2", "query_pre_attn_scalar": 17, "sliding_window": WINDOW,
        "attn_logit_softcapping": 3.0, "final_logit_softcapping": 2.5,
    },
    "gemma3_text": {
        **_BASE, "model_type": "gemma3_text", "query_pre_attn_scalar": 17, "sliding_window": WINDOW,
        "layer_types": ["sliding_attention", "full_attention", "sliding_attention"],
        "rope_theta": 1e6, "rope_local_base_freq": 10000.0,
        "rope_scaling": {"rope_type": "linear", "factor": 8.0},
    },
}  # fmt: skip

LENGTHS = (11, 8, 4)  # real tokens per row; rows are left-padded to the longest


def padded_batch(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(tokens, mask, positions) ``[3, 11]``, left-padded; positions count real tokens only."""
    rng = np.random.default_rng(seed)
    t = max(LENGTHS)
    tokens = rng.integers(3, VOCAB, size=(len(LENGTHS), t)).astype(np.int32)
    mask = np.zeros((len(LENGTHS), t), bool)
    for row, n in enumerate(LENGTHS):
        mask[row, t - n :] = True
    tokens[~mask] = 0
    positions = np.maximum(np.cumsum(mask, axis=1) - 1, 0).astype(np.int32)
    return tokens, mask, positions


def hf_random_model(model_type: str, seed: int = 0, config: dict[str, Any] | None = None) -> Any:
    """A transformers model of ``HF_CONFIGS[model_type]`` (or `config`) with every parameter
    randomized (norm weights included, which transformers initializes to constants)."""
    import torch
    import transformers

    config = transformers.AutoConfig.for_model(**(config or HF_CONFIGS[model_type]))
    config._attn_implementation = "eager"
    torch.manual_seed(seed)
    model = transformers.AutoModelForCausalLM.from_config(config, attn_implementation="eager")
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn_like(p) * 0.2)
    return model.eval()


def hf_logits(
    model: Any, tokens: np.ndarray, mask: np.ndarray, positions: np.ndarray
) -> np.ndarray:
    import torch

    with torch.no_grad():
        out = model(
            input_ids=torch.from_numpy(tokens.astype(np.int64)),
            attention_mask=torch.from_numpy(mask.astype(np.int64)),
            position_ids=torch.from_numpy(positions.astype(np.int64)),
        )
    return out.logits.float().numpy()


@pytest.fixture(scope="module")
def batch() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return padded_batch()


def jit_forward() -> Any:
    """A jitted ``(model, tokens, positions, mask) -> logits`` (one compile per model shape)."""
    from flax import nnx

    @nnx.jit
    def forward(model: Any, tokens: Any, positions: Any, mask: Any) -> Any:
        return model(tokens, positions, attention_mask=mask).logits

    return forward


forward = jit_forward()
