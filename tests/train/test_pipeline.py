"""`agentrl train` end to end on a tiny config, each run in its own process (as users run it).

The runs share a JAX compilation cache folder, so only the first run of each learner compiles;
the cache changes nothing but the start-up time (a cached executable is the same binary).
"""

from __future__ import annotations

import json
import re
import shutil
import signal
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
    "warm_start.max_steps=2",
    "warm_start.eval_every=2",
    "warm_start.pool_size=16",
    "warm_start.batch_size=8",
    "eval.num_problems=8",
    "eval.max_tokens=16",
    "eval.every=2",
    "rollout.prompts_per_step=2",
    "rollout.group_size=2",
    "rollout.max_tokens=16",
    "schedule.max_steps=5",
    "schedule.time_budget_s=null",
    "checkpoint.every=2",
    "checkpoint.keep=3",
    # Rewards of an untrained model are all 0, so GRPO's advantages are too: the entropy
    # bonus makes every RL step change the weights and the optimizer state all the same
    # (and dynamic sampling, which would skip such all-equal groups, is off).
    "grpo.entropy_coef=0.01",
    "grpo.dynamic_sampling=false",
    "ppo.entropy_coef=0.01",
]
# Metrics that measure the clock rather than the training; all others must repeat exactly.
TIMING = (
    "time",
    "rollout/seconds",
    "update/seconds",
    "rollout/tokens_per_s",
    "time/train_seconds",
    "time/tokens_per_s",
)
RUN = "import sys; from agentrl.cli import main; sys.exit(main(sys.argv[1:]))"


def _args(run_dir: Path, *extra: str) -> list[str]:
    sets = [a for kv in TINY for a in ("--set", kv)]
    return ["train", "--env", "deepscaler", "--run-dir", str(run_dir), *sets, *extra]


def _train(env: dict[str, str], args: list[str]) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, "-c", RUN, *args], env=env, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def _summary(run: Path) -> dict[str, Any]:
    return json.loads((run / "summary.json").read_text())


def _same_weights(run: Path, reference: Path) -> bool:
    from safetensors.numpy import load_file

    got, want = (load_file(r / "model" / "model.safetensors") for r in (run, reference))
    return got.keys() == want.keys() and all(np.array_equal(got[k], want[k]) for k in want)


def _training_metrics(run: Path) -> list[dict[str, float]]:
    rows = read_metrics(run / "metrics.jsonl")
    return [{k: v for k, v in row.items() if k not in TIMING} for row in rows]


@pytest.fixture(scope="module")
def straight(jax_env, tmp_path_factory) -> tuple[Path, str]:
    """A tiny GRPO run, straight through: its folder and its stderr."""
    run = tmp_path_factory.mktemp("straight") / "run"
    proc = _train(jax_env, _args(run))
    return run, proc.stderr


def test_run_folder_is_complete(straight) -> None:
    run, _ = straight
    for name in ("config.yaml", "metrics.jsonl", "warmstart.jsonl", "summary.json"):
        assert (run / name).is_file(), name
    assert list((run / "tb").glob("events.out.tfevents.*"))
    assert (run / "model" / "config.json").is_file()
    assert (run / "model" / "model.safetensors").is_file()
    assert (run / "model" / "tokenizer.json").is_file()
    steps = sorted(int(p.name) for p in (run / "checkpoints").iterdir() if p.name.isdigit())
    assert steps == [2, 4, 5]
    plots = {p.name for p in (run / "plots").glob("*.png")}
    assert {"reward.png", "reward_curve.png", "loss.png", "entropy.png", "accuracy.png"} <= plots
    summary = _summary(run)
    assert summary["steps"] == 5 and summary["wall_seconds"] > 0
    for key in ("eval_before", "eval_after"):
        assert 0 <= summary[key]["accuracy"] <= 1 and summary[key]["n"] == 8
    assert summary["warm_start"]["steps"] == 2
    metrics = read_metrics(run / "metrics.jsonl")
    assert [row["step"] for row in metrics] == [1, 2, 3, 4, 5]
    assert all(row["grad_norm"] > 0 for row in metrics)  # RL changes the weights every step
    assert summary["grpo"]["curve"] == [
        [2, metrics[1]["eval/accuracy"]],
        [4, metrics[3]["eval/accuracy"]],
    ]
    assert [row["step"] for row in read_metrics(run / "warmstart.jsonl")] == [1, 2]


