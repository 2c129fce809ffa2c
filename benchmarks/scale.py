"""Real width on CPU: two GRPO steps of the real preset on a random Qwen2.5-0.5B-shaped model.

Writes a random Qwen 2.5 0.5B-shaped checkpoint (hidden 896, 24 layers, vocab 151936: 494M
parameters; a Hugging Face folder of config.json, bfloat16 safetensors and a tokenizer.json)
and runs `agentrl train --env deepscaler --model DIR` with the ``deepscaler-hf`` preset shrunk
in rollout size only (2 prompts x 4 samples, 256 new tokens, a 2-problem held-out eval of 16
tokens), in bfloat16 (the preset's default with ``--model``), on 1 CPU device and on 8 fake
CPU devices as ``fsdp 4 x tp 2``. Each run is a fresh process; beside it, ``--plan`` of the
same command gives the plan's figure.

Per run it reports seconds per GRPO step (rollout and update; the first step compiles, so the
second is the steady one) and the process's peak resident memory (ru_maxrss: on CPU every
device's buffers live in this one process, beside the runtime and the compiler's own memory;
``baseline_rss_bytes`` is a process that only imports and starts JAX), beside the plan's
per-device bytes times the devices.

``model.max_context`` is 512 here (the preset's 8192 is what the run could use; 256 new tokens
after a short prompt fill 512): the plan plans full-context rows, so at 8192 its figure would
bound a run whose rows are all short rather than describe it.

    python benchmarks/scale.py                   # 0.5B-shaped, 1 and 8 devices: one JSON
    python benchmarks/scale.py --size tiny       # the same path on the tiny model (seconds)

Timings mean nothing on a loaded machine: run it alone.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("JAX_PLATFORMS", "cpu")

LAYOUTS = {1: {}, 8: {"mesh.data": 1, "mesh.fsdp": 4, "mesh.tp": 2}}


def write_checkpoint(folder: Path, size: str) -> dict[str, Any]:
    """A random checkpoint of the size's shape, in bfloat16, with the built-in tokenizer."""
    import jax.numpy as jnp
    from flax import nnx

    from agentrl.models import CausalLM, Qwen2Config, save
    from agentrl.models.tiny import tiny_tokenizer

    tokenizer = tiny_tokenizer()
    ids = {"eos_token_id": tokenizer.eos_token_ids[0], "pad_token_id": tokenizer.pad_token_id}
    if size == "tiny":
        config = Qwen2Config.tiny(vocab_size=tokenizer.vocab_size, **ids)
    else:  # the published shape; ids past the tokenizer's 512 decode to nothing
        config = Qwen2Config.qwen2_5_0_5b().model_copy(update=ids)
    model = CausalLM(config, rngs=nnx.Rngs(0), dtype=jnp.bfloat16, param_dtype=jnp.bfloat16)
    save(model, tokenizer, folder, dtype=jnp.bfloat16, max_shard_bytes=500 * 2**20)
    return {"num_parameters": config.num_parameters(), "hidden_size": config.hidden_size}


def train_args(folder: Path, run_dir: Path, size: str, layout: dict[str, int]) -> list[str]:
    new_tokens = 16 if size == "tiny" else 256
    sets = {
        "rollout.prompts_per_step": 2,
        "rollout.group_size": 4,
        "rollout.max_concurrency": 8,
        "rollout.max_tokens": new_tokens,
        "model.max_context": 128 if size == "tiny" else 512,
        "eval.num_problems": 2,
        "eval.max_tokens": 16,
        "eval.every": 1000,
        "schedule.max_steps": 2,
        "checkpoint.export_hf": "false",
        "logging.plots": "false",
        "logging.tensorboard": "false",
        **layout,
    }
    args = ["train", "--env", "deepscaler", "--model", str(folder), "--run-dir", str(run_dir)]
    return [*args, "--quiet", *[a for k, v in sets.items() for a in ("--set", f"{k}={v}")]]


def run_agentrl(args: list[str], devices: int) -> tuple[int, int, str, float]:
    """(exit code, peak RSS in bytes, stdout, wall seconds) of ``agentrl ARGS`` in a fresh
    process with `devices` CPU devices."""
    env = {**os.environ, "JAX_PLATFORMS": "cpu"}
    flags = env.get("XLA_FLAGS", "")
    env["XLA_FLAGS"] = f"{flags} --xla_force_host_platform_device_count={devices}".strip()
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out:
        proc = subprocess.Popen([sys.executable, "-m", "agentrl", *args], stdout=out, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read()
    return proc.returncode, usage.ru_maxrss * 1024, text, time.perf_counter() - started


def baseline_rss(devices: int) -> int:
    """Peak RSS of a process that only imports the trainer and starts JAX's CPU client: what
    the run's figure holds besides its buffers and compilations."""
    env = {**os.environ, "JAX_PLATFORMS": "cpu"}
    env["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={devices}"
    code = "import jax, agentrl.train.pipeline; jax.devices()"
    proc = subprocess.Popen([sys.executable, "-c", code], env=env)
    _, _, usage = os.wait4(proc.pid, 0)
    return int(usage.ru_maxrss * 1024)


def step_seconds(run_dir: Path) -> list[dict[str, float]]:
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    keys = ("rollout/seconds", "update/seconds", "time/tokens_per_s")
    return [{k: round(float(r[k]), 3) for k in keys if k in r} for r in rows]


def one_layout(folder: Path, work: Path, size: str, devices: int) -> dict[str, Any]:
    layout = LAYOUTS[devices]
    run_dir = work / f"run-{devices}"
    plan_args = [a for a in train_args(folder, run_dir, size, layout) if a != "--quiet"]
    code, _, text, plan_s = run_agentrl([*plan_args, "--plan"], devices)
    plan = json.loads(text.strip().splitlines()[-1]) if text.strip() else {}
    if code not in (0, 1):
        raise SystemExit(f"agentrl train --plan failed ({code}) for {devices} devices")
    code, rss, _, wall = run_agentrl(train_args(folder, run_dir, size, layout), devices)
    per_device = plan.get("per_device_bytes", 0)
    # A run that fails (-9: the kernel's OOM killer) is a result too: its peak beside the plan.
    failed = {"error": f"agentrl train exited with {code}"} if code != 0 else {}
    return {
        "devices": devices,
        "mesh": layout or None,
        **failed,
        "steps": step_seconds(run_dir) if (run_dir / "metrics.jsonl").is_file() else [],
        "wall_seconds": round(wall, 1),
        "peak_rss_bytes": rss,
        "baseline_rss_bytes": baseline_rss(devices),
        "plan_per_device_bytes": per_device,
        "plan_all_devices_bytes": per_device * devices,
        "plan_peak_program": plan.get("peak_program"),
        "plan_seconds": round(plan_s, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=["0.5b", "tiny"], default="0.5b")
    parser.add_argument("--devices", default="1,8", help="comma-separated: 1, 8 or both")
    parser.add_argument("--work", help="folder for the checkpoint and runs (default: a temp dir)")
    args = parser.parse_args()
    work = Path(args.work or tempfile.mkdtemp(prefix="agentrl-scale-"))
    folder = work / "checkpoint"
    shape = write_checkpoint(folder, args.size)
    results = [one_layout(folder, work, args.size, int(n)) for n in args.devices.split(",")]
    print(json.dumps({"size": args.size, **shape, "runs": results}, indent=1))


if __name__ == "__main__":
    main()
