"""Memory plans of the `deepscaler-hf` recipe for four published models, from config.json alone.

Each case is `agentrl.train.plan_check.plan_in_subprocess` (what ``agentrl train --plan`` does on a
machine without the run's accelerators): a fresh CPU process with as many fake devices as the
mesh has, compiling the run's programs on abstract shapes. The config.json files in
``benchmarks/models/`` hold the published values (no weights).

    python benchmarks/plans.py                  # all four: a JSON line each, then a table
    python benchmarks/plans.py qwen3-0.6b       # one case

The sharded cases set ``mesh.*`` as a run would (``--set mesh.fsdp=8``).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
GB = 10**9

# name: (config folder, devices, GB per device, mesh axes, --set overrides)
CASES: dict[str, tuple[str, int, int, dict[str, int] | None, list[str]]] = {
    "qwen2.5-1.5b": ("qwen2.5-1.5b", 1, 80, None, []),
    "qwen2.5-7b": (
        "qwen2.5-7b",
        8,
        80,
        {"data": 1, "fsdp": 8, "tp": 1},
        ["update.micro_batch_rows=8"],
    ),
    "llama3.1-8b-qlora": (
        "llama3.1-8b",
        1,
        24,
        None,
        [
            "model.lora={rank: 16, alpha: 32}",
            "model.quantize=nf4",
            "rollout.max_concurrency=8",
            "update.micro_batch_rows=1",
        ],
    ),
    "qwen3-0.6b": (
        "qwen3-0.6b",
        8,
        16,
        {"data": 1, "fsdp": 8, "tp": 1},
        ["update.micro_batch_rows=8"],
    ),
}


def run_case(name: str) -> dict[str, Any]:
    from agentrl.config import load_config
    from agentrl.train.config import PRESETS, TrainConfig
    from agentrl.train.plan_check import plan_in_subprocess

    folder, devices, gb, mesh, sets = CASES[name]
    axes = [f"mesh.{k}={v}" for k, v in (mesh or {}).items()]
    overrides = [f"model.path={HERE / 'models' / folder}", *axes, *sets]
    config = load_config(TrainConfig, PRESETS / "deepscaler-hf.yaml", overrides)
    started = time.perf_counter()
    out = plan_in_subprocess(
        config,
        devices=devices,
        device_memory=gb * GB,
    )
    out["case"] = {"name": name, "devices": devices, "gb_per_device": gb, "mesh": mesh}
    out["case"]["overrides"] = sets
    out["case"]["wall_seconds"] = round(time.perf_counter() - started, 1)
    return out


def table(results: list[dict[str, Any]]) -> str:
    keys = ("parameters", "master_weights", "reference", "optimizer_state", "gradients")
    head = "| case | devices | per-device GB | peak program | " + " | ".join(keys)
    head += " | activations+temps | KV cache | fits |"
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in results:
        b, c = r["breakdown"], r["case"]
        cells = [
            c["name"],
            f"{c['devices']} x {c['gb_per_device']} GB",
            f"{r['per_device_bytes'] / GB:.2f}",
            r["peak_program"],
            *[f"{b[k] / GB:.2f}" for k in keys],
            f"{b['activations_and_temporaries'] / GB:.2f}",
            f"{b['kv_cache'] / GB:.2f}",
            str(r["fits"]),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    names = sys.argv[1:] or list(CASES)
    results = []
    for name in names:
        result = run_case(name)
        print(json.dumps(result), flush=True)
        results.append(result)
    print(table(results))


if __name__ == "__main__":
    main()
