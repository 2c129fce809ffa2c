"""Target log-probs and entropies computed a few positions at a time equal the one-shot ones,
values and gradients, so a long batch with a large vocabulary never holds all its logits."""

from __future__ import annotations

import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from agentrl.models import CausalLM, Qwen2Config
from agentrl.trainers.logprobs import chunked_token_stats, token_entropy, token_logprobs

B, L, VOCAB = 3, 23, 37  # 23 positions: chunks of 5 leave a ragged last chunk (padding path)


@pytest.fixture(scope="module")
def model() -> CausalLM:
    config = Qwen2Config(
        vocab_size=VOCAB, hidden_size=22, intermediate_size=29, num_hidden_layers=1,
        num_attention_heads=2, num_key_value_heads=1, head_dim=10, tie_word_embeddings=True,
    )  # fmt: skip
    return CausalLM(config, rngs=nnx.Rngs(0))


def _inputs() -> tuple[jax.Array, jax.Array]:
    rng = np.random.default_rng(0)
    tokens = jnp.asarray(rng.integers(0, VOCAB, size=(B, L)), jnp.int32)
    targets = jnp.asarray(rng.integers(0, VOCAB, size=(B, L)), jnp.int32)
    return tokens, targets


def _objective(model: CausalLM, max_logits: int) -> jax.Array:
    """A loss that uses both outputs, the way the GRPO loss with an entropy bonus does."""
    tokens, targets = _inputs()
    hidden = model.hidden(tokens)
    logp, ent = chunked_token_stats(
        model.head, hidden, targets, VOCAB, temperature=0.7, entropy=True, max_logits=max_logits
    )
    assert ent is not None
    weights = jnp.linspace(0.5, 1.5, B * L).reshape(B, L)
    return jnp.sum(weights * (logp - 0.1 * ent))


def test_one_shot_path_is_the_plain_formula(model: CausalLM) -> None:
    tokens, targets = _inputs()
    hidden = model.hidden(tokens)
    logp, ent = chunked_token_stats(model.head, hidden, targets, VOCAB, entropy=True)
    logits = model(tokens).logits
    np.testing.assert_allclose(logp, token_logprobs(logits, targets), atol=1e-6, rtol=0)
    np.testing.assert_allclose(ent, token_entropy(logits), atol=1e-6, rtol=0)
    assert chunked_token_stats(model.head, hidden, targets, VOCAB)[1] is None


@pytest.mark.parametrize("positions_per_chunk", [1, 5, 22])
def test_chunks_give_the_same_values_and_gradients(
    model: CausalLM, positions_per_chunk: int
) -> None:
    max_logits = positions_per_chunk * B * VOCAB
    graphdef, params = nnx.split(model)

    def loss(p: nnx.State, limit: int) -> jax.Array:
        return _objective(nnx.merge(graphdef, p), limit)

    whole, grads_whole = jax.value_and_grad(loss)(params, 10**9)
    chunked, grads_chunked = jax.value_and_grad(loss)(params, max_logits)
    np.testing.assert_allclose(chunked, whole, rtol=1e-6, atol=0)
    flat_whole, flat_chunked = jax.tree.leaves(grads_whole), jax.tree.leaves(grads_chunked)
    assert len(flat_whole) == len(flat_chunked) > 0
    for g_whole, g_chunked in zip(flat_whole, flat_chunked):
        np.testing.assert_allclose(g_chunked, g_whole, atol=1e-5, rtol=1e-5)


def test_no_chunk_holds_more_logits_than_asked(model: CausalLM) -> None:
    """The largest float32 array with a vocabulary axis in the compiled gradient."""
    max_logits = 5 * B * VOCAB
    graphdef, params = nnx.split(model)

    def loss(p: nnx.State) -> jax.Array:
        return _objective(nnx.merge(graphdef, p), max_logits)

    text = jax.jit(jax.grad(loss)).lower(params).compile().as_text()
    sizes = [
        int(np.prod([int(d) for d in dims.split(",")]))
        for dims in re.findall(r"f32\[([\d,]+)\]", text)
        if dims.endswith(f",{VOCAB}")
    ]
    assert sizes and max(sizes) <= max_logits, (max(sizes), max_logits)
    # The same program without chunks does hold the whole batch's logits.
    whole = jax.jit(jax.grad(lambda p: _objective(nnx.merge(graphdef, p), 10**9)))
    assert f"f32[{B},{L},{VOCAB}]" in whole.lower(params).compile().as_text()
