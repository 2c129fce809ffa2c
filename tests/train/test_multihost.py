"""`agentrl train` over two processes on localhost (JAX's runtime, CPU collectives over gloo,
2 fake devices each) learns what one process with 4 devices does, resumes after a SIGKILL of
both, and fails with an error naming the value (never a hang) on a bad launch.

The global mesh is data=1 x fsdp=2 x tp=2: fsdp spans the two processes (every update's
all-gathers and gradient reductions cross them), tp the devices within one. Each process
rolls out its half of each step's groups on its own devices and the trajectories are gathered.
The rollouts are greedy (the static sampler folds a row's position within its own call into
its key, so sampled tokens of a split step differ from one process's, though equally valid);
GRPO still updates every step through its entropy bonus, as in tests/train/test_pipeline.py.

The tolerance is the 8-device mesh test's logic (tests/train/test_mesh_cli.py): only the
order of float32 reductions may differ (gloo sums across processes, XLA within one). Measured
here, the largest relative difference of a compared metric over the 4 steps was 7.6e-8;
`RTOL` = 1e-6 is ~13x that, far below the 0.1-1 relative change of a lost all-reduce.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from agentrl.infra.metrics import read_metrics

TINY = [
    "model.tiny.num_hidden_layers=1",
    "model.max_context=96",
    "warm_start.enabled=false",
    "eval.num_problems=8",
    "eval.max_tokens=16",
    "eval.every=100",
    "rollout.temperature=0",
    "rollout.prompts_per_step=8",
    "rollout.group_size=2",
    "rollout.max_tokens=16",
    "schedule.max_steps=4",
    "schedule.time_budget_s=null",
    "schedule.run_budget_s=null",
    "checkpoint.every=2",
    "checkpoint.export_hf=false",
    "logging.plots=false",
    "logging.tensorboard=false",
    "grpo.entropy_coef=0.01",
    "grpo.dynamic_sampling=false",
]
MESH = ["--mesh", "data=1,fsdp=2,tp=2"]
RUN = "import sys; from agentrl.cli import main; sys.exit(main(sys.argv[1:]))"
RTOL = 1e-6  # see the module docstring
COMPARED = ("loss", "pg_loss", "grad_norm", "entropy", "ratio_mean", "reward/mean")
TIMEOUT = 240  # seconds any launch may take before the test calls it a hang


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(base: dict[str, str], devices: int) -> dict[str, str]:
    return {
        **base,
        "XLA_FLAGS": f"--xla_force_host_platform_device_count={devices}",
        "JAX_CPU_COLLECTIVES_IMPLEMENTATION": "gloo",
    }


def _launch(env: dict[str, str], args: list[str], port: int, n: int = 2) -> list[Any]:
    """`n` processes of one run, joined at 127.0.0.1:`port`."""
    procs = []
    for i in range(n):
        flags = ["--coordinator", f"127.0.0.1:{port}", "--num-processes", str(n)]
        flags += ["--process-id", str(i), "--coordinator-timeout", "60"]
        command = [sys.executable, "-c", RUN, *args, *flags]
        procs.append(subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True))
    return procs


def _finish(procs: list[Any]) -> list[str]:
    """Every process's stderr; the first failure kills the rest (which would otherwise wait
    for their dead peer until JAX's heartbeat timeout)."""
    logs = []
    try:
        for proc in procs:
            _, err = proc.communicate(timeout=TIMEOUT)
            assert proc.returncode == 0, err[-3000:]
            logs.append(err)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    return logs


def _train_args(run: Path, *extra: str) -> list[str]:
    sets = [a for kv in TINY for a in ("--set", kv)]
    return ["train", "--env", "deepscaler", "--run-dir", str(run), "--quiet", *MESH, *sets, *extra]


def _summary(run: Path) -> dict[str, Any]:
    return json.loads((run / "summary.json").read_text())


@pytest.fixture(scope="module")
def runs(jax_env: dict[str, str], tmp_path_factory: Any) -> dict[str, Path]:
    """One process with 4 devices, and two with 2 each, side by side."""
    base = tmp_path_factory.mktemp("multihost")
    command = [sys.executable, "-c", RUN, *_train_args(base / "one")]
    one = subprocess.Popen(command, env=_env(jax_env, 4), stderr=subprocess.PIPE, text=True)
    two = _launch(_env(jax_env, 2), _train_args(base / "two"), _free_port())
    _finish([one, *two])
    return {"one": base / "one", "two": base / "two"}