def _prompts(path: Path) -> list[str]:
    from agentrl.wrappers import normalize_prompt

    return [normalize_prompt(json.loads(line)["prompt"]) for line in path.open()]


def test_held_out_problems_are_never_trained_on(straight) -> None:
    """The run's own record: distinct held-out problems, and every prompt any stage trained on
    (the warm-start pool, then each RL step's), none of them held out."""
    run, _ = straight
    heldout = _prompts(run / "data" / "heldout.jsonl")
    trained = _prompts(run / "data" / "train_prompts.jsonl")
    assert len(heldout) == len(set(heldout)) == 8
    assert len(trained) == len(set(trained))
    # 16 pool problems, then 5 RL steps x 2 prompts (a generator may repeat some).
    assert 16 < len(trained) <= 16 + 5 * 2
    assert not set(heldout) & set(trained)
    summary = _summary(run)["data"]
    assert summary == {"heldout": 8, "train_prompts": len(trained), "heldout_overlap": 0}


def test_the_continuous_engine_runs_the_same_recipe(straight, jax_env, tmp_path: Path) -> None:
    """rollout.engine=continuous swaps the sampler only: the run completes its stages with the
    engine, its held-out eval after the same warm-start equals the static engine's, and it holds
    no held-out problem. (That every update flushes the engine's cached KV is
    tests/train/test_stages.py's; the engine's flush on a version bump is the engine's tests'.)"""
    reference, _ = straight
    run = tmp_path / "run"
    engine = ["--set", "rollout.engine=continuous", "--set", "warm_start.eval_every=1"]
    _train(jax_env, _args(run, "--quiet", *engine))
    got, want = _summary(run), _summary(reference)
    assert {**got["eval_before"], "seconds": 0} == {**want["eval_before"], "seconds": 0}
    assert got["steps"] == 5 and got["data"]["heldout_overlap"] == 0


def test_bucketed_shapes_compile_a_handful_of_times(straight) -> None:
    summary = _summary(straight[0])
    # Every RL batch pads to a power-of-two length: prompts + 16 tokens fit one or two buckets.
    assert 1 <= summary["grpo"]["compilations"] <= 2
    assert summary["warm_start"]["compilations"] == 1
    # Prefill + decode for the greedy eval batch and the sampled RL batch (two sizes each).
    assert summary["sampler_compilations"] <= 8


def test_progress_lines_without_a_terminal(straight) -> None:
    _, stderr = straight
    number = r"-?[\d.]+(e[-+]\d+)?"
    duration = r"\d+:\d\d:\d\d"
    rl = [line for line in stderr.splitlines() if line.startswith("rl ")]
    warm = [line for line in stderr.splitlines() if line.startswith("warm-start ")]
    assert rl and warm, stderr
    assert re.fullmatch(
        rf"rl 5/5 \| reward {number} \| loss {number} \| acc {number} \| [\d.]+k? tok/s "
        rf"\| {duration}",
        rl[-1],
    ), rl[-1]
    assert re.fullmatch(
        rf"rl 1/5 \| reward {number} \| loss {number} \| [\d.]+k? tok/s \| {duration} "
        rf"\| eta {duration}",
        rl[0],
    ), rl[0]
    assert re.fullmatch(
        rf"warm-start 2/2 \| loss {number} \| acc {number} \| [\d.]+k? tok/s \| {duration}",
        warm[-1],
    ), warm[-1]


