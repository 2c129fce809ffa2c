"""Weights & Biases as an optional logger: ``logging.wandb: {project, name}`` mirrors every
metric stream of a run, beside metrics.jsonl and TensorBoard. A fake ``wandb`` module stands in
for the package (the tests need neither it nor a network)."""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any

import pytest

from agentrl.config import load_config
from agentrl.errors import ConfigError
from agentrl.infra.metrics import WandbLogger, read_metrics
from agentrl.train.config import TrainConfig, preset_path


class FakeRun:
    def __init__(self, **init: Any) -> None:
        self.init = init
        self.id = init.get("id") or "run-1"
        self.logged: list[dict[str, Any]] = []
        self.defined: list[tuple[str, str | None]] = []
        self.finished = False

    def define_metric(self, name: str, step_metric: str | None = None) -> None:
        self.defined.append((name, step_metric))

    def log(self, data: dict[str, Any]) -> None:
        self.logged.append(dict(data))

    def finish(self) -> None:
        self.finished = True


@pytest.fixture
def fake_wandb(monkeypatch: pytest.MonkeyPatch) -> list[FakeRun]:
    runs: list[FakeRun] = []
    module = types.ModuleType("wandb")

    def init(**kwargs: Any) -> FakeRun:
        runs.append(FakeRun(**kwargs))
        return runs[-1]

    module.init = init  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "wandb", module)
    return runs


def test_streams_are_prefixed_and_stepped_apart(fake_wandb: list[FakeRun], tmp_path: Path) -> None:
    import numpy as np

    logger = WandbLogger("proj", "first", config={"seed": 3}, folder=tmp_path)
    logger.log("warmstart", 1, {"loss": np.float32(2.5)})
    logger.log("rl", 1, {"loss": 1.0, "eval/accuracy": 0.5})
    logger.log("warmstart", 2, {"loss": 2.0})
    logger.close()
    (run,) = fake_wandb
    assert run.init == {
        "project": "proj",
        "name": "first",
        "config": {"seed": 3},
        "dir": str(tmp_path),
        "id": None,
        "resume": None,
    }
    assert run.logged == [
        {"warmstart/loss": 2.5, "warmstart/step": 1},
        {"rl/loss": 1.0, "rl/eval/accuracy": 0.5, "rl/step": 1},
        {"warmstart/loss": 2.0, "warmstart/step": 2},
    ]
    assert ("rl/*", "rl/step") in run.defined and ("warmstart/*", "warmstart/step") in run.defined
    assert run.finished


def test_a_missing_package_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "wandb", None)  # import wandb raises ImportError
    with pytest.raises(ConfigError, match=r"wandb package is not installed \(pip install wandb\)"):
        WandbLogger("proj")


def test_a_run_mirrors_its_metrics_to_wandb(fake_wandb: list[FakeRun], tmp_path: Path) -> None:
    from agentrl.train.pipeline import train

    config = load_config(
        TrainConfig,
        preset_path("deepscaler", real_model=False),
        [
            "model.tiny.num_hidden_layers=1", "model.max_context=96", "warm_start.max_steps=1",
            "warm_start.eval_every=1", "warm_start.pool_size=8", "warm_start.batch_size=4",
            "eval.num_problems=4", "eval.max_tokens=8", "eval.every=2",
            "rollout.prompts_per_step=2", "rollout.group_size=2", "rollout.max_tokens=8",
            "schedule.max_steps=2", "schedule.time_budget_s=null", "logging.progress=false",
            "logging.plots=false", "logging.wandb.project=agentrl-demo",
            "logging.wandb.name=tiny", "mesh.devices=1",
        ],
    )  # fmt: skip
    summary = train(config, run_dir=tmp_path / "run")
    (run,) = fake_wandb
    assert run.init["project"] == "agentrl-demo" and run.init["name"] == "tiny"
    assert run.init["config"]["logging"]["wandb"] == {"project": "agentrl-demo", "name": "tiny"}
    assert run.init["dir"] == str(tmp_path / "run") and run.finished
    assert summary["wandb_run_id"] == "run-1"
    # Every line of metrics.jsonl, and of the warm-start's log, reached W&B under its stream.
    for stream, path in (("rl", "metrics.jsonl"), ("warmstart", "warmstart.jsonl")):
        lines = read_metrics(tmp_path / "run" / path)
        mirrored = [r for r in run.logged if f"{stream}/step" in r]
        want = [{f"{stream}/{k}": v for k, v in line.items() if k != "time"} for line in lines]
        assert mirrored == [pytest.approx(w) for w in want] and len(want) == 2 - (stream != "rl")
