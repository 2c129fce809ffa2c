"""`agentrl train` on what users have: a chat file (SFT), a preference file (DPO), a teacher
folder (distillation, every mode), each a few steps on the tiny model in its own process, and
the errors a wrong file or a mismatched teacher gets before any run folder is made."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from test_datasets import tool_chat, write

from agentrl.infra.metrics import read_metrics

TINY = [
    "model.tiny.num_hidden_layers=1", "model.max_context=384", "warm_start.enabled=false",
    "warm_start.batch_size=4", "warm_start.sft.buckets=null", "eval.num_problems=4",
    "eval.max_tokens=8", "eval.every=2", "rollout.prompts_per_step=2", "rollout.group_size=2",
    "rollout.max_tokens=8", "schedule.max_steps=2", "schedule.time_budget_s=null",
    "checkpoint.every=2", "dpo.buckets=null", "distill.buckets=null", "logging.plots=false",
    "logging.tensorboard=false",
]  # fmt: skip
RUN = "import sys; from agentrl.cli import main; sys.exit(main(sys.argv[1:]))"


def _train(
    env: dict[str, str], run: Path, *extra: str, ok: bool = True
) -> subprocess.CompletedProcess[str]:
    sets = [a for kv in TINY for a in ("--set", kv)]
    args = ["train", "--env", "deepscaler", "--run-dir", str(run), "--quiet", *sets, *extra]
    proc = subprocess.run(
        [sys.executable, "-c", RUN, *args], env=env, capture_output=True, text=True, timeout=600
    )
    assert (proc.returncode == 0) == ok, proc.stderr[-3000:]
    return proc


def _complete(run: Path, algo: str) -> dict[str, Any]:
    """The saved run folder is whole; returns its summary."""
    for name in ("config.yaml", "metrics.jsonl", "summary.json"):
        assert (run / name).is_file(), name
    assert (run / "model" / "model.safetensors").is_file()
    assert (run / "model" / "tokenizer.json").is_file()
    summary = json.loads((run / "summary.json").read_text())
    assert summary["algo"] == algo and summary["steps"] == 2
    assert [row["step"] for row in read_metrics(run / "metrics.jsonl")] == [1, 2]
    for key in ("eval_before", "eval_after"):  # the env's held-out problems
        assert summary[key]["n"] == 4
    return summary


def _prompts(run: Path) -> list[str]:
    return [json.loads(line)["prompt"] for line in (run / "data" / "train_prompts.jsonl").open()]


def test_sft_on_a_chat_file_with_tool_calls(jax_env: dict[str, str], tmp_path: Path) -> None:
    data = write(tmp_path / "chat.jsonl", [tool_chat(a, b) for a in range(3, 7) for b in (1, 2)])
    run = tmp_path / "run"
    _train(jax_env, run, "--algo", "sft", "--data", str(data))
    summary = _complete(run, "sft")
    assert summary["data_file"] == str(data)
    assert "data: " + str(data) in (run / "config.yaml").read_text()
    # What the run trained on is the chat file's prompts, not the env's solutions.
    assert _prompts(run) == [f"What is {a} + {b}?" for a in range(3, 7) for b in (1, 2)]
    rows = read_metrics(run / "metrics.jsonl")
    assert all(r["loss"] > 0 and r["grad_norm"] > 0 for r in rows)


def test_offline_dpo_on_a_preference_file(jax_env: dict[str, str], tmp_path: Path) -> None:
    pairs = [
        {"prompt": f"What is {a} + 1?", "chosen": f"\\boxed{{{a + 1}}}", "rejected": "\\boxed{0}"}
        for a in range(8)
    ]
    data = write(tmp_path / "prefs.parquet", pairs)
    run = tmp_path / "run"
    _train(jax_env, run, "--algo", "dpo", "--data", str(data), "--set", "dpo.loss=ipo")
    _complete(run, "dpo")
    assert "loss: ipo" in (run / "config.yaml").read_text()
    rows = read_metrics(run / "metrics.jsonl")
    # Offline pairs, not rollouts: a batch of warm_start.batch_size pairs, no sampling.
    assert all(r["pairs"] == 4 and "rollout/episodes" not in r for r in rows)
    # IPO at the reference (margin 0): (0 - 1 / (2 beta))^2 = 25 with beta 0.1.
    assert rows[0]["loss"] == pytest.approx(25.0)
    assert sorted(_prompts(run)) == sorted(p["prompt"] for p in pairs)


@pytest.fixture(scope="module")
def teacher(tmp_path_factory: Any) -> Path:
    from agentrl.models import save
    from agentrl.models.tiny import tiny_model

    folder = tmp_path_factory.mktemp("teacher") / "model"
    model, tokenizer = tiny_model(seed=1, num_hidden_layers=2, hidden_size=96)
    save(model, tokenizer, folder)
    return folder


@pytest.mark.parametrize("mode", ["logit", "feature", "on_policy"])
def test_distill_from_a_teacher_folder(
    mode: str, teacher: Path, jax_env: dict[str, str], tmp_path: Path
) -> None:
    run = tmp_path / "run"
    extra = ["--algo", "distill", "--teacher", str(teacher), "--set", f"distill.mode={mode}"]
    if mode == "logit":  # over a chat file; feature mode over the env's worked solutions
        data = write(tmp_path / "chat.jsonl", [tool_chat(a, 2) for a in range(4)])
        extra += ["--data", str(data)]
    _train(jax_env, run, *extra)
    _complete(run, "distill")
    rows = read_metrics(run / "metrics.jsonl")
    assert all(r["distill_loss"] > 0 and r["grad_norm"] > 0 for r in rows)
    # On-policy: the student samples the env's prompts and the teacher scores them.
    assert all(("rollout/episodes" in r) == (mode == "on_policy") for r in rows)


def test_bad_files_and_a_mismatched_teacher_fail_before_a_run_folder(
    teacher: Path, jax_env: dict[str, str], tmp_path: Path
) -> None:
    import shutil

    run = tmp_path / "run"
    bad = write(tmp_path / "bad.jsonl", [{"question_text": "hi", "reply": "x"}])
    proc = _train(jax_env, run, "--algo", "sft", "--data", str(bad), ok=False)
    assert "record 0 has fields ['question_text', 'reply']" in proc.stderr
    assert "chat data needs 'messages'" in proc.stderr
    chat = write(tmp_path / "chat.jsonl", [tool_chat(1, 2)])
    proc = _train(jax_env, run, "--algo", "dpo", "--data", str(chat), ok=False)
    assert "(chat data) with algo=dpo" in proc.stderr
    # A teacher whose tokenizer numbers two tokens the other way round.
    other = tmp_path / "other"
    shutil.copytree(teacher, other)
    spec = json.loads((other / "tokenizer.json").read_text())
    vocab = spec["model"]["vocab"]
    a, b = list(vocab)[300:302]
    vocab[a], vocab[b] = vocab[b], vocab[a]
    (other / "tokenizer.json").write_text(json.dumps(spec))
    proc = _train(jax_env, run, "--algo", "distill", "--teacher", str(other), ok=False)
    assert (
        f"the teacher's tokenizer ({other}: 512 tokens) differs from the student's "
        "(the built-in tiny model: 512 tokens)"
    ) in proc.stderr
    assert not run.exists()
