"""Logits parity with transformers, both directions, for every family (float32, 1e-4)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import HF_CONFIGS, forward, hf_logits, hf_random_model
from flax import nnx

import agentrl.models as M

FAMILIES = sorted(HF_CONFIGS)
ATOL = 1e-4


@pytest.fixture(scope="module", params=FAMILIES)
def reference(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """(model_type, transformers model, its save_pretrained folder)."""
    model_type = request.param
    model = hf_random_model(model_type)
    folder = tmp_path_factory.mktemp(f"hf-{model_type}")
    model.save_pretrained(folder)
    return model_type, model, folder


def ours_logits(model: M.CausalLM, batch: Any) -> np.ndarray:
    tokens, mask, positions = batch
    return np.asarray(
        forward(model, jnp.asarray(tokens), jnp.asarray(positions), jnp.asarray(mask))
    )


def test_load_matches_transformers(reference: Any, batch: Any) -> None:
    model_type, hf_model, folder = reference
    model, tokenizer = M.load(folder)
    assert type(model.config) is M.FAMILIES[model_type]
    assert tokenizer is None  # a bare save_pretrained writes no tokenizer
    expected = hf_logits(hf_model, *batch)
    got = ours_logits(model, batch)
    mask = batch[1]
    np.testing.assert_allclose(got[mask], expected[mask], atol=ATOL, rtol=0)


def test_save_loads_in_transformers(reference: Any, batch: Any, tmp_path: Path) -> None:
    import transformers

    model_type, _, _ = reference
    config = M.FAMILIES[model_type].from_hf(HF_CONFIGS[model_type])
    model = M.CausalLM(config, rngs=nnx.Rngs(7))
    # Randomize norms too (they initialize to constants) so a misplaced norm cannot pass.
    state = nnx.state(model, nnx.Param)
    keys = iter(jax.random.split(jax.random.key(3), len(jax.tree.leaves(state))))
    nnx.update(
        model, jax.tree.map(lambda x: x + 0.2 * jax.random.normal(next(keys), x.shape), state)
    )
    M.save(model, None, tmp_path)
    hf_model = transformers.AutoModelForCausalLM.from_pretrained(
        tmp_path, attn_implementation="eager"
    )
    assert type(hf_model).__name__ == config.architecture
    expected = hf_logits(hf_model.eval(), *batch)
    got = ours_logits(model, batch)
    mask = batch[1]
    np.testing.assert_allclose(got[mask], expected[mask], atol=ATOL, rtol=0)


@pytest.mark.parametrize(
    "rope_scaling",
    [
        # Qwen's published form: factor and original context only (the paper's defaults).
        {"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 8},
        # Every optional field, DeepSeek's mscale ratio included.
        {
            "rope_type": "yarn", "factor": 3.0, "original_max_position_embeddings": 64,
            "beta_fast": 16.0, "beta_slow": 2.0, "mscale": 0.9, "mscale_all_dim": 0.5,
            "truncate": False,
        },
    ],
)  # fmt: skip
def test_yarn_rope_matches_transformers_both_ways(
    rope_scaling: dict[str, Any], batch: Any, tmp_path: Path
) -> None:
    import transformers

    extended = int(rope_scaling["factor"] * rope_scaling["original_max_position_embeddings"])
    hf_config = {
        **HF_CONFIGS["qwen3"],
        "rope_scaling": rope_scaling,
        "max_position_embeddings": extended,
    }
    reference = hf_random_model("qwen3", config=hf_config)
    reference.save_pretrained(tmp_path / "hf")
    model, _ = M.load(tmp_path / "hf")
    assert model.config.rope_scaling is not None
    assert model.config.rope_scaling.rope_type == "yarn"
    expected = hf_logits(reference, *batch)
    mask = batch[1]
    np.testing.assert_allclose(ours_logits(model, batch)[mask], expected[mask], atol=ATOL, rtol=0)
    # Without the scaling, the same weights give other logits: the test sees YaRN at work.
    plain = M.FAMILIES["qwen3"].from_hf(HF_CONFIGS["qwen3"])
    unscaled = M.CausalLM(plain, rngs=nnx.Rngs(0))
    nnx.update(unscaled, nnx.state(model, nnx.Param))
    assert np.abs(ours_logits(unscaled, batch)[mask] - expected[mask]).max() > 10 * ATOL
    # Saved here, loaded by transformers: the same scaling, the same logits.
    M.save(model, None, tmp_path / "ours")
    reloaded = transformers.AutoModelForCausalLM.from_pretrained(
        tmp_path / "ours", attn_implementation="eager"
    )
    got = hf_logits(reloaded.eval(), *batch)
    np.testing.assert_allclose(got[mask], expected[mask], atol=ATOL, rtol=0)


def test_multimodal_gemma3_checkpoint_loads_its_text_model(batch: Any, tmp_path: Path) -> None:
    """Gemma 3 4B-27B ship as image-text checkpoints (``model_type: gemma3``, the text config
    nested, tensors under ``language_model.``): `load` keeps the text model, with its logits."""
    import torch
    import transformers

    text = {k: v for k, v in HF_CONFIGS["gemma3_text"].items() if k != "model_type"}
    vision = dict(
        hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2,
        image_size=28, patch_size=14,
    )  # fmt: skip
    config = transformers.Gemma3Config(
        text_config=text, vision_config=vision, mm_tokens_per_image=4,
        image_token_index=130, boi_token_index=128, eoi_token_index=129,
    )  # fmt: skip
    config._attn_implementation = "eager"
    torch.manual_seed(0)
    reference = transformers.Gemma3ForConditionalGeneration(config).eval()
    with torch.no_grad():
        for p in reference.parameters():
            p.copy_(torch.randn_like(p) * 0.2)
    reference.save_pretrained(tmp_path)
    assert M.read_config(tmp_path).model_type == "gemma3_text"
    model, _ = M.load(tmp_path)
    mask = batch[1]
    expected = hf_logits(reference, *batch)
    np.testing.assert_allclose(ours_logits(model, batch)[mask], expected[mask], atol=ATOL, rtol=0)
