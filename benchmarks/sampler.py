"""Sampler throughput: `JaxSampler` against transformers' `generate` on the same weights.

For two Qwen 2 architecture sizes (vocab 512), 64-token prompts and 128 new tokens, at batch
1, 8 and 32, it measures prefill and decode tokens/s of both, and sets decode against the
memory-bandwidth bound: each decode step must read every weight once plus the KV cache of the
tokens so far, so ``bound tok/s = batch / (bytes per step / read bandwidth)``, with the read
bandwidth measured in the same run by streaming a large array. Beside it, the same decode's
weight matmuls alone (``matmul_only_*``): how fast XLA's CPU dot multiplies these shapes at this
batch, which caps any `jnp.dot` decode below the bandwidth bound on CPUs where the dot kernel,
not memory, is the limit.

    python benchmarks/sampler.py                      # prints one JSON document
    python benchmarks/sampler.py --batches 8 --sizes small
    python benchmarks/sampler.py --batches 8 --sizes small --no-transformers  # JAX engines only

Beside `JaxSampler` (static batch, the whole decode in one device loop) it times the
continuous-batching `EngineSampler` on the same prompts (``engine_*``; prefix reuse off, so
each repeat prefills in full): decode runs in rounds of ``steps_per_round`` steps over a
gathered working set, with host bookkeeping between rounds.

Timing: best of ``--repeats`` warm runs (compilation excluded). EOS is disabled so every row
generates all 128 tokens. transformers' prefill is its ``max_new_tokens=1`` call and its decode
the difference to the full call.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Any

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from agentrl.models import CausalLM, Qwen2Config, save
from agentrl.sampling import JaxSampler, SamplingParams
from agentrl.tokenizer import builtin_tiny_tokenizer

SIZES = {
    "small": dict(hidden_size=256, num_hidden_layers=4, num_attention_heads=4,
                  num_key_value_heads=2, intermediate_size=704),
    "large": dict(hidden_size=512, num_hidden_layers=8, num_attention_heads=8,
                  num_key_value_heads=4, intermediate_size=1408),
}  # fmt: skip
PROMPT_LEN, NEW_TOKENS = 64, 128


class NoEosTokenizer:
    """The tiny tokenizer with no EOS ids, so every row decodes its full budget."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.eos_token_ids: tuple[int, ...] = ()
        self.pad_token_id = inner.pad_token_id

    def decode(self, ids: Any, **kw: Any) -> str:
        return str(self.inner.decode(ids, **kw))


@dataclass
class Timing:
    prefill_s: float
    decode_s: float


def read_bandwidth_gbs(megabytes: int = 512, repeats: int = 5) -> dict[str, float]:
    """Streaming read bandwidth: sum a large float32 array (numpy and jax, best of runs)."""
    n = megabytes * 2**20 // 4
    host = np.ones(n, np.float32)
    dev = jnp.ones(n, jnp.float32)
    total = jax.jit(jnp.sum)
    total(dev).block_until_ready()
    best_np = best_jax = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        host.sum()
        best_np = min(best_np, time.perf_counter() - t)
        t = time.perf_counter()
        total(dev).block_until_ready()
        best_jax = min(best_jax, time.perf_counter() - t)
    nbytes = n * 4
    return {"numpy": nbytes / best_np / 1e9, "jax": nbytes / best_jax / 1e9}


