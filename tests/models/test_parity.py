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
