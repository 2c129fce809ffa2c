"""No setting that does nothing: a run reads every field of its config's own sections.

The learner sections (``grpo``, ``ppo``, ``dpo`` and the warm-start's ``sft``) are the trainers'
configs, each read by its learner and tested with it; this test covers the run's own tree.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agentrl.config import Config, load_config
from agentrl.infra.configs import CheckpointConfig, LoggingConfig, MeshConfig
from agentrl.train import config as train_config
from agentrl.train.config import TrainConfig, preset_path
from agentrl.trainers.learner import UpdateConfig

RUN_SECTIONS = (
    TrainConfig,
    train_config.EnvSection,
    train_config.ModelSection,
    train_config.WarmStartSection,
    train_config.RolloutSection,
    train_config.ScheduleSection,
    train_config.EvalSection,
    CheckpointConfig,
    LoggingConfig,
    UpdateConfig,
    MeshConfig,
)
# Fields one short run cannot reach, each with the test that shows it is read.
NOT_REACHED = {
    # tests/train/test_train_config.py: a held-out file and a solutions file
    ("EnvSection", "eval_data"),
    ("EnvSection", "sft_data"),
    # the learner sections of the other algos (tests/train/test_pipeline.py runs each algo)
    ("TrainConfig", "ppo"),
    ("TrainConfig", "dpo"),
    # runs of algo=distill and on a file of one's own (tests/train/test_own_data_cli.py)
    ("TrainConfig", "distill"),
    ("TrainConfig", "data"),
    ("ModelSection", "teacher"),
    # rollout.backend=server (tests/train/test_async_rl.py runs it with launched servers and
    # with an endpoint; tests/train/test_server_rollout.py checks the settings)
    ("RolloutSection", "endpoints"),
    ("RolloutSection", "launch"),
    ("TrainConfig", "off_policy"),  # also tests/trainers/test_off_policy.py
    ("RolloutSection", "server_kind"),
    ("RolloutSection", "launch_timeout_s"),
    ("RolloutSection", "sync_every"),
    ("RolloutSection", "max_staleness"),
    ("RolloutSection", "request_batching"),
    ("RolloutSection", "down_timeout_s"),
}


def test_a_run_reads_every_field_of_its_config(tmp_path: Path, monkeypatch) -> None:
    import sys

    import agentrl.config

    reads: set[tuple[str, str]] = set()
    read_attribute = object.__getattribute__
    serializer = agentrl.config.__file__  # writing config.yaml reads every field: not a use

    def tracking(self: Any, name: str) -> Any:
        cls = type(self)
        if name in cls.model_fields and sys._getframe(1).f_code.co_filename != serializer:
            reads.add((cls.__name__, name))
        return read_attribute(self, name)

    monkeypatch.setattr(Config, "__getattribute__", tracking)
    config = load_config(
        TrainConfig,
        preset_path("deepscaler", real_model=False),
        [
            "model.tiny.num_hidden_layers=1", "model.max_context=96", "warm_start.max_steps=1",
            "warm_start.eval_every=1", "warm_start.pool_size=8", "warm_start.batch_size=4",
            "eval.num_problems=4", "eval.max_tokens=8", "eval.every=1",
            "rollout.prompts_per_step=2", "rollout.group_size=2", "rollout.max_tokens=8",
            "rollout.refill_rounds=1", "schedule.max_steps=1", "schedule.time_budget_s=60",
            "control=sft", "logging.progress=false", "mesh.devices=1",
        ],
    )  # fmt: skip
    from agentrl.train.pipeline import train

    reads.clear()  # building the config reads its fields; only the run's reads count
    train(config, run_dir=tmp_path / "run")
    fields = {(cls.__name__, name) for cls in RUN_SECTIONS for name in cls.model_fields}
    unread = sorted(fields - reads - NOT_REACHED)
    assert not unread, f"config fields no code read during a run: {unread}"