def matmul_floor_s(model: CausalLM, batch: int, steps: int, repeats: int) -> float:
    """Seconds per decode step of the model's weight matmuls alone, at `batch` rows.

    Every linear kernel and the tied output head, multiplied by a ``[batch, in]`` activation in
    one `fori_loop` of `steps`, as the decode does, with nothing else (no attention, norms or
    sampling). It is what XLA's CPU dot reaches on these shapes: the best a decode built from
    `jnp.dot` can do here, set beside the bandwidth bound to show how much of the gap is the
    matmul kernel itself.
    """
    params = nnx.state(model, nnx.Param).flat_state()
    kernels = [x[...] for path, x in params if path[-1] == "kernel"]
    embedding = model.embed_tokens.embedding[...]
    hidden = embedding.shape[1]

    @jax.jit
    def chain(kernels: list[jax.Array], embedding: jax.Array, x_bd: jax.Array) -> jax.Array:
        def body(_: Any, x_bd: jax.Array) -> jax.Array:
            for kernel in kernels:
                fan_in = kernel.shape[0]
                x_bi = jnp.broadcast_to(jnp.mean(x_bd, axis=1, keepdims=True), (batch, fan_in))
                # The mean over every output column keeps XLA from computing only a slice.
                x_bd = x_bd + 1e-3 * jnp.mean(x_bi @ kernel, axis=1, keepdims=True)
            logits_bv = jax.lax.dot_general(x_bd, embedding, (((1,), (1,)), ((), ())))
            return x_bd + 1e-3 * jnp.mean(logits_bv, axis=1, keepdims=True)

        return jax.lax.fori_loop(0, steps, body, x_bd)

    x_bd = jnp.ones((batch, hidden), jnp.float32)
    chain(kernels, embedding, x_bd).block_until_ready()  # compile
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        chain(kernels, embedding, x_bd).block_until_ready()
        best = min(best, time.perf_counter() - t)
    return best / steps


def decode_bytes_per_step(config: Qwen2Config, batch: int, param_bytes: int) -> float:
    """Weights once, plus the K and V of every cached token, averaged over the decode."""
    mean_context = PROMPT_LEN + NEW_TOKENS / 2
    kv_per_token = 2 * config.num_hidden_layers * config.num_key_value_heads * config.head_dim * 4
    return param_bytes + batch * mean_context * kv_per_token


def time_jax(sampler: JaxSampler, prompts: list[list[int]], repeats: int) -> Timing:
    params = SamplingParams(temperature=1.0, max_tokens=NEW_TOKENS, seed=0)
    sampler.generate(prompts, params)  # compile
    best = Timing(float("inf"), float("inf"))
    for _ in range(repeats):
        out = sampler.generate(prompts, params)
        if any(len(c[0].token_ids) != NEW_TOKENS for c in out):
            raise RuntimeError("a row stopped early; the benchmark needs full-length rows")
        stats = sampler.last_stats
        best = Timing(
            min(best.prefill_s, stats["prefill_s"]), min(best.decode_s, stats["decode_s"])
        )
    return best


def engine_sampler(model: CausalLM, tokenizer: Any) -> Any:
    from agentrl.sampling.engine_sampler import EngineSampler

    return EngineSampler(
        model, tokenizer, max_context=PROMPT_LEN + NEW_TOKENS, num_slots=64, prefix_reuse=False
    )


def time_transformers(model: Any, prompts: list[list[int]], repeats: int) -> Timing:
    import torch

    ids = torch.tensor(prompts)
    kwargs = dict(attention_mask=torch.ones_like(ids), do_sample=True, eos_token_id=None,
                  pad_token_id=0, use_cache=True)  # fmt: skip

    def run(new: int) -> float:
        t = time.perf_counter()
        with torch.no_grad():
            out = model.generate(ids, max_new_tokens=new, min_new_tokens=new, **kwargs)
        if out.shape[1] != ids.shape[1] + new:
            raise RuntimeError(f"transformers generated {out.shape[1] - ids.shape[1]} tokens")
        return time.perf_counter() - t

    run(NEW_TOKENS)  # warm up
    one = min(run(1) for _ in range(repeats))
    full = min(run(NEW_TOKENS) for _ in range(repeats))
    return Timing(one, max(full - one, 1e-9))


