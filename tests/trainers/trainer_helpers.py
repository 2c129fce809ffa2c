"""Helpers for the trainer tests: a tiny Qwen2-architecture model and fixed data.

(A plain module, not a conftest: `from conftest import` would be ambiguous across test areas.)
"""

from __future__ import annotations

import numpy as np

VOCAB = 64


def make_model(seed: int = 0, **overrides):
    """A ~20k-parameter Qwen2 model (dims divisible by 2 so tp=2 and fsdp=2 split it)."""
    from flax import nnx

    from agentrl.models.qwen2 import Qwen2Config
    from agentrl.models.transformer import CausalLM

    dims = dict(
        vocab_size=VOCAB, hidden_size=32, intermediate_size=48, num_hidden_layers=1,
        num_attention_heads=4, num_key_value_heads=2, head_dim=8,
    )  # fmt: skip
    return CausalLM(Qwen2Config.tiny(**{**dims, **overrides}), rngs=nnx.Rngs(seed))


def random_sequences(rows: int, seed: int = 0, min_len: int = 6, max_len: int = 15):
    """Token ids with a prompt (mask 0) then a response (mask 1), ragged lengths."""
    rng = np.random.default_rng(seed)
    ids, masks = [], []
    for _ in range(rows):
        n = int(rng.integers(min_len, max_len + 1))
        prompt = int(rng.integers(2, n - 2))
        ids.append(rng.integers(1, VOCAB, size=n).tolist())
        masks.append([0] * prompt + [1] * (n - prompt))
    return ids, masks


def params_changed(before, after):
    """Paths of trainable leaves whose values did not change."""
    import jax

    same = []
    flat_b = jax.tree_util.tree_flatten_with_path(before)[0]
    flat_a = jax.tree.leaves(after)
    for (path, b), a in zip(flat_b, flat_a):
        if np.array_equal(np.asarray(b), np.asarray(a)):
            same.append(jax.tree_util.keystr(path))
    return same


def make_trajectories(groups: int, group_size: int, seed: int = 0, env_tokens: bool = False):
    """Rollout-like trajectories: a prompt, a policy span (optionally an env span and a second
    policy span), rewards that differ inside each group, sampler logprobs of -1.0."""
    from agentrl.trajectory import Span, Trajectory

    rng = np.random.default_rng(seed)
    out = []
    for g in range(groups):
        prompt = rng.integers(1, VOCAB, size=int(rng.integers(3, 6))).tolist()
        for k in range(group_size):
            parts = [
                ("prompt", prompt),
                ("policy", rng.integers(1, VOCAB, size=int(rng.integers(2, 7))).tolist()),
            ]
            if env_tokens:
                parts += [
                    ("env", rng.integers(1, VOCAB, size=3).tolist()),
                    ("policy", rng.integers(1, VOCAB, size=2).tolist()),
                ]
            ids, mask, lps, spans = [], [], [], []
            for role, toks in parts:
                spans.append(Span(role=role, start=len(ids), end=len(ids) + len(toks), turn=0))
                ids += toks
                mask += [int(role == "policy")] * len(toks)
                lps += [-1.0 if role == "policy" else 0.0] * len(toks)
            out.append(Trajectory(
                env_id="test-v0", group_id=f"g{g}", token_ids=ids, loss_mask=mask, logprobs=lps,
                spans=spans, reward=float((k + g) % 3 == 0) + 0.1 * k,
            ))  # fmt: skip
    for t in out:
        t.validate_invariants()
    return out
