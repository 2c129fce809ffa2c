"""`agentrl train --mesh data=2,fsdp=2,tp=2` on 8 fake CPU devices learns what one device does.

Both runs are the same tiny GRPO run (a 2-step warm-start, 3 GRPO steps of 4 prompts x 2, a
held-out eval before and after), each in its own process: one with a single CPU device, one
with ``XLA_FLAGS=--xla_force_host_platform_device_count=8`` and a 2 x 2 x 2 mesh, so every
parameter, optimizer moment, batch and KV cache is split over data, fsdp and tp.

The tolerance. Sharding changes only the order of float32 reductions (a tp-split matmul sums
partial products across devices, fsdp all-reduces gradients). Measured on this run, the
largest relative difference of a compared metric (losses, gradient norms, entropy, ratios,
over the warm-start and the 3 GRPO steps) was 7.5e-8 and 1.5e-7 in two runs: about one float32
rounding (epsilon 1.2e-7). `RTOL` = 2e-6 is ~13x that, and far below what a real bug moves:
the same run with 16 rows split into 4 minibatches padded out over the mesh (fewer, larger
optimizer steps) differed by 12% in grad_norm at the first step. Sampled tokens and greedy
evals compare exactly: a 1e-7 difference in the logits flips a token only at an exact tie,
which these runs do not hit.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from agentrl.infra.metrics import read_metrics

TINY = [
    "model.tiny.num_hidden_layers=1",
    "model.max_context=96",
    "warm_start.max_steps=2",
    "warm_start.eval_every=100",
    "warm_start.pool_size=16",
    "warm_start.batch_size=8",
    "eval.num_problems=8",
    "eval.max_tokens=16",
    "eval.every=100",
    "rollout.prompts_per_step=8",
    "rollout.group_size=2",
    "rollout.max_tokens=16",
    "schedule.max_steps=3",
    "schedule.time_budget_s=null",
    "checkpoint.every=100",
    "checkpoint.export_hf=false",
    "logging.plots=false",
    "logging.tensorboard=false",
    "grpo.entropy_coef=0.01",
    "grpo.dynamic_sampling=false",
]
RUN = "import sys; from agentrl.cli import main; sys.exit(main(sys.argv[1:]))"
RTOL = 2e-6  # see the module docstring
# The metrics computed from the weights (the rest are counts, timings or sampled rewards).
COMPARED = ("loss", "pg_loss", "grad_norm", "grad_norm_last", "entropy", "ratio_mean")


def _train(env: dict[str, str], devices: int, run: Path, *extra: str) -> dict[str, Any]:
    env = {**env, "XLA_FLAGS": f"--xla_force_host_platform_device_count={devices}"}
    sets = [a for kv in TINY for a in ("--set", kv)]
    args = ["train", "--env", "deepscaler", "--run-dir", str(run), "--quiet", *sets, *extra]
    proc = subprocess.run(
        [sys.executable, "-c", RUN, *args], env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads((run / "summary.json").read_text())


@pytest.fixture(scope="module")
def runs(jax_env: dict[str, str], tmp_path_factory: Any) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("mesh")
    _train(jax_env, 1, base / "one")
    _train(jax_env, 8, base / "mesh", "--mesh", "data=2,fsdp=2,tp=2")
    return base / "one", base / "mesh"


def test_a_2x2x2_mesh_gives_the_losses_and_eval_of_one_device(runs: tuple[Path, Path]) -> None:
    one, mesh = runs
    s1, s8 = (json.loads((r / "summary.json").read_text()) for r in runs)
    assert s1["mesh"] == {"data": 1, "fsdp": 1, "tp": 1} and s1["num_devices"] == 1
    assert s8["mesh"] == {"data": 2, "fsdp": 2, "tp": 2} and s8["num_devices"] == 8
    assert s8["num_processes"] == 1
    for key in ("eval_before", "eval_after"):
        assert s8[key]["accuracy"] == s1[key]["accuracy"], key
        assert s8[key]["mean_tokens"] == s1[key]["mean_tokens"], key
    r1, r8 = read_metrics(one / "metrics.jsonl"), read_metrics(mesh / "metrics.jsonl")
    assert [r["step"] for r in r8] == [r["step"] for r in r1] == [1, 2, 3]
    worst = 0.0
    for a, b in zip(r1, r8):
        assert b["rollout/mean_completion_tokens"] == a["rollout/mean_completion_tokens"]
        assert b["reward/mean"] == a["reward/mean"]
        for key in COMPARED:
            np.testing.assert_allclose(b[key], a[key], rtol=RTOL, atol=1e-9, err_msg=key)
            worst = max(worst, abs(b[key] - a[key]) / max(abs(a[key]), 1e-30))
    w1, w8 = read_metrics(one / "warmstart.jsonl"), read_metrics(mesh / "warmstart.jsonl")
    assert len(w8) == len(w1) == 2
    for a, b in zip(w1, w8):
        np.testing.assert_allclose(b["loss"], a["loss"], rtol=RTOL, err_msg="warm-start loss")
        worst = max(worst, abs(b["loss"] - a["loss"]) / abs(a["loss"]))
    print(f"largest relative difference of a compared metric: {worst:.2e}")


def test_a_mesh_that_cannot_split_the_model_is_an_error_naming_it(
    jax_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**jax_env, "XLA_FLAGS": "--xla_force_host_platform_device_count=8"}
    cases = [
        # the tiny model has 4 attention heads and 2 KV heads
        ("fsdp=2,tp=4", "mesh.tp=4, which does not divide the model's num_key_value_heads=2"),
        ("data=3,tp=-1", "do not divide the 8 available devices"),
        ("data=2,fsdp=2", "= 4 devices, but 8 are available"),
        ("pp=2", "unknown axis 'pp'"),
        # 8 x 2 = 16 rows cannot make 4 minibatches split over data x fsdp = 8
        ("data=8", "= 16 rows per step, which do not split into grpo.num_minibatches=4"),
    ]
    for flag, message in cases:
        proc = subprocess.run(
            [sys.executable, "-c", RUN, "train", "--run-dir", str(tmp_path / flag),
             "--mesh", flag, *[a for kv in TINY for a in ("--set", kv)]],
            env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert proc.returncode != 0 and message in proc.stderr, (flag, proc.stderr[-2000:])
        assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