def bench_size(
    name: str, batches: list[int], repeats: int, bandwidth: float, hf: bool = True
) -> dict[str, Any]:

    tokenizer = builtin_tiny_tokenizer()
    size = SIZES[name]
    head_dim = size["hidden_size"] // size["num_attention_heads"]
    config = Qwen2Config(
        vocab_size=512, head_dim=head_dim, max_position_embeddings=1024, tie_word_embeddings=True,
        **size,
    )  # fmt: skip
    model = CausalLM(config, rngs=nnx.Rngs(0))
    param_bytes = sum(
        x.size * x.dtype.itemsize for x in jax.tree.leaves(nnx.state(model, nnx.Param))
    )
    hf_model = None
    if hf:
        import torch
        import transformers

        with tempfile.TemporaryDirectory() as folder:
            save(model, tokenizer, folder)
            hf_model = transformers.AutoModelForCausalLM.from_pretrained(
                folder, dtype=torch.float32
            )
        hf_model.eval()
    sampler = JaxSampler(model, NoEosTokenizer(tokenizer), max_context=PROMPT_LEN + NEW_TOKENS)
    engine = engine_sampler(model, NoEosTokenizer(tokenizer))
    rng = np.random.default_rng(0)
    rows = []
    for batch in batches:
        prompts = rng.integers(3, 512, size=(batch, PROMPT_LEN)).tolist()
        ours = time_jax(sampler, prompts, repeats)
        continuous = time_jax(engine, prompts, repeats)
        bound = batch / (decode_bytes_per_step(config, batch, param_bytes) / (bandwidth * 1e9))
        decode = batch * (NEW_TOKENS - 1) / ours.decode_s
        engine_decode = batch * (NEW_TOKENS - 1) / continuous.decode_s
        row: dict[str, Any] = {
            "batch": batch,
            "jax_prefill_tok_s": round(batch * PROMPT_LEN / ours.prefill_s),
            "jax_decode_tok_s": round(decode),
            "engine_prefill_tok_s": round(batch * PROMPT_LEN / continuous.prefill_s),
            "engine_decode_tok_s": round(engine_decode),
            "engine_decode_vs_jax": round(engine_decode / decode, 3),
            "bandwidth_bound_decode_tok_s": round(bound),
            "fraction_of_bound": round(decode / bound, 3),
        }
        if hf_model is None:
            rows.append(row)
            print(json.dumps({"size": name, **rows[-1]}), file=sys.stderr, flush=True)
            continue
        theirs = time_transformers(hf_model, prompts, repeats)
        floor = batch / matmul_floor_s(model, batch, NEW_TOKENS - 1, repeats)
        rows.append({
            **row,
            "transformers_prefill_tok_s": round(batch * PROMPT_LEN / theirs.prefill_s),
            "transformers_decode_tok_s": round(batch * (NEW_TOKENS - 1) / theirs.decode_s),
            "decode_speedup_vs_transformers": round(theirs.decode_s / ours.decode_s, 2),
            "matmul_only_decode_tok_s": round(floor),
            "matmul_only_fraction_of_bound": round(floor / bound, 3),
            "fraction_of_matmul_only": round(decode / floor, 3),
        })  # fmt: skip
        print(json.dumps({"size": name, **rows[-1]}), file=sys.stderr, flush=True)  # progress
    return {
        "size": name,
        "config": SIZES[name],
        "parameters": int(param_bytes // 4),
        "compilations": sampler.num_compilations,
        "engine_compilations": engine.num_compilations,
        "results": rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=list(SIZES), choices=list(SIZES))
    parser.add_argument("--batches", nargs="+", type=int, default=[1, 8, 32])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-transformers", action="store_true", help="time the JAX engines only")
    args = parser.parse_args()

    bandwidth = read_bandwidth_gbs()
    best = max(bandwidth.values())
    report = {
        "benchmark": "sampler",
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(),
                    "jax_backend": jax.default_backend()},
        "prompt_tokens": PROMPT_LEN,
        "new_tokens": NEW_TOKENS,
        "read_bandwidth_gb_s": {k: round(v, 2) for k, v in bandwidth.items()},
        "sizes": [
            bench_size(s, args.batches, args.repeats, best, not args.no_transformers)
            for s in args.sizes
        ],
    }  # fmt: skip
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
