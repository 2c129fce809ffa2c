"""``rollout.backend: server`` end to end, as users run it (`agentrl train` in a subprocess, its
`agentrl serve` processes launched by the run): ``max_staleness: 0`` is the local synchronous
run step for step; a launched server killed mid-run is restarted and the run completes; every
endpoint down past ``rollout.down_timeout_s`` stops the run with a clear error and an intact
checkpoint."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

RUN = "import sys; from agentrl.cli import main; sys.exit(main(sys.argv[1:]))"
TINY = [
    "model.tiny.num_hidden_layers=1",
    "model.max_context=96",
    "warm_start.enabled=false",
    "eval.num_problems=4",
    "eval.max_tokens=8",
    "eval.every=100",
    "rollout.prompts_per_step=2",
    "rollout.group_size=4",
    "rollout.max_tokens=16",
    "schedule.time_budget_s=null",
    "grpo.entropy_coef=0.01",  # untrained rewards are all 0: every step still moves
    "grpo.dynamic_sampling=false",
    "logging.plots=false",
    "checkpoint.export_hf=false",
]
TIMING = ("time", "rollout/seconds", "update/seconds", "rollout/tokens_per_s")


def _start(env: dict[str, str], run_dir: Path, *sets: str) -> subprocess.Popen[str]:
    args = ["train", "--env", "deepscaler", "--run-dir", str(run_dir)]
    for kv in (*TINY, *sets):
        args += ["--set", kv]
    return subprocess.Popen(
        [sys.executable, "-c", RUN, *args], env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip


def _finish(proc: subprocess.Popen[str], timeout: float = 600) -> tuple[int, str]:
    _, err = proc.communicate(timeout=timeout)
    return proc.returncode, err


def _metrics(run: Path) -> list[dict[str, Any]]:
    path = run / "metrics.jsonl"
    return [json.loads(x) for x in path.read_text().splitlines()] if path.is_file() else []


def _wait_for_steps(run: Path, proc: subprocess.Popen[str], n: int) -> None:
    deadline = time.monotonic() + 400
    while len(_metrics(run)) < n:
        assert proc.poll() is None, proc.communicate()[1][-3000:]
        assert time.monotonic() < deadline, "the run made no progress"
        time.sleep(0.2)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_max_staleness_0_is_the_local_synchronous_run(jax_env, tmp_path):
    local = _start(jax_env, tmp_path / "local", "schedule.max_steps=3",
                   "off_policy.correction=none")  # fmt: skip
    server = _start(
        jax_env, tmp_path / "server", "schedule.max_steps=3", "off_policy.correction=none",
        "rollout.backend=server", "rollout.launch=1", "rollout.max_staleness=0",
    )  # fmt: skip
    for proc in (local, server):
        code, err = _finish(proc)
        assert code == 0, err[-3000:]
    want, got = _metrics(tmp_path / "local"), _metrics(tmp_path / "server")
    assert len(want) == len(got) == 3
    for a, b in zip(want, got):
        same = {k: v for k, v in a.items() if not k.startswith(TIMING)}
        assert same == {k: b[k] for k in same}  # loss, ratios, entropy, rewards: exactly
        assert b["async/staleness_0"] == 8 and b["async/dropped_stale"] == 0
    summary = json.loads((tmp_path / "server" / "summary.json").read_text())["async"]
    assert summary["weight_syncs"] == 3  # version 0 before step 0, then after steps 0 and 1
    assert summary["max_staleness_used"] == 0 and summary["dropped_stale"] == 0
    assert summary["staleness_histogram"] == {"0": 24}
    servers = tmp_path / "server" / "servers"
    assert "POST /v1/weights" in (servers / "server-0.log").read_text()
    assert not _alive(int((servers / "server-0.pid").read_text()))  # stopped with the run
    assert sorted(p.name for p in (tmp_path / "server" / "weights").iterdir()) == [
        "init", "v000001", "v000002",
    ]  # fmt: skip


def test_a_killed_server_is_restarted_and_the_run_completes(jax_env, tmp_path):
    run = tmp_path / "run"
    proc = _start(
        jax_env, run, "schedule.max_steps=12", "rollout.backend=server", "rollout.launch=2",
        "rollout.max_staleness=1",
    )  # fmt: skip
    _wait_for_steps(run, proc, 1)
    pid = int((run / "servers" / "server-0.pid").read_text())
    os.killpg(pid, signal.SIGKILL)  # a crash, mid-run
    code, err = _finish(proc)
    assert code == 0, err[-3000:]
    assert "server #0 exited" in err
    summary = json.loads((run / "summary.json").read_text())
    assert summary["steps"] == 12
    assert summary["async"]["server_restarts"] >= 1
    assert summary["async"]["restart_errors"] == []
    # nothing lost: every step learned from a full rollout (retried requests are counted)
    assert [m["rollout/episodes"] for m in _metrics(run)] == [8.0] * 12
    assert (run / "servers" / "server-0.log").read_text().count("=== ") >= 2
    for i in (0, 1):  # the restarted one too: stopped with the run
        assert not _alive(int((run / "servers" / f"server-{i}.pid").read_text()))


def test_every_endpoint_down_stops_the_run_with_a_resumable_checkpoint(jax_env, tmp_path):
    from agentrl.infra.checkpoint import Checkpointer
    from agentrl.models.tiny import tiny_model
    from agentrl.sampling.weight_sync import WeightPublisher
    from agentrl.train.servers import free_port

    model, tok = tiny_model(num_hidden_layers=1)
    folder = WeightPublisher(tmp_path / "served", tok).publish(model, -1).path

    def serve_on(port: int) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-c", RUN, "serve", "--model", str(folder), "--port", str(port),
             "--max-context", "96", "--engine", "static"],
            env=jax_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip

    port = free_port()
    serve = serve_on(port)
    run = tmp_path / "run"
    try:
        proc = _start(
            jax_env, run, "schedule.max_steps=1000", "checkpoint.every=1",
            "rollout.backend=server", f"rollout.endpoints=[http://127.0.0.1:{port}]",
            "rollout.down_timeout_s=4", "rollout.max_staleness=1",
        )  # fmt: skip
        _wait_for_steps(run, proc, 2)
    finally:
        serve.kill()
        serve.wait()
    code, err = _finish(proc, timeout=120)
    assert code != 0
    assert "rollout.down_timeout_s=4" in err  # names the limit that ended it
    assert f"agentrl train --resume {run}" in err
    latest = Checkpointer(run / "checkpoints", keep=2, every=1).latest_step()
    assert latest is not None and latest >= 1
    # ... and the run continues from it on a new server (which gets the checkpoint's weights)
    port = free_port()
    serve = serve_on(port)
    try:
        resumed = subprocess.run(
            [sys.executable, "-c", RUN, "train", "--resume", str(run),
             "--set", f"rollout.endpoints=[http://127.0.0.1:{port}]",
             "--set", "rollout.down_timeout_s=120", "--set", f"schedule.max_steps={latest + 1}"],
            env=jax_env, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
    finally:
        serve.kill()
        serve.wait()
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert f"at grpo step {latest}" in resumed.stderr
    summary = json.loads((run / "summary.json").read_text())
    assert summary["steps"] == latest + 1 and summary["async"]["weight_syncs"] == 1


def test_launched_servers_die_with_a_killed_trainer(jax_env, tmp_path):
    run = tmp_path / "run"
    proc = _start(jax_env, run, "schedule.max_steps=1000", "rollout.backend=server",
                  "rollout.launch=1")  # fmt: skip
    _wait_for_steps(run, proc, 1)
    pid = int((run / "servers" / "server-0.pid").read_text())
    proc.kill()  # SIGKILL: no cleanup code of the trainer runs
    proc.wait()
    deadline = time.monotonic() + 30
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _alive(pid)
