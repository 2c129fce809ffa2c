"""The model call contract: cached decode equals the full forward; the tiny model; presets."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import HF_CONFIGS, forward, padded_batch
from flax import nnx

import agentrl.models as M
from agentrl.errors import ModelError, UnknownIdError
from agentrl.models.registry import presets


def random_model(model_type: str, seed: int = 0) -> M.CausalLM:
    config = M.FAMILIES[model_type].from_hf(HF_CONFIGS[model_type])
    model = M.CausalLM(config, rngs=nnx.Rngs(seed))
    state = nnx.state(model, nnx.Param)
    keys = iter(jax.random.split(jax.random.key(seed), len(jax.tree.leaves(state))))
    nnx.update(
        model, jax.tree.map(lambda x: x + 0.2 * jax.random.normal(next(keys), x.shape), state)
    )
    return model


@pytest.mark.parametrize("model_type", ["qwen2", "gemma2"])
def test_cached_decode_equals_full_forward(model_type: str) -> None:
    """Prefill 7 left-padded columns, decode the other 4 one by one: same logits as one pass."""
    model = random_model(model_type)
    tokens, mask, positions = (jnp.asarray(a) for a in padded_batch())
    b, t = tokens.shape
    full = forward(model, tokens, positions, mask)
    slots = 16
    mask_bs = jnp.zeros((b, slots), bool).at[:, :t].set(mask)
    cache = model.init_cache(b, slots)
    prefill = 7
    out = step(model, tokens[:, :prefill], positions[:, :prefill], mask_bs, cache, jnp.int32(0))
    steps = [out.logits]
    for i in range(prefill, t):
        col = slice(i, i + 1)
        out = step(model, tokens[:, col], positions[:, col], mask_bs, out.cache, jnp.int32(i))
        steps.append(out.logits)
    cached = jnp.concatenate(steps, axis=1)
    real = np.asarray(mask)
    np.testing.assert_allclose(np.asarray(cached)[real], np.asarray(full)[real], atol=1e-5, rtol=0)
    kv_heads = model.config.num_key_value_heads
    assert out.cache is not None
    assert out.cache[0].k.shape == (b, kv_heads, 14, slots)  # keys slot-minor
    assert out.cache[0].v.shape == (b, kv_heads, slots, 14)


@pytest.mark.parametrize("model_type", ["qwen2", "gemma2"])  # untied and tied-with-softcap heads
def test_last_logits_only_is_the_last_column_of_the_full_logits(model_type: str) -> None:
    model = random_model(model_type)
    tokens, mask, positions = (jnp.asarray(a) for a in padded_batch())
    full = model(tokens, positions, attention_mask=mask)
    last = model(tokens, positions, attention_mask=mask, last_logits_only=True)
    assert last.logits.shape == (tokens.shape[0], 1, model.config.vocab_size)
    np.testing.assert_array_equal(np.asarray(last.hidden), np.asarray(full.hidden))
    np.testing.assert_allclose(
        np.asarray(last.logits), np.asarray(full.logits[:, -1:]), atol=1e-6, rtol=0
    )


@nnx.jit
def step(model, tokens, positions, mask, cache, index):  # type: ignore[no-untyped-def]
    """One jitted cached call with a traced cache_index (how a sampler calls it)."""
    return model(tokens, positions, attention_mask=mask, cache=cache, cache_index=index)


def test_cache_keeps_earlier_slots() -> None:
    model = random_model("qwen2")
    cache = model.init_cache(2, 8)
    mask = jnp.ones((2, 8), bool)
    tokens = jnp.array([[5, 6, 7], [8, 9, 10]], jnp.int32)
    pos = jnp.broadcast_to(jnp.arange(3), (2, 3))
    out = step(model, tokens, pos, mask, cache, jnp.int32(0))
    out2 = step(model, tokens[:, :1], pos[:, :1] + 3, mask, out.cache, jnp.int32(3))
    assert out2.logits.shape == (2, 1, model.config.vocab_size)
    assert out2.logits.dtype == jnp.float32
    np.testing.assert_array_equal(
        np.asarray(out2.cache[0].k[..., :3]), np.asarray(out.cache[0].k[..., :3])
    )
    np.testing.assert_array_equal(
        np.asarray(out2.cache[0].v[:, :, :3]), np.asarray(out.cache[0].v[:, :, :3])
    )


def test_tiny_model_matches_its_tokenizer() -> None:
    from agentrl.models.tiny import tiny_model

    model, tokenizer = tiny_model(seed=0)
    params = sum(x.size for x in jax.tree.leaves(nnx.state(model, nnx.Param)))
    assert 500_000 <= params <= 1_000_000
    assert params == model.config.num_parameters()
    assert model.config.vocab_size == tokenizer.vocab_size
    ids = tokenizer.encode("hello")
    out = model(jnp.asarray([ids]), jnp.arange(len(ids))[None])
    assert out.logits.shape == (1, len(ids), tokenizer.vocab_size)
    assert out.hidden.shape == (1, len(ids), model.config.hidden_size)
    assert bool(jnp.isfinite(out.logits).all())


def test_tiny_seed_changes_weights() -> None:
    from agentrl.models.tiny import tiny_config, tiny_model_from_config

    a = tiny_model_from_config(tiny_config(), seed=0)
    b = tiny_model_from_config(tiny_config(), seed=1)
    assert not np.allclose(
        np.asarray(a.embed_tokens.embedding[...]), np.asarray(b.embed_tokens.embedding[...])
    )


# Parameter counts published on the model cards / safetensors indexes.
PUBLISHED_SIZES = {
    "qwen2.5-0.5b": 494_032_768,
    "qwen3-0.6b": 596_049_920,
    "llama3.2-1b": 1_235_814_400,
    "llama3.1-8b": 8_030_261_248,
    "gemma-2b": 2_506_172_416,
    "gemma2-2b": 2_614_341_888,
    "gemma3-1b": 999_885_952,
}


def test_every_preset_round_trips_config_json() -> None:
    assert len(presets.ids()) >= 20
    for preset_id in presets.ids():
        config = presets.make(preset_id)
        assert M.config_from_hf(config.to_hf()) == config, preset_id
    for preset_id, size in PUBLISHED_SIZES.items():
        assert presets.make(preset_id).num_parameters() == size, preset_id


@pytest.mark.parametrize("preset_id", ["gemma3-tiny", "llama3-tiny", "qwen3-tiny"])
def test_num_parameters_counts_the_built_model(preset_id: str) -> None:
    config = presets.make(preset_id)
    abstract = nnx.eval_shape(lambda: M.CausalLM(config, rngs=nnx.Rngs(0)))
    assert (
        sum(x.size for x in jax.tree.leaves(nnx.state(abstract, nnx.Param)))
        == config.num_parameters()
    )


def test_unknown_preset_and_family_errors() -> None:
    with pytest.raises(UnknownIdError, match=r"qwen2\.5-0\.5b"):
        presets.make("qwen2.5-0.5")
    with pytest.raises(ModelError, match="model_type='mistral'"):
        M.config_from_hf({"model_type": "mistral"})
    with pytest.raises(ModelError, match="num_key_value_heads"):
        M.config_from_hf({**HF_CONFIGS["qwen2"], "num_key_value_heads": 4})


def test_remat_gives_the_same_gradients() -> None:
    config = M.Qwen2Config.tiny(vocab_size=64, hidden_size=32, intermediate_size=48, head_dim=8)
    tokens = jnp.asarray(np.random.default_rng(0).integers(0, 64, size=(2, 9)), jnp.int32)

    def loss(model: M.CausalLM) -> jax.Array:
        return jnp.mean(model(tokens).logits ** 2)

    grads = [
        nnx.jit(nnx.grad(loss))(M.CausalLM(config, rngs=nnx.Rngs(0), remat=remat))
        for remat in ("none", "layer", "dots", True)
    ]
    for other in grads[1:]:
        for a, b in zip(jax.tree.leaves(grads[0]), jax.tree.leaves(other)):
            np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=1e-6, rtol=1e-5)

    def backward(remat: object) -> str:
        graphdef, state = nnx.split(M.CausalLM(config, rngs=nnx.Rngs(0), remat=remat))
        merged = lambda s: jnp.mean(nnx.merge(graphdef, s)(tokens).logits)  # noqa: E731
        return str(jax.make_jaxpr(jax.grad(merged))(state))

    # ... and really recomputes: the backward pass holds a remat region, with the dots policy
    # named where "dots" asks for it.
    assert "remat" not in backward("none")
    assert "remat" in backward("layer") and "DotsSaveable" not in backward("layer")
    assert "DotsSaveable(only_if_no_batch_dims=True)" in backward("dots")
    with pytest.raises(ModelError, match="remat='all'"):
        backward("all")
    # Sampling (a cached forward, never differentiated) runs without remat regions.
    model = M.CausalLM(config, rngs=nnx.Rngs(0), remat="layer")
    graphdef, state = nnx.split(model)
    cache = model.init_cache(2, 16)
    cached = jax.make_jaxpr(lambda s: nnx.merge(graphdef, s)(tokens, cache=cache).logits)(state)
    assert "remat" not in str(cached)


@pytest.mark.parametrize("model_type", ["qwen2", "gemma2"])  # gemma2: sliding window, softcap
def test_attention_by_query_blocks_equals_one_block(model_type: str, monkeypatch) -> None:
    """Long inputs attend a few queries at a time (bounded score memory): same logits, same
    gradients, with and without a cache, a ragged last block included."""
    from agentrl.models import layers

    model = random_model(model_type)
    tokens, mask, positions = (jnp.asarray(a) for a in padded_batch())
    b, t = tokens.shape
    graphdef, params = nnx.split(model)

    def loss(p: nnx.State) -> jax.Array:
        logits = nnx.merge(graphdef, p)(tokens, positions, attention_mask=mask).logits
        return jnp.sum(jnp.where(mask[..., None], jnp.tanh(logits), 0.0))

    def prefill() -> jax.Array:
        mask_bs = jnp.zeros((b, 16), bool).at[:, :t].set(mask)
        cache = model.init_cache(b, 16)
        return model(tokens, positions, attention_mask=mask_bs, cache=cache, cache_index=0).logits

    whole = jax.value_and_grad(loss)(params), prefill()
    heads = model.config.num_attention_heads
    monkeypatch.setattr(layers, "SCORES_PER_BLOCK", 4 * b * heads * 16)  # 4 queries per block
    assert layers.query_block(b, heads, t, 16, layers.SCORES_PER_BLOCK) == 4 < t
    blocked = jax.value_and_grad(loss)(params), prefill()
    real = np.asarray(mask)
    np.testing.assert_allclose(np.asarray(blocked[1])[real], np.asarray(whole[1])[real], atol=1e-5)
    np.testing.assert_allclose(blocked[0][0], whole[0][0], rtol=1e-5)
    for got, want in zip(jax.tree.leaves(blocked[0][1]), jax.tree.leaves(whole[0][1])):
        np.testing.assert_allclose(got, want, atol=1e-4, rtol=1e-4)
