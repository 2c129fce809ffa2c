"""Checkpoint folders: round trips with a tokenizer, sharded files with an index, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import HF_CONFIGS, forward, padded_batch
from flax import nnx

import agentrl.models as M
from agentrl.errors import ModelError
from agentrl.models.tiny import tiny_model


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The tiny model and tokenizer, saved in three shards (with the index)."""
    model, tokenizer = tiny_model(seed=3, num_hidden_layers=2)
    folder = tmp_path_factory.mktemp("tiny")
    M.save(model, tokenizer, folder, max_shard_bytes=600_000)
    return model, tokenizer, folder


def test_round_trip_is_exact(saved) -> None:  # type: ignore[no-untyped-def]
    model, tokenizer, folder = saved
    files = sorted(p.name for p in folder.glob("*.safetensors"))
    assert len(files) >= 2 and (folder / "model.safetensors.index.json").is_file()
    loaded, tok = M.load(folder)
    assert loaded.config == model.config
    for a, b in zip(jax.tree.leaves(nnx.state(model)), jax.tree.leaves(nnx.state(loaded))):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert tok.encode("Hello, world") == tokenizer.encode("Hello, world")
    assert tok.chat_template == tokenizer.chat_template
    generation = json.loads((folder / "generation_config.json").read_text())
    eos = generation["eos_token_id"]
    assert (eos if isinstance(eos, list) else [eos]) == list(tokenizer.eos_token_ids)


def test_load_casts_to_param_dtype(saved) -> None:  # type: ignore[no-untyped-def]
    _, _, folder = saved
    model, _ = M.load(folder, dtype=jnp.bfloat16)
    assert model.layers[0].mlp.up_proj.kernel[...].dtype == jnp.bfloat16
    tokens, mask, positions = (jnp.asarray(a) for a in padded_batch())
    assert forward(model, tokens, positions, mask).dtype == jnp.float32


def test_transformers_reads_the_saved_folder(saved) -> None:  # type: ignore[no-untyped-def]
    import torch
    import transformers

    model, _, folder = saved
    hf = transformers.AutoModelForCausalLM.from_pretrained(folder).eval()
    tokens, mask, positions = padded_batch()
    with torch.no_grad():
        expected = hf(
            input_ids=torch.from_numpy(tokens.astype(np.int64)),
            attention_mask=torch.from_numpy(mask.astype(np.int64)),
            position_ids=torch.from_numpy(positions.astype(np.int64)),
        ).logits.numpy()
    got = np.asarray(forward(model, jnp.asarray(tokens), jnp.asarray(positions), jnp.asarray(mask)))
    np.testing.assert_allclose(got[mask], expected[mask], atol=1e-4, rtol=0)


def _copy(folder: Path, dest: Path) -> Path:
    dest.mkdir()
    for p in folder.iterdir():
        (dest / p.name).write_bytes(p.read_bytes())
    return dest


def test_missing_shard_is_named(saved, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, _, folder = saved
    broken = _copy(folder, tmp_path / "broken")
    last = sorted(broken.glob("model-*.safetensors"))[-1]
    last.unlink()
    with pytest.raises(ModelError, match=last.name):
        M.load(broken)


def test_missing_tensor_is_named(saved, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, _, folder = saved
    broken = _copy(folder, tmp_path / "broken")
    index_path = broken / "model.safetensors.index.json"
    index = json.loads(index_path.read_text())
    del index["weight_map"]["model.layers.1.mlp.down_proj.weight"]
    index_path.write_text(json.dumps(index))
    with pytest.raises(ModelError, match=r"model\.layers\.1\.mlp\.down_proj\.weight"):
        M.load(broken)


def test_bad_folders(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"config\.json"):
        M.load(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps(M.Qwen2Config.tiny().to_hf()))
    with pytest.raises(ModelError, match=r"no \*\.safetensors"):
        M.load(tmp_path)
    (tmp_path / "model.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{")
    with pytest.raises(ModelError, match="not a readable safetensors"):
        M.load(tmp_path)


def test_shape_mismatch_is_named(saved, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, _, folder = saved
    broken = _copy(folder, tmp_path / "broken")
    config = json.loads((broken / "config.json").read_text())
    config["intermediate_size"] += 1
    (broken / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelError, match=r"mlp\.\w+_proj\.weight.*shape"):
        M.load(broken)


@pytest.mark.parametrize(
    ("rope_scaling", "message"),
    [
        ({"rope_type": "longrope", "factor": 2.0}, "unsupported rope_type='longrope'"),
        ({"rope_type": "yarn", "factor": 4.0}, "yarn has no original_max_position_embeddings"),
        ({"type": "yarn", "original_max_position_embeddings": 8}, "yarn has no factor"),
    ],
)
def test_rope_scaling_we_cannot_honour_is_named(rope_scaling: dict, message: str) -> None:
    with pytest.raises(ModelError, match=message):
        M.FAMILIES["qwen2"].from_hf({**HF_CONFIGS["qwen2"], "rope_scaling": rope_scaling})