def _compare(a_run: Path, b_run: Path) -> float:
    ra, rb = read_metrics(a_run / "metrics.jsonl"), read_metrics(b_run / "metrics.jsonl")
    assert [r["step"] for r in ra] == [r["step"] for r in rb] == [1, 2, 3, 4]
    worst = 0.0
    for a, b in zip(ra, rb):
        assert a["rollout/mean_completion_tokens"] == b["rollout/mean_completion_tokens"]
        for key in COMPARED:
            np.testing.assert_allclose(b[key], a[key], rtol=RTOL, atol=1e-9, err_msg=key)
            worst = max(worst, abs(b[key] - a[key]) / max(abs(a[key]), 1e-30))
    return worst


def test_two_processes_learn_what_one_process_with_their_devices_does(runs) -> None:
    one, two = _summary(runs["one"]), _summary(runs["two"])
    assert one["num_processes"] == 1 and two["num_processes"] == 2
    assert one["num_devices"] == two["num_devices"] == 4
    assert one["mesh"] == two["mesh"] == {"data": 1, "fsdp": 2, "tp": 2}
    for key in ("eval_before", "eval_after"):
        assert {**two[key], "seconds": 0} == {**one[key], "seconds": 0}, key
    print(f"largest relative difference: {_compare(runs['one'], runs['two']):.2e}")
    # Process 0 alone wrote the run folder: one line per step, no stray files.
    assert len((runs["two"] / "metrics.jsonl").read_text().splitlines()) == 4
    prompts = [(r / "data" / "train_prompts.jsonl").read_text() for r in runs.values()]
    assert prompts[0] == prompts[1]


def test_a_killed_two_process_run_resumes(runs, jax_env: dict[str, str], tmp_path: Path) -> None:
    run, env = tmp_path / "run", _env(jax_env, 2)
    procs = _launch(env, _train_args(run), _free_port())
    marker = run / "checkpoints" / "2" / "_CHECKPOINT_METADATA"
    deadline = time.monotonic() + TIMEOUT
    while not marker.exists() and all(p.poll() is None for p in procs):
        assert time.monotonic() < deadline, "no checkpoint of step 2 in time"
        time.sleep(0.05)
    for proc in procs:
        proc.send_signal(signal.SIGKILL)
    assert [p.wait() for p in procs] == [-signal.SIGKILL] * 2, "the run ended before the kill"
    assert "eval_after" not in _summary(run)
    resume = ["train", "--resume", str(run), "--quiet"]
    logs = _finish(_launch(env, resume, _free_port()))
    assert "resuming" in logs[0] and "at grpo step" in logs[0], logs[0][-2000:]
    _compare(runs["two"], run)
    after, want = _summary(run)["eval_after"], _summary(runs["two"])["eval_after"]
    assert {**after, "seconds": 0} == {**want, "seconds": 0}


def test_bad_launches_are_errors_naming_the_value(jax_env: dict[str, str], tmp_path: Path) -> None:
    env = _env(jax_env, 2)
    args = [sys.executable, "-c", RUN, "train", "--run-dir", str(tmp_path / "r"), "--quiet"]
    cases = [
        (["--coordinator", "127.0.0.1:1", "--num-processes", "2", "--process-id", "2"],
         "got --process-id=2, need 0 <= id < --num-processes=2"),
        (["--coordinator", f"127.0.0.1:{_free_port()}", "--num-processes", "2",
          "--process-id", "1", "--coordinator-timeout", "2"],
         "no coordinator answered at 127.0.0.1:"),
        (["--num-processes", "2"], "got --num-processes without --coordinator, --process-id"),
    ]  # fmt: skip
    for flags, message in cases:
        started = time.monotonic()
        proc = subprocess.run([*args, *flags], env=env, capture_output=True, text=True, timeout=60)
        assert proc.returncode == 2 and message in proc.stderr, (flags, proc.stderr[-2000:])
        assert time.monotonic() - started < 45  # the 2 s timeout, not a hang
