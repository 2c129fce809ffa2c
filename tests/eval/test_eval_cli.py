"""``agentrl eval --model / --run / --endpoint`` and ``agentrl serve`` through their entry points.

One tiny model is saved as a Hugging Face folder and as a run folder's ``model/``; greedy
decoding must give the same per-sample records (reward, termination, policy tokens) whether the
model is loaded in-process from either folder or served by an ``agentrl serve`` subprocess on a
free loopback port, whose log must show the eval's requests.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from agentrl.cli import main

# Greedy, few problems, short answers: the three ways to reach the model must agree exactly.
SUITE = """\
name: cli-greedy
tasks:
  - name: arith
    env: deepscaler-v0
    num_problems: 3
    k: 1
    sampling: {temperature: 0.0, max_tokens: 12}
    env_kwargs: {kinds: [arithmetic], difficulty: [1]}
"""


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    from agentrl.models import save
    from agentrl.models.tiny import tiny_model

    root = tmp_path_factory.mktemp("eval-cli")
    model, tokenizer = tiny_model(seed=5)
    save(model, tokenizer, root / "tiny5")
    shutil.copytree(root / "tiny5", root / "run" / "model")  # what `agentrl train` leaves
    (root / "suite.yaml").write_text(SUITE)
    return root


def _eval(folders: Path, out: str, *policy: str) -> dict:
    argv = ["eval", "--suite", str(folders / "suite.yaml"), "--out", str(folders / out)]
    assert main([*argv, "--no-progress", *policy]) == 0
    return json.loads((folders / out / "results.json").read_text())


def _samples(folders: Path, out: str) -> list:
    lines = (folders / out / "problems.jsonl").read_text().splitlines()
    rows = [json.loads(line) for line in lines]
    return [(r["problem_id"], r["samples"]) for r in rows]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_ready(url: str, proc: subprocess.Popen, timeout: float = 240) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"agentrl serve exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "/models", timeout=2) as response:
                return json.loads(response.read())
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"agentrl serve not ready at {url} after {timeout} s")


def test_eval_model_and_run_folders_load_that_model(folders):
    by_model = _eval(folders, "by-model", "--model", str(folders / "tiny5"))
    by_run = _eval(folders, "by-run", "--run", str(folders / "run"))
    assert by_model["policy"]["model_id"] == str(folders / "tiny5")
    assert by_run["policy"]["model_id"] == str(folders / "run")
    assert by_model["policy"]["sampler"] == by_run["policy"]["sampler"] == "JaxSampler"
    assert by_model["tasks"]["arith"]["problems"] == 3
    assert _samples(folders, "by-model") == _samples(folders, "by-run")


def test_eval_model_on_a_2x2x2_mesh_samples_the_same(folders):
    if not _samples_exist(folders, "by-model"):
        _eval(folders, "by-model", "--model", str(folders / "tiny5"))
    mesh = ["--mesh", "data=2,fsdp=2,tp=2"]  # the in-process runs have 8 devices, data=8
    _eval(folders, "by-mesh", "--model", str(folders / "tiny5"), *mesh)
    assert _samples(folders, "by-mesh") == _samples(folders, "by-model")
    argv = ["eval", "--suite", str(folders / "suite.yaml"), "--out", str(folders / "bad")]
    assert main([*argv, "--model", str(folders / "tiny5"), "--mesh", "tp=8"]) == 2


def test_eval_endpoint_against_agentrl_serve(folders):
    if not _samples_exist(folders, "by-model"):
        _eval(folders, "by-model", "--model", str(folders / "tiny5"))
    port = _free_port()
    url = f"http://127.0.0.1:{port}/v1"
    serve = [sys.executable, "-m", "agentrl", "serve", "--model", str(folders / "tiny5")]
    serve += ["--mesh", "data=2,fsdp=2,tp=2"]  # 8 devices: the engine's cache rows and heads split
    proc = subprocess.Popen(
        [*serve, "--host", "127.0.0.1", "--port", str(port), "--served-model-name", "tiny5",
         "--max-context", "512"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "JAX_PLATFORMS": "cpu"},
    )  # fmt: skip
    try:
        listed = _wait_ready(url, proc)
        assert [m["id"] for m in listed["data"]] == ["tiny5"]
        results = _eval(
            folders,
            "by-endpoint",
            "--endpoint", url,
            "--served-model", "tiny5",
            "--tokenizer", str(folders / "tiny5"),
        )  # fmt: skip
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            log, _ = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            log, _ = proc.communicate()
    assert f"agentrl serve: tiny5 on {url}" in log, log
    assert "POST /v1/" in log, log  # the eval's requests reached this server
    assert results["policy"]["endpoint"] == url and results["policy"]["sampler"] == "OpenAISampler"
    assert _samples(folders, "by-endpoint") == _samples(folders, "by-model")


def _samples_exist(folders: Path, out: str) -> bool:
    return (folders / out / "problems.jsonl").is_file()