def test_killed_run_resumes_exactly(straight, jax_env, tmp_path: Path) -> None:
    reference, _ = straight
    run = tmp_path / "run"
    proc = subprocess.Popen(
        [sys.executable, "-c", RUN, *_args(run)],
        env=jax_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    marker = run / "checkpoints" / "2" / "_CHECKPOINT_METADATA"
    deadline = time.monotonic() + 300
    while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL, "the run ended before it could be killed"
    assert "eval_after" not in _summary(run)
    resumed = _train(jax_env, ["train", "--resume", str(run)])
    assert re.search(r"resuming .* at grpo step [24]\b", resumed.stderr), resumed.stderr
    assert _summary(run)["grpo"]["curve"] == _summary(reference)["grpo"]["curve"]
    assert _training_metrics(run) == _training_metrics(reference)
    after, want = _summary(run)["eval_after"], _summary(reference)["eval_after"]
    assert {**after, "seconds": 0} == {**want, "seconds": 0}
    assert _same_weights(run, reference)  # params and optimizer state both came back
    assert _prompts(run / "data" / "train_prompts.jsonl") == _prompts(
        reference / "data" / "train_prompts.jsonl"
    )


def test_half_written_checkpoint_is_never_picked_up(straight, jax_env, tmp_path: Path) -> None:
    reference, _ = straight
    run = tmp_path / "run"
    shutil.copytree(reference, run)
    shutil.rmtree(run / "model")  # what the resumed run leaves must be its own
    summary = _summary(run)
    del summary["eval_after"]
    (run / "summary.json").write_text(json.dumps(summary))
    shutil.rmtree(run / "checkpoints" / "5")  # the newest, now half-written: no metadata
    (run / "checkpoints" / "5" / "state").mkdir(parents=True)
    (run / "checkpoints" / "5" / "state" / "garbage").write_bytes(b"\0" * 64)
    resumed = _train(jax_env, ["train", "--resume", str(run), "--quiet"])
    assert "at grpo step 4" in resumed.stderr
    assert (run / "checkpoints" / "5.incomplete").is_dir()
    assert (run / "checkpoints" / "5" / "_CHECKPOINT_METADATA").is_file()
    assert _training_metrics(run) == _training_metrics(reference)
    after, want = _summary(run)["eval_after"], _summary(reference)["eval_after"]
    assert {**after, "seconds": 0} == {**want, "seconds": 0}
    # The redone step 5 updates from the restored optimizer state: the weights tell.
    assert _same_weights(run, reference)


@pytest.mark.parametrize(
    ("algo", "extra"),
    [("ppo", []), ("dpo", []), ("sft", ["--control", "sft"])],
)
def test_every_algo_runs_through_the_same_pipeline(
    algo: str, extra: list[str], jax_env, tmp_path: Path
) -> None:
    run = tmp_path / "run"
    _train(jax_env, _args(run, "--algo", algo, "--quiet", "--set", "schedule.max_steps=2", *extra))
    summary = _summary(run)
    assert summary["algo"] == algo and summary["steps"] == 2
    for key in ("eval_before", "eval_after"):
        assert 0 <= summary[key]["accuracy"] <= 1
    assert [row["step"] for row in read_metrics(run / "metrics.jsonl")] == [1, 2]
    assert (run / "model" / "model.safetensors").is_file()
    assert (run / "plots" / "accuracy.png").is_file()
    assert (run / "checkpoints" / "2" / "_CHECKPOINT_METADATA").is_file()
    if extra:
        assert 0 <= summary["control"]["accuracy"] <= 1 and summary["control"]["steps"] >= 1
        assert read_metrics(run / "control.jsonl")
        # The run's own time, the control's excluded, comes first and is the shorter.
        assert 0 < summary["wall_seconds_without_control"] < summary["wall_seconds"]


def test_run_budget_leaves_the_rl_stage_what_the_warm_start_left(jax_env, tmp_path: Path) -> None:
    # Start-up and the warm-start alone take longer than one second: nothing is left for RL.
    run = tmp_path / "run"
    _train(jax_env, _args(run, "--quiet", "--set", "schedule.run_budget_s=1"))
    summary = _summary(run)
    assert summary["rl_budget_s"] == 0 and summary["steps"] == 0
    assert 0 <= summary["eval_after"]["accuracy"] <= 1
    # A resumed run keeps the budget its first process fixed: a fresh one under this roomier
    # run budget would have been about an hour, and the stage would have run its 5 steps.
    roomier = ["--set", "schedule.run_budget_s=3600"]
    _train(jax_env, ["train", "--resume", str(run), "--quiet", *roomier])
    summary = _summary(run)
    assert summary["resumed"] and summary["rl_budget_s"] == 0 and summary["steps"] == 0
    # A roomy budget caps nothing: the step limit ends the stage, as without one.
    roomy = tmp_path / "roomy"
    _train(jax_env, _args(roomy, "--quiet", "--set", "schedule.run_budget_s=3600"))
    summary = _summary(roomy)
    assert 3000 < summary["rl_budget_s"] < 3600 and summary["steps"] == 5


def test_real_recipe_runs_on_a_checkpoint_folder_and_a_data_file(jax_env, tmp_path: Path) -> None:
    """``--model DIR --data FILE``: a Hugging Face folder and a DeepScaleR-format JSON file, the
    real preset (KL reference, temperature 0.6), shrunk to a few steps for CPU."""
    from agentrl.models import load, save
    from agentrl.models.tiny import tiny_model

    model, tokenizer = tiny_model()
    save(model, tokenizer, tmp_path / "ckpt")
    rows = [
        {"problem": f"What is {a} + {b}?", "answer": str(a + b), "solution": f"\\boxed{{{a + b}}}"}
        for a in range(10, 30)
        for b in range(40, 50)
    ]
    (tmp_path / "train.json").write_text(json.dumps(rows))
    run = tmp_path / "run"
    small = [
        "model.max_context=128", "rollout.prompts_per_step=2", "rollout.group_size=4",
        "rollout.max_tokens=16", "eval.num_problems=8", "eval.max_tokens=16", "eval.every=2",
        "schedule.max_steps=2",
    ]  # fmt: skip
    args = ["train", "--model", str(tmp_path / "ckpt"), "--data", str(tmp_path / "train.json")]
    _train(
        jax_env,
        [*args, "--run-dir", str(run), "--quiet", *[a for s in small for a in ("--set", s)]],
    )
    summary = _summary(run)
    assert summary["steps"] == 2 and summary["eval_before"]["n"] == summary["eval_after"]["n"] == 8
    config = (run / "config.yaml").read_text()
    assert "kl_coef: 0.001" in config and "temperature: 0.6" in config  # the real preset
    rows_logged = read_metrics(run / "metrics.jsonl")
    assert [r["step"] for r in rows_logged] == [1, 2] and all("kl" in r for r in rows_logged)
    # The learner scores tokens at the rollout's temperature: before any update, the policy
    # is the sampling policy and every importance ratio is 1.
    assert abs(rows_logged[0]["ratio_mean"] - 1) < 1e-3
    exported, _ = load(run / "model")
    assert exported.config.vocab_size == model.config.vocab_size


def test_dynamic_sampling_refills_from_fresh_prompts(jax_env, tmp_path: Path) -> None:
    """DAPO's refill: an untrained model scores 0 on every episode, so no group has differing
    rewards; each step samples its 1 + 2 blocks of fresh prompts, then skips the update."""
    run = tmp_path / "run"
    refill = ["grpo.dynamic_sampling=true", "rollout.refill_rounds=2", "schedule.max_steps=2"]
    _train(jax_env, _args(run, "--quiet", *[a for s in refill for a in ("--set", s)]))
    rows = read_metrics(run / "metrics.jsonl")
    assert [r["step"] for r in rows] == [1, 2]
    assert all(r["rollout/episodes"] == 3 * 2 * 2 and r["skipped"] == 1 for r in rows)
    assert all(r["reward/mean"] == 0 for r in rows)
