"""agentrl.infra.run_dir and agentrl.infra.metrics: folder layout, summary, JSONL + TensorBoard."""

from __future__ import annotations

import datetime as dt
import json
import math

import numpy as np
import pytest

from agentrl.config import Config, load_config
from agentrl.errors import ConfigError
from agentrl.infra.metrics import MetricsError, MetricsLogger, read_metrics, series
from agentrl.infra.run_dir import RunDir, default_run_name


class Cfg(Config):
    lr: float = 1e-3


def test_default_run_name():
    when = dt.datetime(2026, 1, 26, 9, 30, 5, tzinfo=dt.UTC)
    assert default_run_name("deepscaler-v0", "grpo", when) == "deepscaler-v0-grpo-20260126-093005"
    assert default_run_name("a/b c", "sft", when) == "a_b_c-sft-20260126-093005"


def test_create_layout_and_config(tmp_path):
    run = RunDir.create(env="gsm8k", algo="grpo", root=tmp_path, config=Cfg(lr=0.25))
    assert run.path.parent == tmp_path and run.path.name.startswith("gsm8k-grpo-")
    for folder in (run.tb_dir, run.checkpoints_dir, run.plots_dir):
        assert folder.is_dir()
    assert load_config(Cfg, run.config_path) == Cfg(lr=0.25)
    again = RunDir.create(env="gsm8k", algo="grpo", root=tmp_path)  # same second or not
    assert again.path != run.path


def test_explicit_path_must_be_new_or_empty(tmp_path):
    RunDir.create(tmp_path / "r")
    (tmp_path / "r" / "file").write_text("x")
    with pytest.raises(ConfigError, match="already exists and is not empty"):
        RunDir.create(tmp_path / "r")


def test_open_requires_a_run_folder(tmp_path):
    with pytest.raises(ConfigError, match="not a run folder"):
        RunDir.open(tmp_path)
    RunDir.create(tmp_path / "r", config=Cfg())
    assert RunDir.open(tmp_path / "r").config_path.is_file()


def test_summary_merges_and_is_atomic(tmp_path):
    run = RunDir.create(tmp_path / "r")
    assert run.read_summary() == {}
    run.update_summary({"eval_before": {"accuracy": 0.1, "n": 64}}, steps=0)
    out = run.update_summary({"eval_before.accuracy": 0.2, "eval_after": {"accuracy": 0.5}})
    assert out == {"eval_before": {"accuracy": 0.2, "n": 64}, "eval_after": {"accuracy": 0.5},
                   "steps": 0}  # fmt: skip
    assert json.loads(run.summary_path.read_text()) == out
    assert [p.name for p in run.path.iterdir() if p.suffix == ".tmp"] == []


def test_metrics_jsonl_nonfinite_and_reading_back(tmp_path):
    path = tmp_path / "m.jsonl"
    with MetricsLogger(path) as log:
        log.log(1, {"loss": 2.5, "reward": np.float32(0.25), "ok": True})
        log.log(2, {"loss": float("nan"), "kl": float("inf"), "g": -math.inf})
        log.log(3, {"loss": 1.0})
    lines = path.read_text().splitlines()
    assert all(json.loads(line) for line in lines)  # strict JSON, no bare NaN
    assert '"loss": "NaN"' in lines[1]
    records = read_metrics(path)
    assert [r["step"] for r in records] == [1, 2, 3]
    assert records[0]["reward"] == 0.25 and records[0]["ok"] == 1.0
    assert math.isnan(records[1]["loss"]) and records[1]["kl"] == math.inf
    assert records[1]["g"] == -math.inf
    steps, values = series(records, "kl")
    assert steps == [2] and values == [math.inf]


def test_metrics_rejects_non_numbers_and_reserved_names(tmp_path):
    with MetricsLogger(tmp_path / "m.jsonl") as log:
        with pytest.raises(MetricsError, match="got metric note='hi' \\(str\\), need a number"):
            log.log(1, {"note": "hi"})
        with pytest.raises(MetricsError, match="'step' is reserved"):
            log.log(1, {"step": 3})


def test_torn_last_line_is_skipped_and_resume_truncates(tmp_path):
    path = tmp_path / "m.jsonl"
    with MetricsLogger(path) as log:
        for step in range(1, 6):
            log.log(step, {"loss": float(step)})
    with path.open("a") as f:
        f.write('{"step": 6, "lo')  # killed mid-write
    assert [r["step"] for r in read_metrics(path)] == [1, 2, 3, 4, 5]
    with MetricsLogger(path, resume_step=3) as log:
        log.log(4, {"loss": 40.0})
    assert [(r["step"], r["loss"]) for r in read_metrics(path)] == [
        (1, 1.0), (2, 2.0), (3, 3.0), (4, 40.0)
    ]  # fmt: skip


def test_tensorboard_events_hold_the_scalars(tmp_path):
    from tensorboardX.proto import event_pb2

    run = RunDir.create(tmp_path / "r")
    with run.metrics_logger() as log:
        log.log(7, {"reward/mean": 0.5})
    files = list(run.tb_dir.glob("events.out.tfevents.*"))
    assert len(files) == 1
    scalars = []
    for record in _tf_records(files[0].read_bytes()):
        event = event_pb2.Event.FromString(record)
        scalars += [(event.step, v.tag, v.simple_value) for v in event.summary.value]
    assert scalars == [(7, "reward/mean", 0.5)]


def _tf_records(data: bytes):
    """Split a TFRecord file: [len u64][crc u32][payload][crc u32] repeated."""
    i = 0
    while i < len(data):
        n = int.from_bytes(data[i : i + 8], "little")
        yield data[i + 12 : i + 12 + n]
        i += 12 + n + 4


def test_write_plots_from_the_run_metrics(tmp_path):
    run = RunDir.create(tmp_path / "r")
    assert run.write_plots() == []  # nothing logged yet
    with run.metrics_logger(tensorboard=False) as log:
        for step in range(1, 4):
            log.log(step, {"reward": step / 3, "loss": 1.0 / step})
    names = sorted(p.name for p in run.write_plots())
    assert names == ["loss.png", "reward.png", "reward_curve.png"]
    assert all((run.plots_dir / n).read_bytes()[:4] == b"\x89PNG" for n in names)


def test_resumed_time_continues_the_run_time(tmp_path):
    path = tmp_path / "m.jsonl"
    path.write_text("".join(f'{{"step": {s}, "time": {50.0 * s}, "x": 1}}\n' for s in (1, 2, 3)))
    with MetricsLogger(path, resume_step=2) as log:
        log.log(3, {"x": 2.0})
    last = read_metrics(path)[-1]
    assert last["step"] == 3 and last["x"] == 2.0
    assert 100.0 <= last["time"] < 140.0  # continues from step 2's 100 s, not from 0
