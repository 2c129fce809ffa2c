"""Training forward+backward throughput and model FLOP utilization (MFU) of the NNX models.

    python benchmarks/forward.py [--batch 8] [--seq 256] [--steps 10] [--dtype float32]

For two Qwen2-architecture sizes (hidden 256 / 4 layers / 4 heads / 2 KV heads / MLP 704, and
hidden 512 / 8 / 8 / 4 / 1408; vocab 512) it times a jitted next-token cross-entropy loss and its
gradient with respect to every parameter, and prints one JSON object. MFU divides the model's
training FLOPs (6 x matmul parameters x tokens, plus 12 x layers x T x heads x head_dim per
token for attention scores and values) by a matmul peak measured in the same run (a square
float32 ``jnp.dot``), so the number means "fraction of what this machine's matmuls reach".
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from typing import Any

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax
import jax.numpy as jnp
import optax
from flax import nnx

from agentrl.models import CausalLM, Qwen2Config

# name -> (hidden, layers, heads, kv heads, MLP width)
SIZES = {"small": (256, 4, 4, 2, 704), "large": (512, 8, 8, 4, 1408)}


def best_time(fn: Any, repeats: int) -> float:
    """Fastest of `repeats` timed calls (after one warm-up), in seconds."""
    jax.block_until_ready(fn())
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        jax.block_until_ready(fn())
        times.append(time.perf_counter() - start)
    return min(times)


def matmul_peak(n: int, dtype: Any, repeats: int) -> float:
    """FLOP/s of a jitted ``[n, n] @ [n, n]`` matmul."""
    a = jax.random.normal(jax.random.key(0), (n, n), dtype)
    b = jax.random.normal(jax.random.key(1), (n, n), dtype)
    dot = jax.jit(jnp.dot)
    return 2 * n**3 / best_time(lambda: dot(a, b), repeats)


def training_flops_per_token(config: Qwen2Config, seq: int) -> float:
    c = config
    per_layer = c.hidden_size * c.head_dim * (2 * c.num_attention_heads + 2 * c.num_key_value_heads)
    per_layer += 3 * c.hidden_size * c.intermediate_size
    matmul_params = c.num_hidden_layers * per_layer + c.hidden_size * c.vocab_size  # + output head
    attention = 12 * c.num_hidden_layers * seq * c.num_attention_heads * c.head_dim
    return 6 * matmul_params + attention


def bench_size(name: str, args: argparse.Namespace, dtype: Any) -> dict[str, Any]:
    hidden, layers, heads, kv_heads, mlp = SIZES[name]
    config = Qwen2Config.tiny(
        vocab_size=512, hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=heads,
        num_key_value_heads=kv_heads, intermediate_size=mlp, head_dim=hidden // heads,
    )  # fmt: skip
    model = CausalLM(config, rngs=nnx.Rngs(0), dtype=dtype, param_dtype=jnp.float32)
    tokens = jax.random.randint(jax.random.key(0), (args.batch, args.seq + 1), 0, 512)

    def loss_fn(model: CausalLM, tokens: jax.Array) -> jax.Array:
        logits = model(tokens[:, :-1]).logits
        return optax.softmax_cross_entropy_with_integer_labels(logits, tokens[:, 1:]).mean()

    @nnx.jit
    def step(model: CausalLM, tokens: jax.Array) -> tuple[jax.Array, Any]:
        return nnx.value_and_grad(loss_fn)(model, tokens)

    seconds = best_time(lambda: step(model, tokens), args.steps)
    n_tokens = args.batch * args.seq
    flops = training_flops_per_token(config, args.seq) * n_tokens
    return {
        "parameters": config.num_parameters(),
        "tokens_per_step": n_tokens,
        "step_seconds": round(seconds, 5),
        "tokens_per_s": round(n_tokens / seconds, 1),
        "model_tflops_per_s": round(flops / seconds / 1e12, 4),
        "flops": flops,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--seq", type=int, default=256)
    parser.add_argument("--steps", type=int, default=10, help="timed repetitions (best taken)")
    parser.add_argument("--dtype", default="float32", choices=["float32", "bfloat16"])
    parser.add_argument("--peak-n", type=int, default=2048, help="side of the peak matmul")
    args = parser.parse_args()
    dtype = jnp.dtype(args.dtype)
    peak = matmul_peak(args.peak_n, dtype, args.steps)
    results = {name: bench_size(name, args, dtype) for name in SIZES}
    for r in results.values():
        r["mfu"] = round(r.pop("flops") / r["step_seconds"] / peak, 4)
    report = {
        "benchmark": "forward_backward",
        "backend": jax.default_backend(),
        "devices": jax.device_count(),
        "cpu_count": os.cpu_count(),
        "machine": platform.machine(),
        "dtype": args.dtype,
        "batch": args.batch,
        "seq": args.seq,
        "matmul_peak_tflops_per_s": round(peak / 1e12, 4),
        "sizes": results,
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
