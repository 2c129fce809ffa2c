"""GRPO on one accelerator at real width: tokens/s, model FLOP utilization, peak memory vs plan.

Writes a random checkpoint of the size's published shape (``benchmarks/models/<size>/
config.json``: Qwen2.5-0.5B or -1.5B; ``tiny``: the built-in tiny model, for a CPU check of the
path), plans `agentrl train --env deepscaler --model DIR` with the ``deepscaler-hf`` preset
shrunk in rollout size (``--prompts`` x 8 samples, ``--new-tokens``), then runs it in this
process for ``--steps`` GRPO steps and reports, for the last step (the first ones compile):

- rollout tokens/s (generated tokens over the rollout's seconds) and update tokens/s (the
  batch's policy tokens over the update's seconds; the short prompts are not counted);
- model FLOP utilization: ``2 N`` FLOPs per generated token, ``6 N`` per trained token plus
  ``2 N`` per reference-scored one (N parameters; attention FLOPs left out, as is usual), over
  the device's peak dense bf16 FLOP/s (a table by device kind; None when unknown);
- the device's peak bytes in use (``memory_stats()``; None on CPU) beside the plan's figure.

    python benchmarks/accelerator.py --size 0.5b
    python benchmarks/accelerator.py --size tiny --steps 2    # CPU check
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
# Peak dense bfloat16 FLOP/s by `device_kind` (vendor data sheets).
PEAK_FLOPS = {
    "NVIDIA H100 80GB HBM3": 989e12,
    "NVIDIA H100": 989e12,
    "NVIDIA H200": 989e12,
    "NVIDIA A100-SXM4-80GB": 312e12,
    "NVIDIA A100-SXM4-40GB": 312e12,
    "TPU v4": 275e12,
    "TPU v5 lite": 197e12,
    "TPU v5e": 197e12,
    "TPU v5p": 459e12,
    "TPU v6 lite": 918e12,
}


def write_checkpoint(folder: Path, size: str) -> int:
    """A random bfloat16 checkpoint of `size`'s shape with the built-in tokenizer; returns N."""
    import jax.numpy as jnp
    from flax import nnx

    from agentrl.models import CausalLM, Qwen2Config, read_config, save
    from agentrl.models.tiny import tiny_tokenizer

    tokenizer = tiny_tokenizer()
    ids = {"eos_token_id": tokenizer.eos_token_ids[0], "pad_token_id": tokenizer.pad_token_id}
    if size == "tiny":
        config = Qwen2Config.tiny(vocab_size=tokenizer.vocab_size, **ids)
    else:  # ids past the tokenizer's 512 decode to nothing: the env sees no answer
        config = read_config(HERE / "models" / f"qwen2.5-{size}").model_copy(update=ids)
    model = CausalLM(config, rngs=nnx.Rngs(0), dtype=jnp.bfloat16, param_dtype=jnp.bfloat16)
    save(model, tokenizer, folder, dtype=jnp.bfloat16)
    return config.num_parameters()


def peak_flops() -> float | None:
    import jax

    kind = jax.devices()[0].device_kind
    return next((v for k, v in PEAK_FLOPS.items() if kind.startswith(k)), None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=["tiny", "0.5b", "1.5b"], default="0.5b")
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--prompts", type=int, default=16, help="prompts per step (x 8 samples)")
    parser.add_argument("--new-tokens", type=int, default=1024)
    parser.add_argument("--context", type=int, default=2048, help="model.max_context")
    parser.add_argument("--set", action="append", default=[], help="more config overrides")
    args = parser.parse_args()

    import jax

    from agentrl.config import load_config
    from agentrl.train.config import PRESETS, TrainConfig
    from agentrl.train.pipeline import train
    from agentrl.train.plan import plan

    work = Path(tempfile.mkdtemp(prefix="agentrl-accel-"))
    n = write_checkpoint(work / "checkpoint", args.size)
    tiny = args.size == "tiny"
    overrides = [
        f"model.path={work / 'checkpoint'}",
        f"rollout.prompts_per_step={args.prompts}",
        f"rollout.max_concurrency={args.prompts * 8}",
        f"rollout.max_tokens={16 if tiny else args.new_tokens}",
        f"model.max_context={128 if tiny else args.context}",
        "eval.num_problems=8",
        "eval.max_tokens=16",
        "eval.every=1000",
        f"schedule.max_steps={args.steps}",
        "checkpoint.export_hf=false",
        "logging.plots=false",
        "logging.tensorboard=false",
        "logging.progress=false",
        *args.set,
    ]
    config = load_config(TrainConfig, PRESETS / "deepscaler-hf.yaml", overrides)
    planned = plan(config)
    started = time.perf_counter()
    train(config, run_dir=work / "run")
    wall = time.perf_counter() - started
    rows = [json.loads(x) for x in (work / "run" / "metrics.jsonl").read_text().splitlines()]
    last = rows[-1]
    generated = last["rollout/mean_completion_tokens"] * last["rollout/episodes"]
    trained = last.get("policy_tokens", generated)  # the batch's policy tokens
    rollout_tps = generated / last["rollout/seconds"]
    update_tps = trained / last["update/seconds"]
    peak = peak_flops()
    ref = 2 * n if config.grpo.kl_coef > 0 else 0
    stats = jax.devices()[0].memory_stats() or {}
    out: dict[str, Any] = {
        "size": args.size,
        "num_parameters": n,
        "device": jax.devices()[0].device_kind,
        "backend": jax.default_backend(),
        "steps": len(rows),
        "rollout_tokens_per_s": round(rollout_tps, 1),
        "update_tokens_per_s": round(update_tps, 1),
        "rollout_mfu": None if peak is None else round(2 * n * rollout_tps / peak, 4),
        "update_mfu": None if peak is None else round((6 * n + ref) * update_tps / peak, 4),
        "peak_bytes_in_use": stats.get("peak_bytes_in_use"),
        "bytes_limit": stats.get("bytes_limit"),
        "plan_per_device_bytes": planned["per_device_bytes"],
        "plan_peak_program": planned["peak_program"],
        "plan_breakdown": planned["breakdown"],
        "wall_seconds": round(wall, 1),
        "settings": planned["settings"],
    }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
